"""Discrepancy findings on a small graph with one of each, on both stores; and on the sample."""

from __future__ import annotations

from pathlib import Path

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.ingest.snapshot import ingest_snapshot
from mlsc.queries.discrepancies import discrepancies
from tests.conftest import SAMPLE
from tests.graph.builders import PROV, derived, model


def one_of_each() -> GraphBatch:
    nodes = [
        model("a/llama", model_type="llama", architectures=["LlamaForCausalLM"],
              created_at="2024-01-01T00:00:00.000Z"),
        model("b/mistral-ft", model_type="mistral", architectures=["MistralForCausalLM"],
              created_at="2024-02-01T00:00:00.000Z"),  # declares a llama base
        model("c/gguf-ft", created_at="2024-02-01T00:00:00.000Z"),  # "finetune", GGUF only
        model("d/q", created_at="2024-02-01T00:00:00.000Z"),  # quantized ...
        model("e/on-q", created_at="2024-03-01T00:00:00.000Z"),  # ... with a child
        model("f/early", created_at="2023-06-01T00:00:00.000Z"),  # before its base
        model("g/gone", removed=True), NodeRecord("Model", "h/never", {"ingested": False, **PROV}),
        model("i/orphan", created_at="2024-05-01T00:00:00.000Z"),
        model("j/lost", created_at="2024-05-01T00:00:00.000Z"),
        model("k/renamed-child", created_at="2024-05-01T00:00:00.000Z"),
        model("l/x"), model("l/y"),
        model("m/disagree", created_at="2024-05-01T00:00:00.000Z"),
        model("n/adapter", created_at="2024-05-01T00:00:00.000Z"),
        NodeRecord("File", "c/gguf-ft/m.Q4.gguf", {"format": "gguf", **PROV}),
    ]  # fmt: skip
    edges = [
        derived("b/mistral-ft", "a/llama", "finetune"),
        derived("c/gguf-ft", "a/llama", "finetune"),
        EdgeRecord("HAS_FILE", "Model", "c/gguf-ft", "File", "c/gguf-ft/m.Q4.gguf", PROV),
        derived("d/q", "a/llama", "quantized"),
        derived("e/on-q", "d/q", "finetune"),
        derived("f/early", "a/llama", "finetune"),
        derived("i/orphan", "g/gone", "finetune"),
        derived("j/lost", "h/never", "finetune"),
        derived("k/renamed-child", "a/llama", "finetune",
                evidence=["tag:base_model:finetune", "card:base_model=a/Llama-old (renamed)"]),
        derived("l/x", "l/y"), derived("l/y", "l/x"),
        derived("m/disagree", "a/llama", "quantized", confidence=0.6,
                evidence=["tag:base_model:quantized", "card:base_model",
                          "card:base_model_relation=finetune"]),
        derived("n/adapter", "a/llama", "adapter", evidence=["card:base_model",
                "adapter_config:base_model_name_or_path=z/other (differs)"]),
    ]  # fmt: skip
    return GraphBatch(nodes, edges)


def test_one_finding_of_each_kind(store: GraphStore) -> None:
    store.write(one_of_each())
    found = {(f.kind, f.severity, f.model) for f in discrepancies(store).findings}
    assert found == {
        ("architecture-mismatch", "medium", "b/mistral-ft"),
        ("relation-vs-files", "medium", "c/gguf-ft"),
        ("quantized-with-children", "low", "d/q"),
        ("child-before-parent", "high", "f/early"),
        ("missing-base", "medium", "i/orphan"),
        ("missing-base", "low", "j/lost"),
        ("renamed-base", "low", "k/renamed-child"),
        ("lineage-cycle", "high", "l/x"),
        ("lineage-cycle", "high", "l/y"),
        ("card-tag-disagree", "medium", "m/disagree"),
        ("adapter-base-disagree", "high", "n/adapter"),
    }
    report = discrepancies(store)
    assert report.by_severity == {"high": 4, "medium": 4, "low": 3}
    assert [f.severity for f in report.findings][:4] == ["high"] * 4  # most severe first
    adapter = report.of("n/adapter")[0].to_json()
    assert adapter["related"] == ["a/llama", "z/other"]
    assert adapter["evidence"] == {"card": "a/llama", "adapter_config": "z/other"}
    assert {f.model for f in discrepancies(store, models=["d/q"]).findings} == {"d/q"}


def test_the_sample(tmp_path: Path) -> None:
    with LadybugStore(tmp_path / "kb") as store:
        ingest_snapshot(store, SAMPLE)
        report = discrepancies(store)
    assert report.by_kind == {
        "child-before-parent": 1,
        "lineage-cycle": 2,
        "missing-base": 10,
        "renamed-base": 7,
    }
