"""Every sample built, every tool run on it, and the runs summed up per tool, with the
lists that gate the benchmark."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.scanbench.tools import (
    DETECTED,
    PEER_RUNNERS,
    PEERS,
    Verdict,
    peer_versions,
    run_mlsc,
)


@dataclass(frozen=True)
class Run:
    """One tool on one sample."""

    tool: str
    sample: str
    verdict: Verdict
    seconds: float
    note: str = ""


@dataclass
class ToolSummary:
    """One tool's row of the table."""

    tool: str
    version: str | None
    detected: int = 0
    missed: int = 0
    errors: int = 0
    false_positives: int = 0
    seconds: float = 0.0
    missed_samples: list[str] = field(default_factory=list)
    false_positive_samples: list[str] = field(default_factory=list)


def _timed(fn: Callable[[], tuple[Verdict, str]]) -> tuple[Verdict, str, float]:
    start = time.perf_counter()
    try:
        verdict, note = fn()
    except subprocess.TimeoutExpired:
        verdict, note = "error", "timeout"
    except Exception as e:  # a tool's crash is an error row, never the benchmark's
        verdict, note = "error", f"{type(e).__name__}: {e}"[:200]
    return verdict, note, time.perf_counter() - start


def benchmark(
    venv: Path, timeout: float, jobs: int, only: str | None
) -> tuple[list[Any], dict[str, str | None], list[Run], dict[str, str]]:
    """Build every sample and run every tool; returns the samples, tool versions, the runs
    and the samples that failed to build (name -> error)."""
    from mlsc import __version__
    from tests.scan.corpus import SAMPLES

    samples = [s for s in SAMPLES if only is None or only in s.name]
    versions: dict[str, str | None] = {"mlsc": __version__, "mlsc-alone": __version__}
    versions.update(peer_versions(venv))
    bin_dir = venv / "bin"
    runs: list[Run] = []
    build_errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="mlsc-bench-") as tmp:
        targets: dict[str, Path] = {}
        for i, s in enumerate(samples):
            d = Path(tmp, f"s{i:04d}", "in")
            d.mkdir(parents=True)
            try:
                targets[s.name] = s.build(d)
            except Exception as e:
                build_errors[s.name] = f"{type(e).__name__}: {e}"[:200]
        built = [s for s in samples if s.name in targets]
        for s in built:
            for tool, second in (("mlsc", True), ("mlsc-alone", False)):
                v, note, secs = _timed(partial(run_mlsc, targets[s.name], second_opinion=second))
                runs.append(Run(tool, s.name, v, secs, note))

        def peer(tool: str, name: str, work: Path) -> Run:
            work.mkdir(parents=True, exist_ok=True)
            runner = PEER_RUNNERS[tool]
            v, note, secs = _timed(lambda: runner(bin_dir, targets[name], work, timeout))
            return Run(tool, name, v, secs, note)

        jobs_list = []
        for tool in PEERS:
            if versions.get(tool) is None:
                runs.extend(Run(tool, s.name, "absent", 0.0) for s in built)
                continue
            for i, s in enumerate(built):
                jobs_list.append((tool, s.name, Path(tmp, f"work-{tool}-{i:04d}")))
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            runs.extend(pool.map(lambda j: peer(*j), jobs_list))
    return built, versions, runs, build_errors


def summarise(
    samples: Sequence[Any], versions: dict[str, str | None], runs: Sequence[Run]
) -> dict[str, Any]:
    """The table, the per-sample rows and the lists that must stay empty."""
    malicious = {s.name: s.malicious for s in samples}
    by = {(r.tool, r.sample): r for r in runs}
    tools = ["mlsc", "mlsc-alone", *PEERS]
    summaries: dict[str, ToolSummary] = {}
    for tool in tools:
        t = ToolSummary(tool, versions.get(tool))
        for s in samples:
            r = by[(tool, s.name)]
            t.seconds += r.seconds
            if r.verdict == "absent":
                continue
            t.errors += r.verdict == "error"
            if malicious[s.name]:
                if r.verdict in DETECTED:
                    t.detected += 1
                else:
                    t.missed += 1
                    t.missed_samples.append(s.name)
            elif r.verdict in DETECTED:
                t.false_positives += 1
                t.false_positive_samples.append(s.name)
        summaries[tool] = t
    peer_only = []
    peer_error_mlsc_clean = []
    peer_dangerous_mlsc_lower = []
    for s in samples:
        mlsc = by[("mlsc", s.name)].verdict
        severe = [p for p in PEERS if by[(p, s.name)].verdict == "dangerous"]
        if severe and mlsc != "dangerous":
            peer_dangerous_mlsc_lower.append({"sample": s.name, "peers": severe, "mlsc": mlsc})
        if not s.malicious or mlsc in DETECTED:
            continue
        caught = [p for p in PEERS if by[(p, s.name)].verdict in DETECTED]
        if caught:
            peer_only.append({"sample": s.name, "caught_by": caught, "source": s.source})
        errored = [p for p in PEERS if by[(p, s.name)].verdict == "error"]
        if errored and not caught:
            peer_error_mlsc_clean.append({"sample": s.name, "errored": errored})
    mlsc_errors = [r.sample for r in runs if r.tool == "mlsc" and r.verdict == "error"]
    return {
        "tools": {k: asdict(v) for k, v in summaries.items()},
        "samples": [
            {
                "sample": s.name,
                "malicious": s.malicious,
                "expect": s.expect,
                "source": s.source,
                "runs": {
                    t: {
                        "verdict": by[(t, s.name)].verdict,
                        "note": by[(t, s.name)].note,
                        "seconds": round(by[(t, s.name)].seconds, 4),
                    }
                    for t in tools
                },
            }
            for s in samples
        ],
        "caught_by_a_peer_missed_by_mlsc": peer_only,
        "mlsc_false_positives": summaries["mlsc"].false_positive_samples,
        "mlsc_errors": mlsc_errors,
        "peer_error_where_mlsc_clean": peer_error_mlsc_clean,
        "peer_dangerous_mlsc_lower": peer_dangerous_mlsc_lower,
    }
