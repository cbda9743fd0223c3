"""Neo4j's lineage index kept in the process: reused while the database is unchanged, rebuilt
after any write, this client's or another's (checked by the read's bookmark)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlsc.graph.neo4j import Neo4jSettings, Neo4jStore
from mlsc.graph.records import GraphBatch
from mlsc.queries import blast_radius
from tests.conftest import neo4j_settings, wipe
from tests.graph.builders import DIAMOND, chain, derived, lineage_batch, model


@pytest.fixture
def settings() -> Iterator[Neo4jSettings]:
    found = neo4j_settings()
    if found is None:
        pytest.skip("Neo4j not running: `make neo4j-up` starts one (needs java, mvn)")
    wipe(found)
    yield found


def affected(store: Neo4jStore, target: str) -> dict[str, int]:
    return {a.id: a.depth for a in blast_radius(store, target).affected}


def test_the_index_is_built_when_one_state_is_asked_about_twice_then_kept(
    settings: Neo4jSettings,
) -> None:
    with Neo4jStore(settings) as store:
        store.write(lineage_batch(DIAMOND))
        expected = {"o/r": 0, "o/a": 1, "o/b": 1, "p/m": 2, "p/mm": 2, "q/q": 3}
        assert affected(store, "o/r") == expected  # the server's search
        assert store.indexed(["o/r"]) is not None  # asked twice: built
        first = store.indexed(["o/r"])
        second = store.indexed(["o/a", "o/r", "no/such"])
        assert first is not None and second is not None
        assert second[0] is first[0]
        index = first[0]
        assert sorted(index.ids(second[1]).to_pylist()) == ["o/a", "o/r"]
        assert affected(store, "o/r") == expected  # now from the index


def test_another_clients_write_is_seen(settings: Neo4jSettings) -> None:
    with Neo4jStore(settings, read_only=True) as reader, Neo4jStore(settings) as writer:
        writer.write(lineage_batch(DIAMOND))
        before = affected(reader, "o/r")
        assert affected(reader, "o/r") == before
        kept = reader.indexed(["o/r"])
        assert kept is not None
        writer.write(GraphBatch([model("n/new")], [derived("n/new", "q/q", "quantized")]))
        assert reader.indexed(["o/r"]) is None  # a new state, asked about once
        assert affected(reader, "o/r") == {**before, "n/new": 4}  # asked twice: rebuilt
        rebuilt = reader.indexed(["o/r"])
        assert rebuilt is not None and rebuilt[0] is not kept[0]
        # a write through Cypher, which no Writer sees, moves the bookmark too
        writer.cypher("MATCH (:Model {id: 'n/new'})-[r:DERIVED_FROM]->() DELETE r", write=True)
        assert affected(reader, "o/r") == before
        assert reader.expand(["n/new"], "up").models.column("id").to_pylist() == ["n/new"]
        assert affected(reader, "o/r") == before


def test_a_one_off_query_never_builds(settings: Neo4jSettings) -> None:
    with Neo4jStore(settings) as store:
        store.write(lineage_batch(DIAMOND))
        for _ in range(3):
            assert store.expand(["o/r"], "down").models.num_rows == 6
        assert store.indexed(["o/r"]) is None  # expand neither builds nor counts
        store.write(lineage_batch(chain(3)))
        assert affected(store, "o/r")["q/q"] == 3
        assert store.indexed(["o/r"]) is not None
