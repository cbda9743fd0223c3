"""Neo4j's write paths give one graph: a first load (nodes created without a lookup, edges
found by the node ids that write returned), a load into stored nodes (MERGE, edges found
by key), a mix of both in one table, and a repeated load, which changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mlsc.graph.neo4j import Neo4jSettings, Neo4jStore
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from tests.conftest import neo4j_settings, wipe
from tests.graph.builders import DIAMOND, chain, contents, lineage_batch


@pytest.fixture
def store() -> Iterator[Neo4jStore]:
    settings: Neo4jSettings | None = neo4j_settings()
    if settings is None:
        pytest.skip("Neo4j not running: `make neo4j-up` starts one (needs java, mvn)")
    wipe(settings)
    with Neo4jStore(settings) as opened:
        yield opened


def graph() -> GraphBatch:
    """Models in a diamond and a chain, with owners (an Actor owning several models)."""
    return lineage_batch([*DIAMOND, *chain(12, "o/c")])


def nodes_only(batch: GraphBatch) -> GraphBatch:
    return GraphBatch(batch.nodes, [])


def edges_only(batch: GraphBatch) -> GraphBatch:
    return GraphBatch([], batch.edges)


def fresh(store: Neo4jStore, *batches: GraphBatch) -> dict[tuple[str, ...], dict[str, Any]]:
    wipe_store(store)
    for batch in batches:
        store.write(batch)
    return contents(store)


def wipe_store(store: Neo4jStore) -> None:
    store.cypher("MATCH (n) DETACH DELETE n", write=True)


def test_a_first_load_and_a_load_into_stored_nodes_give_the_same_graph(store: Neo4jStore) -> None:
    batch = graph()
    first = store.write(batch)
    distinct = len({(n.label, n.key) for n in batch.nodes})
    assert (first.nodes_created, first.edges_created) == (distinct, len(batch.edges))
    loaded = contents(store)
    # edges whose ends were stored by an earlier write are found by key
    assert fresh(store, nodes_only(batch), edges_only(batch)) == loaded
    # nodes stored before (MERGE), then the whole batch again
    assert fresh(store, nodes_only(batch), batch) == loaded
    assert len([k for k in loaded if k[0] == "DERIVED_FROM"]) == len(DIAMOND) + 12


def test_one_table_with_ends_written_now_and_ends_stored_before(store: Neo4jStore) -> None:
    batch = graph()
    loaded = fresh(store, batch)
    stored_before = [n for n in batch.nodes if n.key.startswith("o/c")]
    written_now = [n for n in batch.nodes if not n.key.startswith("o/c")]
    mixed = fresh(store, GraphBatch(stored_before, []), GraphBatch(written_now, batch.edges))
    assert mixed == loaded


def test_a_second_load_changes_nothing(store: Neo4jStore) -> None:
    batch = graph()
    store.write(batch)
    loaded = contents(store)
    again = store.write(batch)
    assert (again.nodes_created, again.edges_created, again.edges_removed) == (0, 0, 0)
    assert again.nodes_updated == len({(n.label, n.key) for n in batch.nodes})
    assert contents(store) == loaded


def test_an_edge_to_a_missing_node_is_refused_on_either_path(store: Neo4jStore) -> None:
    from mlsc.errors import StoreError

    batch = GraphBatch(
        [NodeRecord("Model", "o/a", {"ingested": True})],
        [EdgeRecord("DERIVED_FROM", "Model", "o/a", "Model", "o/missing", {})],
    )
    with pytest.raises(StoreError, match="o/missing"):
        store.write(batch)


def cyclic() -> GraphBatch:
    """Levels, a merge across levels, a cycle with a model below it, a self-loop, and a
    base known only as a placeholder: every case of the first load's planner."""
    edges = [
        *DIAMOND,
        ("c/x", "c/y", "finetune"),
        ("c/y", "c/z", "finetune"),
        ("c/z", "c/x", "finetune"),  # a cycle
        ("c/below", "c/x", "adapter"),  # below the cycle
        ("c/below", "o/r", "merge"),  # and to a levelled model
        ("s/self", "s/self", "finetune"),  # a self-loop
    ]
    batch = lineage_batch(edges)
    placeholder = NodeRecord("Model", "ghost/base", {"ingested": False}, create_only=True)
    ghost = EdgeRecord(
        "DERIVED_FROM", "Model", "o/r", "Model", "ghost/base", {"relation": "adapter"}
    )
    return GraphBatch([*batch.nodes, placeholder], [*batch.edges, ghost])


def test_the_first_load_of_levels_and_cycles_is_the_graph_merge_writes(store: Neo4jStore) -> None:
    batch = cyclic()
    first = store.write(batch)
    assert first.edges_created == len(batch.edges)
    loaded = contents(store)
    # the MERGE paths: nodes first, then the edges by key; nodes stored, then everything
    assert fresh(store, nodes_only(batch), edges_only(batch)) == loaded
    assert fresh(store, nodes_only(batch), batch) == loaded
    assert store.derivation_cycles()
    again = store.write(batch)
    assert (again.nodes_created, again.edges_created, again.edges_removed) == (0, 0, 0)
    assert contents(store) == loaded


def test_a_refused_first_load_batch_is_redone_with_merge(
    store: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when a batch that committed is retried, or a second writer loads the same new
    models at the same moment: the write believes the labels empty, the uniqueness
    constraint refuses its CREATE, and the MERGE it falls back to duplicates nothing."""
    batch = cyclic()
    store.write(batch)
    loaded = contents(store)
    conn = store._conn
    real = conn.read

    def empty(query: str, **params: Any) -> list[Any]:
        if query.endswith("RETURN count(n) AS c") and not params:
            return [{"c": 0}]
        return real(query, **params)

    monkeypatch.setattr(conn, "read", empty)
    again = store.write(batch)
    monkeypatch.undo()
    assert (again.nodes_created, again.edges_created) == (0, 0)
    assert contents(store) == loaded
