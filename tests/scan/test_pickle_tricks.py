"""The pickle engine against the opcode tricks of the 2025-2026 advisories: every protocol,
memo and stack games, names built at load time, BUILD injections, nested pickles; and the
evidence (offset, opcode) each finding carries. Every sample is written as opcodes."""

from __future__ import annotations

import argparse
import pickle
from collections import OrderedDict
from pathlib import Path

import pytest

from mlsc.scan import scan_path
from mlsc.scan.findings import Finding
from mlsc.scan.pickles import PickleScan, pickle_findings, scan_pickle_bytes
from tests.scan import builders as b

PLAIN = {
    "ints": [0, 1, -1, 255, 65536, 2**70, -(2**70)],
    "floats": (0.5, float("inf"), -1e300),
    "text": ["", "x", "héllo ✓", "a" * 300],
    "bytes": [b"", b"\x00\x80\xff", bytes(300), bytearray(b"ab")],
    "sets": [{1, 2}, frozenset({"a"}), set()],
    "complex": 1 + 2j,
    "none": None,
    "flags": [True, False],
    "nested": {"a": {"b": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)]}},
}


def findings(data: bytes) -> list[Finding]:
    return pickle_findings("f.pkl", scan_pickle_bytes(data))


def kinds(data: bytes) -> set[tuple[str, str]]:
    return {(f.kind, f.severity) for f in findings(data)}


def only(scan: PickleScan, qualname: str) -> tuple[int | None, str | None, int | None, str | None]:
    [imp] = [i for i in scan.imports if i.qualname == qualname]
    return imp.offset, imp.opcode, imp.call_offset, imp.call_opcode


# -- every protocol ---------------------------------------------------------------------


@pytest.mark.parametrize("proto", range(6))
def test_plain_data_in_every_protocol_is_clean(proto: int) -> None:
    data = pickle.dumps(PLAIN, protocol=proto)
    assert [(f.kind, f.severity) for f in findings(data)] == [("pickle", "info")]
    obj = pickle.dumps(argparse.Namespace(a=1, b=[2]), protocol=proto)  # BUILD of a dict
    assert [(f.kind, f.severity) for f in findings(obj)] == [("pickle", "info")]
    od = pickle.dumps(OrderedDict(a=b"x"), protocol=proto)
    assert [(f.kind, f.severity) for f in findings(od)] == [("pickle", "info")]


@pytest.mark.parametrize("proto", range(6))
def test_a_payload_in_every_protocol_is_critical_with_evidence(proto: int) -> None:
    data = b.proto_call(proto, "os", "system", "id")
    scan = scan_pickle_bytes(data)
    assert scan.error is None
    offset, opcode, call_offset, call_opcode = only(scan, "os.system")
    assert offset is not None and call_offset is not None
    want = "GLOBAL" if proto < 4 else "STACK_GLOBAL"
    assert (opcode, call_opcode) == (want, "REDUCE")
    assert data[offset : offset + 1] == (b"c" if proto < 4 else b"\x93")
    assert data[call_offset : call_offset + 1] == b"R"
    [f] = findings(data)
    assert (f.kind, f.severity, f.offset, f.opcode) == (
        "dangerous_import",
        "critical",
        offset,
        want,
    )
    assert f"applied by REDUCE at byte {call_offset}" in f.detail
    assert f.to_json()["offset"] == offset and f.to_json()["rule"] == "MLSC101"


# -- memo and stack games ---------------------------------------------------------------


def test_a_global_fetched_from_the_memo_and_called_much_later() -> None:
    data = b.memo_late_call("os", "system", "id")
    offset, opcode, call_offset, call_opcode = only(scan_pickle_bytes(data), "os.system")
    assert (offset, opcode, call_opcode) == (2, "GLOBAL", "REDUCE")
    assert call_offset is not None and call_offset > 400
    assert data[call_offset : call_offset + 1] == b"R"


def test_a_decoy_dropped_by_pop_mark_does_not_hide_the_call() -> None:
    scan = scan_pickle_bytes(b.pop_mark_hidden_call("subprocess", "getoutput", "id"))
    assert only(scan, "subprocess.getoutput")[3] == "REDUCE"
    assert ("dangerous_import", "critical") in kinds(b.pop_mark_hidden_call("pty", "spawn", "sh"))


