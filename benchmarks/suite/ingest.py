"""Ingestion: the JSON Lines into a fresh LadybugStore and, for comparison, into a networkx
graph, each in a fresh subprocess (``run.py --child ingest`` / ``--child networkx``) so that
its wall time and peak RSS are its own; the counts checked against the generator's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.suite.measure import Json, run_child
from benchmarks.suite.report import Row, fmt_bytes, fmt_ratio, fmt_seconds, say
from benchmarks.suite.targets import TARGETS

if TYPE_CHECKING:
    from benchmarks.suite.sizerun import SizeRun


def ingest_store(run: SizeRun, jsonl: Path, db: Path) -> Json:
    """Ingest ``jsonl`` into a fresh store ``db`` in a ``--child ingest`` subprocess; with
    ``--reuse``, the measurement saved beside a kept store instead."""
    meta = run.out / f"kb-{run.stem}.ingest.json"
    if run.reuse and db.exists() and meta.exists():
        saved: Json = json.loads(meta.read_text())
        saved["reused"] = True
        return saved
    meta.unlink(missing_ok=True)
    shutil.rmtree(db, ignore_errors=True)
    report = run_child(["--child", "ingest", "--jsonl", str(jsonl), "--db", str(db)])
    meta.write_text(json.dumps(report, indent=2))
    report["reused"] = False
    return report


def ingest_phase(run: SizeRun, jsonl: Path, db: Path, gen: Json) -> Json | None:
    """Ingestion into the embedded store and the networkx build, each in a subprocess;
    their rows. The ingestion's report, or None when it failed."""
    res = run.result
    expected_edges = sum(gen["edges"].values())

    say(f"[{run.label}] ingesting into a fresh LadybugStore (subprocess) ...")
    try:
        ing = res["ingest"] = ingest_store(run, jsonl, db)
    except Exception as exc:
        res["errors"].append(f"ingest: {exc}")
        say(f"[{run.label}] ingestion FAILED: {exc}")
        ing = None
    say(f"[{run.label}] building the networkx graph (subprocess) ...")
    try:
        nxb = res["networkx_build"] = run_child(["--child", "networkx", "--jsonl", str(jsonl)])
    except Exception as exc:
        res["errors"].append(f"networkx build: {exc}")
        nxb = None

    r = Row("ingest wall time")
    if ing:
        r.mlsc = fmt_seconds(ing["seconds"]) + (" (reused)" if ing.get("reused") else "")
        r.check = run.check(
            "ingest_counts",
            [ing["ingested"], sum(ing["edges"].values())],
            [run.n, expected_edges],
        )
        r.target = f"<= {TARGETS['ingest_seconds']:.0f} s"
        r.verdict = run.verdict("ingest_seconds", ing["seconds"] <= TARGETS["ingest_seconds"])
    if nxb:
        r.nx = fmt_seconds(nxb["seconds"])
        if ing:
            r.ratio = fmt_ratio(nxb["seconds"], ing["seconds"])
    run.rows.append(r)
    if ing and nxb and not ing.get("reused"):
        times = ing["seconds"] / nxb["seconds"]
        run.rows.append(
            Row(
                "ingest time / networkx build time",
                f"{times:.2f}x",
                target=f"<= {TARGETS['ingest_vs_networkx']:g}x",
                verdict=run.verdict("ingest_vs_networkx", times <= TARGETS["ingest_vs_networkx"]),
            )
        )
    r = Row("ingest peak RSS")
    if ing:
        r.mlsc = fmt_bytes(ing["peak_rss_bytes"])
        r.target = f"<= {fmt_bytes(TARGETS['peak_rss_bytes'])}"
        r.verdict = run.verdict(
            "ingest_peak_rss", ing["peak_rss_bytes"] <= TARGETS["peak_rss_bytes"]
        )
    if nxb:
        r.nx = fmt_bytes(nxb["peak_rss_bytes"])
    run.rows.append(r)
    if ing:
        run.rows.append(Row("store on disk", fmt_bytes(ing["store_bytes"])))
    return ing
