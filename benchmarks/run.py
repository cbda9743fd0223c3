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

It prints a table per size and writes everything as JSON to ``OUT/results-<date>.json``.
Targets are judged at 1M only (PASS/MISS); nothing is asserted, the exit status is 0.

Usage: ``python benchmarks/run.py [--sizes 100000,1000000] [--out DIR] [--reuse]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import networkx as nx

    from mlsc.graph.ladybug import LadybugStore

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "out"
TARGET_N = 1_000_000
"""The size at which the targets are judged."""
WARMUP = 1
REPEAT = 5

TARGETS: dict[str, float] = {
    "ingest_seconds": 60.0,
    "peak_rss_bytes": 2 * 1024**3,
    "hub_blast_radius_seconds": 0.100,
    "hub_blast_radius_speedup": 8.0,
    "org_reach_seconds": 0.200,
    "cli_seconds": 2.0,
}

T = TypeVar("T")
Json = dict[str, Any]


# -- helpers ------------------------------------------------------------------------------


def peak_rss_bytes() -> int:
    """Peak RSS of this process and of its waited-for children (the larger), in bytes."""
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) * unit


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


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


def timed(fn: Callable[[], T], repeat: int = REPEAT, warmup: int = WARMUP) -> tuple[Json, T]:
    """Run ``fn`` warmup + repeat times; the timings of the last ``repeat`` and a result."""
    result = fn()
    for _ in range(warmup - 1):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return {"median": statistics.median(times), "min": min(times), "runs": times}, result


