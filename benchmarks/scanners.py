"""mlsc against the peer scanners (picklescan, fickling, ModelScan) on the scanner corpus.

Every sample of ``tests.scan.corpus.SAMPLES`` is built in a fresh temporary directory and
scanned by each tool; the script prints, per tool, how many malicious samples it detected
and missed, how many benign ones it flagged, and how often it could not scan, then the two
lists that must stay empty: malicious samples some peer detected and mlsc did not, and benign
samples mlsc flagged. It exits 1 when either list is not empty (or mlsc crashed), else 0.

    .venv/bin/python benchmarks/scanners.py --setup      # creates .bench-venv/ with the peers
    .venv/bin/python benchmarks/scanners.py --verbose    # one row per sample and tool
    .venv/bin/python benchmarks/scanners.py --format json

mlsc runs in this process (``mlsc.scan.scan_path``, with unpickling disabled while it
scans); the peers run as subprocesses from their own virtual environment (``--venv``,
default ``.bench-venv/`` at the repository root, git-ignored) so their pins never touch
mlsc's, each with a timeout. A peer that is not installed there is reported ``absent``.

What counts as a detection ("flagged"), per tool:

- ``mlsc``: the report's status is ``warning``, ``unparseable`` or ``critical`` (anything
  but ``clean`` or ``skipped``), with the default settings (picklescan as second opinion
  when installed in mlsc's environment). ``mlsc-alone`` is the same with the second opinion
  off, shown for information (the gate is on ``mlsc``).
- ``picklescan``: its CLI (``picklescan -p PATH -g``) exits 1: at least one global it rates
  dangerous. Exit 2 (it reported a scan error) is ``error``.
- ``fickling``: the way its own ``--huggingface`` repository scan treats each file (see
  :data:`FICKLING_DRIVER`): a zip (PyTorch or standard) through ``fickling.scan_zip_archive``, a raw pickle (by content or a
  ``.bin``/``.pkl``/``.pickle`` name) through ``fickling.scan_file``, both ``graceful``;
  tar, 7z and NumPy-pickle files and unknown formats are skipped as fickling skips them.
  Flagged when any result is not ``is_safe`` (severity above ``LIKELY_SAFE``; fickling
  rates a stream it cannot parse ``SUSPICIOUS``, so that is flagged too). A crash is
  ``error``. (``fickling --check-safety FILE`` only reads raw pickles, not zips.)
- ``modelscan``: ``modelscan -p PATH -r json``: any entry in ``issues`` (any severity) is
  flagged; no issue but entries in ``errors`` (or exit 2) is ``error``.

A detection is ``dangerous`` when the tool rates it as severe as it goes: mlsc ``critical``,
any picklescan detection (a dangerous global), fickling ``LIKELY_OVERTLY_MALICIOUS`` or
``OVERTLY_MALICIOUS``, a ModelScan issue of severity ``CRITICAL`` or ``HIGH``; the script
lists samples a peer rates dangerous while mlsc does not rate them ``critical`` (a report
below a peer's: shown, not gating). Every tool: a timeout, a crash or output that cannot be
read is ``error``. Columns:
``detected``/``missed`` (malicious samples flagged / not flagged: clean or error),
``errors`` (any sample the tool could not scan), ``false+`` (benign samples flagged),
``seconds`` (summed wall time of its runs; a peer's includes starting its interpreter, mlsc's
does not) and ``x mlsc`` (that time over mlsc's).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mlsc.scan import scan_path  # noqa: E402

Verdict = Literal["dangerous", "flagged", "clean", "error", "absent"]
"""``dangerous``: flagged, and rated as severe as the tool goes (see the module docstring);
``flagged``: flagged at a lower severity; ``clean``; ``error``: could not scan; ``absent``."""
DETECTED: frozenset[Verdict] = frozenset({"dangerous", "flagged"})

PEERS = ("picklescan", "fickling", "modelscan")
PEER_REQUIREMENTS = {
    "picklescan": ["picklescan>=1.0.5"],
    # fickling 0.1.12 imports typing_extensions without declaring it
    "fickling": ["fickling>=0.1.12", "typing_extensions"],
    # modelscan 0.8.8 calls numpy.lib.format._check_version, gone in NumPy 2 (every .npy then
    # fails to scan): NumPy 1.x, inside its declared numpy>=1.24.3. The h5py extra lets it read
    # Keras .h5 files; the tensorflow extra (SavedModel, .keras) is not installed: too big.
    "modelscan": ["modelscan[h5py]>=0.8.8", "numpy<2"],
}
"""What ``--setup`` installs in the peers' venv, one pip call per tool (a tool that fails to
install is reported absent; the others still run)."""
FLAGGED_STATUSES = frozenset({"warning", "unparseable", "critical"})

FICKLING_DRIVER = r"""
import json, os, sys, zipfile
from pathlib import PurePosixPath
from fickling.fickle import Pickled, StackedPickle
from fickling.loader import scan_file, scan_zip_archive

