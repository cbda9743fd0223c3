"""Discrepancy findings on a small graph with one of each, on both stores; and on the sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries.discrepancies import discrepancies
from mlsc.scan import scan_path
from mlsc.scan.records import scan_records
from mlsc.scan.templates import templates_sha256
from tests.conftest import SAMPLE
from tests.graph.builders import PROV, derived, model
from tests.scan import gguf_bytes as gb


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


def _scanned(tmp_path: Path, repo: str, build: Callable[[Path], object]) -> GraphBatch:
    """Scan a model directory the way `mlsc scan --repo-id` does and return its records."""
    d = tmp_path / repo.replace("/", "_")
    d.mkdir()
    build(d)
    return scan_records(scan_path(d, check_signature=False), repo)


def test_chat_template_changed_from_the_base(store: GraphStore, tmp_path: Path) -> None:
    def gguf_with(template: str) -> Callable[[Path], object]:
        data = gb.gguf([gb.kv_str("tokenizer.chat_template", template)])
        return lambda d: gb.write(d / "model.Q4_K_M.gguf", data)

    store.write(
        GraphBatch(
            [model(m) for m in ("a/base", "b/same", "c/changed", "d/evil", "e/none")],
            [
                derived("b/same", "a/base", "quantized"),
                derived("c/changed", "a/base", "finetune"),
                derived("d/evil", "a/base", "quantized"),
                derived("e/none", "a/base", "finetune"),
            ],
        )
    )
    for repo, build in [
        ("a/base", lambda d: gb.tokenizer_config(d / "tokenizer_config.json", gb.CHATML)),
        ("b/same", gguf_with(gb.CHATML)),  # the same text in a GGUF: the same hash
        ("c/changed", lambda d: gb.tokenizer_config(d / "tokenizer_config.json", gb.MISTRAL)),
        ("d/evil", gguf_with(gb.LLAMA_DRAMA)),
        ("e/none", lambda d: (d / "config.json").write_text("{}")),
    ]:
        store.write(_scanned(tmp_path, repo, build))
    found = [f for f in discrepancies(store).findings if f.kind == "chat-template-changed"]
    assert [(f.model, f.severity) for f in found] == [("d/evil", "high"), ("c/changed", "medium")]
    evil = dict(found[0].evidence)
    assert evil["files"] == ["model.Q4_K_M.gguf"] and evil["flagged"] == ["model.Q4_K_M.gguf"]
    assert evil["base_chat_template_sha256"] == [templates_sha256([("default", gb.CHATML)])]
    assert found[0].related == ("a/base",) and dict(found[1].evidence)["relation"] == "finetune"


def test_findings_about_some_models_are_those_of_the_whole_graph(store: GraphStore) -> None:
    """Scoped to some models, only the edges into and out of them are read: the findings
    must be exactly the whole graph's findings about those models."""
    store.write(one_of_each())
    everything = discrepancies(store).findings
    models = sorted({f.model for f in everything} | {r for f in everything for r in f.related})
    for model_id in models:
        assert list(discrepancies(store, models=[model_id]).findings) == [
            f for f in everything if f.model == model_id
        ], model_id
    pairs = [models[i : i + 3] for i in range(0, len(models), 3)]
    for some in pairs:
        assert list(discrepancies(store, models=some).findings) == [
            f for f in everything if f.model in some
        ], some


def test_the_whole_graph_pass_misses_nothing_and_skips_the_clean(store: GraphStore) -> None:
    """Over the whole graph, a column pass names the candidates first: the findings must be
    those of the exact checks over every model, and models without one need not be read."""
    from mlsc.graph import reads_population as rp
    from mlsc.queries.discrepancy_candidates import candidates

    near_misses = GraphBatch(
        [model("p/base", model_type="llama", architectures=["A", "B"],
               created_at="2024-01-01T00:00:00.000Z"),
         model("p/overlap", model_type="llama", architectures=["B", "C"],
               created_at="2024-02-01T00:00:00.000Z"),  # overlap: fine (the exact check)
         model("p/same", model_type="llama", architectures=["A", "B"],
               created_at="2024-02-01T00:00:00.000Z"),  # the same: not even a candidate
         model("p/agree", created_at="2024-02-01T00:00:00.000Z"),  # card and tags agree
         model("p/q"), model("p/on-mixed")],  # p/q also a finetune: not only quantized
        [derived("p/overlap", "p/base", "finetune"), derived("p/same", "p/base", "finetune"),
         derived("p/agree", "p/base", "finetune",
                 evidence=["tag:base_model:finetune", "card:base_model_relation=finetune"]),
         derived("p/q", "p/base", "quantized"), derived("p/q", "a/llama", "finetune"),
         derived("p/on-mixed", "p/q", "finetune")],
    )  # fmt: skip
    store.write(one_of_each())
    store.write(near_misses)
    everything = [r[0] for r in store.read("MATCH (m:Model) RETURN m.id")]
    assert discrepancies(store) == discrepancies(store, models=everything)
    named = candidates(
        rp.derivation_table(store), rp.file_format_table(store), rp.chat_template_table(store),
        store.derivation_cycles(),
    )  # fmt: skip
    assert {f.model for f in discrepancies(store).findings} <= set(named)
    assert "p/overlap" in named and "p/overlap" not in {f.model for f in discrepancies(store).findings}
    assert not set(named) & {"p/base", "p/same", "p/agree", "p/q", "p/on-mixed", "a/llama"}