def run_child(args: list[str]) -> Json:
    """Run this script in ``--child`` mode in a fresh interpreter; its JSON report."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise RuntimeError(f"child {args[1]} exited {proc.returncode}:\n" + "\n".join(tail))
    report: Json = json.loads(proc.stdout.strip().splitlines()[-1])
    report["process_seconds"] = wall
    return report


def environment() -> Json:
    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
            )
        except OSError:
            return ""
        return done.stdout.strip()

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        mem = 0
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {}
    for name in ("ladybug", "networkx", "orjson", "pyarrow"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_bytes": mem,
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--", "mlsc", "benchmarks")),
        "versions": versions,
    }


# -- child processes (ingestion, networkx build) ---------------------------------------


def child_ingest(jsonl: Path, db: Path) -> Json:
    from mlsc.graph.ladybug import LadybugStore
    from mlsc.ingest.snapshot import ingest_snapshot

    rss_imports = peak_rss_bytes()
    started = time.perf_counter()
    with LadybugStore(db) as store:
        report = ingest_snapshot(store, jsonl, workers=None)  # as the CLI does
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_bytes": peak_rss_bytes(),
        "peak_rss_main_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "peak_rss_worker_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "rss_after_imports_bytes": rss_imports,
        "read": report.read,
        "ingested": report.ingested,
        "edges": dict(report.edges),
        "cycles": len(report.cycles),
        "store_bytes": dir_bytes(db),
    }


def child_networkx(jsonl: Path) -> Json:
    from nxbaseline import networkx_baseline

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


# -- the networkx side of the queries ----------------------------------------------------


def nx_ancestors_levels(graph: nx.DiGraph[str], model: str) -> dict[str, int]:
    """Shortest depth of every model upstream of ``model`` (itself at 0), by BFS."""
    import networkx

    return dict(networkx.single_source_shortest_path_length(graph, model))


def nx_lineage(graph: nx.DiGraph[str], model: str) -> Json:
    """Ancestors and descendants with depth, owner and downloads (what mlsc returns)."""
    from nxbaseline import nx_descendants_levels

    nodes = graph.nodes
    up = nx_ancestors_levels(graph, model)
    down = nx_descendants_levels(graph, [model])
    ancestors = [
        (m, d, nodes[m].get("author"), nodes[m].get("downloads")) for m, d in up.items() if d
    ]
    descendants = [
        (m, d, nodes[m].get("author"), nodes[m].get("downloads")) for m, d in down.items() if d
    ]
    return {
        "ancestors": len(ancestors),
        "max_ancestor_depth": max((d for _, d, _, _ in ancestors), default=0),
        "descendants": len(descendants),
    }


def nx_blast(graph: nx.DiGraph[str], model: str) -> Json:
    """Levels downstream plus owner and downloads of every affected model, and totals."""
    from nxbaseline import nx_descendants_levels

    nodes = graph.nodes
    levels = nx_descendants_levels(graph, [model])
    affected = [
        (m, d, nodes[m].get("author"), nodes[m].get("downloads")) for m, d in levels.items()
    ]
    return {
        "count": len(affected),
        "downloads": sum(dl or 0 for _, _, _, dl in affected),
        "owners": len({o for _, _, o, _ in affected if o}),
        "max_depth": max(d for _, d, _, _ in affected),
        "by_depth": dict(sorted(Counter(d for _, d, _, _ in affected).items())),
    }


def most_descendants(graph: nx.DiGraph[str]) -> tuple[str, int]:
    """The model with the most descendants, and how many.

    It is a root: a parent has every descendant of its child, plus the child. So BFS from
    each root that has children (ties go to the smallest id).
    """
    from nxbaseline import nx_descendants_levels

    best, best_n = "", -1
    for node in sorted(graph):
        if graph.out_degree(node) == 0 and graph.in_degree(node) > 0:
            n = len(nx_descendants_levels(graph, [node])) - 1
            if n > best_n:
                best, best_n = node, n
    return best, best_n


def widest_org(graph: nx.DiGraph[str], orgs: Iterable[str]) -> tuple[str, int]:
    """The organisation whose models plus everything downstream of them is largest."""
    from nxbaseline import nx_descendants_levels

    owned: dict[str, list[str]] = {}
    for m, data in graph.nodes(data=True):
        author = data.get("author")
        if author:
            owned.setdefault(author, []).append(m)
    best, best_n = "", -1
    for org in sorted(orgs):
        if org in owned:
            n = len(nx_descendants_levels(graph, owned[org]))
            if n > best_n:
                best, best_n = org, n
    return best, best_n


def org_names(n: int, seed: int) -> list[str]:
    """Every organisation name hubgen can give at size n (users are the other owners)."""
    from hubgen import _Generator

    gen = _Generator(n, seed)  # names only: nothing is generated
    return [gen.owner_name(o) for o in range(gen.n_orgs)]


# -- the mlsc side -----------------------------------------------------------------------


def mlsc_lineage(store: LadybugStore, model: str) -> Json:
    from mlsc.queries import lineage

    result = lineage(store, model)
    return {
        "ancestors": len(result.ancestors),
        "max_ancestor_depth": max((a.depth for a in result.ancestors), default=0),
        "descendants": len(result.descendants),
    }


def mlsc_blast(store: LadybugStore, model: str) -> Json:
    from mlsc.queries import blast_radius

    result = blast_radius(store, model)
    return {
        "count": result.count,
        "downloads": result.downloads,
        "owners": len(result.owners),
        "max_depth": max(result.by_depth),
        "by_depth": dict(result.by_depth),
    }


def mlsc_reach(store: LadybugStore, actor: str) -> int:
    from mlsc.queries import reach

    return reach(store, actor).total


def mlsc_command() -> list[str]:
    exe = Path(sys.executable).with_name("mlsc")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "mlsc"]


def run_cli(args: list[str], stdout: int | Any) -> tuple[float, int, int, str]:
    """Wall seconds, exit code, peak RSS in bytes and stderr tail of one CLI run."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=stdout, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    unit = 1 if sys.platform == "darwin" else 1024
    return wall, proc.returncode, usage.ru_maxrss * unit, tail


def bench_cli(db: Path, hub: str) -> Json:
    cmd = [*mlsc_command(), "blast-radius", hub, "--db", str(db), "-f", "json"]
    with tempfile.TemporaryFile() as first:
        wall, code, rss, err = run_cli(cmd, first)  # the warm-up, whose output is checked
        first.seek(0)
        raw = first.read()
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}: {err.strip()}")
    count = json.loads(raw)["count"]
    times, peaks = [], [rss]
    for _ in range(REPEAT):
        wall, code, rss, err = run_cli(cmd, subprocess.DEVNULL)
        if code != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {code}: {err.strip()}")
        times.append(wall)
        peaks.append(rss)
    return {
        "command": " ".join(cmd[-6:]),
        "median": statistics.median(times),
        "min": min(times),
        "runs": times,
        "peak_rss_bytes": max(peaks),
        "count": count,
    }


# -- one size ------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    mlsc: str = "-"
    nx: str = "-"
    ratio: str = ""
    check: str = ""
    target: str = ""
    verdict: str = ""