RAW = {".bin", ".pkl", ".pickle"}
ZIP = {".pt", ".pth"}

def is_pickle(path):  # fickling.polyglot.check_pickle(file, min_length=2), which needs torch
    with open(path, "rb") as f:
        try:
            return len(Pickled.load(f)) > 2
        except Exception:
            f.seek(0)
            try:
                return any(len(p) > 2 for p in StackedPickle.load(f).pickled)
            except Exception:
                return False

target = sys.argv[1]
files = [target] if os.path.isfile(target) else sorted(
    os.path.join(d, n) for d, _, names in os.walk(target) for n in names)
flagged, malicious, notes = False, False, []
for path in files:
    rel = os.path.relpath(path, target) if path != target else os.path.basename(path)
    ext = PurePosixPath(path).suffix.lower()
    if zipfile.is_zipfile(path) or ext in ZIP:
        results = list(scan_zip_archive(path, graceful=True).values())
    elif ext in RAW or is_pickle(path):
        results = [scan_file(path, graceful=True)]
    else:
        notes.append(f"{rel}: skipped")
        continue
    for r in results:
        if not r.is_safe:
            flagged = True
            malicious |= r.severity.name in ("LIKELY_OVERTLY_MALICIOUS", "OVERTLY_MALICIOUS")
            err = f" ({r.errors[0][:80]})" if r.errors else ""
            notes.append(f"{rel}: {r.severity.name}{err}")
