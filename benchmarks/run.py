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
import gc
import hashlib
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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import networkx as nx

    from mlsc.graph.ladybug import LadybugStore
    from mlsc.graph.store import GraphStore
    from tests.neo4j_engine import Engine

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "out"
TARGET_N = 1_000_000
"""The size at which the targets are judged."""
WARMUP = 1
REPEAT = 5

TARGETS: dict[str, float] = {
    "ingest_seconds": 20.0,
    "ingest_vs_networkx": 1.5,
    "peak_rss_bytes": 2 * 1024**3,
    "hub_blast_radius_seconds": 0.010,
    "hub_blast_radius_vs_igraph": 1.0,
    "lineage_seconds": 0.001,
    "org_reach_seconds": 0.200,
    "cli_seconds": 0.3,
    "top_seconds": 5.0,
}
NEO4J_TARGETS: dict[str, float] = {
    "neo4j_ingest_seconds": 120.0,
    "neo4j_hub_blast_radius_seconds": 0.150,
}
NEO4J_HEAP = "4g"
NEO4J_PAGECACHE = "2g"
MERGE_HEAVY_N = 100_000
PATH_TIMEOUT = 60.0
"""Seconds the naive path-counting Cypher may run on the merge-heavy graph."""

T = TypeVar("T")
Json = dict[str, Any]


# -- helpers ------------------------------------------------------------------------------


def peak_rss_bytes() -> int:
    """Peak RSS of this process and of its waited-for children (the larger), in bytes.

    This process's own peak is VmHWM from /proc where there is one: Linux carries
    getrusage's maxrss across (v)fork and exec, so in a child it would be at least the
    peak of the benchmark process that started it (with its networkx graph)."""
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in KiB on Linux
    own = proc_memory(os.getpid()).get("peak_rss_bytes")
    if own is None:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit
    return max(own, kids)


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


def run_child(args: list[str], env: dict[str, str] | None = None) -> Json:
    """Run this script in ``--child`` mode in a fresh interpreter; its JSON report."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )
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
    for name in ("ladybug", "networkx", "orjson", "pyarrow", "neo4j"):
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


def run_cli(
    args: list[str], stdout: int | Any, repo: Path = REPO
) -> tuple[float, float, int, int, str]:
    """Wall seconds, CPU seconds (user + system, from ``wait4``: the child's own, so the
    figure means something on a loaded machine), exit code, peak RSS in bytes and stderr tail
    of one CLI run of the mlsc in ``repo``."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        # the mlsc of this checkout, also when the venv's editable install is another one
        path = os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path}
        proc = subprocess.Popen(args, stdout=stdout, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    unit = 1 if sys.platform == "darwin" else 1024
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, proc.returncode, usage.ru_maxrss * unit, tail


def stats_of(values: list[float]) -> Json:
    """Median, min and every run."""
    return {"median": statistics.median(values), "min": min(values), "runs": values}


def bench_cli(db: Path, hub: str, repo: Path = REPO) -> Json:
    """The first run after the saved lineage index is removed (a cold cache: the first query
    process after a write, which builds and saves it; its output is checked), then REPEAT
    warm runs (which map it), then REPEAT runs of ``mlsc --version`` (process start alone).
    Each with its wall time and its CPU time (user + system of the CLI process)."""
    from mlsc.graph.ladybug.index_cache import CACHE_DIR

    shutil.rmtree(db / CACHE_DIR, ignore_errors=True)
    cmd = [*mlsc_command(), "blast-radius", hub, "--db", str(db), "-f", "json"]
    with tempfile.TemporaryFile() as first:
        cold, cold_cpu, code, rss, err = run_cli(cmd, first, repo)
        first.seek(0)
        raw = first.read()
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}: {err.strip()}")
    count = json.loads(raw)["count"]
    times, cpus, peaks = [], [], [rss]
    for _ in range(REPEAT):
        wall, cpu, code, rss, err = run_cli(cmd, subprocess.DEVNULL, repo)
        if code != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {code}: {err.strip()}")
        times.append(wall)
        cpus.append(cpu)
        peaks.append(rss)
    version = [*mlsc_command(), "--version"]
    starts = [run_cli(version, subprocess.DEVNULL, repo)[:2] for _ in range(REPEAT)]
    return {
        "command": " ".join(cmd[-6:]),
        "cold_seconds": cold,
        "cold_cpu_seconds": cold_cpu,
        **stats_of(times),
        "cpu": stats_of(cpus),
        "peak_rss_bytes": max(peaks),
        "count": count,
        "start": stats_of([wall for wall, _ in starts]),
        "start_cpu": stats_of([cpu for _, cpu in starts]),
        "loadavg": os.getloadavg(),
    }


