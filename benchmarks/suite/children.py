"""What the ``run.py --child ...`` subprocesses do, each in a fresh interpreter so that its
wall time and peak RSS are its own: ingestion into the embedded store or into Neo4j, and the
networkx build of the same graph. Each returns a JSON-able report (``run.py`` prints it)."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Any

from benchmarks.suite.measure import Json, dir_bytes, peak_rss_bytes, proc_memory


def child_ingest(jsonl: Path, db: Path) -> Json:
    from mlsc.graph.ladybug import LadybugStore
    from mlsc.ingest.hub.snapshot import ingest_snapshot

    rss_imports = peak_rss_bytes()
    started = time.perf_counter()
    with LadybugStore(db) as store:
        report = ingest_snapshot(store, jsonl, workers=None)  # as the CLI does
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_bytes": peak_rss_bytes(),
        "peak_rss_main_bytes": proc_memory(os.getpid()).get("peak_rss_bytes"),
        "peak_rss_worker_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "rss_after_imports_bytes": rss_imports,
        "read": report.read,
        "ingested": report.ingested,
        "edges": dict(report.edges),
        "cycles": len(report.cycles),
        "store_bytes": dir_bytes(db),
    }


def child_ingest_neo4j(jsonl: Path) -> Json:
    """Ingest into the Neo4j named by NEO4J_URI/NEO4J_USERNAME/NEO4J_PASSWORD (never argv).

    Peak RSS as in ``peak_rss_bytes``: this process's VmHWM, the parser workers apart."""
    from mlsc.graph.neo4j import Neo4jSettings, Neo4jStore
    from mlsc.ingest.hub.snapshot import ingest_snapshot

    phases: dict[str, float] = {}

    class Timed(Neo4jStore):
        def write(self, batch: Any) -> Any:
            started = time.perf_counter()
            try:
                return super().write(batch)
            finally:
                phases["write"] = time.perf_counter() - started

        def derivation_cycles(self) -> list[tuple[str, ...]]:
            started = time.perf_counter()
            try:
                return super().derivation_cycles()
            finally:
                phases["cycles"] = time.perf_counter() - started

    rss_imports = peak_rss_bytes()
    started = time.perf_counter()
    with Timed(Neo4jSettings.from_env()) as store:
        report = ingest_snapshot(store, jsonl, workers=None)  # as the CLI does
    seconds = time.perf_counter() - started
    phases["parse_and_open"] = seconds - sum(phases.values())
    return {
        "seconds": seconds,
        "phases_seconds": phases,
        "client_peak_rss_bytes": peak_rss_bytes(),
        "client_worker_peak_rss_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        * 1024,
        "rss_after_imports_bytes": rss_imports,
        "read": report.read,
        "ingested": report.ingested,
        "edges": dict(report.edges),
        "cycles": len(report.cycles),
    }


def child_networkx(jsonl: Path) -> Json:
    from benchmarks.nxbaseline import networkx_baseline

    rss_imports = peak_rss_bytes()
    started = time.perf_counter()
    graph = networkx_baseline(jsonl)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_bytes": peak_rss_bytes(),
        "rss_after_imports_bytes": rss_imports,
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
    }
