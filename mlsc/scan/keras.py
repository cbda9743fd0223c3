"""The Keras engine: ``.keras`` zips and legacy HDF5 (``.h5``/``.hdf5``) models.

``keras.saving.load_model`` reads a ``.keras`` file as a zip holding ``config.json`` (the
model config), ``metadata.json`` and ``model.weights.h5``; a legacy HDF5 file keeps the
config as JSON in the root group's ``model_config`` attribute (and the compile settings in
``training_config``). Weights are plain arrays and stay benign; the config decides what the
loader imports and runs, and is checked with :func:`mlsc.scan.keras_config.check_config`.

HDF5 attributes are read with ``h5py`` (nothing is loaded: the attributes are strings). If
``h5py`` cannot open the file, the raw bytes are searched for the JSON a Lambda layer leaves
(attributes are never compressed in HDF5), and the file is otherwise ``unparseable``.
"""

from __future__ import annotations

import json
import re
import shlex
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlsc.scan.containers import read_npy_header
from mlsc.scan.engines import FormatScan
from mlsc.scan.findings import Finding
from mlsc.scan.formats import Sniff
from mlsc.scan.keras_config import ConfigIssue, check_config
from mlsc.scan.pickles import pickle_findings, scan_pickle_stream

MAX_CONFIG = 64 << 20
"""Bytes of config JSON read before the file is reported as over the scan limit."""
H5_CONFIG_ATTRS = ("model_config", "training_config")
"""Root attributes of a legacy HDF5 model that the loader deserializes."""
PICKLE_KINDS = frozenset({"dangerous_import", "unknown_import", "unresolved_import", "pickle"})
"""Finding kinds that mean a pickle was walked."""
RAW_LAMBDA = re.compile(rb'"class_name":\s*"(Lambda|__lambda__|TFSMLayer|TorchModuleWrapper)"')
"""What the raw-bytes fallback looks for in an HDF5 file ``h5py`` could not open."""


def _findings(rel: str, issues: list[ConfigIssue], member: str | None, check: str) -> list[Finding]:
    out = []
    for i in issues:
        where = f"layer {i.layer!r}" if i.layer else "model"
        detail = f"{where} ({i.where or 'root'}): {i.detail}"[:300]
        out.append(Finding(rel, i.kind, i.severity, detail, i.imports, member, check=check))
    return out


def _imports(findings: list[Finding]) -> tuple[str, ...]:
    ranked = sorted(findings, key=lambda f: f.severity != "critical")
    return tuple(dict.fromkeys(q for f in ranked for q in f.imports))


def _load_json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


def _npz_check(rel: str, name: str, inner: str) -> str:
    """Print the pickle of one ``.npy`` inside a ``.npz`` inside the zip (v1 header)."""
    return (
        "python -c 'import io,sys,pickletools,zipfile as Z; d=Z.ZipFile(io.BytesIO(Z.ZipFile("
        'sys.argv[1]).read(sys.argv[2]))).read(sys.argv[3]); n=int.from_bytes(d[8:10],"little"); '
        f"pickletools.dis(d[10+n:])' {shlex.quote(rel)} {shlex.quote(name)} {shlex.quote(inner)}"
    )


def _npz_pickles(zf: zipfile.ZipFile, name: str, rel: str) -> list[Finding]:
    """The pickles in a ``.npz`` weights member: Keras' ``NpzIOStore`` loads it with
    ``np.load(allow_pickle=True)`` in several versions, so an object array runs a pickle."""
    findings: list[Finding] = []
    try:
        with zf.open(name) as raw, zipfile.ZipFile(raw) as npz:
            for inner in npz.namelist():
                if not inner.endswith(".npy"):
                    continue
                with npz.open(inner) as f:
                    _, objects = read_npy_header(f)
                    if objects:
                        scan = scan_pickle_stream(f)
                        check = _npz_check(rel, name, inner)
                        findings.extend(
                            replace(x, check=check)
                            for x in pickle_findings(rel, scan, f"{name}/{inner}")
                        )
    except Exception as e:  # hostile bytes: a finding, never a crash
        detail = f"cannot read {name}: {type(e).__name__}: {e}"[:300]
        findings.append(Finding(rel, "unparseable", "warning", detail, member=name))
    return findings


