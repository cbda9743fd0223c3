"""The population reads (mlsc.graph.reads_population): counted by the store, on every backend."""

from __future__ import annotations

from mlsc.graph import reads_population as rp
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from tests.graph.builders import PROV, model

HOSTILE = "x' }) MATCH (n) DETACH DELETE n //"


def _population() -> GraphBatch:
    nodes = [
        model("o/a", gated="manual"), model("o/b", gated="no"), model("o/c"),
        model("u/d", gated="auto"), model("x/gh", hub="github"),
        NodeRecord("Model", "o/ghost", {"ingested": False, **PROV}),
        model("nons"), model("o/e", author=None),
        NodeRecord("Actor", "o", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "p", {"kind": "org", "verified": False, **PROV}),
        NodeRecord("Actor", "q", {"kind": "org", **PROV}),
        NodeRecord("Actor", "github:o", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "git:o", {"kind": "org", "verified": False, **PROV}),
        NodeRecord("Actor", "u", {"kind": "user", "verified": True, **PROV}),
        NodeRecord("File", "o/a/1", {"pickle": True, **PROV}),
        NodeRecord("File", "o/a/2", {"pickle": False, **PROV}),
        NodeRecord("File", "o/b/1", {**PROV}),
        NodeRecord("File", "x/gh/1", {"pickle": True, **PROV}),
        NodeRecord("Commit", "c1", {"signature": "gpg", "verified": True, **PROV}),
        NodeRecord("Commit", "c2", {"signature": "ssh", **PROV}),
        NodeRecord("Commit", "c3", {"verification_reason": "unsigned", **PROV}),
        NodeRecord("Commit", "c4", {**PROV}),
        NodeRecord("CodeRepository", "app", {**PROV}),
    ]  # fmt: skip
    edges = [
        EdgeRecord("HAS_FILE", "Model", "o/a", "File", "o/a/1", PROV),
        EdgeRecord("HAS_FILE", "Model", "o/a", "File", "o/a/2", PROV),
        EdgeRecord("HAS_FILE", "Model", "o/b", "File", "o/b/1", PROV),
        EdgeRecord("HAS_FILE", "Model", "x/gh", "File", "x/gh/1", PROV),
        EdgeRecord("HAS_COMMIT", "Model", "o/a", "Commit", "c1", PROV),
        EdgeRecord("HAS_COMMIT", "Model", "o/a", "Commit", "c2", PROV),
        EdgeRecord("HAS_COMMIT", "Model", "o/b", "Commit", "c3", PROV),
        EdgeRecord("HAS_COMMIT", "Model", "u/d", "Commit", "c1", PROV),
        EdgeRecord("HAS_COMMIT", "Model", "u/d", "Commit", "c4", PROV),
        EdgeRecord("USES_MODEL", "CodeRepository", "app", "Model", "o/a", {"pinned": True, **PROV}),
        EdgeRecord("USES_MODEL", "CodeRepository", "app", "Model", "o/ghost", PROV),
        EdgeRecord("USES_MODEL", "CodeRepository", "app", "Model", "nons",
                   {"pinned": False, **PROV}),
    ]  # fmt: skip
    return GraphBatch(nodes, edges)


def test_population_counts(store: GraphStore) -> None:
    store.write(_population())
    every, o = rp.Scope(), rp.Scope("o")
    # ingested, of the Hugging Face hub: not x/gh (github), not o/ghost (a placeholder)
    assert rp.gating(store, every) == (6, 3, 2)
    assert rp.gating(store, o) == (3, 2, 1)
    assert rp.gating(store, rp.Scope(HOSTILE)) == (0, 0, 0)
    assert rp.org_verification(store) == (2, 1)  # o and p; q unknown, github:/git: left out
    assert rp.org_verification(store, "p") == (1, 0)
    assert rp.org_verification(store, HOSTILE) == (0, 0)
    # o/a: c1 signed+verified, c2 signed; o/b: c3 unsigned; u/d: c1 (again), c4 unknown
    assert rp.commit_signing(store, every) == (3, 2, 4, 3, 2)
    assert rp.commit_signing(store, o) == (2, 1, 3, 2, 1)
    assert rp.pickle_count(store, every) == (2, 1)  # x/gh is another hub's
    assert rp.pinning_count(store, every) == (3, 1, 1, 2)
    # o: o/a in scope, o/ghost by its namespace; nons: by its id
    assert rp.pinning_count(store, o) == (2, 1, 1, 1)
    assert rp.pinning_count(store, rp.Scope("nons")) == (1, 1, 0, 1)
    owned = rp.owned_models(store, o).sort_by("id").to_pylist()
    assert owned == [{"id": f"o/{x}", "owner": "o"} for x in "abc"]
    assert rp.owned_models(store, rp.Scope(HOSTILE)).num_rows == 0


