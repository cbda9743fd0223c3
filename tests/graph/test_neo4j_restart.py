"""A Neo4j server that restarts in the middle of an ingestion: the driver retries the
batches, and a re-run completes with exactly the graph of an uninterrupted ingestion.

Runs on a private engine (tests/neo4j_engine.py) so the shared dev server stays up.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from benchmarks.hubgen import write as write_hub
from mlsc.errors import StoreUnavailableError
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.neo4j import Neo4jStore
from mlsc.graph.schema import EDGE_TYPES
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.ingest.interface import IngestReport
from tests.neo4j_engine import Engine, require_launcher

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

MODELS = 30_000


def duplicate_edges(store: Neo4jStore) -> int:
    total = 0
    for etype in EDGE_TYPES:
        rows = store.cypher(
            f"MATCH (a)-[r:{etype.type}]->(b) WITH a, b, count(r) AS n WHERE n > 1 RETURN count(*)"
        ).rows
        total += rows[0][0]
    return total


def test_ingestion_survives_a_server_restart_and_a_rerun_adds_nothing_twice(
    tmp_path: Path,
) -> None:
    require_launcher()
    snapshot = tmp_path / "hub.jsonl"
    write_hub(MODELS, snapshot, seed=7)
    with LadybugStore(tmp_path / "reference") as reference:
        ingest_snapshot(reference, snapshot)
        expected = reference.counts()

    engine = Engine(tmp_path / "home")
    engine.start()
    try:
        outcome: dict[str, IngestReport | Exception] = {}

        def ingest() -> None:
            try:
                with Neo4jStore(engine.settings) as store:
                    outcome["report"] = ingest_snapshot(store, snapshot)
            except Exception as exc:  # the outcome is asserted below
                outcome["error"] = exc

        worker = threading.Thread(target=ingest)
        worker.start()
        with Neo4jStore(engine.settings, read_only=True) as probe:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and worker.is_alive():
                if probe.cypher("MATCH (m:Model) RETURN count(*)").rows[0][0] >= 5_000:
                    break
                time.sleep(0.2)
            written_before = probe.counts()
        assert worker.is_alive(), "the ingestion finished before the restart: make it bigger"
        engine.stop()  # mid-ingestion: the writer sees a dead connection ...
        engine.start()  # ... and its retries reach the restarted server
        worker.join(600)
        assert not worker.is_alive()
        # The driver retried through the restart; a failure would have to be a clear one.
        error = outcome.get("error")
        assert error is None or isinstance(error, StoreUnavailableError), repr(error)
        assert written_before["Model"] < expected["Model"]

        with Neo4jStore(engine.settings) as store:
            rerun = ingest_snapshot(store, snapshot)
            assert rerun.ingested == MODELS
            assert store.counts() == expected
            assert duplicate_edges(store) == 0
        if error is None:
            first = outcome["report"]
            assert isinstance(first, IngestReport)
            # The same report, but for how many nodes were new: a batch that committed just
            # before the connection died is retried, and its nodes then count as updated.
            a, b = first.to_json(), rerun.to_json()
            assert a.pop("nodes_created") + a.pop("nodes_updated") == b.pop("nodes_updated")
            assert b.pop("nodes_created") == 0
            assert a == b
    finally:
        engine.stop()
