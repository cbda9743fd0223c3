"""How each tool is run on one sample and what its answer counts as (see the docstring of
``benchmarks/scanners.py``): mlsc in this process, the peers as subprocesses from their own
virtual environment, and that environment's set-up."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from mlsc.scan import scan_path

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
