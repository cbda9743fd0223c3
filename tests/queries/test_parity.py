"""The same questions, the same answers: the embedded store and Neo4j, on real-shaped data."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.neo4j import Neo4jStore
from mlsc.graph.store import GraphStore
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries import blast_radius, lineage, reach, top_actors, top_models
from mlsc.queries.core import Kind
from tests.conftest import SAMPLE, neo4j_settings, wipe
from tests.queries.applications_graph import BASE_NEW, SINCE, applications_batch
from tests.realdata import read_edges, write_snapshot

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
    for s in (embedded, server):  # applications beside the sample hub (no id in common)
        s.write(applications_batch())
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


def test_blast_radius_into_applications(stores: tuple[GraphStore, GraphStore]) -> None:
    embedded, server = stores
    cases: list[tuple[str, Kind | None, str | None]] = [
        ("meta/base", None, None),
        ("meta/base", None, SINCE),
        ("org", "actor", None),
        ("mallory", "actor", SINCE),
        (BASE_NEW, "commit", SINCE),
    ]
    for target, kind, since in cases:
        a = blast_radius(embedded, target, kind=kind, since=since)
        b = blast_radius(server, target, kind=kind, since=since)
        assert a.applications, target
        assert a.to_json() == b.to_json(), target
    exposed = blast_radius(server, "meta/base", since=SINCE)
    assert (len(exposed.applications), exposed.exposed) == (7, 6)


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
    assert (
        embedded.derivation_cycles()
        == server.derivation_cycles()
        == [("loopwright/qwen-chat-v1", "loopwright/qwen-chat-v2")]
    )


def test_applications(stores: tuple[GraphStore, GraphStore]) -> None:
    from mlsc.code.references import CodeReading, ModelReference
    from mlsc.graph.reads_code import uses_of
    from mlsc.ingest.code import Application, ingest_reading
    from mlsc.ingest.peatmoss import ingest_peatmoss
    from mlsc.queries.practices import practices

    sample = Path(__file__).parents[1] / "ingest" / "data" / "peatmoss-sample.csv"
    sha = "3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
    reading = CodeReading("/src", (
        ModelReference("a.py", 3, "gpt2", sha, "commit", "from_pretrained", "python", 1.0),
        ModelReference("b.yaml", 1, "Qwen/Qwen2.5-7B", None, "none", "config", "yaml", 0.7),
    ), 2)  # fmt: skip
    app = Application("github.com/acme/app", "github.com", "https://github.com/acme/app")
    for store in stores:
        ingest_peatmoss(store, sample, observed_at="2024-03-01T00:00:00.000Z")
        ingest_reading(store, reading, app, observed_at="2024-03-01T00:00:00.000Z")
    embedded, server = stores
    models = ["gpt2", "Qwen/Qwen2.5-7B", "bert-base-uncased"]
    assert uses_of(embedded, models) == uses_of(server, models)
    for author in (None, "quantlab", "gpt2", "Qwen", "nobody"):
        a, b = practices(embedded, author=author), practices(server, author=author)
        assert a == b and a.to_json() == b.to_json(), author


def test_reports(stores: tuple[GraphStore, GraphStore]) -> None:
    from mlsc.queries.discrepancies import discrepancies
    from mlsc.queries.signing import signing_report

    embedded, server = stores
    for author in (None, "quantlab", "nobody"):
        a, b = signing_report(embedded, author=author), signing_report(server, author=author)
        assert a == b and a.to_json() == b.to_json(), author
    a, b = discrepancies(embedded), discrepancies(server)
    assert a.findings and a == b and a.to_json() == b.to_json()
    some = sorted({f.model for f in a.findings})[::5]
    assert discrepancies(embedded, models=some) == discrepancies(server, models=some)


# -- last: this fixture wipes the Neo4j database the `stores` fixture above writes to --


@pytest.fixture(scope="module")
def real_stores(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[tuple[GraphStore, GraphStore, list[str]]]:
    """The 30k real lineage edges in both stores (a fresh Neo4j database)."""
    settings = neo4j_settings()
    if settings is None:
        pytest.skip("Neo4j not running: `make neo4j-up` starts one (needs java, mvn)")
    edges = read_edges(shared_data / "hf-lineage-edges" / "edges-2025-06.csv")
    children = Counter(e.parent for e in edges)
    snap = write_snapshot(edges, tmp_path_factory.mktemp("real") / "real.jsonl")
    wipe(settings)
    embedded = LadybugStore(tmp_path_factory.mktemp("real-kb") / "kb")
    server = Neo4jStore(settings)
    reports = [ingest_snapshot(s, snap.path) for s in (embedded, server)]
    assert reports[0].to_json() == reports[1].to_json()
    hubs = [m for m, _ in children.most_common(15)]
    rng = random.Random(0)
    sample = hubs + rng.sample(sorted(snap.parents), 25)
    yield embedded, server, sample
    embedded.close()
    server.close()


@pytest.mark.shared_data
def test_real_edges_give_the_same_answers(
    real_stores: tuple[GraphStore, GraphStore, list[str]],
) -> None:
    embedded, server, sample = real_stores
    assert embedded.counts() == server.counts()
    assert embedded.derivation_cycles() == server.derivation_cycles()
    for mid in sample:
        assert blast_radius(embedded, mid).to_json() == blast_radius(server, mid).to_json(), mid
        assert lineage(embedded, mid).to_json() == lineage(server, mid).to_json(), mid
    for owner in sorted({m.split("/")[0] for m in sample if "/" in m}):
        assert reach(embedded, owner) == reach(server, owner), owner
    assert top_models(embedded, 20) == top_models(server, 20)
    assert top_actors(embedded, 20) == top_actors(server, 20)
