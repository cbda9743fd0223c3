"""Archives read the way loaders read them: the tolerant zip reader, nesting, probing and
the verdict for what a loader would unpickle but mlsc cannot parse."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from mlsc.scan import archives, scan_path
from mlsc.scan.formats import magic_of
from mlsc.scan.scanner import FileScan, scan_file
from mlsc.scan.zipread import ZipReadError, list_zip, open_entry
from tests.scan import builders as b
from tests.scan import zipcraft as z

SAFE = b.torch_state_dict_pickle()


def scan(path: Path) -> FileScan:
    return scan_file(path, path.name)


def kinds(f: FileScan) -> set[tuple[str, str]]:
    return {(x.kind, x.severity) for x in f.findings}


# -- the tolerant reader ----------------------------------------------------------------


def test_both_views_of_a_plain_checkpoint_agree() -> None:
    data = z.zip_bytes(z.torch_members(SAFE))
    got = list_zip(io.BytesIO(data), len(data))
    assert got.has_central and not got.problems
    assert [e.name for e in got.central] == [e.name for e in got.local]
    assert len(got.entries()) == len(z.torch_members(SAFE))


def test_zipfile_refuses_what_the_reader_reads() -> None:
    data = z.rename_local(
        z.bad_crc(z.zip_bytes(z.torch_members(z.EVIL)), "archive/data.pkl"),
        "archive/data.pkl",
        "archive/data.pkx",
    )
    with pytest.raises(zipfile.BadZipFile), zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.read("archive/data.pkl")
    f = io.BytesIO(data)
    got = list_zip(f, len(data))
    [(entry, names)] = [(e, n) for e, n in got.entries() if "archive/data.pkl" in n]
    assert names == ("archive/data.pkl", "archive/data.pkx")
    assert open_entry(f, entry).read() == z.EVIL
    assert any("local header 'archive/data.pkx'" in p for p in got.problems)


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_compressed_members_and_data_descriptors(method: int) -> None:
    data = z.zip_bytes(z.torch_members(z.EVIL), method, stream=True)
    f = io.BytesIO(data)
    got = list_zip(f, len(data))
    assert not got.problems
    [(entry, _)] = [(e, n) for e, n in got.entries() if "archive/data.pkl" in n]
    assert open_entry(f, entry).read() == z.EVIL


@pytest.mark.parametrize("method", [zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2])
def test_an_npz_member_in_another_method_is_read_as_numpy_reads_it(
    tmp_path: Path, method: int
) -> None:
    npy = b.npy_bytes("|O", (1,), z.EVIL)
    f = scan(z.write(tmp_path / "arrays.npz", z.zip_bytes([("x.npy", npy)], method)))
    assert f.status == "critical" and f.container == "npz"


def test_decompression_is_bounded() -> None:
    bomb = z.zip_bytes([("data.pkl", bytes(64 << 20))], zipfile.ZIP_DEFLATED)
    f = io.BytesIO(bomb)
    [(entry, _)] = list_zip(f, len(bomb)).entries()
    assert len(open_entry(f, entry).read(1000)) == 1000


def test_no_zip_at_all() -> None:
    with pytest.raises(ZipReadError):
        list_zip(io.BytesIO(b"PK\x03\x04"), 4)


# -- archives in a scan -----------------------------------------------------------------


def test_a_local_header_the_central_directory_hides_is_scanned(tmp_path: Path) -> None:
    data = z.drop_central(
        z.zip_bytes([*z.torch_members(SAFE), ("archive/hidden.pkl", z.EVIL)]),
        "archive/hidden.pkl",
    )
    assert "archive/hidden.pkl" not in zipfile.ZipFile(io.BytesIO(data)).namelist()
    f = scan(z.write(tmp_path / "model.pt", data))
    assert f.status == "critical" and ("archive_anomaly", "warning") in kinds(f)
    assert [x.member for x in f.findings if x.kind == "dangerous_import"] == ["archive/hidden.pkl"]


def test_an_encrypted_member_mlsc_cannot_read_is_critical(tmp_path: Path) -> None:
    data = z.set_flags(
        z.zip_bytes(z.torch_members(bytes(range(7, 99)))),
        "archive/data.pkl",
        0x1,
        local=True,
        central=True,
    )
    f = scan(z.write(tmp_path / "model.pt", data))
    assert f.status == "critical"
    assert [x.kind for x in f.findings if x.severity == "critical"] == ["encrypted_member"]


def test_an_encrypted_flag_on_a_plain_pickle_hides_nothing(tmp_path: Path) -> None:
    data = z.set_flags(
        z.zip_bytes(z.torch_members(SAFE)), "archive/data.pkl", 0x1, local=True, central=True
    )
    assert scan(z.write(tmp_path / "model.pt", data)).status == "clean"


def test_nesting_is_bounded_in_depth(tmp_path: Path) -> None:
    data = z.zip_bytes([("data.pkl", z.EVIL)])
    for i in range(archives.MAX_DEPTH + 1):
        data = z.zip_bytes([(f"level{i}.zip", data)])
    f = scan(z.write(tmp_path / "deep.zip", data))
    assert ("scan_limit", "warning") in kinds(f) and f.status == "unparseable"


def test_nested_bytes_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives, "MAX_NESTED_BYTES", 4096)
    inner = z.zip_bytes([("zeros.bin", bytes(8 << 20))], zipfile.ZIP_DEFLATED)
    outer = z.zip_bytes([("inner.zip", inner)], zipfile.ZIP_DEFLATED)
    start = time.monotonic()
    f = scan(z.write(tmp_path / "bomb.zip", gzip.compress(outer)))
    assert time.monotonic() - start < 10
    assert f.status == "unparseable" and ("scan_limit", "warning") in kinds(f)


def test_a_zip_bomb_of_zeros_stays_clean(tmp_path: Path) -> None:
    bomb = z.zip_bytes([("zeros.bin", bytes(64 << 20))], zipfile.ZIP_DEFLATED)
    assert scan(z.write(tmp_path / "bomb.zip", bomb)).status == "clean"


def test_a_prepended_zip_is_opened(tmp_path: Path) -> None:
    data = b"\x00stub" * 50 + z.zip_bytes(z.torch_members(z.EVIL))
    f = scan(z.write(tmp_path / "weights.bin", data))
    assert f.status == "critical" and ("archive_anomaly", "warning") in kinds(f)


def test_seven_zip_without_py7zr_is_not_reported_clean(tmp_path: Path) -> None:
    path = z.write(tmp_path / "model.7z", b"7z\xbc\xaf\x27\x1c" + bytes(64))
    assert magic_of(path.read_bytes(), 70) == "7z"
    f = scan(path)
    assert f.status in ("unparseable", "critical")


# -- the verdict rule -------------------------------------------------------------------


def test_a_pickle_cut_after_proto_is_critical(tmp_path: Path) -> None:
    f = scan(z.write(tmp_path / "broken.pkl", b"\x80\x04\x95garbage"))
    assert f.status == "critical"
    [crit] = [x for x in f.findings if x.severity == "critical"]
    assert crit.kind == "opaque_pickle" and "pickle.load" in crit.detail
    assert crit.rule.id == "MLSC200"


def test_a_first_byte_that_is_no_opcode_is_only_unparseable(tmp_path: Path) -> None:
    assert scan(z.write(tmp_path / "broken.pkl", b"\x00\x01\x02garbage")).status == "unparseable"
    assert scan(z.write(tmp_path / "weights.bin", b"\x00\x01\x02garbage")).status == "skipped"


def test_a_protocol_0_pickle_without_a_name_is_found(tmp_path: Path) -> None:
    f = scan(z.write(tmp_path / "tokenizer", b.inst_call("os", "system", "id")))
    assert f.status == "critical" and f.pickle
    assert ("format_mismatch", "warning") in kinds(f)


def test_text_without_a_name_is_left_alone(tmp_path: Path) -> None:
    for text in (b"# README\n", b'{"a": 1}', b"hello world\n", b"N"):
        assert scan(z.write(tmp_path / "notes", text)).status == "skipped", text


def test_member_findings_name_the_path_through_every_level(tmp_path: Path) -> None:
    data = z.zip_bytes([("ckpt/model.pt", z.zip_bytes(z.torch_members(z.EVIL)))])
    report = scan_path(z.write(tmp_path / "bundle.zip", data), check_signature=False)
    [crit] = [x for x in report.findings if x.severity == "critical"]
    assert crit.member == "ckpt/model.pt!archive/data.pkl"


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("model.pt", z.bad_crc(z.zip_bytes(z.torch_members(b"\x80\x02\x95garbage")),
                               "archive/data.pkl"), "opaque_pickle"),
        ("bundle.tgz", gzip.compress(z.zip_bytes([("m.pt", z.zip_bytes(z.torch_members(z.EVIL)))])),
         "dangerous_import"),
        ("arrays.npz", z.zip_bytes([("x.npy", b.npy_bytes("|O", (1,), z.EVIL))]),
         "dangerous_import"),
    ],
)  # fmt: skip
def test_the_check_command_shows_the_member(
    tmp_path: Path, name: str, data: bytes, kind: str
) -> None:
    path = z.write(tmp_path / name, data)
    [found] = [x for x in scan(path).findings if x.kind == kind]
    assert found.member
    out = subprocess.run(
        ["sh", "-c", found.how_to_check().replace("python ", f"{sys.executable} ")],
        capture_output=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(Path(__file__).parents[2])},
        check=False,
    )
    assert b"PROTO" in out.stdout, out.stderr.decode()[-2000:]


@pytest.mark.parametrize("magic", [b"\x04\x22\x4d\x18", b"\x28\xb5\x2f\xfd"])
def test_lz4_and_zstd_mlsc_cannot_open(tmp_path: Path, magic: bytes) -> None:
    named = scan(z.write(tmp_path / "model.joblib", magic + bytes(32)))
    assert named.status == "critical" and named.pickle
    assert [x.kind for x in named.findings] == ["opaque_pickle"]
    other = scan(z.write(tmp_path / "blob.lz", magic + bytes(32)))
    assert other.status == "unparseable"


def test_the_opcodes_of_all_members_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlsc.scan import collect

    monkeypatch.setattr(collect, "MAX_FILE_OPCODES", 100)
    long = b"\x80\x02" + b"N0" * 200 + b"."
    members = [(f"m{i}.pkl", long) for i in range(5)] + [("z.pkl", z.EVIL)]
    f = scan(z.write(tmp_path / "many.zip", z.zip_bytes(members)))
    # the members past the budget are ones torch.load / pickle.load would unpickle
    assert f.status == "critical"
    assert [x.member for x in f.findings if x.kind == "opaque_pickle"][-1] == "z.pkl"


def test_a_zip_named_safetensors_is_opened_as_a_zip(tmp_path: Path) -> None:
    f = scan(z.write(tmp_path / "model.safetensors", z.zip_bytes(z.torch_members(z.EVIL))))
    assert f.status == "critical" and ("format_mismatch", "warning") in kinds(f)


@pytest.mark.parametrize(
    "text",
    [
        b"import os\nimport sys\n\nclass Model:\n    pass\n",
        b"import test.a.b\n\ntest.a.b\n",  # INST of 'mport test.a.b': no real module path
        b"../../bin/tool,sha256=x,1\n",  # STOP at once: imports nothing, runs nothing
        b"((((((((((((((((((((",
    ],
)
def test_source_and_text_are_not_probed_as_pickles(tmp_path: Path, text: bytes) -> None:
    assert scan(z.write(tmp_path / "modeling.py", text)).status == "skipped"


def test_text_that_is_a_protocol_0_import_is_never_critical(tmp_path: Path) -> None:
    f = scan(z.write(tmp_path / "top_level.txt", b"isympy\nsympy\n"))
    assert f.status in ("warning", "unparseable") and f.pickle  # the unpickler would import it


def test_a_der_certificate_is_not_an_extension_code_pickle(tmp_path: Path) -> None:
    der = b"0\x82\x05\xba0\x82\x04\xa2\xa0\x03\x02\x01\x02" + bytes(64)
    assert scan(z.write(tmp_path / "cert.cer", der)).status == "skipped"