def test_dup_and_memo_shuffles_still_resolve() -> None:
    for data in (b.dup_call("os", "system", "id"), b.memo_shuffle_call("os", "system", "id")):
        offset, opcode, _, call_opcode = only(scan_pickle_bytes(data), "os.system")
        assert (opcode, call_opcode) == ("STACK_GLOBAL", "REDUCE")
        assert offset is not None and data[offset : offset + 1] == b"\x93"


@pytest.mark.parametrize(
    ("data", "made_by"),
    [
        (b.joined_name_call("os", ("sys", "tem"), "id"), "builtins.str.join"),
        (b.getattr_module_call("id"), "builtins.getattr"),
        (b.operator_chain_call("id"), "_operator.add"),
        (b.computed_module_call(), "builtins.str"),
    ],
    ids=["str-join", "getattr", "operator", "str"],
)
def test_names_built_at_load_time_are_unresolved_and_critical(data: bytes, made_by: str) -> None:
    found = findings(data)
    [u] = [f for f in found if f.kind == "unresolved_import"]
    assert (u.severity, u.opcode) == ("critical", "STACK_GLOBAL")
    assert u.offset is not None and data[u.offset : u.offset + 1] == b"\x93"
    assert f"the result of calling {made_by}" in u.detail


def test_extension_codes_carry_their_offset() -> None:
    for code in (b"\x82\x05", b"\x83\x39\x30", b"\x84\x01\x00\x00\x00"):
        data = b"\x80\x02" + code + b.unicode("x") + b"\x85R."
        [u] = [f for f in findings(data) if f.kind == "unresolved_import"]
        assert (u.severity, u.offset) == ("critical", 2)
        assert u.opcode in ("EXT1", "EXT2", "EXT4")


# -- how a callable is applied ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "qualname", "applied"),
    [
        (b.inst_call("os", "system", "id"), "os.system", "INST"),
        (b.obj_call("pty", "spawn", "sh"), "pty.spawn", "OBJ"),
        (b.newobj_call("subprocess", "Popen", "id"), "subprocess.Popen", "NEWOBJ"),
        (b.newobj_ex_call("subprocess", "Popen", "id"), "subprocess.Popen", "NEWOBJ_EX"),
        (b.reconstructor_call("subprocess", "Popen"), "subprocess.Popen", "REDUCE"),
    ],
    ids=["INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "copyreg-reconstructor"],
)
def test_every_way_of_applying_a_callable(data: bytes, qualname: str, applied: str) -> None:
    scan = scan_pickle_bytes(data)
    assert scan.error is None
    assert only(scan, qualname)[3] == applied
    assert ("dangerous_import", "critical") in kinds(data)


def test_an_unknown_class_rebuilt_through_the_reconstructor_is_applied() -> None:
    scan = scan_pickle_bytes(b.reconstructor_call("mypkg", "Thing"))
    assert only(scan, "mypkg.Thing")[3] == "REDUCE"
    [f] = [f for f in findings(b.reconstructor_call("mypkg", "Thing")) if f.severity != "info"]
    assert (f.kind, f.severity) == ("unknown_import", "warning")
    assert f.detail.startswith("calls mypkg.Thing")


# -- BUILD ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["__setstate__", "__reduce__", "__getattr__", "__class__"])
def test_build_state_that_sets_a_dunder_is_critical(key: str) -> None:
    target = b.global_("collections", "OrderedDict") + b")R"
    for slots in (False, True):
        data = b.build_state(target, {"x": b"K\x01", key: b.unicode("payload")}, slots=slots)
        [f] = [f for f in findings(data) if f.kind == "state_injection"]
        assert (f.severity, f.opcode) == ("critical", "BUILD")
        assert f.offset is not None and data[f.offset : f.offset + 1] == b"b"
        assert key in f.detail


def test_build_on_an_imported_class_itself_is_critical() -> None:
    data = b.build_state(b.global_("collections", "OrderedDict"), {"clear": b"N"}, slots=True)
    [f] = [f for f in findings(data) if f.kind == "state_injection"]
    assert "collections.OrderedDict itself" in f.detail