# -- Neo4j -------------------------------------------------------------------------------


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


def proc_memory(pid: int | None) -> Json:
    """Peak RSS (VmHWM) and current RSS (VmRSS) of a process, in bytes."""
    out: Json = {}
    if pid is None:
        return out
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key == "VmHWM":
                out["peak_rss_bytes"] = int(value.split()[0]) * 1024
            elif key == "VmRSS":
                out["rss_bytes"] = int(value.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return out


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


def full_lineage(store: GraphStore, model: str) -> Json:
    from mlsc.queries import lineage

    return lineage(store, model).to_json()


def full_blast(store: GraphStore, model: str) -> Json:
    from mlsc.queries import blast_radius

    return blast_radius(store, model).to_json()


def full_reach(store: GraphStore, actor: str) -> Json:
    from mlsc.queries import reach

    return reach(store, actor).to_json()


def neo4j_count(store: GraphStore, query: str, params: Json, timeout: float) -> Json:
    """Run a counting Cypher query with a time limit: the count and seconds, or a timeout."""
    from mlsc.errors import QueryTimeoutError

    started = time.perf_counter()
    try:
        rows = store.cypher(query, params, timeout=timeout).rows
    except QueryTimeoutError:
        return {"timed_out": True, "seconds": time.perf_counter() - started, "limit": timeout}
    return {"timed_out": False, "seconds": time.perf_counter() - started, "count": rows[0][0]}


def fmt_count(c: Json) -> str:
    if c.get("timed_out"):
        return f"timed out after {c['limit']:.0f} s"
    return f"{c['count']:,} in {fmt_seconds(c['seconds'])}"


def count_paths(graph: nx.DiGraph[str], target: str) -> tuple[int, dict[str, int]]:
    """Exact number of derivation paths ending at ``target`` (length >= 1), and per model
    the number of its paths to ``target``: dynamic programming over the DAG of descendants
    (what a path-enumerating query would have to walk one by one)."""
    import networkx
    from nxbaseline import nx_descendants_levels

    below = nx_descendants_levels(graph, [target])
    sub = graph.subgraph(below)
    paths: dict[str, int] = {}
    for node in reversed(list(networkx.topological_sort(sub))):  # parents first
        paths[node] = 1 if node == target else sum(paths[p] for p in sub.successors(node))
    return sum(n for m, n in paths.items() if m != target), paths


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
    ig: str = ""
    """igraph's timing of the same work (second baseline), where measured."""
    ig_ratio: str = ""


@dataclass
class Neo4jOptions:
    heap: str = NEO4J_HEAP
    pagecache: str = NEO4J_PAGECACHE


@dataclass
class SizeRun:
    n: int
    out: Path
    seed: int
    reuse: bool
    neo4j: Neo4jOptions | None = None
    """Run the workload on a private Neo4j too (None: embedded only)."""
    merge_heavy: bool = False
    """hubgen's merge-heavy variant instead of the hub-shaped default."""
    result: Json = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    neo4j_rows: list[Row] = field(default_factory=list)
    path_timeout: float = PATH_TIMEOUT
    paths_summary: Json | None = None
    _igraph: Any = None
    """The igraph baseline once loaded (False: igraph is not installed)."""

    @property
    def judged(self) -> bool:
        return self.n == TARGET_N and not self.merge_heavy

    @property
    def label(self) -> str:
        """How progress messages name this size."""
        return f"merge-heavy {self.n:,}" if self.merge_heavy else f"{self.n:,}"

    @property
    def stem(self) -> str:
        """How this size's files are named in OUT."""
        return f"merge-heavy-{self.n}" if self.merge_heavy else str(self.n)

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

        jsonl = self.out / f"hubgen-{self.stem}.jsonl"
        meta = self.out / f"hubgen-{self.stem}.stats.json"
        if self.reuse and jsonl.exists() and meta.exists():
            stats: Json = json.loads(meta.read_text())
            if (
                stats.get("seed") == self.seed
                and stats.get("models") == self.n
                and stats.get("merge_heavy", False) == self.merge_heavy
            ):
                stats["reused"] = True
                return stats
        started = time.perf_counter()
        stats = write(self.n, jsonl, seed=self.seed, merge_heavy=self.merge_heavy).to_json()
        stats["seconds"] = time.perf_counter() - started
        stats["file"] = str(jsonl)
        stats["bytes"] = jsonl.stat().st_size
        meta.write_text(json.dumps(stats, indent=2))
        stats["reused"] = False
        return stats

    def ingest(self, jsonl: Path, db: Path) -> Json:
        meta = self.out / f"kb-{self.stem}.ingest.json"
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
        db = self.out / f"kb-{self.stem}"
        say(f"[{self.label}] generating ...")
        gen = res["generation"] = self.generate()
        jsonl = Path(gen["file"])
        expected_edges = sum(gen["edges"].values())

        say(f"[{self.label}] ingesting into a fresh LadybugStore (subprocess) ...")
        try:
            ing = res["ingest"] = self.ingest(jsonl, db)
        except Exception as exc:
            res["errors"].append(f"ingest: {exc}")
            say(f"[{self.label}] ingestion FAILED: {exc}")
            ing = None
        say(f"[{self.label}] building the networkx graph (subprocess) ...")
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
        if ing and nxb and not ing.get("reused"):
            times = ing["seconds"] / nxb["seconds"]
            self.rows.append(
                Row(
                    "ingest time / networkx build time",
                    f"{times:.2f}x",
                    target=f"<= {TARGETS['ingest_vs_networkx']:g}x",
                    verdict=self.verdict(
                        "ingest_vs_networkx", times <= TARGETS["ingest_vs_networkx"]
                    ),
                )
            )
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

        if self.merge_heavy:
            self.merge_heavy_queries(jsonl, db, gen)
        else:
            self.queries(jsonl, db, gen)
        if self.neo4j is not None and "subjects" in res:
            try:
                self.run_neo4j(jsonl, db, gen, self.neo4j)
            except Exception as exc:
                res["errors"].append(f"neo4j: {type(exc).__name__}: {exc}")
                say(f"[{self.label}] Neo4j FAILED: {type(exc).__name__}: {exc}")
        return res

    def run_neo4j(self, jsonl: Path, db: Path, gen: Json, opts: Neo4jOptions) -> None:
        """The same ingestion and queries on a private Neo4j engine, beside the embedded
        store's figures, checking every answer's JSON against the embedded store's."""
        res: Json = self.result.setdefault("neo4j", {})
        home = self.out / f"neo4j-{self.stem}"
        meta = self.out / f"neo4j-{self.stem}.ingest.json"
        reuse = self.reuse and home.is_dir() and meta.is_file()
        res["engine"] = {"heap": opts.heap, "pagecache": opts.pagecache, "home": str(home)}
        say(
            f"[{self.n:,}] starting a private Neo4j (heap {opts.heap}, page cache {opts.pagecache}) ..."
        )
        with private_neo4j(home, opts.heap, opts.pagecache, fresh=not reuse) as engine:
            if reuse:
                ing: Json = json.loads(meta.read_text())
                ing["reused"] = True
            else:
                meta.unlink(missing_ok=True)
                say(f"[{self.label}] ingesting into Neo4j (subprocess) ...")
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
            emb = self.result.get("ingest") or {}
            expected = [self.n, sum(gen["edges"].values())]
            r = Row("ingest wall time")
            r.mlsc = fmt_seconds(emb.get("seconds"))
            r.nx = fmt_seconds(ing["seconds"]) + (" (reused)" if ing.get("reused") else "")
            if emb.get("seconds"):
                r.ratio = fmt_ratio(ing["seconds"], emb["seconds"])
            r.check = self.neo4j_check(
                "ingest_counts", [ing["ingested"], sum(ing["edges"].values())] == expected
            )
            r.target = f"<= {NEO4J_TARGETS['neo4j_ingest_seconds']:.0f} s"
            r.verdict = self.verdict(
                "neo4j_ingest_seconds", ing["seconds"] <= NEO4J_TARGETS["neo4j_ingest_seconds"]
            )
            self.neo4j_rows.append(r)
            phases = ing.get("phases_seconds")
            if phases:
                self.neo4j_rows.append(
                    Row(
                        "  parse / write / cycles",
                        "",
                        " / ".join(
                            fmt_seconds(phases.get(k))
                            for k in ("parse_and_open", "write", "cycles")
                        ),
                    )
                )
            self.neo4j_rows.append(
                Row(
                    "ingest peak RSS: Python / JVM",
                    fmt_bytes(emb.get("peak_rss_bytes")),
                    f"{fmt_bytes(ing.get('client_peak_rss_bytes'))} / "
                    f"{fmt_bytes(ing.get('jvm_peak_rss_bytes'))}",
                )
            )
            self.neo4j_rows.append(
                Row(
                    "store on disk",
                    fmt_bytes(emb.get("store_bytes")),
                    fmt_bytes(ing.get("store_bytes")),
                )
            )
            say(
                f"[{self.n:,}] the same queries on Neo4j ({WARMUP} warm-up + {REPEAT} timed each) ..."
            )
            self.neo4j_queries(engine, db)
            res["jvm_after_queries"] = proc_memory(engine.pid)

    def neo4j_check(self, name: str, ok: bool, detail: Json | None = None) -> str:
        self.result["neo4j"].setdefault("checks", {})[name] = {"ok": ok, **(detail or {})}
        return "OK" if ok else "MISMATCH"

    def neo4j_queries(self, engine: Engine, db: Path) -> None:
        subj = self.result["subjects"]
        Case = tuple[str, str, Callable[[Any, str], Any], Callable[[Any, str], Json], str, bool]
        cases: list[Case]
        if self.merge_heavy:
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
            return self.neo4j_cases(engine, db, cases)
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
        self.neo4j_cases(engine, db, cases)

    def neo4j_cases(self, engine: Engine, db: Path, cases: list[Any]) -> None:
        from mlsc.graph.ladybug import LadybugStore
        from mlsc.graph.neo4j import Neo4jStore

        res = self.result["neo4j"]
        embedded_times = self.result.get("queries", {})
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
            self.neo4j_rows.append(
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
                    label += (
                        f" ({len(answer['ancestors']):,} up, {len(answer['descendants']):,} down)"
                    )
                elif isinstance(count, int):
                    label += f" ({count:,})"
                self.neo4j_rows.append(
                    Row(
                        label,
                        fmt_timing(ours),
                        fmt_timing(t_neo),
                        fmt_ratio(t_neo["median"], ours["median"]) if ours else "",
                        "same JSON"
                        if self.neo4j_check(key, same["ok"], same) == "OK"
                        else "DIFFERENT",
                        f"<= {target_s * 1000:.0f} ms" if is_hub else "",
                        self.verdict(f"neo4j_{key}_seconds", t_neo["median"] <= target_s)
                        if is_hub
                        else "",
                    )
                )
            if self.merge_heavy:
                self.path_explosion(store)

    # -- the merge-heavy graph

    def merge_heavy_queries(self, jsonl: Path, db: Path, gen: Json) -> None:
        """Blast radius of the model with the most descendants and lineage of the model with
        the most derivation paths up to it, on the embedded store and in networkx; the exact
        number of paths from networkx."""
        from nxbaseline import networkx_baseline

        from mlsc.graph.ladybug import LadybugStore

        res = self.result
        say(f"[{self.label}] loading the networkx graph, counting paths ...")
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
        say(f"[{self.label}] queries ({WARMUP} warm-up + {REPEAT} timed each) ...")
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
                    self.rows.append(
                        Row(
                            label,
                            fmt_timing(t_ml),
                            fmt_timing(t_nx),
                            fmt_ratio(t_nx["median"], t_ml["median"]),
                            self.check(key, ours, theirs),
                        )
                    )
        except Exception as exc:
            res["errors"].append(f"queries: {type(exc).__name__}: {exc}")
            say(f"[{self.label}] queries FAILED: {type(exc).__name__}: {exc}")
        finally:
            gc.unfreeze()

    def path_explosion(self, store: GraphStore) -> None:
        """What a naive variable-length query does on merges of merges: counting paths walks
        every one of them; counting distinct models may not (the planner can prune)."""
        subj = self.result["subjects"]
        hub = {"id": subj["hub"]}
        limit = self.path_timeout
        say(f"[{self.label}] naive Cypher on Neo4j (each stopped after {limit:.0f} s) ...")
        out: Json = self.result["neo4j"].setdefault("naive_cypher", {})
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
        self.paths_summary = out

    def queries(self, jsonl: Path, db: Path, gen: Json) -> None:
        from nxbaseline import networkx_baseline, nx_org_reach

        from mlsc.graph.ladybug import LadybugStore

        res = self.result
        say(f"[{self.label}] loading the networkx graph in this process ...")
        started = time.perf_counter()
        graph = networkx_baseline(jsonl)
        loaded = time.perf_counter()
        say(f"[{self.label}] finding the widest hub and organisation with networkx ...")
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
        say(f"[{self.label}] queries ({WARMUP} warm-up + {REPEAT} timed each) ...")
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
                self.top_rows(store, q, hub_desc, n_desc)
        except Exception as exc:
            res["errors"].append(f"queries: {type(exc).__name__}: {exc}")
            say(f"[{self.label}] queries FAILED: {type(exc).__name__}: {exc}")
        finally:
            gc.unfreeze()

        say(f"[{self.label}] CLI end to end (1 cold-index run + {REPEAT} warm runs) ...")
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
                f"<= {TARGETS['cli_seconds']:g} s",
                self.verdict("cli_seconds", cli["median"] <= TARGETS["cli_seconds"]),
            )
        )
        self.rows.append(Row("CLI blast-radius, CPU user+sys", fmt_timing(cli["cpu"])))
        self.rows.append(
            Row(
                "CLI blast-radius, cold index (1 run)",
                f"{fmt_seconds(cli['cold_seconds'])}, CPU {fmt_seconds(cli['cold_cpu_seconds'])}",
            )
        )
        self.rows.append(Row("CLI process start (mlsc --version)", fmt_timing(cli["start"])))
        self.rows.append(Row("CLI process start, CPU user+sys", fmt_timing(cli["start_cpu"])))
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

    def top_rows(self, store: LadybugStore, q: Json, hub: str, descendants: int) -> None:
        """``top models`` and ``top actors`` (20 each): exact reach of every model and every
        actor. Checked: the first model is networkx's model with the most descendants."""
        from mlsc.queries import top_actors, top_models

        t_models, models = timed(partial(top_models, store, 20), repeat=3)
        t_actors, actors = timed(partial(top_actors, store, 20), repeat=3)
        q["top"] = {
            "models": t_models,
            "actors": t_actors,
            "first_model": [models[0].id, models[0].reach] if models else None,
            "first_actor": [actors[0].id, actors[0].reach] if actors else None,
        }
        first = (models[0].id, models[0].reach) if models else None
        for name, t in (("top models", t_models), ("top actors", t_actors)):
            self.rows.append(
                Row(
                    f"{name} (20, exact reach of all)",
                    fmt_timing(t),
                    "",
                    "",
                    self.check("top_models", first, (hub, descendants))
                    if name == "top models"
                    else "",
                    f"<= {TARGETS['top_seconds']:.0f} s",
                    self.verdict(name.replace(" ", "_"), t["median"] <= TARGETS["top_seconds"]),
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
        import igraph_baseline

        leaf = gen["deep_leaf"]
        t_ml, ours = timed(partial(mlsc_lineage, store, leaf))
        t_nx, theirs = timed(partial(nx_lineage, graph, leaf))
        q["lineage_deep_leaf"] = {"target": leaf, "mlsc": t_ml, "networkx": t_nx}
        check = self.check("lineage_deep_leaf", ours, theirs)
        ig = self.igraph(graph, q, "lineage_deep_leaf", igraph_baseline.lineage, leaf, theirs)
        if ig[1] is not None and ig[1] != theirs:
            check += " (igraph MISMATCH)"
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
                f"<= {TARGETS['lineage_seconds'] * 1000:g} ms",
                self.verdict("lineage_seconds", t_ml["median"] <= TARGETS["lineage_seconds"]),
                **self.igraph_cells(ig[0], t_ml),
            )
        )
        hubs = [("hub_most_children", hub_children), ("hub_most_descendants", hub_desc)]
        if hub_desc == hub_children:
            hubs = hubs[1:]
        for key, hub in hubs:
            t_ml, ours = timed(partial(mlsc_blast, store, hub))
            t_nx, theirs = timed(partial(nx_blast, graph, hub))
            q[f"blast_{key}"] = {"target": hub, "mlsc": t_ml, "networkx": t_nx}
            ig = self.igraph(graph, q, f"blast_{key}", igraph_baseline.blast, hub, theirs)
            fast = t_ml["median"] <= TARGETS["hub_blast_radius_seconds"]
            # mlsc's median over igraph's (BFS + the same per-model columns), same process
            vs_igraph = None if ig[0] is None else t_ml["median"] / ig[0]["median"]
            q[f"blast_{key}"]["mlsc_over_igraph"] = vs_igraph
            near = None if vs_igraph is None else vs_igraph <= TARGETS["hub_blast_radius_vs_igraph"]
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
                    f"<= {TARGETS['hub_blast_radius_vs_igraph']:g}x igraph",
                    " ".join(
                        v
                        for v in (
                            self.verdict(f"blast_{key}_seconds", fast),
                            self.verdict(f"blast_{key}_vs_igraph", near),
                        )
                        if v
                    ),
                    **self.igraph_cells(ig[0], t_ml),
                )
            )
            if ig[1] is not None and ig[1] != theirs:
                self.rows[-1].check += " (igraph MISMATCH)"

    def igraph(
        self, graph: nx.DiGraph[str], q: Json, key: str, fn: Any, subject: str, theirs: Json
    ) -> tuple[Json | None, Json | None]:
        """igraph's timing and answer of ``fn(base, subject)``, recorded in ``q[key]``; (None,
        None) when igraph is not installed (said once)."""
        import igraph_baseline

        if self._igraph is None:
            started = time.perf_counter()
            self._igraph = igraph_baseline.load(graph) or False
            if self._igraph:
                self.result.setdefault("setup_seconds", {})["igraph_load_in_process"] = (
                    time.perf_counter() - started
                )
            else:
                say(f"[{self.label}] igraph not installed: its baseline column is skipped")
                self.result["igraph"] = "not installed"
        if not self._igraph:
            return None, None
        t_ig, answer = timed(partial(fn, self._igraph, subject))
        q[key]["igraph"] = t_ig
        q[key]["igraph_same_as_networkx"] = answer == theirs
        return t_ig, answer

    @staticmethod
    def igraph_cells(t_ig: Json | None, t_ml: Json) -> dict[str, str]:
        if t_ig is None:
            return {}
        return {"ig": fmt_timing(t_ig), "ig_ratio": fmt_ratio(t_ig["median"], t_ml["median"])}


# -- output --------------------------------------------------------------------------------


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
    # hubgen and nxbaseline beside this script; mlsc and tests.neo4j_engine from this checkout
    sys.path[0:0] = [str(HERE), str(REPO)]
    raise SystemExit(main())