@dataclass
class SizeRun:
    n: int
    out: Path
    seed: int
    reuse: bool
    result: Json = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)

    @property
    def judged(self) -> bool:
        return self.n == TARGET_N

    def verdict(self, name: str, ok: bool | None) -> str:
        if ok is None:
            return ""
        self.result.setdefault("verdicts", {})[name] = (
            ("PASS" if ok else "MISS") if self.judged else None
        )
        if not self.judged:
            return "(pass)" if ok else "(miss)"
        return "PASS" if ok else "MISS"

    def check(self, name: str, ours: Any, theirs: Any) -> str:
        ok = ours == theirs
        self.result.setdefault("checks", {})[name] = {
            "ok": ok,
            "mlsc": ours,
            "networkx": theirs,
        }
        return "OK" if ok else "MISMATCH"

    # -- the steps

    def generate(self) -> Json:
        from hubgen import write

        jsonl = self.out / f"hubgen-{self.n}.jsonl"
        meta = self.out / f"hubgen-{self.n}.stats.json"
        if self.reuse and jsonl.exists() and meta.exists():
            stats: Json = json.loads(meta.read_text())
            if stats.get("seed") == self.seed and stats.get("models") == self.n:
                stats["reused"] = True
                return stats
        started = time.perf_counter()
        stats = write(self.n, jsonl, seed=self.seed).to_json()
        stats["seconds"] = time.perf_counter() - started
        stats["file"] = str(jsonl)
        stats["bytes"] = jsonl.stat().st_size
        meta.write_text(json.dumps(stats, indent=2))
        stats["reused"] = False
        return stats

    def ingest(self, jsonl: Path, db: Path) -> Json:
        meta = self.out / f"kb-{self.n}.ingest.json"
        if self.reuse and db.exists() and meta.exists():
            saved: Json = json.loads(meta.read_text())
            saved["reused"] = True
            return saved
        meta.unlink(missing_ok=True)
        shutil.rmtree(db, ignore_errors=True)
        report = run_child(["--child", "ingest", "--jsonl", str(jsonl), "--db", str(db)])
        meta.write_text(json.dumps(report, indent=2))
        report["reused"] = False
        return report

    def run(self) -> Json:
        res = self.result
        res["n"] = self.n
        res["errors"] = []
        self.out.mkdir(parents=True, exist_ok=True)
        db = self.out / f"kb-{self.n}"
        say(f"[{self.n:,}] generating ...")
        gen = res["generation"] = self.generate()
        jsonl = Path(gen["file"])
        expected_edges = sum(gen["edges"].values())

        say(f"[{self.n:,}] ingesting into a fresh LadybugStore (subprocess) ...")
        try:
            ing = res["ingest"] = self.ingest(jsonl, db)
        except Exception as exc:
            res["errors"].append(f"ingest: {exc}")
            say(f"[{self.n:,}] ingestion FAILED: {exc}")
            ing = None
        say(f"[{self.n:,}] building the networkx graph (subprocess) ...")
        try:
            nxb = res["networkx_build"] = run_child(["--child", "networkx", "--jsonl", str(jsonl)])
        except Exception as exc:
            res["errors"].append(f"networkx build: {exc}")
            nxb = None

        r = Row("ingest wall time")
        if ing:
            r.mlsc = fmt_seconds(ing["seconds"]) + (" (reused)" if ing.get("reused") else "")
            r.check = self.check(
                "ingest_counts",
                [ing["ingested"], sum(ing["edges"].values())],
                [self.n, expected_edges],
            )
            r.target = f"<= {TARGETS['ingest_seconds']:.0f} s"
            r.verdict = self.verdict("ingest_seconds", ing["seconds"] <= TARGETS["ingest_seconds"])
        if nxb:
            r.nx = fmt_seconds(nxb["seconds"])
            if ing:
                r.ratio = fmt_ratio(nxb["seconds"], ing["seconds"])
        self.rows.append(r)
        r = Row("ingest peak RSS")
        if ing:
            r.mlsc = fmt_bytes(ing["peak_rss_bytes"])
            r.target = f"<= {fmt_bytes(TARGETS['peak_rss_bytes'])}"
            r.verdict = self.verdict(
                "ingest_peak_rss", ing["peak_rss_bytes"] <= TARGETS["peak_rss_bytes"]
            )
        if nxb:
            r.nx = fmt_bytes(nxb["peak_rss_bytes"])
        self.rows.append(r)
        if ing:
            self.rows.append(Row("store on disk", fmt_bytes(ing["store_bytes"])))
        if ing is None:
            return res

        self.queries(jsonl, db, gen)
        return res

    def queries(self, jsonl: Path, db: Path, gen: Json) -> None:
        from nxbaseline import networkx_baseline, nx_org_reach

        from mlsc.graph.ladybug import LadybugStore

        res = self.result
        say(f"[{self.n:,}] loading the networkx graph in this process ...")
        started = time.perf_counter()
        graph = networkx_baseline(jsonl)
        loaded = time.perf_counter()
        say(f"[{self.n:,}] finding the widest hub and organisation with networkx ...")
        hub_children = gen["biggest_hub"]
        hub_desc, n_desc = most_descendants(graph)
        org_models = gen["biggest_org"]
        org_reach, n_reach = widest_org(graph, org_names(self.n, self.seed))
        res["setup_seconds"] = {
            "networkx_load_in_process": loaded - started,
            "find_subjects": time.perf_counter() - loaded,
        }
        res["subjects"] = {
            "deep_leaf": gen["deep_leaf"],
            "deep_leaf_depth": gen["deep_leaf_depth"],
            "hub_most_children": hub_children,
            "hub_most_children_children": gen["biggest_hub_children"],
            "hub_most_descendants": hub_desc,
            "hub_most_descendants_descendants": n_desc,
            "org_most_models": org_models,
            "org_most_models_models": gen["biggest_org_models"],
            "org_widest_reach": org_reach,
            "org_widest_reach_total": n_reach,
        }
        gc.collect()
        gc.freeze()  # the big graph is long-lived: keep the collector from rescanning it
        q: Json = res.setdefault("queries", {})
        say(f"[{self.n:,}] queries ({WARMUP} warm-up + {REPEAT} timed each) ...")
        try:
            with LadybugStore(db, read_only=True) as store:
                self.query_rows(store, graph, q, gen, hub_children, hub_desc)
                for key, org in (("org_most_models", org_models), ("org_widest_reach", org_reach)):
                    t_ml, ours = timed(partial(mlsc_reach, store, org))
                    t_nx, theirs = timed(partial(nx_org_reach, graph, org))
                    q[f"reach_{key}"] = {"target": org, "mlsc": t_ml, "networkx": t_nx}
                    self.rows.append(
                        Row(
                            f"reach {org} ({ours:,})",
                            fmt_timing(t_ml),
                            fmt_timing(t_nx),
                            fmt_ratio(t_nx["median"], t_ml["median"]),
                            self.check(f"reach_{key}", ours, theirs),
                            f"<= {TARGETS['org_reach_seconds'] * 1000:.0f} ms",
                            self.verdict(
                                f"reach_{key}", t_ml["median"] <= TARGETS["org_reach_seconds"]
                            ),
                        )
                    )
        except Exception as exc:
            res["errors"].append(f"queries: {type(exc).__name__}: {exc}")
            say(f"[{self.n:,}] queries FAILED: {type(exc).__name__}: {exc}")
        finally:
            gc.unfreeze()

        say(f"[{self.n:,}] CLI end to end ({WARMUP} warm-up + {REPEAT} runs) ...")
        try:
            cli = res["cli"] = bench_cli(db, hub_desc)
        except Exception as exc:
            res["errors"].append(f"cli: {exc}")
            return
        theirs = res.get("checks", {}).get("blast_hub_most_descendants", {}).get("networkx", {})
        self.rows.append(
            Row(
                f"CLI blast-radius {hub_desc.split('/')[0]}/..",
                fmt_timing(cli),
                "",
                "",
                self.check("cli_count", cli["count"], theirs.get("count")),
                f"<= {TARGETS['cli_seconds']:.0f} s",
                self.verdict("cli_seconds", cli["median"] <= TARGETS["cli_seconds"]),
            )
        )
        self.rows.append(
            Row(
                "CLI peak RSS",
                fmt_bytes(cli["peak_rss_bytes"]),
                target=f"<= {fmt_bytes(TARGETS['peak_rss_bytes'])}",
                verdict=self.verdict(
                    "cli_peak_rss", cli["peak_rss_bytes"] <= TARGETS["peak_rss_bytes"]
                ),
            )
        )

    def query_rows(
        self,
        store: LadybugStore,
        graph: nx.DiGraph[str],
        q: Json,
        gen: Json,
        hub_children: str,
        hub_desc: str,
    ) -> None:
        leaf = gen["deep_leaf"]
        t_ml, ours = timed(partial(mlsc_lineage, store, leaf))
        t_nx, theirs = timed(partial(nx_lineage, graph, leaf))
        q["lineage_deep_leaf"] = {"target": leaf, "mlsc": t_ml, "networkx": t_nx}
        check = self.check("lineage_deep_leaf", ours, theirs)
        depth = gen["deep_leaf_depth"]
        if ours["max_ancestor_depth"] != depth or ours["ancestors"] != depth:
            check += f" (depth {ours['max_ancestor_depth']} != {depth})"
        self.rows.append(
            Row(
                f"lineage deep leaf (depth {ours['max_ancestor_depth']})",
                fmt_timing(t_ml),
                fmt_timing(t_nx),
                fmt_ratio(t_nx["median"], t_ml["median"]),
                check,
            )
        )
        hubs = [("hub_most_children", hub_children), ("hub_most_descendants", hub_desc)]
        if hub_desc == hub_children:
            hubs = hubs[1:]
        for key, hub in hubs:
            t_ml, ours = timed(partial(mlsc_blast, store, hub))
            t_nx, theirs = timed(partial(nx_blast, graph, hub))
            q[f"blast_{key}"] = {"target": hub, "mlsc": t_ml, "networkx": t_nx}
            speedup = t_nx["median"] / t_ml["median"]
            fast = t_ml["median"] <= TARGETS["hub_blast_radius_seconds"]
            wide = speedup >= TARGETS["hub_blast_radius_speedup"]
            label = {
                "hub_most_children": "most children",
                "hub_most_descendants": "most descendants",
            }[key]
            if hub_desc == hub_children:
                label = "most children+desc."
            self.rows.append(
                Row(
                    f"blast radius, hub {label} ({ours['count']:,})",
                    fmt_timing(t_ml),
                    fmt_timing(t_nx),
                    fmt_ratio(t_nx["median"], t_ml["median"]),
                    self.check(f"blast_{key}", ours, theirs),
                    f"<= {TARGETS['hub_blast_radius_seconds'] * 1000:.0f} ms, "
                    f">= {TARGETS['hub_blast_radius_speedup']:.0f}x",
                    " ".join(
                        [
                            self.verdict(f"blast_{key}_seconds", fast),
                            self.verdict(f"blast_{key}_speedup", wide),
                        ]
                    ),
                )
            )