def test_build_on_an_unknown_class_counts_as_applying_it() -> None:
    # a class pushed, instantiated by a safe reconstructor, its __setstate__ run by BUILD
    data = (
        b"\x80\x02" + b.global_("copyreg", "__newobj__") + b.global_("mypkg", "Evil")
        + b"\x85R" + b"}" + b.unicode("a") + b"K\x01sb."
    )  # fmt: skip
    assert only(scan_pickle_bytes(data), "mypkg.Evil")[3] == "REDUCE"
    plain = b"\x80\x02" + b.global_("mypkg", "Evil") + b")\x81" + b"}b."
    assert only(scan_pickle_bytes(plain), "mypkg.Evil")[3] == "NEWOBJ"


# -- nested pickles ---------------------------------------------------------------------

INNER = b.reduce_call("os", "system", "id")


@pytest.mark.parametrize(
    ("loader", "wrap"),
    [
        (("pickle", "loads"), ""),
        (("_pickle", "loads"), "latin1"),
        (("pickle", "loads"), "base64"),
        (("dill", "loads"), ""),
        (("torch", "load"), "bytesio"),
        (("torch.serialization", "load"), "bytesio"),
        (("joblib", "load"), "bytesio"),
        (("torch.storage", "_load_from_bytes"), ""),
    ],
    ids=lambda v: ".".join(v) if isinstance(v, tuple) else v or "bytes",
)
def test_a_nested_pickle_is_walked(loader: tuple[str, str], wrap: str) -> None:
    data = b.nested_call(INNER, loader, wrap)
    found = findings(data)
    assert any(f.kind == "dangerous_import" and f.imports == (".".join(loader),) for f in found)
    [n] = [f for f in found if f.kind == "nested_pickle"]
    assert n.severity == "critical" and n.imports == ("os.system",)
    [inner] = [f for f in found if f.imports == ("os.system",) and f.kind == "dangerous_import"]
    assert inner.detail.startswith("nested pickle")
    assert inner.offset is not None
    if wrap in ("", "bytesio"):  # a constant: the inner GLOBAL's place in the outer stream
        assert data[inner.offset : inner.offset + len(b"cos\nsystem")] == b"cos\nsystem"


def test_numpy_load_of_an_object_npy_in_a_buffer() -> None:
    data = b.nested_call(b.npy_object_payload(INNER), ("numpy", "load"), "bytesio")
    [inner] = [
        f for f in findings(data) if f.imports == ("os.system",) and f.kind != "nested_pickle"
    ]
    assert data[inner.offset or 0 :].startswith(b"cos\nsystem")


def test_torch_load_of_a_zip_in_a_buffer(tmp_path: Path) -> None:
    archive = b.torch_zip(tmp_path / "inner.pt", INNER).read_bytes()
    found = findings(b.nested_call(archive, ("torch", "load"), "bytesio"))
    [n] = [f for f in found if f.kind == "nested_pickle"]
    assert "(archive/data.pkl)" in n.detail and n.imports == ("os.system",)


def test_nesting_is_walked_three_deep_and_bounded() -> None:
    data = INNER
    for _ in range(3):
        data = b.nested_call(data)
    assert any(f.imports == ("os.system",) for f in findings(data))
    for _ in range(20):  # far deeper: still a bounded walk, still critical
        data = b.nested_call(data)
    assert ("dangerous_import", "critical") in kinds(data)


def test_bytes_that_are_not_a_pickle_are_not_a_nested_finding() -> None:
    found = findings(b.nested_call(b"just some bytes", ("marshal", "loads")))
    assert [f.kind for f in found] == ["dangerous_import"]


def test_a_nested_pickle_in_a_torch_zip_member(tmp_path: Path) -> None:
    path = b.torch_zip(tmp_path / "model.pt", b.nested_call(INNER))
    report = scan_path(path, check_signature=False, second_opinion=False)
    nested = [f for f in report.findings if f.kind == "nested_pickle"]
    assert [(f.member, f.imports) for f in nested] == [("archive/data.pkl", ("os.system",))]


# -- persistent ids stay benign ---------------------------------------------------------


def test_persistent_ids_are_benign() -> None:
    assert kinds(b.torch_state_dict_pickle()) == {("pickle", "info")}
    proto0 = b"(lp0\nPstorage0\naPstorage1\na."  # PERSID, protocol 0
    assert kinds(proto0) == {("pickle", "info")}