print(json.dumps({"flagged": flagged, "malicious": malicious, "notes": notes}))
"""
"""Run by the peers' python as ``python -c DRIVER TARGET``: fickling's own repository-scan
logic (``fickling.cli._scan_huggingface``) applied to local files. That code asks
``fickling.polyglot.find_file_properties``, which imports torch (gigabytes, not installed
here): a zip is recognised with :func:`zipfile.is_zipfile` instead, and a pickle with a copy
of ``fickling.polyglot.check_pickle``; tar, 7z and NumPy files fall to "skipped", as there."""


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


@contextmanager
def no_unpickling() -> Iterator[None]:
    """While mlsc scans, every unpickling entry point raises (as in the test suite)."""

    def refuse(*args: object, **kwargs: object) -> Any:
        raise RuntimeError("the scanner tried to unpickle")

    import _pickle

    saved = [
        (m, n, getattr(m, n)) for m in (pickle, _pickle) for n in ("load", "loads", "Unpickler")
    ]
    for module, name, _ in saved:
        setattr(module, name, refuse)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def run_mlsc(target: Path, *, second_opinion: bool) -> tuple[Verdict, str]:
    with no_unpickling():
        report = scan_path(target, check_signature=False, second_opinion=second_opinion)
    worst = [x.short() for x in report.findings if x.severity != "info"][:2]
    verdict: Verdict = "flagged" if report.status in FLAGGED_STATUSES else "clean"
    if report.status == "critical":
        verdict = "dangerous"
    return verdict, f"{report.status}" + (f": {'; '.join(worst)}" if worst else "")


def _tail(text: str, n: int = 160) -> str:
    return " ".join(text.split())[-n:]


def run_picklescan(bin_dir: Path, target: Path, cwd: Path, timeout: float) -> tuple[Verdict, str]:
    p = subprocess.run(
        [str(bin_dir / "picklescan"), "-p", str(target), "-g"],
        capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False,
    )  # fmt: skip
    dangerous = [ln.strip("* ").strip() for ln in p.stdout.splitlines() if "- dangerous" in ln]
    if p.returncode == 1:
        return "dangerous", "; ".join(dangerous)[:200]
    if p.returncode == 0:
        return "clean", ""
    return "error", f"exit {p.returncode}: {_tail(p.stdout + p.stderr)}"


def run_fickling(bin_dir: Path, target: Path, cwd: Path, timeout: float) -> tuple[Verdict, str]:
    p = subprocess.run(
        [str(bin_dir / "python"), "-c", FICKLING_DRIVER, str(target)],
        capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False,
    )  # fmt: skip
    try:
        out = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return "error", f"exit {p.returncode}: {_tail(p.stderr or p.stdout)}"
    verdict: Verdict = "clean"
    if out["flagged"]:
        verdict = "dangerous" if out["malicious"] else "flagged"
    return verdict, "; ".join(out["notes"])[:200]


def run_modelscan(bin_dir: Path, target: Path, cwd: Path, timeout: float) -> tuple[Verdict, str]:
    report = cwd / "modelscan-report.json"
    p = subprocess.run(
        [str(bin_dir / "modelscan"), "-p", str(target), "-r", "json", "-o", str(report)],
        capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False,
    )  # fmt: skip
    try:
        out = json.loads(report.read_text("utf-8"))
    except (OSError, ValueError):
        return "error", f"exit {p.returncode}: {_tail(p.stdout + p.stderr)}"
    issues = out.get("issues") or []
    if issues:
        what = [f"{i.get('severity')} {i.get('module')}.{i.get('operator')}" for i in issues]
        severe = any(i.get("severity") in ("CRITICAL", "HIGH") for i in issues)
        return ("dangerous" if severe else "flagged"), "; ".join(what)[:200]
    errors = out.get("errors") or []
    if p.returncode == 3 and not errors:  # its "no supported files": nothing to scan
        return "clean", "no supported files"
    if errors or p.returncode not in (0, 1):
        return "error", _tail(json.dumps(errors) if errors else p.stdout + p.stderr)
    skipped = out.get("summary", {}).get("skipped", {}).get("total_skipped")
    return "clean", f"skipped {skipped}" if skipped else ""


PeerRunner = Callable[[Path, Path, Path, float], tuple[Verdict, str]]
PEER_RUNNERS: dict[str, PeerRunner] = {
    "picklescan": run_picklescan,
    "fickling": run_fickling,
    "modelscan": run_modelscan,
}


def setup_venv(venv: Path) -> None:
    """Create the peers' venv (if missing) and install each peer; failures are reported,
    not raised: that peer is then absent."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=False)
    for tool, reqs in PEER_REQUIREMENTS.items():
        p = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *reqs], stdout=sys.stderr, check=False
        )
        if p.returncode != 0:
            print(f"warning: {tool} did not install; it will be reported absent", file=sys.stderr)


def peer_versions(venv: Path) -> dict[str, str | None]:
    """Each peer's installed version in the venv, ``None`` if it is not there."""
    python = venv / "bin" / "python"
    if not python.exists():
        return dict.fromkeys(PEERS)
    code = (
        "import importlib.metadata as m, json, importlib\n"
        "out = {}\n"
        f"for t in {list(PEERS)!r}:\n"
        "    try:\n"
        "        importlib.import_module(t); out[t] = m.version(t)\n"
        "    except Exception:\n"
        "        out[t] = None\n"
        "print(json.dumps(out))\n"
    )
    p = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    try:
        found: dict[str, str | None] = json.loads(p.stdout)
    except ValueError:
        return dict.fromkeys(PEERS)
    return found


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
                v, note, secs = _timed(
                    lambda t=targets[s.name], o=second: run_mlsc(t, second_opinion=o)
                )
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


