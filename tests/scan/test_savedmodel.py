"""The TensorFlow engine and the protobuf reader under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsc.scan import scan_path
from mlsc.scan.protobuf import ProtobufError, encode_field, fields, ints, strings
from tests.scan import format_builders as fb


def test_protobuf_roundtrip_and_errors() -> None:
    msg = encode_field(1, 300) + encode_field(2, "op") + encode_field(2, b"\xff")
    assert ints(msg, 1) == [300]
    assert strings(msg, 2) == ["op", "\ufffd"]
    with pytest.raises(ProtobufError):
        list(fields(b"\x12\x05ab"))  # length past the end
    with pytest.raises(ProtobufError):
        list(fields(b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))  # 11-byte varint
    with pytest.raises(ProtobufError):
        list(fields(b"\x0f"))  # wire type 7


def _sm(tmp_path: Path, graph: bytes) -> Path:
    (tmp_path / "saved_model.pb").write_bytes(fb.saved_model(graph))
    return tmp_path / "saved_model.pb"


def test_benign_savedmodel_is_clean_and_counts_ops(tmp_path: Path) -> None:
    report = scan_path(_sm(tmp_path, fb.saver_graph()), check_signature=False)
    (f,) = report.files
    assert f.format == "savedmodel" and f.status == "clean"


def test_readfile_finding_has_node_op_rule_and_check(tmp_path: Path) -> None:
    graph = fb.saver_graph(extra_nodes=[fb.node("steal", "ReadFile")])
    (f,) = scan_path(_sm(tmp_path, graph), check_signature=False).files
    (finding,) = f.findings
    assert finding.rule.id == "MLSC310" and finding.severity == "critical"
    assert "'steal'" in finding.detail and "ReadFile" in finding.detail
    assert finding.imports == ("tensorflow.op.ReadFile",)
    assert "ReadFile" in finding.how_to_check() and "saved_model.pb" in finding.how_to_check()


def test_saver_op_renamed_into_tf1_saver_scope_only_at_top_level(tmp_path: Path) -> None:
    fn = fb.function("__inference_f_1", fb.node("save/SaveV2", "SaveV2"))
    (f,) = scan_path(_sm(tmp_path, fb.saver_graph(extra_fns=[fn])), check_signature=False).files
    assert f.status == "critical"


def test_printv2_to_stderr_is_fine(tmp_path: Path) -> None:
    node = fb.node("p", "PrintV2", {"output_stream": fb.attr_s("stderr")})
    (f,) = scan_path(_sm(tmp_path, fb.saver_graph([node])), check_signature=False).files
    assert f.status == "clean"


def test_truncated_savedmodel_is_unparseable(tmp_path: Path) -> None:
    data = fb.saved_model(fb.saver_graph())
    (tmp_path / "saved_model.pb").write_bytes(data[:-7])
    (f,) = scan_path(tmp_path / "saved_model.pb", check_signature=False).files
    assert f.status == "unparseable"


def test_pbtxt_savedmodel(tmp_path: Path) -> None:
    text = (
        'meta_graphs { graph_def { node { name: "x" op: "Placeholder" } '
        'node { name: "leak" op: "ReadFile" } library { function { signature { '
        'name: "__inference__traced_save_5" } node_def { name: "s" op: "SaveV2" } } } } }'
    )
    (tmp_path / "saved_model.pbtxt").write_text(text)
    (f,) = scan_path(tmp_path / "saved_model.pbtxt", check_signature=False).files
    assert [x.detail.split(":")[0] for x in f.findings] == ["ReadFile node 'leak'"]


def test_fingerprint_and_magic_files_are_declined(tmp_path: Path) -> None:
    (tmp_path / "fingerprint.pb").write_bytes(encode_field(1, 12345))
    (f,) = scan_path(tmp_path / "fingerprint.pb", check_signature=False).files
    assert f.status == "skipped"


def test_training_ops_are_known_but_file_ops_are_not() -> None:
    from mlsc.scan.tf_ops import is_known

    assert is_known("ResourceApplyAdam") and is_known("Conv2DBackpropFilter")
    assert is_known("MatMul") and not is_known("ReadFile") and not is_known("Addons>X")


def test_empty_saved_model_is_unparseable(tmp_path: Path) -> None:
    (tmp_path / "saved_model.pb").write_bytes(b"")
    (f,) = scan_path(tmp_path / "saved_model.pb", check_signature=False).files
    assert f.status == "unparseable"