# -- output --------------------------------------------------------------------------------


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def print_table(run: SizeRun) -> None:
    res = run.result
    gen = res.get("generation", {})
    print()
    print(
        f"== N = {run.n:,} models: {fmt_bytes(gen.get('bytes'))} of JSON Lines, "
        f"{sum(gen.get('edges', {}).values()):,} derivation edges, seed {run.seed} =="
    )
    subj = res.get("subjects")
    if subj:
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
    header = Row("measure", "mlsc", "networkx", "nx/mlsc", "check", "target", "verdict")
    # timings of repeated runs are "median (min)"
    rows = [header, *run.rows]
    cols = ("what", "mlsc", "nx", "ratio", "check", "target", "verdict")
    widths = [max(len(getattr(r, c)) for r in rows) for c in cols]
    for i, r in enumerate(rows):
        cells = [getattr(r, c).ljust(w) for c, w in zip(cols, widths, strict=True)]
        print("  " + "  ".join(cells).rstrip())
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))
    if not run.judged:
        print(f"  (targets are judged at {TARGET_N:,} only; verdicts in brackets are indicative)")
    for err in res.get("errors", []):
        print(f"  ERROR {err}")


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
    parser.add_argument("--child", choices=("ingest", "networkx"), help=argparse.SUPPRESS)
    parser.add_argument("--jsonl", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "ingest":
        print(json.dumps(child_ingest(args.jsonl, args.db)))
        return 0
    if args.child == "networkx":
        print(json.dumps(child_networkx(args.jsonl)))
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    out: Path = args.out.resolve()
    started = datetime.now()
    results: Json = {
        "started": started.isoformat(timespec="seconds"),
        "environment": environment(),
        "targets": {"at_models": TARGET_N, **TARGETS},
        "warmup": WARMUP,
        "repeat": REPEAT,
        "sizes": [],
    }
    runs = []
    for n in sizes:
        size_run = SizeRun(n, out, args.seed, args.reuse)
        try:
            size_run.run()
        except Exception as exc:
            size_run.result.setdefault("errors", []).append(f"{type(exc).__name__}: {exc}")
            say(f"[{n:,}] FAILED: {type(exc).__name__}: {exc}")
        runs.append(size_run)
        results["sizes"].append(size_run.result)
    results["seconds"] = (datetime.now() - started).total_seconds()

    env = results["environment"]
    print(
        f"mlsc benchmarks, {results['started']}, commit {env['git_commit']}"
        f"{' (dirty)' if env['git_dirty'] else ''}, Python {env['python']}, "
        f"{env['cpus']} CPUs, {fmt_bytes(env['memory_bytes'])} RAM; "
        f"queries: median (min) of {REPEAT} runs after {WARMUP} warm-up"
    )
    for size_run in runs:
        print_table(size_run)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"results-{started:%Y-%m-%d}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main())
