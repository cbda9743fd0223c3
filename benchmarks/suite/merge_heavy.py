"""The merge-heavy graph (hubgen's variant with merges of merges many levels deep): blast
radius of the hub and lineage of the most-merged model on the embedded store beside
networkx, which counts the derivation paths exactly; then, on Neo4j, the naive
variable-length Cypher a user might write, each query stopped after a time limit."""

from __future__ import annotations

import gc
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.suite.answers import mlsc_blast, mlsc_lineage
from benchmarks.suite.measure import Json, timed
from benchmarks.suite.report import Row, fmt_ratio, fmt_timing, say
from benchmarks.suite.targets import REPEAT, WARMUP

if TYPE_CHECKING:
    from benchmarks.suite.sizerun import SizeRun
    from mlsc.graph.store import GraphStore


def merge_heavy_queries(run: SizeRun, jsonl: Path, db: Path, gen: Json) -> None:
    """Blast radius of the model with the most descendants and lineage of the model with
    the most derivation paths up to it, on the embedded store and in networkx; the exact
    number of paths from networkx."""
    from benchmarks.nxbaseline import (
        count_paths,
        most_descendants,
        networkx_baseline,
        nx_blast,
        nx_lineage,
    )
    from mlsc.graph.ladybug import LadybugStore

    res = run.result
    say(f"[{run.label}] loading the networkx graph, counting paths ...")
    graph = networkx_baseline(jsonl)
    hub, n_desc = most_descendants(graph)
    started = time.perf_counter()
    total, per_model = count_paths(graph, hub)
    counted = time.perf_counter() - started
    most = max((m for m in per_model if m != hub), key=lambda m: (per_model[m], m))
    res["subjects"] = {
        "hub": hub,
        "hub_descendants": n_desc,
        "paths_to_hub": total,
        "paths_to_hub_digits": len(str(total)),
        "paths_counted_seconds": counted,
        "most_merged": most,
        "most_merged_paths_to_hub": per_model[most],
        "max_merge_levels": gen.get("max_merge_levels"),
    }
    gc.collect()
    gc.freeze()
    q: Json = res.setdefault("queries", {})
    say(f"[{run.label}] queries ({WARMUP} warm-up + {REPEAT} timed each) ...")
    try:
        with LadybugStore(db, read_only=True) as store:
            for key, label, ours_fn, theirs_fn, target in (
                ("blast_hub", f"blast radius, hub ({n_desc + 1:,})", mlsc_blast, nx_blast, hub),
                (
                    "lineage_most_merged",
                    "lineage, most-merged model",
                    mlsc_lineage,
                    nx_lineage,
                    most,
                ),
            ):
                t_ml, ours = timed(partial(ours_fn, store, target))
                t_nx, theirs = timed(partial(theirs_fn, graph, target))
                q[key] = {"target": target, "mlsc": t_ml, "networkx": t_nx}
                if key == "lineage_most_merged":
                    label += f" ({ours['ancestors']:,} ancestors)"
                run.rows.append(
                    Row(
                        label,
                        fmt_timing(t_ml),
                        fmt_timing(t_nx),
                        fmt_ratio(t_nx["median"], t_ml["median"]),
                        run.check(key, ours, theirs),
                    )
                )
    except Exception as exc:
        res["errors"].append(f"queries: {type(exc).__name__}: {exc}")
        say(f"[{run.label}] queries FAILED: {type(exc).__name__}: {exc}")
    finally:
        gc.unfreeze()


def path_explosion(run: SizeRun, store: GraphStore) -> None:
    """What a naive variable-length query does on merges of merges: counting paths walks
    every one of them; counting distinct models may not (the planner can prune)."""
    subj = run.result["subjects"]
    hub = {"id": subj["hub"]}
    limit = run.path_timeout
    say(f"[{run.label}] naive Cypher on Neo4j (each stopped after {limit:.0f} s) ...")
    out: Json = run.result["neo4j"].setdefault("naive_cypher", {})
    match = "MATCH p = (d:Model)-[:DERIVED_FROM*]->(h:Model {id: $id}) "
    out["distinct_query"] = match.replace("p = ", "") + "RETURN count(DISTINCT d)"
    out["paths_query"] = match + "RETURN count(p)"
    out["distinct"] = neo4j_count(store, out["distinct_query"], hub, limit)
    out["paths"] = neo4j_count(store, out["paths_query"], hub, limit)
    # how the path count grows with the length allowed, up to the first timeout
    growth = out["paths_by_max_length"] = []
    for k in range(1, 64):
        query = match.replace("*]", f"*1..{k}]") + "RETURN count(p)"
        c = neo4j_count(store, query, hub, limit)
        growth.append({"max_length": k, **c})
        if c["timed_out"] or (growth[-2:-1] and growth[-2]["count"] == c["count"]):
            break
    run.paths_summary = out


def neo4j_count(store: GraphStore, query: str, params: Json, timeout: float) -> Json:
    """Run a counting Cypher query with a time limit: the count and seconds, or a timeout."""
    from mlsc.errors import QueryTimeoutError

    started = time.perf_counter()
    try:
        rows = store.cypher(query, params, timeout=timeout).rows
    except QueryTimeoutError:
        return {"timed_out": True, "seconds": time.perf_counter() - started, "limit": timeout}
    return {"timed_out": False, "seconds": time.perf_counter() - started, "count": rows[0][0]}
