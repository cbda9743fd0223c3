"""joblib's inline numpy arrays: read past as joblib.load reads them, and probed as the
opcodes pickle.load would read there (mlsc.scan.joblib_arrays)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest

from mlsc.scan.findings import Finding
from mlsc.scan.pickle_values import UNKNOWN, Walk
from mlsc.scan.pickle_vm import MAX_SMALL_TUPLE, Ints, Machine
from mlsc.scan.pickles import PickleScan, StreamReader, pickle_findings, scan_pickle_bytes
from tests.scan import builders as b
from tests.scan import joblib_bytes as j

BENIGN = Path(__file__).parent / "data" / "benign"
EVIL = b.reduce_call("os", "system", "id")


def _kinds(scan: PickleScan) -> set[tuple[str, str]]:
    return {(f.kind, f.severity) for f in pickle_findings("f", scan)}


def _clean(scan: PickleScan) -> None:
    assert (scan.error, scan.pickles, scan.hidden) == (None, 1, ())
    assert [f.kind for f in pickle_findings("f", scan)] == ["pickle"]


@pytest.mark.parametrize("name", sorted(p.name for p in BENIGN.iterdir() if p.name != "VERSIONS"))
def test_real_scikit_learn_and_joblib_files_walk_to_their_stop(name: str) -> None:
    data = (BENIGN / name).read_bytes()
    if data[:1] == b"x":  # joblib.dump(compress=3): zlib
        data = zlib.decompress(data)
    scan = scan_pickle_bytes(data)
    _clean(scan)
    assert any(i.module.startswith("sklearn") for i in scan.imports) or "numpy" in name


@pytest.mark.parametrize("align", [16, None, ...])
def test_arrays_are_read_past_with_or_without_padding(align: object) -> None:
    data = struct.pack("<12d", *range(12))
    body = j.padded(data) if align == 16 else data
    scan = scan_pickle_bytes(j.joblib_file(j.wrapper((3, 4), j.dtype("f8"), align) + body))
    _clean(scan)
    assert {i.qualname for i in scan.imports} == {
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "numpy.ndarray",
        "numpy.dtype",
    }


def test_several_arrays_sharing_a_memoized_shape_and_dtype() -> None:
    first = b.stack_global(*j.WRAPPER) + b")\x81"
    first += j.state(j.tuple_((2,)) + b"\x94", j.dtype("i4") + b"\x94") + b"b"
    # the second placeholder reads its shape and dtype back from the memo
    second = b.stack_global(*j.WRAPPER) + b")\x81" + b"}(" + b.unicode("shape") + b"h\x00"
    second += b.unicode("dtype") + b"h\x01" + b.unicode("numpy_array_alignment_bytes") + b"Nub"
    scan = scan_pickle_bytes(j.joblib_file(first + j.padded(bytes(8)), second + bytes(8)))
    _clean(scan)


def test_strings_and_zero_sized_and_scalar_arrays() -> None:
    text = j.wrapper((2,), j.dtype("U3", elsize=12)) + j.padded("abcdef".encode("utf-32-le"))
    empty = j.wrapper((0, 5), j.dtype("f4")) + j.padded(b"")
    scalar = j.wrapper((), j.dtype("c16")) + j.padded(bytes(16))
    _clean(scan_pickle_bytes(j.joblib_file(text, empty, scalar)))


def test_a_structured_dtype_without_objects_is_data() -> None:
    # sklearn's tree nodes: a 'V' dtype whose state gives its size (flags without HASOBJECT)
    nodes = j.wrapper((3,), j.dtype("V64", elsize=64, flags=16)) + j.padded(bytes(192))
    _clean(scan_pickle_bytes(j.joblib_file(nodes)))


def test_an_os_system_pickle_hidden_in_the_array_bytes_is_found() -> None:
    hidden = EVIL + bytes(8 - len(EVIL) % 8)  # a uint8 array pickle.load would run
    data = j.joblib_file(j.wrapper((len(hidden),), j.dtype("u1"), None) + hidden)
    scan = scan_pickle_bytes(data)
    assert scan.error is None and scan.pickles == 1  # joblib.load reads it as data
    [h] = scan.hidden
    start = data.index(EVIL)
    assert (h.start, h.size, h.overrun) == (start, len(hidden), False)
    [imp] = h.scan.imports
    assert (imp.qualname, imp.verdict, imp.called) == ("os.system", "dangerous", True)
    findings = pickle_findings("m.joblib", scan)
    arr = next(f for f in findings if f.kind == "array_opcodes")
    assert (arr.severity, arr.offset, arr.imports) == ("critical", start, ("os.system",))
    assert arr.check is not None and f"d[{start}:{start + len(hidden)}]" in arr.check
    bad = next(f for f in findings if f.kind == "dangerous_import")
    assert bad.offset == start + 2 and bad.opcode == "GLOBAL"  # where the GLOBAL is


def test_a_padded_array_hiding_a_pickle_behind_the_padding_byte_is_found() -> None:
    # the padding-length byte is what pickle.load reads first: make it PROTO's opcode
    hidden = b"\x80" + EVIL[1:]  # \x80 as the padding length: 128 bytes of padding follow
    region = hidden + bytes(128 - len(hidden) + 1 + 16)
    data = j.joblib_file(j.wrapper((2,), j.dtype("f8")) + region)
    scan = scan_pickle_bytes(data)
    assert scan.error is None
    [h] = scan.hidden
    assert [i.qualname for i in h.scan.imports] == ["os.system"]


def test_an_object_array_nested_pickle_is_walked_inline() -> None:
    data = j.joblib_file(j.wrapper((1,), j.dtype("O8"), None) + EVIL)
    scan = scan_pickle_bytes(data)
    assert scan.error is None and scan.pickles == 1
    bad = next(i for i in scan.imports if i.qualname == "os.system")
    assert (bad.verdict, bad.called, bad.offset) == ("dangerous", True, data.index(EVIL) + 2)
    assert ("dangerous_import", "critical") in _kinds(scan)


def test_a_structured_dtype_holding_objects_is_a_nested_pickle() -> None:
    data = j.joblib_file(j.wrapper((1,), j.dtype("V16", elsize=16, flags=63)) + EVIL)
    scan = scan_pickle_bytes(data)
    assert scan.error is None
    assert "os.system" in {i.qualname for i in scan.imports}


def test_a_shape_claiming_more_bytes_than_the_file_has() -> None:
    data = j.joblib_file(j.wrapper((10**9,), j.dtype("f8"), None) + EVIL)
    scan = scan_pickle_bytes(data)
    assert scan.error is not None and "the stream ends" in scan.error
    [h] = scan.hidden
    assert [i.qualname for i in h.scan.imports] == ["os.system"]
    assert ("array_opcodes", "critical") in _kinds(scan)


def test_array_bytes_running_as_opcodes_to_their_end_are_reported() -> None:
    # a SHORT_BINUNICODE whose length runs past the array: pickle.load reads on, out of step
    hidden = b"\x8c\xff" + bytes(6)
    scan = scan_pickle_bytes(j.joblib_file(j.wrapper((8,), j.dtype("u1"), None) + hidden))
    assert scan.error is None
    [h] = scan.hidden
    assert h.overrun and not h.scan.imports
    assert ("array_opcodes", "critical") in _kinds(scan)


def test_real_array_bytes_are_not_reported() -> None:
    data = struct.pack("<4d", 0.1, 2.0, 3.0, 4.0)
    _clean(scan_pickle_bytes(j.joblib_file(j.wrapper((4,), j.dtype("f8"), None) + data)))


@pytest.mark.parametrize(
    "shape",
    [
        b.stack_global("builtins", "tuple") + b")R",  # computed by a call
        b"]K\x03a",  # a list
        b"(J\xff\xff\xff\xfft",  # negative
    ],
)
def test_an_array_of_unknown_size_stops_the_walk(shape: bytes) -> None:
    ops = b.stack_global(*j.WRAPPER) + b")\x81" + j.state(shape, j.dtype("f8")) + b"b"
    scan = scan_pickle_bytes(j.joblib_file(ops + j.padded(bytes(8))))
    assert scan.error is not None and "cannot know" in scan.error


def test_an_unknown_dtype_or_alignment_stops_the_walk() -> None:
    computed = b.stack_global("numpy", "dtype") + b.stack_global("numpy", "float64") + b"\x85R"
    scan = scan_pickle_bytes(j.joblib_file(j.wrapper((1,), computed) + j.padded(bytes(8))))
    assert scan.error is not None and "dtype" in scan.error
    align = b.stack_global("builtins", "int") + b")R"
    ops = b.stack_global(*j.WRAPPER) + b")\x81" + j.state((1,), j.dtype("f8"), ...)
    ops = ops[:-1] + b.unicode("numpy_array_alignment_bytes") + align + b"ub"
    scan = scan_pickle_bytes(j.joblib_file(ops + j.padded(bytes(8))))
    assert scan.error is not None and "alignment" in scan.error


def test_state_merges_across_builds_as_load_build_does() -> None:
    # first BUILD: an empty array; the memoized placeholder is BUILT again with a new shape
    first = b.stack_global(*j.WRAPPER) + b")\x81\x94" + j.state((0,), j.dtype("f8"), None)
    first += b"b"
    again = b"h\x00}(" + b.unicode("shape") + j.tuple_((2,)) + b"ub"
    scan = scan_pickle_bytes(j.joblib_file(first, again + bytes(16)))
    _clean(scan)


def test_init_arguments_set_the_attributes_and_the_old_default_is_unknown() -> None:
    cls = b.stack_global(*j.WRAPPER)  # REDUCE calls the class: __init__ sets attributes
    six = cls + b"(" + b.stack_global("numpy", "ndarray") + j.tuple_((2,))
    six += b.unicode("C") + j.dtype("f8") + b"\x88" + b"Nt" + b"R"
    _clean(scan_pickle_bytes(j.joblib_file(six + b"}b" + bytes(16))))
    four = cls + b"(" + b.stack_global("numpy", "ndarray") + j.tuple_((2,))
    four += b.unicode("C") + j.dtype("f8") + b"tR"
    scan = scan_pickle_bytes(j.joblib_file(four + b"}b" + bytes(16)))
    assert scan.error is not None and "alignment" in scan.error  # its default changed


def test_a_placeholder_made_by_copyreg_reconstructor_is_read_past() -> None:
    made = b.global_("copy_reg", "_reconstructor") + b"(" + b.global_(*j.WRAPPER)
    made += b.global_("__builtin__", "object") + b"NtR"
    data = j.joblib_file(made + j.state((1,), j.dtype("f8"), None) + b"b" + EVIL[:8])
    scan = scan_pickle_bytes(data)
    assert scan.error is None and scan.pickles == 1


def test_without_the_joblib_emulation_the_bytes_are_opcodes() -> None:
    data = j.joblib_file(j.wrapper((2,), j.dtype("f8")) + j.padded(bytes(16)))
    walk = Walk()
    with pytest.raises(ValueError, match="unknown"):
        Machine(walk, joblib=False).run(StreamReader(io.BytesIO(data)))  # type: ignore[arg-type]


def test_int_tuples_are_kept_only_short_and_interned() -> None:
    m = Machine(Walk())
    short = m.tuple_of([1, 2])
    assert isinstance(short, Ints) and m.tuple_of([1, 2]) is short
    assert m.tuple_of(list(range(MAX_SMALL_TUPLE + 1))) is UNKNOWN
    assert m.tuple_of([UNKNOWN, UNKNOWN]) is UNKNOWN
    assert m.memoized(short) is short


def test_a_clean_finding_list_for_real_files_has_no_array_finding(tmp_path: Path) -> None:
    findings: list[Finding] = []
    for p in BENIGN.iterdir():
        if p.suffix == ".joblib" and p.read_bytes()[:1] != b"x":
            findings += pickle_findings(str(p), scan_pickle_bytes(p.read_bytes()))
    assert {f.kind for f in findings} == {"pickle"}


def test_a_build_inside_a_frame_that_goes_on_stops_the_walk() -> None:
    # the unpickler reads opcodes from the buffered frame, joblib the array from after it:
    # a frame that runs past the BUILD puts the two out of step
    ops = b"]" + j.wrapper((1,), j.dtype("f8"), None)
    tail = b"a."
    framed = b"\x80\x04\x95" + struct.pack("<Q", len(ops) + len(tail)) + ops + tail
    scan = scan_pickle_bytes(framed + b.reduce_call("os", "system", "id")[:8])
    assert scan.error is not None and "FRAME" in scan.error


def test_frames_ending_at_the_build_as_joblib_writes_them() -> None:
    ops = b"]" + j.wrapper((1,), j.dtype("f8"), None)
    framed = b"\x80\x04\x95" + struct.pack("<Q", len(ops)) + ops
    _clean(scan_pickle_bytes(framed + bytes(8) + b"a."))


def test_a_nested_object_pickle_whose_frame_goes_on_past_its_stop() -> None:
    inner_ops = b"N."
    inner = b"\x80\x05\x95" + struct.pack("<Q", len(inner_ops) + 4) + inner_ops + b"\x8c\x02os"
    scan = scan_pickle_bytes(j.joblib_file(j.wrapper((1,), j.dtype("O8"), None) + inner))
    assert scan.error is not None and "FRAME" in scan.error


def _old(name: str, filename: bytes) -> bytes:
    """joblib 0.9: NEWOBJ of the placeholder, BUILD with its filename (no bytes inline)."""
    cls = b.stack_global("joblib.numpy_pickle", name) + b")\x81"
    return cls + b"}(" + b.unicode("filename") + filename + b"ub"


@pytest.mark.parametrize(
    ("name", "filename", "severity"),
    [
        ("NDArrayWrapper", b.unicode("model.pkl_01.npy"), "warning"),
        ("NDArrayWrapper", b.unicode("../../tmp/evil.npy"), "critical"),
        ("NDArrayWrapper", b.unicode("/tmp/evil.npy"), "critical"),
        ("NDArrayWrapper", b.stack_global("builtins", "str") + b")R", "critical"),
        ("ZNDArrayWrapper", b.unicode("/etc/passwd"), "warning"),  # zlib, not a pickle
    ],
)
def test_old_placeholders_name_the_file_joblib_reads(
    name: str, filename: bytes, severity: str
) -> None:
    scan = scan_pickle_bytes(j.joblib_file(_old(name, filename)))
    assert scan.error is None and scan.pickles == 1  # nothing inline
    [f] = [f for f in pickle_findings("m.pkl", scan) if f.kind == "external_array"]
    assert f.severity == severity and name in f.detail


def test_an_old_placeholder_built_by_its_init_names_its_file() -> None:
    init = b.stack_global("joblib.numpy_pickle", "NDArrayWrapper") + b"(" + b.unicode("/x.npy")
    init += b.stack_global("numpy", "ndarray") + b"tR}b"
    scan = scan_pickle_bytes(j.joblib_file(init))
    [f] = [f for f in pickle_findings("m.pkl", scan) if f.kind == "external_array"]
    assert f.severity == "critical" and "'/x.npy'" in f.detail
