"""A scan as graph records, written to a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsc.graph import schema
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.scan import FILE_SCAN_PROPERTIES, MODEL_SCAN_PROPERTIES, scan_path, scan_records
from mlsc.scan.records import file_props
from tests.scan import builders as b


@pytest.fixture
def model(tmp_path: Path) -> Path:
    d = tmp_path / "bert"
    d.mkdir()
    b.torch_zip(d / "pytorch_model.bin", b.reduce_call("os", "system", "id"))
    (d / "model.safetensors").write_bytes(
        b.safetensors_bytes({"w": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}, b"ab")
    )
    (d / "README.md").write_text("hi")
    return d


def test_records_of_a_directory(model: Path) -> None:
    report = scan_path(model)
    batch = scan_records(report, "org/bert", declared_only=False)
    files = {n.key: n.props for n in batch.nodes if n.label == "File"}
    assert set(files) == {
        "org/bert/README.md",
        "org/bert/model.safetensors",
        "org/bert/pytorch_model.bin",
    }
    evil = files["org/bert/pytorch_model.bin"]
    assert evil["repo"] == "org/bert" and evil["path"] == "pytorch_model.bin"
    assert (evil["format"], evil["pickle"], evil["scan_status"]) == ("pickle", True, "critical")
    assert evil["scan_imports"] == ["os.system"]
    assert evil["scan_findings"][0].startswith("critical dangerous_import: archive/data.pkl: ")
    assert evil["scan_format"] == "torch-zip" and evil["source"] == "scan"
    assert evil["sha256"] == report.files[2].sha256 and len(evil["sha256"]) == 64
    assert files["org/bert/README.md"]["scan_status"] == "skipped"
    [m] = [n for n in batch.nodes if n.label == "Model"]
    assert m.key == "org/bert" and "hub" not in m.props and "source" not in m.props
    assert m.props["scan_source"] == f"scan:{model}"
    assert (m.props["scan_status"], m.props["signature_status"]) == ("critical", "unsigned")
    assert {(e.type, e.src, e.dst) for e in batch.edges} == {
        ("HAS_FILE", "org/bert", key) for key in files
    }


def test_every_property_written_is_declared_or_proposed(model: Path) -> None:
    batch = scan_records(scan_path(model), declared_only=False)
    proposed = {
        "File": {n for n, _ in FILE_SCAN_PROPERTIES},
        "Model": {n for n, _ in MODEL_SCAN_PROPERTIES},
    }
    for node in batch.nodes:
        declared = set(schema.NODES[node.label].columns)
        assert set(node.props) <= declared | proposed[node.label], node.label
    for name, kind in (*FILE_SCAN_PROPERTIES, *MODEL_SCAN_PROPERTIES):
        assert kind in ("STRING", "STRING[]", "BOOLEAN"), name


def test_declared_only_keeps_to_the_schema(model: Path) -> None:
    batch = scan_records(scan_path(model))
    for node in batch.nodes:
        assert set(node.props) <= set(schema.NODES[node.label].columns)
    [m] = [n for n in batch.nodes if n.label == "Model"]
    assert m.props["signature_status"] == "unsigned"  # Model.signature_status is declared


def test_a_local_scan_without_a_repo_id(model: Path) -> None:
    batch = scan_records(scan_path(model))
    [m] = [n for n in batch.nodes if n.label == "Model"]
    assert m.key == f"local:{model}" and m.props["hub"] == "local"
    assert all(n.key.startswith(f"local:{model}/") for n in batch.nodes if n.label == "File")


def test_a_single_file_scan_writes_only_the_file(model: Path) -> None:
    batch = scan_records(scan_path(model / "pytorch_model.bin"), "org/bert")
    assert [(n.label, n.key) for n in batch.nodes] == [("File", "org/bert/pytorch_model.bin")]
    assert list(batch.edges) == []


def test_findings_are_ranked_and_capped(model: Path) -> None:
    f = scan_path(model / "pytorch_model.bin").files[0]
    props = file_props(f, "r", "t")
    assert props["scan_findings"] == [x.short() for x in f.findings]
    assert all(len(s) <= 300 for s in props["scan_findings"])


def test_written_to_a_store(tmp_path: Path, model: Path) -> None:
    store = LadybugStore(tmp_path / "kb")
    try:
        store.write(scan_records(scan_path(model), "org/bert"))
        node = store.node("File", "org/bert/pytorch_model.bin")
        assert node is not None and node["pickle"] is True and node["format"] == "pickle"
        assert (store.node("Model", "org/bert") or {})["signature_status"] == "unsigned"
        rows = store.cypher(
            "MATCH (:Model {id: 'org/bert'})-[:HAS_FILE]->(f:File) RETURN f.path ORDER BY f.path"
        ).rows
        assert [r[0] for r in rows] == ["README.md", "model.safetensors", "pytorch_model.bin"]
    finally:
        store.close()


def test_a_local_scan_never_overwrites_what_the_hub_said(tmp_path: Path, model: Path) -> None:
    """The hub listed README.md and pytorch_model.bin with its own hash; the local copy has
    no README, a different pytorch_model.bin and an extra file. Every hub fact stays; the
    scan's view sits beside it with its own source."""
    (model / "README.md").unlink()
    hub = {"source": "hf", "observed_at": "2026-01-01T00:00:00.000Z"}
    hub_hash = "ab" * 32
    store = LadybugStore(tmp_path / "kb")
    try:
        store.write(
            GraphBatch(
                [
                    NodeRecord("Model", "org/bert", {"hub": "hf", "license": "mit", **hub}),
                    NodeRecord("File", "org/bert/README.md",
                               {"repo": "org/bert", "path": "README.md", **hub}),
                    NodeRecord("File", "org/bert/pytorch_model.bin",
                               {"repo": "org/bert", "path": "pytorch_model.bin", "size": 9,
                                "sha256": hub_hash, "format": "bin", "pickle": True, **hub}),
                ],
                [
                    EdgeRecord("HAS_FILE", "Model", "org/bert", "File", f"org/bert/{p}", hub)
                    for p in ("README.md", "pytorch_model.bin")
                ],
            )
        )  # fmt: skip
        report = scan_path(model)
        known = ("org/bert/README.md", "org/bert/pytorch_model.bin")
        store.write(scan_records(report, "org/bert", known_files=known))
        m = store.node("Model", "org/bert") or {}
        assert (m["hub"], m["source"], m["license"]) == ("hf", "hf", "mit")
        assert (m["scan_status"], m["scan_source"]) == ("critical", f"scan:{model}")
        readme = store.node("File", "org/bert/README.md") or {}
        assert readme["source"] == "hf" and readme["scan_status"] is None
        weights = store.node("File", "org/bert/pytorch_model.bin") or {}
        local_hash = next(f.sha256 for f in report.files if f.path == "pytorch_model.bin")
        assert (weights["sha256"], weights["size"], weights["format"]) == (hub_hash, 9, "bin")
        assert weights["source"] == "hf" and weights["observed_at"] == hub["observed_at"]
        assert (weights["scan_sha256"], weights["scan_status"]) == (local_hash, "critical")
        assert weights["scan_pickle"] is True and weights["scan_source"] == f"scan:{model}"
        extra = store.node("File", "org/bert/model.safetensors") or {}
        assert (extra["source"], extra["format"], extra["scan_status"]) == (
            "scan",
            "safetensors",
            "clean",
        )
        rows = store.cypher(
            "MATCH (:Model {id: 'org/bert'})-[r:HAS_FILE]->(f:File) "
            "RETURN f.path, r.source ORDER BY f.path"
        ).rows
        assert [tuple(r) for r in rows] == [
            ("README.md", "hf"),
            ("model.safetensors", "scan"),
            ("pytorch_model.bin", "hf"),
        ]
    finally:
        store.close()


def test_record_scan_writes_the_records_once(tmp_path: Path, model: Path) -> None:
    from mlsc.scan import record_scan

    store = LadybugStore(tmp_path / "kb")
    try:
        report = scan_path(model)
        record_scan(store, report, "org/bert")
        first = store.counts()
        record_scan(store, report, "org/bert")  # idempotent
        assert store.counts() == first and first["File"] == 3
        assert (store.node("File", "org/bert/pytorch_model.bin") or {})["scan_status"] == "critical"
    finally:
        store.close()
