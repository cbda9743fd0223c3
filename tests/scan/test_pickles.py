"""The pickle engine: imports found by walking opcodes, in every container, never loaded."""

from __future__ import annotations

import bz2
import gzip
import io
import pickle
import struct
import tracemalloc
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from mlsc.scan import containers, pickles
from mlsc.scan.containers import PickleFileScan, read_npy_header, scan_pickle_file
from mlsc.scan.formats import sniff
from mlsc.scan.pickles import pickle_findings, scan_pickle_bytes
from tests.scan import builders as b
from tests.scan.conftest import UnpicklingAttempted


def scan_file(path: Path, **kw: object) -> PickleFileScan:
    return scan_pickle_file(path, path.name, sniff(path).magic, **kw)  # type: ignore[arg-type]


def kinds(scan: PickleFileScan) -> set[tuple[str, str]]:
    return {(f.kind, f.severity) for f in scan.findings}


def test_the_guard_refuses_unpickling() -> None:
    data = pickle.dumps(OrderedDict(a=1))
    with pytest.raises(UnpicklingAttempted):
        pickle.loads(data)
    with pytest.raises(UnpicklingAttempted):
        pickle.Unpickler(io.BytesIO(data))
    with pytest.raises(UnpicklingAttempted):
        np.load(io.BytesIO(_object_npy()), allow_pickle=True)


def _object_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return buf.getvalue()


