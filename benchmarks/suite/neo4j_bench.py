"""The same workload on Neo4j, beside the embedded store: a private engine per size
(``tests/neo4j_engine.py``, a fresh home under ``--out``; the shared dev server of ``make
neo4j-up`` is never touched), ingestion in a subprocess, the same queries on a
``Neo4jStore``, every answer's JSON compared with the embedded store's."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.suite.answers import (
    full_blast,
    full_lineage,
    full_reach,
    mlsc_blast,
    mlsc_lineage,
    mlsc_reach,
)
from benchmarks.suite.measure import Json, dir_bytes, proc_memory, run_child, timed
from benchmarks.suite.merge_heavy import path_explosion
from benchmarks.suite.neo4j_import import first_load
from benchmarks.suite.report import Row, fmt_bytes, fmt_ratio, fmt_seconds, fmt_timing, say
from benchmarks.suite.targets import NEO4J_HEAP, NEO4J_PAGECACHE, NEO4J_TARGETS, REPEAT, WARMUP

if TYPE_CHECKING:
    from benchmarks.suite.sizerun import SizeRun
    from tests.neo4j_engine import Engine


@dataclass
class Neo4jOptions:
    heap: str = NEO4J_HEAP
    pagecache: str = NEO4J_PAGECACHE


def neo4j_launcher() -> str | None:
    """Why a private Neo4j engine cannot run here, or None when it can."""
    from tests.neo4j_engine import JAR

    if not shutil.which("java"):
        return "java is not on PATH"
    if not JAR.is_file():
        return f"{JAR} is missing (`make neo4j-up` builds it)"
    return None


@contextmanager
def private_neo4j(home: Path, heap: str, pagecache: str, *, fresh: bool) -> Iterator[Engine]:
    """A private engine on ``home`` (emptied first if ``fresh``), stopped on exit whatever
    happens. The shared dev server (`make neo4j-up`) is never touched."""
    from tests.neo4j_engine import Engine

    if fresh:
        shutil.rmtree(home, ignore_errors=True)
        home.with_name(home.name + ".log").unlink(missing_ok=True)
    engine = Engine(home, heap=heap, pagecache=pagecache)
    engine.start()  # stops the process itself if it does not come up
    try:
        yield engine
    finally:
        engine.stop()


def engine_env(engine: Engine) -> dict[str, str]:
    """The engine's settings as the environment Neo4jSettings.from_env reads (the password
    goes to the child by environment, never on its command line)."""
    s = engine.settings
    return {
        "NEO4J_URI": s.uri,
        "NEO4J_USERNAME": s.user,
        "NEO4J_PASSWORD": s.password,
        "NEO4J_DATABASE": s.database,
    }


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def same_json(embedded: Json, neo4j: Json) -> Json:
    """Whether two answers' JSON is identical; digests, and which keys differ if not."""
    ok = embedded == neo4j
    out: Json = {"ok": ok, "embedded_sha256": digest(embedded), "neo4j_sha256": digest(neo4j)}
    if not ok:
        out["differing_keys"] = sorted(
            k for k in embedded.keys() | neo4j.keys() if embedded.get(k) != neo4j.get(k)
        )
    return out


def run_neo4j(run: SizeRun, jsonl: Path, db: Path, gen: Json, opts: Neo4jOptions) -> None:
    """The same ingestion and queries on a private Neo4j engine, beside the embedded
    store's figures, checking every answer's JSON against the embedded store's."""
    res: Json = run.result.setdefault("neo4j", {})
    home = run.out / f"neo4j-{run.stem}"
    meta = run.out / f"neo4j-{run.stem}.ingest.json"
    reuse = run.reuse and home.is_dir() and meta.is_file()
    res["engine"] = {"heap": opts.heap, "pagecache": opts.pagecache, "home": str(home)}
    say(f"[{run.n:,}] starting a private Neo4j (heap {opts.heap}, page cache {opts.pagecache}) ...")
    with private_neo4j(home, opts.heap, opts.pagecache, fresh=not reuse) as engine:
        if reuse:
            ing: Json = json.loads(meta.read_text())
            ing["reused"] = True
        else:
            meta.unlink(missing_ok=True)
            say(f"[{run.label}] ingesting into Neo4j (subprocess) ...")
            ing = run_child(
                ["--child", "ingest-neo4j", "--jsonl", str(jsonl)], env=engine_env(engine)
            )
            jvm = proc_memory(engine.pid)
            ing["jvm_peak_rss_bytes"] = jvm.get("peak_rss_bytes")
            ing["jvm_rss_bytes"] = jvm.get("rss_bytes")
            ing["store_bytes"] = dir_bytes(home)
            meta.write_text(json.dumps(ing, indent=2))
            ing["reused"] = False
        res["ingest"] = ing
        emb = run.result.get("ingest") or {}
        expected = [run.n, sum(gen["edges"].values())]
        r = Row("ingest wall time")
        r.mlsc = fmt_seconds(emb.get("seconds"))
        r.nx = fmt_seconds(ing["seconds"]) + (" (reused)" if ing.get("reused") else "")
        if emb.get("seconds"):
            r.ratio = fmt_ratio(ing["seconds"], emb["seconds"])
        r.check = neo4j_check(
            run, "ingest_counts", [ing["ingested"], sum(ing["edges"].values())] == expected
        )
        r.target = f"<= {NEO4J_TARGETS['neo4j_ingest_seconds']:.0f} s"
        r.verdict = run.verdict(
            "neo4j_ingest_seconds", ing["seconds"] <= NEO4J_TARGETS["neo4j_ingest_seconds"]
        )
        run.neo4j_rows.append(r)
        phases = ing.get("phases_seconds")
        if phases:
            run.neo4j_rows.append(
                Row(
                    "  parse / write / cycles",
                    "",
                    " / ".join(
                        fmt_seconds(phases.get(k)) for k in ("parse_and_open", "write", "cycles")
                    ),
                )
            )
        run.neo4j_rows.append(
            Row(
                "ingest peak RSS: Python / JVM",
                fmt_bytes(emb.get("peak_rss_bytes")),
                f"{fmt_bytes(ing.get('client_peak_rss_bytes'))} / "
                f"{fmt_bytes(ing.get('jvm_peak_rss_bytes'))}",
            )
        )
        run.neo4j_rows.append(
            Row(
                "store on disk",
                fmt_bytes(emb.get("store_bytes")),
                fmt_bytes(ing.get("store_bytes")),
            )
        )
        say(f"[{run.n:,}] the same queries on Neo4j ({WARMUP} warm-up + {REPEAT} timed each) ...")
        neo4j_queries(run, engine, db)
        res["jvm_after_queries"] = proc_memory(engine.pid)
    if not run.merge_heavy:
        first_load(run, db, opts)


