"""Benchmark mlsc against its targets, on hub-shaped graphs of 100k and 1M models.

For each size N (``--sizes``, default 100000,1000000) this script

1. generates N Hub API records as JSON Lines with ``hubgen`` (cached in ``--out``; not timed
   as a target);
2. ingests them into a fresh LadybugStore in a fresh subprocess (wall time, and peak RSS read
   with ``getrusage`` at the end of that process, children included), and builds the same
   graph with networkx (``nxbaseline.networkx_baseline``), also in a fresh subprocess;
3. runs the queries in this process on the store opened read-only, each 1 warm-up + 5 timed
   runs (median and min), beside the same work done with networkx on the same graph, and
   checks that both give the same counts: lineage of the deepest leaf, blast radius of the
   hub with the most direct children and of the hub with the most descendants, maintainer
   reach of the organisation owning the most models and of the one reaching the most;
4. runs ``mlsc blast-radius HUB --db DIR -f json`` end to end as a subprocess (1 warm-up +
   5 runs, median).

5. with ``--neo4j`` (the default when java and the launcher jar are there), starts a private
   Neo4j engine per size (``tests/neo4j_engine.py``, a fresh home under ``--out``), ingests
   the same file into it with ``ingest_snapshot(Neo4jStore(...), file)`` in a fresh
   subprocess (wall time; the JVM's peak RSS from ``/proc/<pid>/status``), runs the same
   queries on the Neo4jStore, checks that every answer's JSON equals the embedded store's,
   and prints the Neo4j times beside the embedded ones with their ratio;
6. generates a *merge-heavy* graph (``--merge-heavy N``, hubgen's variant with merges of
   merges many levels deep) and measures blast radius and lineage on both stores, the exact
   number of derivation paths (networkx), and on Neo4j a naive variable-length Cypher query
   counting paths against one counting distinct models, each with a time limit.

It prints a table per size and writes everything as JSON to ``OUT/results-<date>.json``.
Targets are judged at 1M only (PASS/MISS); nothing is asserted, the exit status is 0.

Usage: ``python benchmarks/run.py [--sizes 100000,1000000] [--out DIR] [--reuse]
[--no-neo4j] [--merge-heavy N]``
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "out"
# benchmarks, mlsc and tests.neo4j_engine from this checkout (also when the venv's editable
# install of mlsc is another checkout)
sys.path[0:0] = [str(REPO)]

from benchmarks.suite.children import (  # noqa: E402
    child_ingest,
    child_ingest_neo4j,
    child_networkx,
)
from benchmarks.suite.measure import Json, environment  # noqa: E402
from benchmarks.suite.neo4j_bench import Neo4jOptions, neo4j_launcher  # noqa: E402
from benchmarks.suite.report import fmt_bytes, print_table, say  # noqa: E402
from benchmarks.suite.sizerun import SizeRun  # noqa: E402
from benchmarks.suite.targets import (  # noqa: E402
    MERGE_HEAVY_N,
    NEO4J_HEAP,
    NEO4J_PAGECACHE,
    NEO4J_TARGETS,
    PATH_TIMEOUT,
    REPEAT,
    TARGET_N,
    TARGETS,
    WARMUP,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        default=f"100000,{TARGET_N}",
        help="comma-separated model counts (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="working directory")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse generated files and ingested stores"
    )
    parser.add_argument("--seed", type=int, default=0, help="hubgen seed (default: 0)")
    parser.add_argument(
        "--neo4j",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run the workload on a private Neo4j engine (default: when java and the "
        "launcher jar are there); --no-neo4j skips it",
    )
    parser.add_argument(
        "--neo4j-heap", default=NEO4J_HEAP, help="JVM heap of the engine (default: %(default)s)"
    )
    parser.add_argument(
        "--neo4j-pagecache",
        default=NEO4J_PAGECACHE,
        help="page cache of the engine (default: %(default)s)",
    )
    parser.add_argument(
        "--merge-heavy",
        type=int,
        default=MERGE_HEAVY_N,
        metavar="N",
        help="models in the merge-heavy graph (default: %(default)s; 0 skips it)",
    )
    parser.add_argument(
        "--path-timeout",
        type=float,
        default=PATH_TIMEOUT,
        help="seconds each naive path-counting query may run (default: %(default)s)",
    )
    parser.add_argument(
        "--child", choices=("ingest", "ingest-neo4j", "networkx"), help=argparse.SUPPRESS
    )
    parser.add_argument("--jsonl", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "ingest":
        print(json.dumps(child_ingest(args.jsonl, args.db)))
        return 0
    if args.child == "ingest-neo4j":
        print(json.dumps(child_ingest_neo4j(args.jsonl)))
        return 0
    if args.child == "networkx":
        print(json.dumps(child_networkx(args.jsonl)))
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    out: Path = args.out.resolve()
    started = datetime.now()
    why_not = neo4j_launcher() if args.neo4j is not False else "--no-neo4j"
    if why_not and args.neo4j:
        say(f"Neo4j asked for but cannot run: {why_not}")
    neo4j = Neo4jOptions(args.neo4j_heap, args.neo4j_pagecache) if not why_not else None
    results: Json = {
        "started": started.isoformat(timespec="seconds"),
        "environment": environment(),
        "targets": {"at_models": TARGET_N, **TARGETS, **NEO4J_TARGETS},
        "warmup": WARMUP,
        "repeat": REPEAT,
        "neo4j": {"enabled": neo4j is not None, "why_not": why_not},
        "sizes": [],
    }
    path = out / f"results-{started:%Y-%m-%d}.json"
    runs = []
    plan = [(n, False) for n in sizes]
    if args.merge_heavy > 0:
        plan.append((args.merge_heavy, True))
    for n, heavy in plan:
        size_run = SizeRun(
            n,
            out,
            args.seed,
            args.reuse,
            neo4j=neo4j,
            merge_heavy=heavy,
            path_timeout=args.path_timeout,
        )
        try:
            size_run.run()
        except Exception as exc:
            size_run.result.setdefault("errors", []).append(f"{type(exc).__name__}: {exc}")
            say(f"[{size_run.stem}] FAILED: {type(exc).__name__}: {exc}")
        runs.append(size_run)
        if heavy:
            results["merge_heavy"] = size_run.result
        else:
            results["sizes"].append(size_run.result)
        results["seconds"] = (datetime.now() - started).total_seconds()
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2) + "\n")  # after each size: a long run

    env = results["environment"]
    print(
        f"mlsc benchmarks, {results['started']}, commit {env['git_commit']}"
        f"{' (dirty)' if env['git_dirty'] else ''}, Python {env['python']}, "
        f"{env['cpus']} CPUs, {fmt_bytes(env['memory_bytes'])} RAM; "
        f"queries: median (min) of {REPEAT} runs after {WARMUP} warm-up"
    )
    if why_not:
        print(f"Neo4j not run: {why_not}")
    for size_run in runs:
        print_table(size_run)
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
