"""Blast radius through commits: an account's commits since a date, and a single commit,
on both stores (the same query code)."""

from __future__ import annotations

import pytest

from mlsc.errors import InputError, NotFoundError
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.queries import blast_radius
from tests.graph.builders import PROV, lineage_batch

SHA_OLD = "a" * 40
SHA_NEW = "b" * 40
SHA_CODE = "c" * 40


def commits_batch() -> GraphBatch:
    """mallory committed to o/base long ago and to p/mid recently, and to a code repo."""
    nodes = [
        NodeRecord("Actor", "mallory", {"kind": "user", **PROV}),
        NodeRecord("CodeRepository", "github.com/p/trainer", {"host": "github.com", **PROV}),
    ]
    edges = []
    for sha, repo, label, at in (
        (SHA_OLD, "o/base", "Model", "2025-01-10T00:00:00.000Z"),
        (SHA_NEW, "p/mid", "Model", "2026-11-20T09:30:00.000Z"),
        (SHA_CODE, "github.com/p/trainer", "CodeRepository", "2026-11-21T00:00:00.000Z"),
    ):
        nodes.append(NodeRecord("Commit", sha, {"repo": repo, "committed_at": at, **PROV}))
        edges.append(EdgeRecord("HAS_COMMIT", label, repo, "Commit", sha, PROV))
        edges.append(
            EdgeRecord("AUTHORED", "Actor", "mallory", "Commit", sha, {"role": "author", **PROV})
        )
    return GraphBatch(nodes, edges)


@pytest.fixture
def graph(store: GraphStore) -> GraphStore:
    # o/base <- p/mid <- q/leaf ; o/base <- r/side
    store.write(
        lineage_batch(
            [("p/mid", "o/base", "finetune"), ("q/leaf", "p/mid", "quantized"),
             ("r/side", "o/base", "adapter")]
        )
    )  # fmt: skip
    store.write(commits_batch())
    return store


def test_an_account_reaches_what_it_committed_to_and_downstream(graph: GraphStore) -> None:
    br = blast_radius(graph, "mallory")
    assert br.kind == "actor" and br.seeds == ("o/base", "p/mid")
    assert {a.id for a in br.affected} == {"o/base", "p/mid", "q/leaf", "r/side"}
    assert [c.sha for c in br.commits] == [SHA_CODE, SHA_OLD, SHA_NEW]
    assert br.repositories == ("github.com/p/trainer",)


def test_since_keeps_only_later_commits(graph: GraphStore) -> None:
    br = blast_radius(graph, "mallory", since="2026-11-01")
    assert br.seeds == ("p/mid",) and br.since == "2026-11-01T00:00:00.000Z"
    assert {a.id: a.depth for a in br.affected} == {"p/mid": 0, "q/leaf": 1}
    assert [(c.sha, c.repository) for c in br.commits] == [
        (SHA_CODE, "github.com/p/trainer"),
        (SHA_NEW, "p/mid"),
    ]
    assert br.to_json()["commits"][1] == {
        "sha": SHA_NEW, "label": "Model", "repository": "p/mid", "at": "2026-11-20T09:30:00.000Z"
    }  # fmt: skip
    assert blast_radius(graph, "mallory", since="2026-11-22").count == 0
    with pytest.raises(InputError, match="not a date"):
        blast_radius(graph, "mallory", since="last tuesday")


def test_a_commit_reaches_its_model_and_downstream(graph: GraphStore) -> None:
    br = blast_radius(graph, SHA_NEW)
    assert br.kind == "commit" and br.seeds == ("p/mid",)
    assert {a.id for a in br.affected} == {"p/mid", "q/leaf"}
    short = blast_radius(graph, SHA_OLD[:10])  # an unambiguous prefix
    assert short.target == SHA_OLD and short.count == 4
    code = blast_radius(graph, SHA_CODE)
    assert code.count == 0 and code.repositories == ("github.com/p/trainer",)
    with pytest.raises(NotFoundError):
        blast_radius(graph, "d" * 40)
