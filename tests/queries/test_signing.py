"""The signing report on small graphs with known answers, on both stores."""

from __future__ import annotations

from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.queries.signing import signing_report
from tests.graph.builders import PROV, model


def commit(
    sha: str, at: str, signature: str | None, verified: bool | None, reason: str | None
) -> NodeRecord:
    props = {"committed_at": at, "signature": signature, "verified": verified,
             "verification_reason": reason, **PROV}  # fmt: skip
    return NodeRecord("Commit", sha, props)


def test_signed_verified_unknown_and_first_signed(store: GraphStore) -> None:
    nodes = [
        model("acme/a"),
        model("acme/b"),
        model("solo/c"),
        NodeRecord("Actor", "acme", {"kind": "org", **PROV}),
        NodeRecord("Actor", "solo", {"kind": "user", **PROV}),
        NodeRecord("CodeRepository", "github.com/acme/train", {"host": "github.com", **PROV}),
        NodeRecord("Actor", "github:acme", {"kind": "org", **PROV}),
        commit("1" * 40, "2025-01-01T00:00:00.000Z", None, None, "none"),  # git: unsigned
        commit("2" * 40, "2025-03-01T00:00:00.000Z", "gpg", True, "good"),
        commit("3" * 40, "2025-02-01T00:00:00.000Z", "ssh", False, "bad"),
        commit("4" * 40, "2025-04-01T00:00:00.000Z", None, None, None),  # hub: status unknown
        commit("5" * 40, "2025-05-01T00:00:00.000Z", "gpg", True, "valid"),
        commit("6" * 40, "2024-05-01T00:00:00.000Z", None, False, "unsigned"),  # GitHub
        commit("7" * 40, "2024-06-01T00:00:00.000Z", "gpg", True, "valid"),
    ]
    where = {
        "1": ("Model", "acme/a"), "2": ("Model", "acme/a"), "3": ("Model", "acme/a"),
        "4": ("Model", "acme/b"), "5": ("Model", "solo/c"),
        "6": ("CodeRepository", "github.com/acme/train"),
        "7": ("CodeRepository", "github.com/acme/train"),
    }  # fmt: skip
    edges = [EdgeRecord("HAS_COMMIT", label, repo, "Commit", d * 40, PROV)
             for d, (label, repo) in where.items()]  # fmt: skip
    store.write(GraphBatch(nodes, edges))
    report = signing_report(store).to_json()
    assert report["repositories"] == [
        {"id": "acme/a", "commits": 3, "signed": 2, "verified": 1, "unknown": 0,
         "first_signed": "2025-02-01T00:00:00.000Z", "first_signed_sha": "3" * 40},
        {"id": "github.com/acme/train", "commits": 2, "signed": 1, "verified": 1, "unknown": 0,
         "first_signed": "2024-06-01T00:00:00.000Z", "first_signed_sha": "7" * 40},
        {"id": "acme/b", "commits": 1, "signed": 0, "verified": 0, "unknown": 1,
         "first_signed": None, "first_signed_sha": None},
        {"id": "solo/c", "commits": 1, "signed": 1, "verified": 1, "unknown": 0,
         "first_signed": "2025-05-01T00:00:00.000Z", "first_signed_sha": "5" * 40},
    ]  # fmt: skip
    assert report["organisations"] == [
        {"id": "acme", "commits": 4, "signed": 2, "verified": 1, "unknown": 1,
         "first_signed": "2025-02-01T00:00:00.000Z", "first_signed_sha": "3" * 40,
         "repositories": 2},
        {"id": "github:acme", "commits": 2, "signed": 1, "verified": 1, "unknown": 0,
         "first_signed": "2024-06-01T00:00:00.000Z", "first_signed_sha": "7" * 40,
         "repositories": 1},
    ]  # fmt: skip
    only = signing_report(store, author="acme").to_json()
    assert [r["id"] for r in only["repositories"]] == ["acme/a", "github.com/acme/train", "acme/b"]


def test_no_commits_gives_empty_lists(store: GraphStore) -> None:
    store.write(GraphBatch([model("o/a")]))
    assert signing_report(store).to_json() == {"repositories": [], "organisations": []}
