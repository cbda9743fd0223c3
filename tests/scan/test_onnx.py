"""The ONNX engine: external-data paths and custom op domains, on models built with onnx."""

from __future__ import annotations

from pathlib import Path

from mlsc.scan import scan_path
from mlsc.scan.onnx import location_problem
from tests.scan import format_builders as fb


def _scan(path: Path):  # type: ignore[no-untyped-def]
    (f,) = scan_path(path, check_signature=False).files
    return f


def test_location_problem(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    assert location_problem(model, "w.bin") is None
    assert location_problem(model, "sub/w.bin") is None
    assert location_problem(model, "/etc/passwd") == "an absolute path"
    assert location_problem(model, "C:\\Windows\\win.ini") == "an absolute path"
    assert location_problem(model, "a/../../x") == "a path with '..'"
    assert location_problem(model, "a\\..\\..\\x") == "a path with '..'"
    assert location_problem(model, "") is not None


def test_external_path_finding_has_rule_and_check(tmp_path: Path) -> None:
    f = _scan(fb.onnx_model(tmp_path / "m.onnx", external="/etc/passwd"))
    (finding,) = f.findings
    assert finding.rule.id == "MLSC320" and "'W'" in finding.detail
    assert "onnx.load" in finding.how_to_check() and "m.onnx" in finding.how_to_check()


def test_symlinked_directory_escape(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "w.bin").write_bytes(b"\0" * 8)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "data").symlink_to(tmp_path / "outside", target_is_directory=True)
    f = _scan(fb.onnx_model(model_dir / "m.onnx", external="data/w.bin"))
    assert f.status == "critical"


def test_local_function_domain_is_not_custom(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    fn = helper.make_function(
        "local.fns", "MyRelu", ["x"], ["y"], [helper.make_node("Relu", ["x"], ["y"])],
        [helper.make_opsetid("", 17)],
    )  # fmt: skip
    node = helper.make_node("MyRelu", ["X"], ["Y"], domain="local.fns")
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2])],
    )  # fmt: skip
    model = helper.make_model(
        graph, functions=[fn],
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local.fns", 1)],
    )  # fmt: skip
    onnx.checker.check_model(model)
    p = tmp_path / "m.onnx"
    p.write_bytes(model.SerializeToString())
    assert _scan(p).status == "clean"


def test_custom_domain_warning_lists_ops(tmp_path: Path) -> None:
    f = _scan(fb.onnx_model(tmp_path / "m.onnx", domain="ai.custom"))
    (finding,) = f.findings
    assert finding.kind == "onnx_custom_domain" and finding.imports == ("ai.custom.Relu",)


def test_garbage_onnx_is_unparseable(tmp_path: Path) -> None:
    p = tmp_path / "m.onnx"
    p.write_bytes(b"\x3a\xff\xff\xff\x0f junk")
    assert _scan(p).status == "unparseable"
    (tmp_path / "e.onnx").write_bytes(b"")
    assert _scan(tmp_path / "e.onnx").status == "unparseable"


def test_missing_external_file_is_info(tmp_path: Path) -> None:
    f = _scan(fb.onnx_model(tmp_path / "m.onnx", external="gone.bin"))
    assert f.status == "clean" and "(missing)" in f.findings[0].detail


def test_format_rule_ids_in_my_range() -> None:
    from mlsc.scan.rules import RULES

    kinds = ("tf_unsafe_op", "tf_unknown_op", "onnx_external_path", "onnx_custom_domain",
             "onnx_external_data")  # fmt: skip
    assert all(300 <= int(RULES[k].id[4:]) <= 349 for k in kinds)