def test_a_zlib_compressed_nested_pickle_is_walked() -> None:
    import zlib

    arg = b.global_("zlib", "decompress") + b.binbytes(zlib.compress(INNER)) + b"\x85R"
    data = b"\x80\x03" + b.global_("pickle", "loads") + arg + b"\x85R."
    [n] = [f for f in findings(data) if f.kind == "nested_pickle"]
    assert n.imports == ("os.system",)


def test_kept_bytes_stay_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlsc.scan import pickle_values

    monkeypatch.setattr(pickle_values, "MAX_KEPT_TOTAL", 1000)
    filler = b"".join(b.binbytes(b"\x80" + bytes(332)) + b"0" for _ in range(3))  # 999 bytes
    data = b"\x80\x03" + filler + b.nested_call(INNER)[2:]
    found = findings(data)
    assert not any(f.kind == "nested_pickle" for f in found)  # over budget: not kept
    assert ("dangerous_import", "critical") in {(f.kind, f.severity) for f in found}
    assert kinds(pickle.dumps([bytes(1000)] * 3, protocol=4)) == {("pickle", "info")}


def test_a_nested_pickle_through_an_unpickler_object() -> None:
    # pickle.Unpickler(io.BytesIO(bytes)).load(): the payload is handed to the class
    arg = b.global_("_io", "BytesIO") + b.binbytes(INNER) + b"\x85R"
    data = b"\x80\x03" + b.global_("pickle", "Unpickler") + arg + b"\x85R."
    [n] = [f for f in findings(data) if f.kind == "nested_pickle"]
    assert n.imports == ("os.system",)


def test_a_protocol_0_pickle_after_a_benign_one_is_walked() -> None:
    data = pickle.dumps([1, 2], protocol=2) + b.proto_call(0, "os", "system", "id")
    scan = scan_pickle_bytes(data)
    assert scan.pickles == 2
    assert only(scan, "os.system")[3] == "REDUCE"


def test_a_torch_rebuild_with_dunder_state_is_an_injection() -> None:
    # torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state) sets
    # every state key on the parameter, as BUILD does
    state = b"}(" + b.unicode("__class__") + b.global_("collections", "OrderedDict") + b"u"
    data = (
        b"\x80\x02" + b.global_("torch._utils", "_rebuild_parameter_with_state")
        + b"(N\x89" + b.global_("collections", "OrderedDict") + b")R" + state + b"tR."
    )  # fmt: skip
    found = findings(data)
    [f] = [f for f in found if f.kind == "state_injection"]
    assert "__class__" in f.detail and f.opcode == "REDUCE"
    assert data[f.offset or 0 : (f.offset or 0) + 1] == b"R"
    benign = data.replace(b"__class__", b"_hook_cls")
    assert kinds(benign) == {("pickle", "info")}


def test_a_reconstructor_base_is_applied_too() -> None:
    data = (
        b"ccopy_reg\n_reconstructor\n(" + b.global_("builtins", "object")
        + b.global_("mypkg", "Base") + b"NtR."
    )  # fmt: skip
    assert only(scan_pickle_bytes(data), "mypkg.Base")[3] == "REDUCE"


def test_the_check_of_a_nested_pickle_cuts_it_out(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "model.pkl"
    path.write_bytes(b.nested_call(INNER))
    found = pickle_findings(str(path), scan_pickle_bytes(path.read_bytes()))
    [n] = [f for f in found if f.kind == "nested_pickle"]
    assert n.check is not None and "pickletools" in n.check
    # run the first half (the cut) and compare with the nested pickle: no unpickling
    cut = n.check.split(" | ")[0].replace("python ", f"{sys.executable} ", 1)
    out = subprocess.run(cut, shell=True, capture_output=True, check=True).stdout
    assert out == INNER


def test_a_long_chain_of_calls_feeding_stack_global_is_described_not_a_crash() -> None:
    chain = b.stack_global("_operator", "add") + b")R" + b")R" * 5000
    data = b"\x80\x04" + b.unicode("os") + chain + b"\x93" + b.unicode("id") + b"\x85R."
    scan = scan_pickle_bytes(data)
    assert scan.error is None and len(scan.unresolved) == 1
    assert "..." in scan.unresolved[0]
