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
  ``FICKLING_DRIVER`` in ``scanbench/tools.py``): a zip (PyTorch or standard) through ``fickling.scan_zip_archive``, a raw pickle (by content or a
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
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.scanbench.compare import Run, _timed, benchmark, summarise  # noqa: E402
from benchmarks.scanbench.tables import print_markdown, print_table  # noqa: E402
from benchmarks.scanbench.tools import PEERS, peer_versions, run_mlsc, setup_venv  # noqa: E402

# what tests/scan/test_bench_scanners.py reads from this module
__all__ = ["PEERS", "Run", "_timed", "main", "peer_versions", "run_mlsc", "summarise"]


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
