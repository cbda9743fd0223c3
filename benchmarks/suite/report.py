"""What the benchmark shows: progress messages, number formatting, rows and tables.

Timings of repeated runs are shown as "median (min)"; ratios as "theirs / ours" (above 1,
mlsc is faster)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks.suite.measure import Json
from benchmarks.suite.targets import TARGET_N

if TYPE_CHECKING:
    from benchmarks.suite.sizerun import SizeRun


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 0.001:
        return f"{s * 1e6:.0f} µs"
    if s < 1.0:
        return f"{s * 1000:.1f} ms" if s < 0.1 else f"{s * 1000:.0f} ms"
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def fmt_bytes(b: float | None) -> str:
    if b is None:
        return "-"
    if b >= 1024**3:
        return f"{b / 1024**3:.2f} GB"
    return f"{b / 1024**2:.0f} MB"


def fmt_timing(t: Json | None) -> str:
    """Median (min)."""
    if not t:
        return "-"
    return f"{fmt_seconds(t['median'])} ({fmt_seconds(t['min'])})"


def fmt_ratio(theirs: float, ours: float) -> str:
    """networkx / mlsc: above 1, mlsc is faster."""
    x = theirs / ours if ours > 0 else float("inf")
    return f"{x:.0f}x" if x >= 10 else f"{x:.1f}x" if x >= 1 else f"{x:.2g}x"


def fmt_count(c: Json) -> str:
    if c.get("timed_out"):
        return f"timed out after {c['limit']:.0f} s"
    return f"{c['count']:,} in {fmt_seconds(c['seconds'])}"


@dataclass
class Row:
    what: str
    mlsc: str = "-"
    nx: str = "-"
    ratio: str = ""
    check: str = ""
    target: str = ""
    verdict: str = ""
    ig: str = ""
    """igraph's timing of the same work (second baseline), where measured."""
    ig_ratio: str = ""


def print_rows(header: Row, body: list[Row]) -> None:
    rows = [header, *body]
    cols: tuple[str, ...] = ("what", "mlsc", "nx", "ratio", "check", "target", "verdict")
    if any(r.ig for r in body):
        cols = ("what", "mlsc", "nx", "ratio", "ig", "ig_ratio", "check", "target", "verdict")
    widths = [max(len(getattr(r, c)) for r in rows) for c in cols]
    for i, r in enumerate(rows):
        cells = [getattr(r, c).ljust(w) for c, w in zip(cols, widths, strict=True)]
        print("  " + "  ".join(cells).rstrip())
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))


def print_table(run: SizeRun) -> None:
    res = run.result
    gen = res.get("generation", {})
    print()
    print(
        f"== N = {run.n:,} models{' (merge-heavy)' if run.merge_heavy else ''}: "
        f"{fmt_bytes(gen.get('bytes'))} of JSON Lines, "
        f"{sum(gen.get('edges', {}).values()):,} derivation edges "
        + (
            f"({gen['merges']:,} merges, up to {gen['max_merge_levels']} merge levels on a path), "
            if "max_merge_levels" in gen
            else ""
        )
        + f"seed {run.seed} =="
    )
    subj = res.get("subjects")
    if subj and run.merge_heavy:
        print(
            f"  hub                {subj['hub']} ({subj['hub_descendants']:,} descendants, "
            f"{subj['paths_to_hub']:,} derivation paths end at it, per networkx)"
        )
        print(
            f"  most-merged model  {subj['most_merged']} "
            f"({subj['most_merged_paths_to_hub']:,} paths up to the hub)"
        )
    elif subj:
        print(f"  deep leaf          {subj['deep_leaf']} (depth {subj['deep_leaf_depth']})")
        print(
            f"  hub most children  {subj['hub_most_children']} "
            f"({subj['hub_most_children_children']:,} children, per hubgen)"
        )
        print(
            f"  hub most descend.  {subj['hub_most_descendants']} "
            f"({subj['hub_most_descendants_descendants']:,} descendants, per networkx)"
        )
        print(
            f"  org most models    {subj['org_most_models']} "
            f"({subj['org_most_models_models']:,} models, per hubgen)"
        )
        print(
            f"  org widest reach   {subj['org_widest_reach']} "
            f"(reach {subj['org_widest_reach_total']:,}, per networkx)"
        )
    # timings of repeated runs are "median (min)"
    print_rows(
        Row(
            "measure", "mlsc", "networkx", "nx/mlsc", "check", "target", "verdict", "igraph",
            "ig/mlsc",
        ),
        run.rows,
    )  # fmt: skip
    if run.neo4j_rows:
        engine = res.get("neo4j", {}).get("engine", {})
        print(
            f"  -- the same on a private Neo4j (heap {engine.get('heap')}, page cache "
            f"{engine.get('pagecache')}); neo4j/emb. above 1: Neo4j takes longer"
        )
        print_rows(
            Row("measure", "embedded", "neo4j", "neo4j/emb.", "check", "target", "verdict"),
            run.neo4j_rows,
        )
    if run.paths_summary:
        p = run.paths_summary
        print("  -- naive variable-length Cypher on Neo4j, to the hub:")
        print(f"  {p['distinct_query']}: {fmt_count(p['distinct'])}")
        print(f"  {p['paths_query']}: {fmt_count(p['paths'])}")
        print(
            "  paths by longest length allowed: "
            + ", ".join(
                f"*1..{g['max_length']}: "
                + ("timeout" if g["timed_out"] else f"{g['count']:,} ({fmt_seconds(g['seconds'])})")
                for g in p["paths_by_max_length"]
            )
        )
    if not run.judged and not run.merge_heavy:
        print(f"  (targets are judged at {TARGET_N:,} only; verdicts in brackets are indicative)")
    for err in res.get("errors", []):
        print(f"  ERROR {err}")
