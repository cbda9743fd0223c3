"""Scan a model file or directory: every file's format, hash and findings, and the
directory's signature.

Nothing is loaded: pickles are walked opcode by opcode (:mod:`mlsc.scan.pickles`),
safetensors headers are parsed as JSON (:mod:`mlsc.scan.safetensors`), and signatures are
checked with ``model-signing`` (:mod:`mlsc.scan.signing`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlsc.scan.containers import SecondOpinion, probe_pickle, scan_pickle_file, should_scan
from mlsc.scan.engines import Engine, FormatScan
from mlsc.scan.findings import Finding, ScanStatus, Severity, status_of, worst_status
from mlsc.scan.formats import Sniff, sniff
from mlsc.scan.keras import keras_engine
from mlsc.scan.onnx import onnx_engine
from mlsc.scan.safetensors import validate_header
from mlsc.scan.savedmodel import savedmodel_engine
from mlsc.scan.second_opinion import picklescan_engine
from mlsc.scan.signing import SignatureResult, verify_model
from mlsc.scan.template_engines import chat_template_engine, gguf_engine
from mlsc.vocab import utc_now

ENGINES: tuple[Engine, ...] = (
    keras_engine,
    savedmodel_engine,
    onnx_engine,
    gguf_engine,
    chat_template_engine,
)
"""Every format engine (:mod:`mlsc.scan.engines`), in the order they are asked."""
MAX_FILES = 100_000
"""Files scanned in one directory before the rest are left out (the report says so)."""
SKIP_DIRS = frozenset({".git", ".hg", ".svn"})
"""Directories never entered (version-control internals)."""
CHUNK = 1 << 20


@dataclass(frozen=True)
class FileScan:
    """One scanned file."""

    path: str
    """Relative to the scanned root, ``/``-separated (the File node's ``path``)."""
    size: int
    sha256: str | None
    """Of the whole file; ``None`` when hashing was off or the file could not be read."""
    format: str | None
    """Coarse format by content, else by name: ``pickle`` (anything a loader unpickles:
    raw pickles, PyTorch zip/tar/legacy checkpoints, object ``.npy``, compressed joblib),
    ``safetensors``, ``numpy``, ``npz``, ``zip``, ``gguf``, ``onnx``, ``keras`` ...,
    ``None`` for READMEs and configs."""
    container: str | None
    """What held the pickles, when there were any: ``torch-zip``, ``torch-legacy``,
    ``torch-tar``, ``pickle``, ``numpy-object``, ``compressed-pickle``, ``npz``, ``zip``."""
    pickle: bool
    """Whether loading the file unpickles something."""
    status: ScanStatus
    findings: tuple[Finding, ...]
    imports: tuple[str, ...]
    """Every distinct ``module.name`` its pickles import, dangerous ones first."""
    facts: tuple[tuple[str, str], ...] = ()
    """Named facts a format engine recorded (``("chat_template_sha256", "...")``)."""


@dataclass(frozen=True)
class ScanReport:
    """The scan of one file or directory."""

    root: str
    """The absolute directory the file paths are relative to."""
    target: str
    """What was asked to be scanned (absolute): ``root`` itself or one file in it."""
    is_dir: bool
    files: tuple[FileScan, ...]
    signature: SignatureResult | None
    """The directory's model signature; ``None`` for a single file or when not checked."""
    scanned_at: str
    """When the scan ran: ISO-8601 UTC."""
    truncated: bool = False
    """Whether :data:`MAX_FILES` cut the directory short."""

    @property
    def status(self) -> ScanStatus:
        """The worst file status."""
        return worst_status(f.status for f in self.files)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(x for f in self.files for x in f.findings)

    def counts(self) -> dict[str, int]:
        """Files per status, findings per severity, and totals."""
        by_status = Counter(f.status for f in self.files)
        by_severity: Counter[Severity] = Counter(x.severity for x in self.findings)
        return {
            "files": len(self.files),
            "pickle_files": sum(f.pickle for f in self.files),
            **{f"status_{s}": by_status.get(s, 0) for s in ("clean", "warning", "critical")},
            "status_unparseable": by_status.get("unparseable", 0),
            "status_skipped": by_status.get("skipped", 0),
            **{f"findings_{s}": by_severity.get(s, 0) for s in ("critical", "warning", "info")},
        }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


_PICKLE_CONTAINERS = frozenset(
    {"pickle", "torch-legacy", "torch-zip", "torch-tar", "numpy-object", "compressed-pickle"}
)


def _mismatch(rel: str, s: Sniff) -> Finding | None:
    """A finding when the name promises a safe format and the bytes are something else."""
    if s.name_format == "safetensors" and s.magic not in (None, "safetensors"):
        said = f"named .safetensors but its bytes are {s.magic}"
    elif s.name_format == "numpy" and s.magic not in (None, "numpy"):
        said = f"named .npy but its bytes are {s.magic}"
    elif s.name_format == "gguf" and s.magic not in (None, "gguf"):
        said = f"named .gguf but its bytes are {s.magic}"
    elif s.name_format is None and s.magic in ("pickle", "torch-legacy"):
        said = "holds a pickle under a name that does not say so"
    else:
        return None
    return Finding(rel, "format_mismatch", "warning", said)


def scan_file(
    path: Path, rel: str, *, second_opinion: SecondOpinion | None = None, hash_file: bool = True
) -> FileScan:
    """Scan one file (``rel`` is the path its findings carry); never raises."""
    try:
        s = sniff(path)
        digest = _sha256(path) if hash_file else None
    except OSError as e:
        finding = Finding(rel, "unparseable", "warning", f"cannot read: {e}"[:300])
        return FileScan(rel, 0, None, None, None, False, "unparseable", (finding,), ())
    findings: list[Finding] = []
    mismatch = _mismatch(rel, s)
    if mismatch is not None:
        findings.append(mismatch)
    fmt = s.name_format
    container: str | None = None
    has_pickle = False
    imports: tuple[str, ...] = ()
    scanned = True
    claimed: FormatScan | None = None
    facts: tuple[tuple[str, str], ...] = ()
    # bytes that walk as a pickle are a pickle whatever the name says (CVE-2025-10155)
    pickled = s.magic in ("pickle", "torch-legacy") or (s.magic is None and probe_pickle(path))
    for engine in () if pickled else ENGINES:
        if (claimed := engine(path, rel, s)) is not None:
            break
    if claimed is not None:
        fmt, has_pickle, imports = claimed.format, claimed.pickle, claimed.imports
        facts = claimed.facts
        findings.extend(claimed.findings)
    elif s.magic == "safetensors" or (
        s.name_format == "safetensors" and s.magic is None and not pickled
    ):
        fmt = "safetensors"
        findings.extend(validate_header(path, rel).findings)
    elif should_scan(s.magic, path.name):
        result = scan_pickle_file(path, rel, s.magic, second_opinion=second_opinion)
        findings.extend(result.findings)
        container, has_pickle = result.container, result.has_pickle
        order = {"dangerous": 0, "unknown": 1, "safe": 2}
        ranked = sorted(result.imports, key=lambda i: (order[i.verdict], i.qualname))
        imports = tuple(dict.fromkeys(i.qualname for i in ranked))
        if container in _PICKLE_CONTAINERS:
            fmt = "pickle"
        elif container is not None:
            fmt = container if container in ("numpy", "npz", "zip", "tar", "7z") else fmt
        scanned = container is not None or bool(result.findings)
        if container == "pickle" and s.name_format != "pickle" and mismatch is None:
            said = (
                f"named as {s.name_format}"
                if s.name_format
                else "under a name that does not say so"
            )
            findings.append(Finding(rel, "format_mismatch", "warning", f"holds a pickle {said}"))
    else:
        scanned = False
        if s.magic in ("gguf", "zip", "tar", "7z"):
            fmt = s.magic
    return FileScan(
        rel,
        s.size,
        digest,
        fmt,
        container,
        has_pickle,
        status_of(findings, scanned=scanned),
        tuple(findings),
        imports,
        facts,
    )


def _walk(root: Path, limit: int) -> tuple[list[Path], bool]:
    """Regular files under ``root`` (file symlinks followed, directory ones not), sorted by
    their relative path."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            p = Path(dirpath, name)
            if p.is_file():
                found.append(p)
                if len(found) > limit:
                    return sorted(found[:limit], key=lambda p: p.relative_to(root).parts), True
    return sorted(found, key=lambda p: p.relative_to(root).parts), False


def scan_path(
    path: str | os.PathLike[str],
    *,
    public_keys: Sequence[str | os.PathLike[str]] = (),
    certificate_chain: Sequence[str | os.PathLike[str]] = (),
    check_signature: bool = True,
    second_opinion: bool = True,
    hash_files: bool = True,
    max_files: int = MAX_FILES,
) -> ScanReport:
    """Scan a model file or a model directory without loading anything.

    For a directory every regular file is hashed and sniffed; pickle-bearing and safetensors
    files are checked, others are ``skipped``. The directory's OpenSSF model signature, if
    any, is checked against ``public_keys`` (for key signatures) or ``certificate_chain``
    (for certificate ones); see :func:`mlsc.scan.signing.verify_model`. ``second_opinion``
    also runs picklescan on every pickle stream when it is installed. Raises
    ``FileNotFoundError`` if ``path`` does not exist.
    """
    target = Path(path).absolute()
    if not target.exists():
        raise FileNotFoundError(str(path))
    engine = picklescan_engine() if second_opinion else None
    stamp = utc_now()
    if target.is_dir():
        root, is_dir = target, True
        paths, truncated = _walk(root, max_files)
    else:
        root, is_dir, paths, truncated = target.parent, False, [target], False
    files = tuple(
        scan_file(p, p.relative_to(root).as_posix(), second_opinion=engine, hash_file=hash_files)
        for p in paths
    )
    signature = None
    if is_dir and check_signature:
        hashes = {f.path: f.sha256 for f in files if f.sha256 is not None}
        signature = verify_model(
            root,
            public_keys=[Path(k) for k in public_keys],
            certificate_chain=[Path(c) for c in certificate_chain],
            file_sha256=hashes if hash_files and not truncated else None,
        )
    return ScanReport(str(root), str(target), is_dir, files, signature, stamp, truncated)


def with_findings(report: ScanReport, extra: Iterable[Finding]) -> ScanReport:
    """``report`` with more findings on its files (another source's verdicts), each file's
    status recomputed; a finding for a path the report does not hold is ignored."""
    by_path: dict[str, list[Finding]] = {}
    for f in extra:
        by_path.setdefault(f.path, []).append(f)
    if not by_path:
        return report
    files = tuple(
        dataclasses.replace(
            f,
            findings=(*f.findings, *by_path[f.path]),
            status=worst_status((f.status, status_of(by_path[f.path]))),
        )
        if f.path in by_path
        else f
        for f in report.files
    )
    return dataclasses.replace(report, files=files)