def test_commit_signing_by_repository(store: GraphStore) -> None:
    def commit(sha: str, **props: object) -> NodeRecord:
        return NodeRecord("Commit", sha, {**props, **PROV})

    nodes = [
        model("o/a"), model("o/b", author=None),
        NodeRecord("CodeRepository", "github.com/o/r", {**PROV}),
        commit("c1", signature="gpg", verified=True, committed_at="2026-01-02T00:00:00.000Z"),
        commit("c2", signature="ssh", verified=False, authored_at="2026-01-01T00:00:00.000Z"),
        commit("c3", verification_reason="unsigned", verified=False),
        commit("c4"), commit("c5", signature="gpg"),
    ]  # fmt: skip
    where = [("Model", "o/a", "c1"), ("Model", "o/a", "c2"), ("Model", "o/a", "c3"),
             ("Model", "o/b", "c4"), ("Model", "o/b", "c5"),
             ("CodeRepository", "github.com/o/r", "c1")]  # fmt: skip
    edges = [EdgeRecord("HAS_COMMIT", label, r, "Commit", c, PROV) for label, r, c in where]
    store.write(GraphBatch(nodes, edges))
    models = rp.commit_signing_by_repository(store, "Model").sort_by("repository").to_pylist()
    assert models == [
        {"repository": "o/a", "commits": 3, "signed": 2, "verified": 1, "unknown": 0,
         "author": "o"},
        {"repository": "o/b", "commits": 2, "signed": 1, "verified": 0, "unknown": 1,
         "author": None},
    ]  # fmt: skip
    code = rp.commit_signing_by_repository(store, "CodeRepository").to_pylist()
    assert code == [{"repository": "github.com/o/r", "commits": 1, "signed": 1, "verified": 1,
                     "unknown": 0}]  # fmt: skip
    signed = rp.signed_commits(store, "Model").sort_by("sha").to_pylist()
    assert signed == [
        {"repository": "o/a", "sha": "c1", "at": "2026-01-02T00:00:00.000Z"},
        {"repository": "o/a", "sha": "c2", "at": "2026-01-01T00:00:00.000Z"},
        {"repository": "o/b", "sha": "c5", "at": None},
    ]


def test_discrepancy_tables_hold_the_exact_reads_columns(store: GraphStore) -> None:
    from mlsc.graph import reads
    from tests.graph.builders import derived

    store.write(
        GraphBatch(
            [model("o/a", model_type="llama", architectures=["A"], aliases=["old/a"]),
             model("o/b", model_type="llama", architectures=["B"]),
             NodeRecord("Model", "o/ghost", {"ingested": False, **PROV}),
             NodeRecord("File", "o/b/m.gguf", {"format": "gguf", "path": "m.gguf",
                                               "chat_template_sha256": "t1", **PROV}),
             NodeRecord("File", "o/b/x", {"path": "x", **PROV})],
            [derived("o/b", "o/a", "finetune", confidence=None),
             derived("o/b", "o/ghost", "merge", evidence=None),
             EdgeRecord("HAS_FILE", "Model", "o/b", "File", "o/b/m.gguf", PROV),
             EdgeRecord("HAS_FILE", "Model", "o/b", "File", "o/b/x", PROV)],
        )
    )  # fmt: skip
    table = rp.derivation_table(store).sort_by("parent")
    names = list(reads.Derivation._fields)
    columns = [table.column(n).to_pylist() for n in names]
    as_rows = [reads.Derivation(*r) for r in zip(*columns, strict=True)]
    assert as_rows == sorted(reads.derivations(store, ["o/b"]), key=lambda d: d.parent)
    assert table.column("types_differ").to_pylist() == [True, None]  # archs differ; unknown
    assert table.column("parent_odd").to_pylist() == [True, True]  # aliases; a placeholder
    assert rp.file_format_table(store).to_pylist() == [{"model": "o/b", "format": "gguf"}]
    assert rp.chat_template_table(store).to_pylist() == [
        {"model": "o/b", "path": "m.gguf", "digest": "t1", "findings": None}
    ]