def print_table(result: dict[str, Any], verbose: bool, build_errors: dict[str, str]) -> None:
    samples = result["samples"]
    n_mal = sum(s["malicious"] for s in samples)
    n_ben = len(samples) - n_mal
    print(f"{len(samples)} samples: {n_mal} malicious, {n_ben} benign")
    base = result["tools"]["mlsc"]["seconds"] or 1e-9
    header = f"{'tool':<11} {'version':<8} {'detected':>9} {'missed':>7} {'errors':>7} {'false+':>7} {'seconds':>8} {'x mlsc':>7}"
    print(header)
    print("-" * len(header))
    for t in result["tools"].values():
        if t["version"] is None:
            print(f"{t['tool']:<11} {'absent':<8}")
            continue
        print(
            f"{t['tool']:<11} {t['version']:<8} {t['detected']:>4}/{n_mal:<4} {t['missed']:>7} "
            f"{t['errors']:>7} {t['false_positives']:>3}/{n_ben:<3} {t['seconds']:>8.2f} "
            f"{t['seconds'] / base:>7.1f}"
        )
    if verbose:
        print()
        for s in samples:
            kind = "malicious" if s["malicious"] else "benign"
            print(f"{s['sample']} ({kind}): {s['source']}")
            for tool, r in s["runs"].items():
                note = f"  {r['note']}" if r["note"] else ""
                print(f"    {tool:<11} {r['verdict']:<8}{note}")
    for name, err in build_errors.items():
        print(f"sample {name} did not build: {err}")
    for name, why in result["skipped_samples"]:
        print(f"sample {name} left out: {why}")
    print()
    missed = result["caught_by_a_peer_missed_by_mlsc"]
    print(f"caught by a peer, missed by mlsc ({len(missed)}, must be 0):")
    for m in missed:
        print(f"    {m['sample']}: caught by {', '.join(m['caught_by'])}")
    fps = result["mlsc_false_positives"]
    print(f"benign samples mlsc flagged ({len(fps)}, must be 0):")
    for name in fps:
        print(f"    {name}")
    lower = result["peer_dangerous_mlsc_lower"]
    print(f"rated dangerous by a peer, below critical in mlsc ({len(lower)}, should be 0):")
    for m in lower:
        print(f"    {m['sample']}: {', '.join(m['peers'])}; mlsc {m['mlsc']}")
    for name in result["mlsc_errors"]:
        print(f"mlsc crashed on {name}")
    for m in result["peer_error_where_mlsc_clean"]:
        print(
            f"note: {', '.join(m['errored'])} could not scan {m['sample']}, which mlsc rates clean"
        )


def print_markdown(result: dict[str, Any]) -> None:
    """The tools table as Markdown, for benchmarks/README.md."""
    samples = result["samples"]
    n_mal = sum(s["malicious"] for s in samples)
    n_ben = len(samples) - n_mal
    base = result["tools"]["mlsc"]["seconds"] or 1e-9
    print("| tool | version | detected | missed | errors | false+ | seconds | x mlsc |")
    print("|---|---|---|---|---|---|---|---|")
    for t in result["tools"].values():
        if t["version"] is None:
            print(f"| {t['tool']} | absent | | | | | | |")
            continue
        print(
            f"| {t['tool']} | {t['version']} | {t['detected']}/{n_mal} | {t['missed']} | "
            f"{t['errors']} | {t['false_positives']}/{n_ben} | {t['seconds']:.2f} | "
            f"{t['seconds'] / base:.1f} |"
        )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--venv",
        type=Path,
        default=REPO / ".bench-venv",
        help="the peers' virtual environment (default: .bench-venv/)",
    )
    ap.add_argument(
        "--setup",
        action="store_true",
        help="create the peers' venv if missing and install the peers missing from it (pip's usual rules: no upgrade)",
    )
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per peer run")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel peer runs")
    ap.add_argument("--only", help="only samples whose name contains this")
    ap.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    ap.add_argument("--verbose", "-v", action="store_true", help="one row per sample and tool")
    args = ap.parse_args(argv)  # fmt: skip
    args.venv = args.venv.absolute()  # the peers run with each sample's directory as cwd
    if args.setup:
        setup_venv(args.venv)
    samples, versions, runs, build_errors = benchmark(args.venv, args.timeout, args.jobs, args.only)
    result = summarise(samples, versions, runs)
    result["build_errors"] = build_errors
    from tests.scan.corpus.benign import SKIPPED

    result["skipped_samples"] = SKIPPED
    if args.format == "json":
        print(json.dumps(result, indent=2))
    elif args.format == "markdown":
        print_markdown(result)
    else:
        print_table(result, args.verbose, build_errors)
    # A peer that is installed but errs on every sample is a broken harness, not a result.
    broken = [
        tool for tool, t in result["tools"].items()
        if tool in PEERS and samples and t["errors"] == len(samples)
    ]  # fmt: skip
    for tool in broken:
        print(f"{tool} failed on every sample: the benchmark compares nothing", file=sys.stderr)
    failed = (
        result["caught_by_a_peer_missed_by_mlsc"] or result["mlsc_false_positives"]
        or result["mlsc_errors"] or build_errors or broken
    )  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
