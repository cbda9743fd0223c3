"""The audit's reads on both stores: newest commit per model, actor verification."""

from __future__ import annotations

from mlsc.graph.reads_audit import NewestCommit, actor_verification, newest_commits
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from tests.graph.builders import PROV, model


def test_newest_commit_by_committed_else_authored_time(store: GraphStore) -> None:
    commits = {
        "a" * 40: {"committed_at": "2025-01-02T00:00:00.000Z"},
        "b" * 40: {"authored_at": "2025-03-01T00:00:00.000Z"},  # Hub: authored only
        "c" * 40: {"committed_at": "2024-12-01T00:00:00.000Z", "title": "first"},
        "d" * 40: {},  # undated
    }
    nodes = [model("o/m"), model("o/n"), model("o/none"),
             *(NodeRecord("Commit", sha, {"sha": sha, **props, **PROV})
               for sha, props in commits.items()),
             NodeRecord("Actor", "o", {"kind": "org", "verified": True, **PROV}),
             NodeRecord("Actor", "u", {"kind": "user", **PROV})]  # fmt: skip
    edges = [EdgeRecord("HAS_COMMIT", "Model", m, "Commit", sha, PROV)
             for m, sha in (("o/m", "a" * 40), ("o/m", "b" * 40), ("o/m", "d" * 40),
                            ("o/n", "c" * 40), ("o/n", "d" * 40))]  # fmt: skip
    store.write(GraphBatch(nodes, edges))
    assert newest_commits(store, ["o/m", "o/n", "o/none", "x/missing"]) == {
        "o/m": NewestCommit("o/m", "b" * 40, "2025-03-01T00:00:00.000Z", None),
        "o/n": NewestCommit("o/n", "c" * 40, "2024-12-01T00:00:00.000Z", "first"),
    }
    assert actor_verification(store, ["o", "u", "ghost"]) == {"o": True, "u": None}