def scan_keras_zip(path: Path, rel: str) -> FormatScan:
    """Check the ``config.json`` of a ``.keras`` zip, and object arrays in a
    ``model.weights.npz``."""
    q = shlex.quote(rel)
    check = f"unzip -p {q} config.json | python -m json.tool"
    findings: list[Finding] = []
    facts: list[tuple[str, str]] = []
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "config.json" not in names:
                f = Finding(rel, "unparseable", "warning", "a .keras zip without config.json")
                return FormatScan("keras", (f,))
            info = zf.getinfo("config.json")
            if info.file_size > MAX_CONFIG:
                f = Finding(rel, "scan_limit", "warning", f"config.json is {info.file_size} bytes")
                return FormatScan("keras", (f,))
            config = _load_json(zf.read("config.json"))
            if "metadata.json" in names and zf.getinfo("metadata.json").file_size < 1 << 20:
                meta = _load_json(zf.read("metadata.json"))
                if isinstance(meta, dict) and isinstance(meta.get("keras_version"), str):
                    facts.append(("keras_version", meta["keras_version"]))
            for name in sorted(n for n in names if n.lower().endswith(".npz")):
                findings.extend(_npz_pickles(zf, name, rel))
    except (zipfile.BadZipFile, OSError, ValueError, RecursionError, KeyError) as e:
        f = Finding(rel, "unparseable", "warning", f"cannot read the .keras zip: {e}"[:300])
        return FormatScan("keras", (f,))
    issues, cut = check_config(config)
    findings.extend(_findings(rel, issues, "config.json", check))
    if cut:
        findings.append(Finding(rel, "scan_limit", "warning", "config too large to walk fully"))
    has_pickle = any(f.kind in PICKLE_KINDS for f in findings)
    return FormatScan("keras", tuple(findings), _imports(findings), tuple(facts), has_pickle)


def _h5_check(rel: str, attr: str) -> str:
    return (
        "python -c 'import h5py,json,sys; print(json.dumps(json.loads(h5py.File(sys.argv[1],"
        f'"r").attrs[sys.argv[2]]), indent=1))\' {shlex.quote(rel)} {attr}'
    )


def _raw_fallback(path: Path, rel: str, why: str) -> FormatScan:
    """An HDF5 file ``h5py`` cannot read: look for Lambda JSON in the raw bytes."""
    findings = [Finding(rel, "unparseable", "warning", f"h5py cannot read it: {why}"[:300])]
    with path.open("rb") as fh:
        data = fh.read(MAX_CONFIG)
    for m in RAW_LAMBDA.finditer(data):
        findings.append(
            Finding(
                rel,
                "keras_lambda" if b"ambda" in m.group(1) else "keras_unsafe_object",
                "critical",
                f"raw bytes hold a {m.group(1).decode()} layer config",
                offset=m.start(),
                check=f'grep -a -o -b -E \'"class_name": *"{m.group(1).decode()}"\' '
                f"{shlex.quote(rel)}",
            )
        )
        break
    return FormatScan("keras", tuple(findings))


def scan_keras_h5(path: Path, rel: str) -> FormatScan:
    """Check the ``model_config`` and ``training_config`` attributes of an HDF5 file."""
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency
        return _raw_fallback(path, rel, "h5py is not installed")
    findings: list[Finding] = []
    raw: dict[str, Any] = {}
    try:
        with h5py.File(path, "r") as f:
            for attr in H5_CONFIG_ATTRS:
                if attr in f.attrs:
                    raw[attr] = f.attrs[attr]
    except Exception as e:  # h5py raises OSError, KeyError, ValueError, RuntimeError ...
        return _raw_fallback(path, rel, str(e))
    if not raw:
        return FormatScan("hdf5", ())
    for attr, value in raw.items():
        check = _h5_check(rel, attr)
        try:
            text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
            if len(text) > MAX_CONFIG:
                findings.append(Finding(rel, "scan_limit", "warning", f"{attr} too large"))
                continue
            config = json.loads(text)
        except (ValueError, RecursionError) as e:
            detail = f"{attr} attribute is not JSON: {e}"[:300]
            findings.append(Finding(rel, "unparseable", "warning", detail, check=check))
            continue
        issues, cut = check_config(config, attr)
        findings.extend(_findings(rel, issues, None, check))
        if cut:
            findings.append(Finding(rel, "scan_limit", "warning", f"{attr} too large to walk"))
    return FormatScan("keras", tuple(findings), _imports(findings))


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def hdf5_after_userblock(path: Path, size: int) -> bool:
    """Whether the HDF5 signature sits after a user block (at 512, 1024, 2048 ... bytes,
    where HDF5 also looks for it): such a file has no magic at offset 0 but loads."""
    offset = 512
    with path.open("rb") as fh:
        while offset + 8 <= min(size, 1 << 20):
            fh.seek(offset)
            if fh.read(8) == HDF5_SIGNATURE:
                return True
            offset *= 2
    return False


def keras_engine(path: Path, rel: str, sniff: Sniff) -> FormatScan | None:
    """The engine (:data:`mlsc.scan.engines.ENGINES`): ``.keras`` zips, and HDF5 files by
    magic (``tf.keras`` loads any HDF5 file as a model) or by ``.h5``/``.hdf5`` name."""
    lower = path.name.lower()
    if lower.endswith(".keras") and sniff.magic == "zip":
        return scan_keras_zip(path, rel)
    if sniff.magic == "hdf5" or (sniff.magic is None and hdf5_after_userblock(path, sniff.size)):
        return scan_keras_h5(path, rel)
    if lower.endswith((".h5", ".hdf5", ".keras")) and sniff.magic is None:
        detail = "named as a Keras model but neither a zip nor HDF5"
        return FormatScan("keras", (Finding(rel, "unparseable", "warning", detail),))
    return None
