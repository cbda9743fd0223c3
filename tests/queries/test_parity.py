"""The same questions, the same answers: the embedded store and Neo4j, on real-shaped data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.neo4j import Neo4jStore
from mlsc.graph.store import GraphStore
from mlsc.ingest.snapshot import ingest_snapshot
from mlsc.queries import blast_radius, lineage, reach, top_actors, top_models
from tests.conftest import SAMPLE, neo4j_settings, wipe

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GraphStore, GraphStore]]:
    settings = neo4j_settings()
    if settings is None:
        pytest.skip("Neo4j not running: `make neo4j-up` starts one (needs java, mvn)")
    wipe(settings)
    embedded = LadybugStore(tmp_path_factory.mktemp("parity") / "kb")
    server = Neo4jStore(settings)
    reports = [ingest_snapshot(s, SAMPLE) for s in (embedded, server)]
    assert reports[0].to_json() == reports[1].to_json()
    yield embedded, server
    embedded.close()
    server.close()


def ids(store: GraphStore, label: str) -> list[str]:
    key = "id" if label == "Model" else "name"
    rows = store.cypher(f"MATCH (n:{label}) RETURN n.{key} ORDER BY n.{key}").rows
    return [r[0] for r in rows]


def test_the_same_graph(stores: tuple[GraphStore, GraphStore]) -> None:
    embedded, server = stores
    assert embedded.counts() == server.counts()
    assert sorted(embedded.derivation_edges()) == sorted(server.derivation_edges())
    for mid in ids(embedded, "Model")[::7]:
        assert embedded.node("Model", mid) == server.node("Model", mid), mid


def test_blast_radius_of_every_model_and_actor(stores: tuple[GraphStore, GraphStore]) -> None:
    embedded, server = stores
    for target in ids(embedded, "Model"):
        assert blast_radius(embedded, target).to_json() == blast_radius(server, target).to_json()
    for actor in ids(embedded, "Actor"):
        a = blast_radius(embedded, actor, kind="actor")
        b = blast_radius(server, actor, kind="actor")
        assert a.to_json() == b.to_json(), actor
        assert reach(embedded, actor) == reach(server, actor)


def test_lineage(stores: tuple[GraphStore, GraphStore]) -> None:
    embedded, server = stores
    for mid in ids(embedded, "Model")[::3]:
        a, b = lineage(embedded, mid), lineage(server, mid)
        assert a.to_json() == b.to_json(), mid
        assert a.edges == b.edges


def test_rankings(stores: tuple[GraphStore, GraphStore]) -> None:
    embedded, server = stores
    assert top_models(embedded, 25) == top_models(server, 25)
    assert top_actors(embedded, 25) == top_actors(server, 25)


def test_cycles(stores: tuple[GraphStore, GraphStore]) -> None:
    embedded, server = stores
    assert embedded.derivation_cycles() == server.derivation_cycles() == [
        ("loopwright/qwen-chat-v1", "loopwright/qwen-chat-v2")
    ]
