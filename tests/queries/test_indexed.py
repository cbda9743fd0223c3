"""The answers gathered from the lineage index (the embedded store's path) are the answers
composed from ``expand`` and ``uses_of`` (the path of a store without an index, as Neo4j):
the same JSON, edges included, on the sample hub with applications beside it and cycles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.lineage_index import LineageIndex
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries import applications, blast_radius, lineage
from mlsc.queries.core import Kind
from tests.conftest import SAMPLE
from tests.graph.builders import DIAMOND, lineage_batch
from tests.queries.applications_graph import BASE_NEW, SINCE, applications_batch


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LadybugStore]:
    with LadybugStore(tmp_path_factory.mktemp("indexed") / "kb") as s:
        ingest_snapshot(s, SAMPLE)
        s.write(applications_batch())
        ring = [("ring/a", "ring/b", "finetune"), ("ring/b", "ring/c", "adapter")]
        ring += [("ring/c", "ring/a", "merge"), ("ring/tail", "ring/b", "finetune")]
        s.write(lineage_batch([*ring, *DIAMOND]))  # a lineage cycle, merges of merges
        yield s


@contextmanager
def expanded(store: LadybugStore) -> Iterator[None]:
    """Answer as a store without a lineage index would."""
    store.indexed = lambda seeds: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        del store.indexed


def model_ids(store: LadybugStore) -> list[str]:
    return [r[0] for r in store.cypher("MATCH (m:Model) RETURN m.id ORDER BY m.id").rows]


def test_lineage_of_every_model(store: LadybugStore) -> None:
    mids = model_ids(store)
    fast = [lineage(store, m) for m in mids]
    with expanded(store):
        slow = [lineage(store, m) for m in mids]
    for mid, a, b in zip(mids, fast, slow, strict=True):
        assert a.to_json() == b.to_json(), mid
        assert a.edges == b.edges, mid
    assert any(a.cycles for a in fast)


@pytest.mark.parametrize("index_from", [0, 10**9])
def test_blast_radius_of_every_model_and_applications(
    store: LadybugStore, index_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(applications, "INDEX_FROM", index_from)
    if index_from:  # one lookup per model, even when the index of the uses is built
        monkeypatch.setattr(LineageIndex, "has_memo", lambda self, key: False)
    cases: list[tuple[str, Kind | None, str | None]] = [(m, None, None) for m in model_ids(store)]
    cases += [
        ("meta/base", None, SINCE),
        ("org", "actor", None),
        ("mallory", "actor", SINCE),
        (BASE_NEW, "commit", SINCE),
    ]
    fast = [blast_radius(store, t, kind=k, since=s) for t, k, s in cases]
    with expanded(store):
        slow = [blast_radius(store, t, kind=k, since=s) for t, k, s in cases]
    for case, a, b in zip(cases, fast, slow, strict=True):
        assert a.to_json() == b.to_json(), case
        assert list(a.edges) == list(b.edges), case
    assert sum(len(a.applications) for a in fast) > 10