def neo4j_check(run: SizeRun, name: str, ok: bool, detail: Json | None = None) -> str:
    run.result["neo4j"].setdefault("checks", {})[name] = {"ok": ok, **(detail or {})}
    return "OK" if ok else "MISMATCH"


def neo4j_queries(run: SizeRun, engine: Engine, db: Path) -> None:
    subj = run.result["subjects"]
    Case = tuple[str, str, Callable[[Any, str], Any], Callable[[Any, str], Json], str, bool]
    cases: list[Case]
    if run.merge_heavy:
        cases = [
            ("blast_hub", "blast radius, hub", mlsc_blast, full_blast, subj["hub"], True),
            (
                "lineage_most_merged",
                "lineage, most-merged model",
                mlsc_lineage,
                full_lineage,
                subj["most_merged"],
                False,
            ),
        ]
        return neo4j_cases(run, engine, db, cases)
    hubs = [("hub_most_children", "most children"), ("hub_most_descendants", "most desc.")]
    if subj["hub_most_children"] == subj["hub_most_descendants"]:
        hubs = [("hub_most_descendants", "most children+desc.")]
    cases = [
        (
            "lineage_deep_leaf",
            f"lineage deep leaf (depth {subj['deep_leaf_depth']})",
            mlsc_lineage,
            full_lineage,
            subj["deep_leaf"],
            False,
        ),
        *(
            (
                f"blast_{key}",
                f"blast radius, hub {label}",
                mlsc_blast,
                full_blast,
                subj[key],
                True,
            )
            for key, label in hubs
        ),
        *(
            (f"reach_{key}", f"reach {subj[key]}", mlsc_reach, full_reach, subj[key], False)
            for key in ("org_most_models", "org_widest_reach")
        ),
    ]
    neo4j_cases(run, engine, db, cases)


def neo4j_cases(run: SizeRun, engine: Engine, db: Path, cases: list[Any]) -> None:
    from mlsc.graph.ladybug import LadybugStore
    from mlsc.graph.neo4j import Neo4jStore

    res = run.result["neo4j"]
    embedded_times = run.result.get("queries", {})
    nq: Json = res.setdefault("queries", {})
    with LadybugStore(db, read_only=True) as embedded:
        answers = {key: full(embedded, target) for key, _, _, full, target, _ in cases}
    target_s = NEO4J_TARGETS["neo4j_hub_blast_radius_seconds"]
    with Neo4jStore(engine.settings, read_only=True) as store:
        # A process that asks twice about one database state builds the lineage index
        # it then keeps while the database is unchanged (mlsc/graph/neo4j/lineage.py):
        # the build, timed alone, once (the first ask only looks the seeds up).
        store.indexed([])
        started = time.perf_counter()
        store.indexed([])
        res["lineage_index_build_seconds"] = time.perf_counter() - started
        run.neo4j_rows.append(
            Row(
                "lineage index build (once per process)",
                "",
                fmt_seconds(res["lineage_index_build_seconds"]),
            )
        )
        for key, label, summary, full, target, is_hub in cases:
            t_neo, _ = timed(partial(summary, store, target))
            same = same_json(answers[key], full(store, target))
            nq[key] = {"target": target, "neo4j": t_neo}
            ours = embedded_times.get(key, {}).get("mlsc")
            answer = answers[key]
            count = answer.get("count", answer.get("total"))
            if "ancestors" in answer:
                label += f" ({len(answer['ancestors']):,} up, {len(answer['descendants']):,} down)"
            elif isinstance(count, int):
                label += f" ({count:,})"
            run.neo4j_rows.append(
                Row(
                    label,
                    fmt_timing(ours),
                    fmt_timing(t_neo),
                    fmt_ratio(t_neo["median"], ours["median"]) if ours else "",
                    "same JSON" if neo4j_check(run, key, same["ok"], same) == "OK" else "DIFFERENT",
                    f"<= {target_s * 1000:.0f} ms" if is_hub else "",
                    run.verdict(f"neo4j_{key}_seconds", t_neo["median"] <= target_s)
                    if is_hub
                    else "",
                )
            )
        if run.merge_heavy:
            path_explosion(run, store)
