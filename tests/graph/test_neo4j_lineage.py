"""Neo4j's lineage index kept in the process: reused while the database is unchanged, rebuilt
after any write, this client's or another's (checked by the read's bookmark)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlsc.graph.neo4j import Neo4jSettings, Neo4jStore
from mlsc.graph.records import GraphBatch
from mlsc.queries import blast_radius
from tests.conftest import neo4j_settings, wipe
from tests.graph.builders import DIAMOND, derived, lineage_batch, model


@pytest.fixture
def settings() -> Iterator[Neo4jSettings]:
    found = neo4j_settings()
    if found is None:
        pytest.skip("Neo4j not running: `make neo4j-up` starts one (needs java, mvn)")
    wipe(found)
    yield found


def affected(store: Neo4jStore, target: str) -> dict[str, int]:
    return {a.id: a.depth for a in blast_radius(store, target).affected}


def test_the_index_is_kept_while_nothing_is_written(settings: Neo4jSettings) -> None:
    with Neo4jStore(settings) as store:
        store.write(lineage_batch(DIAMOND))
        first = store.indexed(["o/r"])
        second = store.indexed(["o/a", "o/r", "no/such"])
        assert first is not None and second is not None
        assert second[0] is first[0]
        assert sorted(second[1].tolist()) == sorted(
            [*first[1].tolist(), *store.indexed(["o/a"])[1].tolist()]  # type: ignore[index]
        )
        assert affected(store, "o/r") == {
            "o/r": 0, "o/a": 1, "o/b": 1, "p/m": 2, "p/mm": 2, "q/q": 3,
        }  # fmt: skip


def test_another_clients_write_is_seen(settings: Neo4jSettings) -> None:
    with Neo4jStore(settings, read_only=True) as reader, Neo4jStore(settings) as writer:
        writer.write(lineage_batch(DIAMOND))
        before = affected(reader, "o/r")
        kept = reader.indexed(["o/r"])
        writer.write(GraphBatch([model("n/new")], [derived("n/new", "q/q", "quantized")]))
        assert affected(reader, "o/r") == {**before, "n/new": 4}
        rebuilt = reader.indexed(["o/r"])
        assert kept is not None and rebuilt is not None and rebuilt[0] is not kept[0]
        # a write through Cypher, which no Writer sees, moves the bookmark too
        writer.cypher("MATCH (:Model {id: 'n/new'})-[r:DERIVED_FROM]->() DELETE r", write=True)
        assert affected(reader, "o/r") == before
        assert reader.expand(["n/new"], "up").models.column("id").to_pylist() == ["n/new"]