# -- raw streams ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "qualname"),
    [
        (b.reduce_call("os", "system", "id"), "os.system"),
        (b.reduce_call("posix", "system", "id", proto=3), "posix.system"),
        (b.reduce_call("__builtin__", "eval", "1"), "__builtin__.eval"),
        (b.stack_global_call("builtins", "exec", "print(1)"), "builtins.exec"),
        (b.stack_global_call("subprocess", "check_output", "id"), "subprocess.check_output"),
        (b.stack_global_call("runpy", "_run_code", "x"), "runpy._run_code"),
        (b.memo_shuffle_call("os", "system", "id"), "os.system"),
        (b.dup_call("webbrowser", "open", "http://x"), "webbrowser.open"),
        (b.inst_call("os", "system", "id"), "os.system"),
        (b.obj_call("pty", "spawn", "sh"), "pty.spawn"),
        (
            b.stack_global_call("torch", "serialization.os.system", "id"),
            "torch.serialization.os.system",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "-",
)
def test_dangerous_calls_are_critical(data: bytes, qualname: str) -> None:
    scan = scan_pickle_bytes(data)
    assert scan.error is None
    [imp] = [i for i in scan.imports if i.verdict == "dangerous"]
    assert imp.qualname == qualname
    assert imp.called
    findings = pickle_findings("f.pkl", scan)
    assert [(f.kind, f.severity, f.imports) for f in findings] == [
        ("dangerous_import", "critical", (qualname,))
    ]
    assert findings[0].detail.startswith(f"calls {qualname}")


def test_an_import_alone_is_reported_even_when_never_called() -> None:
    scan = scan_pickle_bytes(b"\x80\x02" + b.global_("os", "system") + b".")
    [imp] = scan.imports
    assert (imp.qualname, imp.verdict, imp.called) == ("os.system", "dangerous", False)
    assert pickle_findings("f", scan)[0].detail.startswith("imports os.system")


def test_computed_stack_global_operands_are_unresolved_and_critical() -> None:
    scan = scan_pickle_bytes(b.computed_module_call())
    assert len(scan.unresolved) == 1
    assert "STACK_GLOBAL" in scan.unresolved[0]
    assert "? system" in scan.unresolved[0]
    found = {(f.kind, f.severity) for f in pickle_findings("f", scan)}
    assert ("unresolved_import", "critical") in found


def test_extension_codes_are_unresolved() -> None:
    scan = scan_pickle_bytes(b.ext_call())
    assert scan.unresolved and "EXT2" in scan.unresolved[0] and "12345" in scan.unresolved[0]


def test_a_benign_pickle_is_one_info_finding() -> None:
    scan = scan_pickle_bytes(pickle.dumps(OrderedDict(a=[1, 2.5, "x"]), protocol=4))
    findings = pickle_findings("ok.pkl", scan)
    assert [(f.kind, f.severity) for f in findings] == [("pickle", "info")]
    assert findings[0].imports == ("collections.OrderedDict",)
    assert scan.protocol == 4


def test_numpy_arrays_pickled_with_each_protocol_are_safe() -> None:
    for proto in (2, 3, 4, 5):
        scan = scan_pickle_bytes(pickle.dumps(np.arange(6.0).reshape(2, 3), protocol=proto))
        assert scan.imports, proto
        assert all(i.verdict == "safe" for i in scan.imports), (proto, scan.imports)


def test_unknown_imports_are_warnings() -> None:
    scan = scan_pickle_bytes(b.reduce_call("sklearn.tree", "export_graphviz", "x"))
    [f] = pickle_findings("f", scan)
    assert (f.kind, f.severity, f.imports) == (
        "unknown_import",
        "warning",
        ("sklearn.tree.export_graphviz",),
    )


def test_a_truncated_malicious_pickle_still_shows_its_import() -> None:
    data = b.reduce_call("os", "system", "rm -rf /")[:-1]  # no STOP: REDUCE already ran
    scan = scan_pickle_bytes(data)
    assert scan.error is not None and scan.pickles == 0
    found = {(f.kind, f.severity) for f in pickle_findings("f", scan)}
    assert found == {("dangerous_import", "critical"), ("unparseable", "warning")}


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x01\x02garbage", b"hello world\n", b"\x80\x02\x8c\xff", b"(" * 5000],
)
def test_garbage_is_unparseable_not_a_crash(data: bytes) -> None:
    scan = scan_pickle_bytes(data)
    findings = pickle_findings("g.pkl", scan)
    assert scan.error is not None
    assert [f.kind for f in findings] == ["unparseable"]


def test_consecutive_pickles_are_all_walked() -> None:
    data = pickle.dumps([1, 2], protocol=2) + b.reduce_call("os", "system", "id")
    scan = scan_pickle_bytes(data)
    assert scan.pickles == 2
    assert [i.qualname for i in scan.imports if i.verdict == "dangerous"] == ["os.system"]


def test_legacy_torch_layout_ends_quietly_at_the_raw_storages() -> None:
    scan = scan_pickle_bytes(b.torch_legacy(b.torch_state_dict_pickle()))
    assert scan.pickles == 5
    assert scan.error is None and scan.trailing is not None
    assert {i.qualname for i in scan.imports} == {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch.FloatStorage",
    }
    assert [f.kind for f in pickle_findings("f", scan)] == ["pickle"]


def test_legacy_torch_with_a_payload_is_critical() -> None:
    scan = scan_pickle_bytes(b.torch_legacy(b.reduce_call("os", "system", "id")))
    assert any(i.verdict == "dangerous" for i in scan.imports)


def test_a_huge_argument_is_skipped_not_read(tmp_path: Path) -> None:
    big = 64 << 20
    path = tmp_path / "big.pkl"
    with path.open("wb") as f:
        f.write(b"\x80\x04\x8e" + struct.pack("<Q", big))  # BINBYTES8 of 64 MiB
        f.seek(big, io.SEEK_CUR)
        f.write(b"0" + b.reduce_call("os", "system", "id")[2:])
    tracemalloc.start()
    try:
        scan = scan_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20
    assert ("dangerous_import", "critical") in kinds(scan)


def test_a_declared_length_past_the_end_is_unparseable() -> None:
    data = b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"tiny"
    scan = scan_pickle_bytes(data)
    assert scan.error is not None and "bytes" in scan.error


def test_the_opcode_cap_stops_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pickles, "MAX_OPCODES", 10)
    scan = scan_pickle_bytes(pickle.dumps(list(range(100)), protocol=2))
    assert scan.limit is not None
    assert [f.kind for f in pickle_findings("f", scan)] == ["scan_limit"]


def test_the_stream_cap_stops_the_walk() -> None:
    scan = pickles.scan_pickle_stream(io.BytesIO(pickle.dumps(list(range(1000)))), limit=100)
    assert scan.limit is not None and "100 bytes" in scan.limit


# -- containers -------------------------------------------------------------------------


def test_raw_pickle_file(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b.stack_global_call("builtins", "exec", "x"))
    scan = scan_file(path)
    assert (scan.container, scan.has_pickle, scan.streams) == ("pickle", True, ("",))
    assert ("dangerous_import", "critical") in kinds(scan)


def test_protocol_0_pickle_is_walked_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "old.pickle"
    path.write_bytes(b.inst_call("os", "system", "id"))
    assert sniff(path).magic is None
    assert ("dangerous_import", "critical") in kinds(scan_file(path))


