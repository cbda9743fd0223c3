"""``mlsc blast-radius HUB --db DIR -f json`` end to end as a subprocess: process start and
imports included, with the CPU time of the CLI process beside its wall time."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.suite.measure import REPO, Json, stats_of
from benchmarks.suite.report import Row, fmt_bytes, fmt_seconds, fmt_timing, say
from benchmarks.suite.targets import REPEAT, TARGETS

if TYPE_CHECKING:
    from benchmarks.suite.sizerun import SizeRun


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


def bench_cli(db: Path, hub: str, repo: Path = REPO) -> Json:
    """The first run after the saved lineage index is removed (a cold cache: the first query
    process after a write, which builds and saves it; its output is checked), then REPEAT
    warm runs (which map it), then REPEAT runs of ``mlsc --version`` (process start alone).
    Each with its wall time and its CPU time (user + system of the CLI process)."""
    from mlsc.graph.index_cache import CACHE_DIR

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


def cli_phase(run: SizeRun, db: Path, hub_desc: str) -> None:
    """Time the CLI on the hub with the most descendants; its rows, its count checked."""
    res = run.result
    say(f"[{run.label}] CLI end to end (1 cold-index run + {REPEAT} warm runs) ...")
    try:
        cli = res["cli"] = bench_cli(db, hub_desc)
    except Exception as exc:
        res["errors"].append(f"cli: {exc}")
        return
    theirs = res.get("checks", {}).get("blast_hub_most_descendants", {}).get("networkx", {})
    run.rows.append(
        Row(
            f"CLI blast-radius {hub_desc.split('/')[0]}/..",
            fmt_timing(cli),
            "",
            "",
            run.check("cli_count", cli["count"], theirs.get("count")),
            f"<= {TARGETS['cli_seconds']:g} s",
            run.verdict("cli_seconds", cli["median"] <= TARGETS["cli_seconds"]),
        )
    )
    run.rows.append(Row("CLI blast-radius, CPU user+sys", fmt_timing(cli["cpu"])))
    run.rows.append(
        Row(
            "CLI blast-radius, cold index (1 run)",
            f"{fmt_seconds(cli['cold_seconds'])}, CPU {fmt_seconds(cli['cold_cpu_seconds'])}",
        )
    )
    run.rows.append(Row("CLI process start (mlsc --version)", fmt_timing(cli["start"])))
    run.rows.append(Row("CLI process start, CPU user+sys", fmt_timing(cli["start_cpu"])))
    run.rows.append(
        Row(
            "CLI peak RSS",
            fmt_bytes(cli["peak_rss_bytes"]),
            target=f"<= {fmt_bytes(TARGETS['peak_rss_bytes'])}",
            verdict=run.verdict("cli_peak_rss", cli["peak_rss_bytes"] <= TARGETS["peak_rss_bytes"]),
        )
    )
