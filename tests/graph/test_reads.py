"""The internal reads (mlsc.graph.reads): part of the store contract, on every backend."""

from __future__ import annotations

from mlsc.graph import reads
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from tests.graph.builders import DIAMOND, PROV, derived, lineage_batch, model

HOSTILE = "x' }) MATCH (n) DETACH DELETE n //"


def _kb() -> GraphBatch:
    """Two models with files, commits, data sets, code and an organisation with members."""
    nodes = [
        model("o/a", gated="manual", architectures=["Llama"], model_type="llama"),
        model("o/b", model_type="gpt2"),
        model(HOSTILE, author=None),
        NodeRecord("Actor", "o", {"hub": "huggingface", "kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "u", {"hub": "huggingface", "kind": "user", **PROV}),
        NodeRecord("Actor", "v", {"hub": "huggingface", "kind": "user", **PROV}),
        NodeRecord("Dataset", "d/y", {"hub": "huggingface", **PROV}),
        NodeRecord("Dataset", "d/x", {**PROV}),
        NodeRecord("Commit", "c1", {"title": "t", "signature": "sig", "verified": True,
                                    "committed_at": "2026-01-02T00:00:00.000Z", **PROV}),
        NodeRecord("Commit", "c2", {"rewritten": True, "authored_at": "2026-01-01T00:00:00.000Z",
                                    **PROV}),
        NodeRecord("File", "o/a/model.bin", {"path": "model.bin", "format": "bin",
                                             "pickle": True, "sha256": "ab", **PROV}),
        NodeRecord("File", "o/a/README.md", {"path": "README.md", "scan_status": "clean",
                                             "scan_sha256": "cd", "source": "scan",
                                             "chat_template_sha256": "ef",
                                             "scan_findings": ["critical template_x"],
                                             "observed_at": "2026-01-01T00:00:00Z"}),
        NodeRecord("CodeRepository", "github.com/o/r", {"protected": True,
                                                        "protection": "{}", **PROV}),
    ]  # fmt: skip
    edges = [
        derived("o/b", "o/a", "quantized"),
        EdgeRecord("OWNS", "Actor", "o", "Model", "o/a", PROV),
        EdgeRecord("OWNS", "Actor", "o", "Model", "o/b", PROV),
        EdgeRecord("MEMBER_OF", "Actor", "u", "Actor", "o", PROV),
        EdgeRecord("MEMBER_OF", "Actor", "v", "Actor", "o", PROV),
        EdgeRecord("TRAINED_ON", "Model", "o/a", "Dataset", "d/y", PROV),
        EdgeRecord("TRAINED_ON", "Model", "o/a", "Dataset", "d/x", PROV),
        EdgeRecord("HAS_FILE", "Model", "o/a", "File", "o/a/model.bin", PROV),
        EdgeRecord("HAS_FILE", "Model", "o/a", "File", "o/a/README.md", PROV),
        EdgeRecord("HAS_COMMIT", "Model", "o/a", "Commit", "c1", PROV),
        EdgeRecord("HAS_COMMIT", "Model", "o/a", "Commit", "c2", PROV),
        EdgeRecord("HAS_COMMIT", "CodeRepository", "github.com/o/r", "Commit", "c1", PROV),
        EdgeRecord("AUTHORED", "Actor", "u", "Commit", "c1", PROV),
        EdgeRecord("CODE_AT", "Model", "o/a", "CodeRepository", "github.com/o/r", PROV),
    ]
    return GraphBatch(nodes, edges)


def test_read_runs_a_parameterised_query(store: GraphStore) -> None:
    store.write(lineage_batch(DIAMOND))
    rows = store.read(
        "MATCH (c:Model)-[:DERIVED_FROM]->(p:Model {id: $id}) RETURN c.id, p.id ORDER BY c.id",
        {"id": "o/a"},
    )
    assert rows == [("p/m", "o/a"), ("p/mm", "o/a")]
    assert store.read("MATCH (m:Model {id: $id}) RETURN m.id", {"id": HOSTILE}) == []


def test_nodes_match_node_for_each_key(store: GraphStore) -> None:
    store.write(_kb())
    found = reads.nodes(store, "Model", ["o/a", HOSTILE, "no/such"])
    assert set(found) == {"o/a", HOSTILE}
    assert found["o/a"] == store.node("Model", "o/a")
    assert reads.nodes(store, "Actor", ["o"])["o"] == store.node("Actor", "o")


def test_model_wide_reads(store: GraphStore) -> None:
    store.write(_kb())
    assert reads.organisations(store) == {"o"}
    assert reads.file_formats(store, ["o/a", HOSTILE]) == [("o/a", "bin")]
    assert reads.chat_templates(store, ["o/b", "o/a"]) == [
        ("o/a", "README.md", "ef", ["critical template_x"])
    ]
    assert reads.derivations(store, ["o/b"]) == reads.derivations(store, ["o/a", "o/b"])
    (edge,) = reads.derivations(store, ["o/a"])
    assert (edge.child, edge.parent, edge.relation) == ("o/b", "o/a", "quantized")
    assert (edge.child_model_type, edge.parent_model_type) == ("gpt2", "llama")
    assert edge.parent_architectures == ["Llama"] and edge.parent_ingested is True


def test_per_model_reads_answer_for_all_models_at_once(store: GraphStore) -> None:
    store.write(_kb())
    models = ["o/a", "o/b", HOSTILE]
    files = reads.model_files(store, models)
    assert [(f.model, f.path, f.sha256, f.source) for f in files] == [
        ("o/a", "README.md", "cd", "scan"), ("o/a", "model.bin", "ab", "test"),
    ]  # fmt: skip
    assert reads.parents_of(store, models) == [("o/b", "o/a")]
    assert reads.datasets_of(store, models) == [
        ("o/a", "d/x", None), ("o/a", "d/y", "huggingface")
    ]  # fmt: skip
    commits = sorted(reads.commits_of(store, models), key=lambda c: c.sha)
    assert [(c.sha, c.title, c.signature, c.verified, c.rewritten) for c in commits] == [
        ("c1", "t", "sig", True, None), ("c2", None, None, None, True)
    ]  # fmt: skip
    assert reads.commit_authors_of(store, models) == [("o/a", "u", "c1", "sig")]
    assert reads.code_of(store, models) == [("o/a", "github.com/o/r", True, "{}")]
    assert sorted(reads.members_of(store, ["o", "u"])) == [("o", "u"), ("o", "v")]
    assert reads.owned_counts(store, ["o", "u"]) == {"o": 2}
    assert set(reads.file_hashes(store, "o/a")) == {
        ("o/a/README.md", None), ("o/a/model.bin", "ab")
    }  # fmt: skip
    assert [f.id for f in reads.bom_files(store, "o/a")] == ["o/a/README.md", "o/a/model.bin"]


def test_what_ingestion_asks_before_it_writes(store: GraphStore) -> None:
    from mlsc.graph import reads_ingest as ri

    store.write(_kb())
    store.write(
        GraphBatch(
            [model("o/c", aliases=["old/c", HOSTILE], code_links=["github.com/o/r"],
                   source="hf"),
             NodeRecord("Model", "o/ghost", {"ingested": False, **PROV})],
            [derived("o/c", "o/a")],
        )
    )  # fmt: skip
    assert ri.ingested_children(store, "o/a", "hf") == ["o/c"]
    assert ri.ingested_children(store, "o/a", "test") == ["o/b"]
    assert ri.ingested_children(store, HOSTILE, "hf") == []
    assert ri.known_aliases(store) == {"old/c": "o/c", HOSTILE: "o/c"}
    assert ri.ingested_count(store, ["o/a", "o/ghost", "nope", HOSTILE, "o/a"]) == 2
    assert ri.stored_commits(store, "Model", "o/a") == {"c1": False, "c2": True}
    assert ri.stored_commits(store, "CodeRepository", "github.com/o/r") == {"c1": False}
    assert ri.stored_commits(store, "Model", HOSTILE) == {}
    assert ri.code_links(store) == [("o/c", ["github.com/o/r"])]
    assert ri.latest_commit_time(store, "github.com/o/r", "test") == "2026-01-02T00:00:00.000Z"
    assert ri.latest_commit_time(store, "github.com/o/r", "github") is None
