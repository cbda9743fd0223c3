"""Time one embedded ingestion as ``run.py --child ingest`` does, with its CPU time.

    python benchmarks/ingest_only.py hubgen-1000000.jsonl /tmp/kb [--repo DIR]

Prints one JSON line: the child's own report (wall seconds, peak RSS, counts) plus the CPU
time of the child and its parser workers (user + system, from ``wait4``) and the load
average before and after. On a shared machine the CPU time is the figure to compare; the
wall time measures the load as much as the ingestion. ``--repo`` runs another checkout's
mlsc (a before/after comparison in one session).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def ingest_once(jsonl: Path, db: Path, repo: Path = HERE.parent) -> dict[str, object]:
    shutil.rmtree(db, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(repo))
    cmd = [sys.executable, str(repo / "benchmarks" / "run.py"), "--child", "ingest"]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "--jsonl", str(jsonl), "--db", str(db)], env=env, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"ingestion child exited with status {status}")
    report: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    report |= {
        "wall_outside_s": round(time.perf_counter() - started, 2),
        "cpu_user_s": round(usage.ru_utime, 2),
        "cpu_sys_s": round(usage.ru_stime, 2),
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("db", type=Path)
    parser.add_argument("--repo", type=Path, default=HERE.parent)
    args = parser.parse_args()
    print(json.dumps(ingest_once(args.jsonl, args.db, args.repo.resolve())))


if __name__ == "__main__":
    main()