def test_torch_zip_with_exec_in_data_pkl(tmp_path: Path) -> None:
    path = b.torch_zip(tmp_path / "pytorch_model.bin", b.reduce_call("builtins", "exec", "x"))
    scan = scan_file(path)
    assert scan.container == "torch-zip"
    [crit] = [f for f in scan.findings if f.severity == "critical"]
    assert (crit.member, crit.imports) == ("archive/data.pkl", ("builtins.exec",))
    assert "archive/data/0" not in scan.streams  # raw storages are not pickles


def test_benign_torch_zip_is_clean(tmp_path: Path) -> None:
    path = b.torch_zip(tmp_path / "model.pt", b.torch_state_dict_pickle())
    scan = scan_file(path)
    assert scan.container == "torch-zip" and scan.has_pickle
    assert scan.streams == ("archive/data.pkl",)
    assert {i.qualname for i in scan.imports} == {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch.FloatStorage",
    }
    assert kinds(scan) == {("pickle", "info")}


def test_a_pickle_hidden_in_an_unnamed_zip_member_is_found(tmp_path: Path) -> None:
    path = b.torch_zip(
        tmp_path / "model.pt",
        b.torch_state_dict_pickle(),
        **{"archive/extra": b.reduce_call("os", "system", "id")},
    )
    scan = scan_file(path)
    assert "archive/extra" in scan.streams
    assert any(f.member == "archive/extra" and f.severity == "critical" for f in scan.findings)


def test_torchscript_constants_pkl_is_scanned(tmp_path: Path) -> None:
    path = b.torch_zip(
        tmp_path / "model.pt",
        b.torch_state_dict_pickle(),
        **{"archive/constants.pkl": b.stack_global_call("socket", "create_connection", "x")},
    )
    scan = scan_file(path)
    assert any(
        f.member == "archive/constants.pkl" for f in scan.findings if f.severity == "critical"
    )


def test_object_npy_with_a_payload(tmp_path: Path) -> None:
    path = tmp_path / "arr.npy"
    path.write_bytes(b.npy_bytes("|O", (1,), b.reduce_call("os", "system", "id", proto=3)))
    scan = scan_file(path)
    assert (scan.container, scan.has_pickle) == ("numpy-object", True)
    assert ("dangerous_import", "critical") in kinds(scan)


def test_object_npy_as_numpy_writes_it_is_clean(tmp_path: Path) -> None:
    path = tmp_path / "arr.npy"
    path.write_bytes(_object_npy())
    scan = scan_file(path)
    assert (scan.container, scan.has_pickle) == ("numpy-object", True)
    assert kinds(scan) == {("pickle", "info")}


def test_plain_npy_holds_no_pickle(tmp_path: Path) -> None:
    path = tmp_path / "arr.npy"
    np.save(path, np.arange(10))
    scan = scan_file(path)
    assert (scan.container, scan.has_pickle, scan.findings) == ("numpy", False, ())


def test_structured_dtype_with_an_object_field_is_a_pickle(tmp_path: Path) -> None:
    path = tmp_path / "rec.npy"
    path.write_bytes(
        b.npy_bytes([("a", "<i4"), ("b", "|O")], (1,), b.reduce_call("os", "system", "x"), 2)  # type: ignore[arg-type]
    )
    assert ("dangerous_import", "critical") in kinds(scan_file(path))


def test_npy_header_reading() -> None:
    header, objects = read_npy_header(io.BytesIO(b.npy_bytes("<f4", (2, 3), b"")))
    assert header["shape"] == (2, 3) and not objects
    with pytest.raises(ValueError):
        read_npy_header(io.BytesIO(b"\x93NUMPY\x01\x00\xff\xff{"))
    with pytest.raises(ValueError):
        read_npy_header(io.BytesIO(b"\x93NUMPY\x09\x00"))


def test_npz_with_an_object_member(tmp_path: Path) -> None:
    path = tmp_path / "arrays.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("ok.npy", b.npy_bytes("<f4", (1,), bytes(4)))
        z.writestr("evil.npy", b.npy_bytes("|O", (1,), b.reduce_call("os", "system", "id")))
    scan = scan_file(path)
    assert scan.container == "npz"
    assert [f.member for f in scan.findings if f.severity == "critical"] == ["evil.npy"]


def test_legacy_torch_tar(tmp_path: Path) -> None:
    path = b.legacy_tar(tmp_path / "old.pt", b.reduce_call("os", "system", "id"))
    scan = scan_file(path)
    assert scan.container == "torch-tar"
    assert set(scan.streams) == {"sys_info", "pickle", "storages", "tensors"}
    assert [f.member for f in scan.findings if f.severity == "critical"] == ["pickle"]


