"""Benchmark blast radius into applications: a hub-shaped graph of N models (hubgen, as in
``run.py``), then A applications attached with ``USES_MODEL`` edges to models chosen with
a realistic skew (a Zipf law over the models ranked by downloads: popular models are used by
many applications), and the blast radius of the widest hub measured without and with them.

For each of: the widest hub (most descendants) and the hub with the most downloads, it
times (1 warm-up + 5 runs, median and min) ``blast_radius`` before the applications are
attached, after, after with ``--since``, and the read of the applications alone
(``uses_of`` over the affected ids), on the embedded store (LadybugDB).

Usage: ``python benchmarks/applications.py [--size 1000000] [--apps 100000] [--out DIR]
[--reuse]``; prints a table and writes ``OUT/applications-<size>.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SINCE = "2026-01-01"


def attach(store: Any, n_apps: int, seed: int) -> dict[str, Any]:
    """Write ``n_apps`` applications using 1 to 8 models each (geometric, mean ~2.2), models
    drawn by a Zipf law (s = 1.1) over the models ranked by downloads; references pinned to a
    commit 30% (half to a commit the knowledge base holds), a tag 10%, nothing 45%, unknown
    (PeaTMOSS-style) 15%."""
    import numpy as np

    from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord

    rng = np.random.default_rng(seed)
    rows = store.read("MATCH (m:Model) RETURN m.id, m.downloads")
    rows.sort(key=lambda r: (-(r[1] or 0), r[0]))
    ids = [r[0] for r in rows]
    shas = {
        m: s for m, s in store.read("MATCH (m:Model)-[:HAS_COMMIT]->(c:Commit) RETURN m.id, c.id")
    }
    ranks = np.arange(1, len(ids) + 1, dtype=np.float64)
    weights = ranks**-1.1
    cumulative = np.cumsum(weights / weights.sum())
    sizes = np.minimum(rng.geometric(0.45, size=n_apps), 8)
    drawn = np.searchsorted(cumulative, rng.random(int(sizes.sum())), side="right")
    drawn = np.minimum(drawn, len(ids) - 1)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    prov = {"source": "benchmark", "observed_at": "2026-01-01T00:00:00Z"}
    edges_total = 0
    started = time.perf_counter()
    batch_nodes: list[NodeRecord] = []
    batch_edges: list[EdgeRecord] = []
    for a in range(n_apps):
        app = f"github.com/app{a % 9973}/service-{a}"
        batch_nodes.append(NodeRecord("CodeRepository", app, {"host": "github.com", **prov}))
        for mi in sorted(set(drawn[starts[a] : starts[a + 1]].tolist())):
            model = ids[mi]
            u = rng.random()
            if u < 0.30:
                sha = shas.get(model) if u < 0.15 else None
                props = {"revision": sha or f"{a:040x}", "revision_kind": "commit", "pinned": True}
            elif u < 0.40:
                props = {"revision": "v1.0", "revision_kind": "tag", "pinned": False}
            elif u < 0.85:
                props = {"revision": None, "revision_kind": "none", "pinned": False}
            else:
                props = {"revision": None, "revision_kind": None, "pinned": None}
            batch_edges.append(
                EdgeRecord(
                    "USES_MODEL", "CodeRepository", app, "Model", model,
                    {**props, "file": "app.py", "line": 1, "references": 1,
                     "evidence": ["python"], "confidence": 1.0, **prov},
                )
            )  # fmt: skip
        if len(batch_nodes) >= 20_000 or a == n_apps - 1:
            store.write(GraphBatch(batch_nodes, batch_edges))
            edges_total += len(batch_edges)
            batch_nodes, batch_edges = [], []
    return {
        "applications": n_apps,
        "uses_model_edges": edges_total,
        "write_seconds": time.perf_counter() - started,
    }


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(fn: Any, repeat: int = 5) -> tuple[dict[str, float], Any]:
    fn()
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    times.sort()
    return {"median": times[len(times) // 2], "min": times[0]}, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=1_000_000, help="models (default 1M)")
    parser.add_argument("--apps", type=int, default=100_000, help="applications (default 100k)")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="working directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reuse", action="store_true", help="reuse the generated records")
    args = parser.parse_args(argv)
    from hubgen import write

    from mlsc.graph.ladybug import LadybugStore
    from mlsc.graph.reads_code import uses_of
    from mlsc.ingest.hub.snapshot import ingest_snapshot
    from mlsc.queries import blast_radius, top_models

    args.out.mkdir(parents=True, exist_ok=True)
    jsonl = args.out / f"hubgen-apps-{args.size}.jsonl"
    if not (args.reuse and jsonl.exists()):
        write(args.size, jsonl, seed=args.seed)
    db = args.out / f"kb-apps-{args.size}"
    shutil.rmtree(db, ignore_errors=True)
    result: dict[str, Any] = {"size": args.size}
    with LadybugStore(db) as store:
        started = time.perf_counter()
        ingest_snapshot(store, jsonl, workers=None)
        result["ingest_seconds"] = time.perf_counter() - started
        say(f"ingested in {result['ingest_seconds']:.1f} s")
        widest = top_models(store, 1)[0].id
        popular = store.read("MATCH (m:Model) RETURN m.id ORDER BY m.downloads DESC, m.id LIMIT 1")
        hubs = {"widest": widest, "most_downloaded": popular[0][0]}
        say(f"hubs: {hubs}")
        before = {k: timed(lambda h=h: blast_radius(store, h)) for k, h in hubs.items()}
        say("timed without applications")
        result["attach"] = attach(store, args.apps, args.seed)
        say(f"attached: {result['attach']}")
        queries: dict[str, Any] = {}
        for key, hub in hubs.items():
            t_with, br = timed(lambda h=hub: blast_radius(store, h))
            t_since, br_since = timed(lambda h=hub: blast_radius(store, h, since=SINCE))
            ids = [a.id for a in br.affected]
            t_uses, uses = timed(lambda i=ids: uses_of(store, i))
            t_json, _ = timed(lambda b=br: json.dumps(b.to_json()))
            say(f"timed {key}")
            queries[key] = {
                "hub": hub,
                "affected": br.count,
                "applications": len(br.applications),
                "exposed": br.exposed,
                "exposed_since": br_since.exposed,
                "uses_model_edges_read": len(uses),
                "without_applications": before[key][0],
                "with_applications": t_with,
                "with_applications_since": t_since,
                "uses_of": t_uses,
                "to_json": t_json,
            }
        result["queries"] = queries
    (args.out / f"applications-{args.size}.json").write_text(json.dumps(result, indent=2))
    print(f"{args.size:,} models, ingest {result['ingest_seconds']:.1f} s; "
          f"{result['attach']['applications']:,} applications, "
          f"{result['attach']['uses_model_edges']:,} USES_MODEL edges written in "
          f"{result['attach']['write_seconds']:.1f} s")  # fmt: skip
    print(f"{'hub':<12} {'affected':>9} {'apps':>7} {'exposed':>8} {'since':>7} "
          f"{'without':>9} {'with':>9} {'since':>9} {'uses_of':>9} {'json':>9}")  # fmt: skip
    for key, q in result["queries"].items():
        ms = [q[k]["median"] * 1000 for k in (
            "without_applications", "with_applications", "with_applications_since",
            "uses_of", "to_json")]  # fmt: skip
        print(f"{key:<12} {q['affected']:>9,} {q['applications']:>7,} {q['exposed']:>8,} "
              f"{q['exposed_since']:>7,} " + " ".join(f"{m:>7.1f}ms" for m in ms))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.path[0:0] = [str(HERE), str(REPO)]
    raise SystemExit(main())
