"""Copying a knowledge base between the stores, and exporting it for neo4j-admin import:
both checked on real engines (a fresh LadybugDB, the dev Neo4j, and a private Neo4j that
the real import tool wrote)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsc.errors import InputError
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.neo4j import Neo4jStore
from mlsc.graph.records import GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.graph.transfer import KINDS, copy_graph, export_neo4j_admin
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries import blast_radius, lineage, reach
from tests.conftest import SAMPLE, neo4j_settings, wipe
from tests.graph.builders import PROV, contents
from tests.graph.test_store_contract import HOSTILE, _varied_batch
from tests.neo4j_engine import admin_import, engine

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LadybugStore]:
    """The sample hub, plus every label and edge pair with hostile values."""
    store = LadybugStore(tmp_path_factory.mktemp("source") / "kb")
    ingest_snapshot(store, SAMPLE)
    store.write(_varied_batch())
    store.write(GraphBatch([NodeRecord("Actor", 'evil"\n,name', {"kind": HOSTILE, **PROV})]))
    yield store
    store.close()


@pytest.fixture
def server() -> Iterator[Neo4jStore]:
    settings = neo4j_settings()
    if settings is None:
        pytest.skip("Neo4j not running: `make neo4j-up` starts one (needs java, mvn)")
    wipe(settings)
    store = Neo4jStore(settings)
    yield store
    store.close()


def same_answers(a: GraphStore, b: GraphStore) -> None:
    assert a.counts() == b.counts()
    for mid in ("meta-llama/Llama-3.1-8B", "quantlab/Evo-8B-g12-GGUF", "o/a"):
        assert blast_radius(a, mid).to_json() == blast_radius(b, mid).to_json()
        assert lineage(a, mid).to_json() == lineage(b, mid).to_json()
    assert reach(a, "meta-llama") == reach(b, "meta-llama")


def test_copy_to_neo4j_and_back_keeps_every_value(
    source: LadybugStore, server: Neo4jStore, tmp_path: Path
) -> None:
    expected = contents(source)
    report = copy_graph(source, server, rows=97)  # many small batches
    assert report.mirrored and report.copied["Model"] == source.counts()["Model"]
    assert contents(server) == expected
    same_answers(source, server)

    again = copy_graph(source, server, rows=1000)
    assert again.mirrored and again.target_counts == report.target_counts

    back = LadybugStore(tmp_path / "back")
    try:
        assert copy_graph(server, back).mirrored
        assert contents(back) == expected
        same_answers(source, back)
    finally:
        back.close()


def test_copy_into_a_non_empty_target_merges_and_says_so(
    source: LadybugStore, tmp_path: Path
) -> None:
    target = LadybugStore(tmp_path / "t")
    try:
        target.write(GraphBatch([NodeRecord("Actor", "already-here", {"kind": "user", **PROV})]))
        report = copy_graph(source, target)
        assert not report.mirrored
        assert report.target_counts["Actor"] == report.source_counts["Actor"] + 1
        assert report.to_json()["mirrored"] is False
    finally:
        target.close()


def test_copy_refuses_a_store_onto_itself(source: LadybugStore) -> None:
    with pytest.raises(InputError, match="same knowledge base"):
        copy_graph(source, source)


def test_neo4j_admin_import_of_the_export_gives_the_same_graph(
    source: LadybugStore, tmp_path: Path
) -> None:
    out = tmp_path / "csv"
    report = export_neo4j_admin(source, out)
    assert report.files["nodes-Model.csv"] == source.counts()["Model"]
    assert set(report.files) == {p.name for p in out.iterdir()}
    assert report.problems == (
        "Model 'o/b': an empty list imports as no value (neo4j-admin cannot write an empty list)",
        "DERIVED_FROM 'o/b' -> 'o/a': a list element contains U+001F; replaced by U+FFFD",
    )
    log = admin_import(tmp_path / "home", out, report.command)
    assert "IMPORT DONE" in log

    expected = contents(source)
    bad = ("DERIVED_FROM", "Model", "o/b", "Model", "o/a")
    expected[bad]["evidence"] = [e.replace("\x1f", "\ufffd") for e in expected[bad]["evidence"]]
    expected[("Model", "o/b")]["architectures"] = None
    with (
        engine(tmp_path / "home") as running,
        Neo4jStore(running.settings, read_only=True) as imported,
    ):
        # a read-only open creates the key constraints the import could not
        shown = imported.cypher("SHOW CONSTRAINTS YIELD name RETURN name ORDER BY name").rows
        assert [r[0] for r in shown] == sorted(f"{n.lower()}_key" for n in KINDS[:6])
        assert contents(imported) == expected
        assert imported.node("Actor", 'evil"\n,name') is not None
        same_answers(source, imported)


def test_export_refuses_a_non_empty_directory(source: LadybugStore, tmp_path: Path) -> None:
    (tmp_path / "stale.csv").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        export_neo4j_admin(source, tmp_path)


def test_every_kind_is_reported() -> None:
    assert KINDS[:2] == ("Model", "Actor") and "USES_MODEL" in KINDS