def test_legacy_torch_raw_file(tmp_path: Path) -> None:
    path = tmp_path / "pytorch_model.bin"
    path.write_bytes(b.torch_legacy(b.torch_state_dict_pickle()))
    scan = scan_file(path)
    assert (scan.container, kinds(scan)) == ("torch-legacy", {("pickle", "info")})


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [
        (".joblib", gzip.compress),
        (".pkl.bz2", bz2.compress),
        (".joblib", zlib.compress),
        (".pkl.xz", __import__("lzma").compress),
    ],
)
def test_compressed_pickles(tmp_path: Path, suffix: str, compress: object) -> None:
    path = tmp_path / f"model{suffix}"
    path.write_bytes(compress(b.reduce_call("os", "system", "id")))  # type: ignore[operator]
    scan = scan_file(path)
    assert scan.container == "compressed-pickle"
    assert ("dangerous_import", "critical") in kinds(scan)


def test_a_compressed_file_not_named_as_a_pickle_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl.gz"
    path.write_bytes(gzip.compress(b.reduce_call("os", "system", "id")))
    assert not containers.should_scan(sniff(path).magic, path.name)


def test_a_corrupt_zip_is_unparseable(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    scan = scan_file(path)
    assert [f.kind for f in scan.findings] == ["unparseable"]


def test_a_truncated_torch_zip_is_unparseable(tmp_path: Path) -> None:
    whole = b.torch_zip(tmp_path / "w.pt", b.torch_state_dict_pickle()).read_bytes()
    path = tmp_path / "model.pt"
    path.write_bytes(whole[: len(whole) // 2])
    # no loader opens it (no central directory); the local headers still show data.pkl
    assert [f.kind for f in scan_file(path).findings] == ["pickle", "unparseable"]


# -- second opinion ---------------------------------------------------------------------


def test_a_second_opinion_only_adds(tmp_path: Path) -> None:
    path = tmp_path / "ok.pkl"
    path.write_bytes(pickle.dumps(OrderedDict(a=1), protocol=2))

    def says(found: list[tuple[str, str]]) -> containers.SecondOpinion:
        return lambda stream: found

    scan = scan_file(path, second_opinion=says([("os", "system")]))
    [crit] = [f for f in scan.findings if f.severity == "critical"]
    assert (crit.engine, crit.imports) == ("picklescan", ("os.system",))

    scan = scan_file(path, second_opinion=says([("collections", "OrderedDict")]))
    assert {(f.kind, f.engine) for f in scan.findings} == {
        ("pickle", "mlsc"),
        ("second_opinion", "picklescan"),
    }

    def broken(stream: object) -> list[tuple[str, str]]:
        raise RuntimeError("engine crashed")

    scan = scan_file(path, second_opinion=broken)
    assert kinds(scan) == {("pickle", "info")}


def test_picklescan_as_second_opinion(tmp_path: Path) -> None:
    from mlsc.scan.second_opinion import picklescan_engine

    engine = picklescan_engine()
    assert engine is not None, "picklescan is a dependency"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(b.memo_shuffle_call("os", "system", "id"))
    scan = scan_file(evil, second_opinion=engine)
    # both engines agree: one critical finding, no duplicate
    assert [(f.kind, f.engine) for f in scan.findings] == [("dangerous_import", "mlsc")]

    # picklescan only looks one opcode back: a DUP/POP before the STACK_GLOBAL is
    # "unknown" to it, while the symbolic walk resolves it (here to a safe import)
    dup = tmp_path / "dup.pkl"
    dup.write_bytes(b.dup_call("collections", "OrderedDict", "x"))
    scan = scan_file(dup, second_opinion=engine)
    assert {(f.kind, f.engine) for f in scan.findings} == {
        ("pickle", "mlsc"),
        ("second_opinion", "picklescan"),
    }


def test_a_huge_argument_inside_a_compressed_stream_is_skipped(tmp_path: Path) -> None:
    big = 20 << 20
    payload = b"\x80\x04\x8e" + struct.pack("<Q", big) + bytes(big) + b"0"
    path = tmp_path / "model.joblib"
    path.write_bytes(gzip.compress(payload + b.reduce_call("os", "system", "id")[2:], 1))
    assert ("dangerous_import", "critical") in kinds(scan_file(path))
    path.write_bytes(gzip.compress(payload[: big // 2], 1))  # declared longer than it is
    # joblib.load would still unpickle it: critical, not merely unparseable
    assert [f.kind for f in scan_file(path).findings] == ["unparseable", "opaque_pickle"]
