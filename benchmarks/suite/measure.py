"""Measuring: timing of repeated runs, peak RSS, child processes, the machine's description."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.suite.targets import REPEAT, WARMUP

REPO = Path(__file__).resolve().parents[2]
RUN_PY = REPO / "benchmarks" / "run.py"
"""The entry point, which the ``--child`` subprocesses run."""

T = TypeVar("T")
Json = dict[str, Any]


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
    """Run ``run.py`` in ``--child`` mode in a fresh interpreter; its JSON report."""
    cmd = [sys.executable, str(RUN_PY), *args]
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


def stats_of(values: list[float]) -> Json:
    """Median, min and every run."""
    return {"median": statistics.median(values), "min": min(values), "runs": values}


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
