"""The ONNX engine: custom-op domains and external-data paths of ``.onnx`` models.

An ONNX model is a protobuf ``ModelProto``, decoded here with :mod:`mlsc.scan.protobuf`
(field numbers of ``onnx.proto``): ``graph = 7``, ``opset_import = 8``
(``OperatorSetIdProto.domain = 1``), ``training_info = 20`` (``initialization = 1``,
``algorithm = 2``), ``functions = 25`` (``FunctionProto.name = 1``, ``.node = 7``,
``.domain = 10``); ``GraphProto.node = 1``, ``.initializer = 5``, ``.sparse_initializer =
15``; ``NodeProto.name = 3``, ``.op_type = 4``, ``.domain = 7``, ``.attribute = 5``
(``AttributeProto.t = 5``, ``.g = 6``, ``.tensors = 10``, ``.graphs = 11``,
``.sparse_tensor = 22``, ``.sparse_tensors = 23``); ``SparseTensorProto.values = 1``,
``.indices = 2``; ``TensorProto.name = 8``, ``.external_data = 13`` (``key = 1``,
``value = 2``), ``.data_location = 14`` (1 = external). Subgraphs (``If``, ``Loop``,
``Scan`` bodies) and local functions are walked too.

- ``onnx_external_path`` (critical): a tensor's external-data ``location`` is absolute, has a
  ``..`` part, or resolves (symlinks followed) outside the model's directory: loading reads
  that file into the model (CVE-2022-25882 and its bypass CVE-2024-27318, fixed by the path checks
  ``onnx`` 1.16 added);
- ``onnx_custom_domain`` (warning): nodes of an op domain outside the standard ones and the
  model's own functions: running the model needs a custom-op library, i.e. native code;
- ``onnx_external_data`` (info): tensors kept in a file beside the model.
"""

from __future__ import annotations

import contextlib
import mmap
import re
import shlex
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from mlsc.scan.engines import FormatScan
from mlsc.scan.findings import Finding
from mlsc.scan.formats import Sniff
from mlsc.scan.protobuf import Buffer, ProtobufError, fields, ints, string, submessages

STANDARD_DOMAINS = frozenset(
    {
        "",
        "ai.onnx",
        "ai.onnx.ml",
        "ai.onnx.training",
        "ai.onnx.preview.training",
        "com.microsoft",
        "com.microsoft.nchwc",
        "com.microsoft.experimental",
        "com.ms.internal.nhwc",
    }
)
"""Op domains ONNX and ONNX Runtime implement themselves (no custom-op library needed)."""
MAX_DEPTH = 64
"""Nested subgraphs followed before the scan stops (and says so)."""
EXTERNAL = 1
"""``TensorProto.DataLocation.EXTERNAL``."""


@dataclass
class _Walk:
    """What the walk of a model collects."""

    ops: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    """domain -> op_type -> the first node name using it."""
    external: list[tuple[str, str]] = field(default_factory=list)
    """(tensor name, location) for every externally stored tensor."""
    too_deep: bool = False


def _tensor(t: Buffer, walk: _Walk) -> None:
    if EXTERNAL not in ints(t, 14):
        return
    entries = {string(e, 1): string(e, 2) for e in submessages(t, 13)}
    walk.external.append((string(t, 8), entries.get("location", "")))


def _sparse(s: Buffer, walk: _Walk) -> None:
    for t in (*submessages(s, 1), *submessages(s, 2)):
        _tensor(t, walk)


def _nodes(nodes: list[memoryview], walk: _Walk, depth: int) -> None:
    for node in nodes:
        walk.ops[string(node, 7)].setdefault(string(node, 4), string(node, 3))
        for attr in submessages(node, 5):
            for n, _, v in fields(attr):
                if isinstance(v, int):
                    continue
                if n in (5, 10):
                    _tensor(v, walk)
                elif n in (22, 23):
                    _sparse(v, walk)
                elif n in (6, 11):
                    _graph(v, walk, depth + 1)


def _graph(g: Buffer, walk: _Walk, depth: int) -> None:
    if depth > MAX_DEPTH:
        walk.too_deep = True
        return
    _nodes(list(submessages(g, 1)), walk, depth)
    for t in submessages(g, 5):
        _tensor(t, walk)
    for s in submessages(g, 15):
        _sparse(s, walk)


def walk_model(data: Buffer) -> tuple[_Walk, set[tuple[str, str]]]:
    """Every op, external tensor and local function ``(domain, name)`` of a ModelProto."""
    walk = _Walk()
    for g in submessages(data, 7):
        _graph(g, walk, 0)
    for info in submessages(data, 20):
        for g in (*submessages(info, 1), *submessages(info, 2)):
            _graph(g, walk, 0)
    local: set[tuple[str, str]] = set()
    for fn in submessages(data, 25):
        local.add((string(fn, 10), string(fn, 1)))
        _nodes(list(submessages(fn, 7)), walk, 0)
    return walk, local


_DRIVE = re.compile(r"^[A-Za-z]:")


def location_problem(model: Path, location: str) -> str | None:
    """Why an external-data ``location`` escapes the model's directory, else ``None``."""
    if not location:
        return "an external tensor without a location"
    if location.startswith(("/", "\\")) or _DRIVE.match(location):
        return "an absolute path"
    parts = {*PurePosixPath(location).parts, *PureWindowsPath(location).parts}
    if ".." in parts:
        return "a path with '..'"
    base = model.parent.resolve()
    try:
        target = (base / location).resolve()
    except (OSError, RuntimeError):
        return "a path that cannot be resolved (a symlink loop?)"
    if not target.is_relative_to(base):
        return f"a path resolving outside the model directory, to {target}"
    return None


def check_model(path: Path, rel: str, data: Buffer) -> FormatScan:
    """The findings of one ModelProto."""
    q = shlex.quote(rel)
    walk, local = walk_model(data)
    findings: list[Finding] = []
    imports: list[str] = []
    ext_check = (
        "python -c 'import onnx,sys; m=onnx.load(sys.argv[1], load_external_data=False); "
        "[print(t.name, t.external_data) for t in m.graph.initializer "
        f"if t.data_location==1]' {q}"
    )
    by_location: dict[str, list[str]] = defaultdict(list)
    for tensor, location in walk.external:
        by_location[location].append(tensor)
    for location, tensors in by_location.items():
        problem = location_problem(path, location)
        if problem is not None:
            detail = f"tensor {tensors[0]!r} reads external data from {location!r}: {problem}"
            if len(tensors) > 1:
                detail += f" ({len(tensors)} tensors)"
            findings.append(
                Finding(rel, "onnx_external_path", "critical", detail[:300], check=ext_check)
            )
        else:
            exists = (path.parent / location).is_file()
            detail = f"{len(tensors)} tensors stored in {location!r}" + (
                "" if exists else " (missing)"
            )
            findings.append(Finding(rel, "onnx_external_data", "info", detail[:300]))
    dom_check = (
        "python -c 'import onnx,sys; m=onnx.load(sys.argv[1], load_external_data=False); "
        f"print(m.opset_import); print(sorted({{(n.domain, n.op_type) for n in m.graph.node}}))' {q}"
    )
    for domain, ops in sorted(walk.ops.items()):
        if domain in STANDARD_DOMAINS:
            continue
        custom = {op: node for op, node in ops.items() if (domain, op) not in local}
        if not custom:
            continue
        names = ", ".join(sorted(custom)[:10])
        detail = f"op domain {domain!r} is not standard (ops {names}): it needs a custom-op library"
        imports.extend(f"onnx.op.{domain}.{op}" for op in sorted(custom))
        findings.append(
            Finding(
                rel,
                "onnx_custom_domain",
                "warning",
                detail[:300],
                tuple(f"{domain}.{op}" for op in sorted(custom)),
                check=dom_check,
            )
        )
    if walk.too_deep:
        findings.append(Finding(rel, "scan_limit", "warning", "subgraphs nested too deep"))
    findings.sort(key=lambda f: ("critical", "warning", "info").index(f.severity))
    return FormatScan("onnx", tuple(findings), tuple(imports))


def onnx_engine(path: Path, rel: str, sniff: Sniff) -> FormatScan | None:
    """The engine: files named ``*.onnx`` (ONNX has no magic) without another format's magic."""
    if not path.name.lower().endswith(".onnx") or sniff.magic not in (None, "safetensors"):
        return None
    if sniff.size == 0:
        return FormatScan("onnx", (Finding(rel, "unparseable", "warning", "an empty .onnx"),))
    try:
        with path.open("rb") as fh:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            return check_model(path, rel, memoryview(mm))
        finally:
            with contextlib.suppress(BufferError):  # a view still alive: the GC closes it
                mm.close()
    except (ProtobufError, OSError, ValueError) as e:
        f = Finding(rel, "unparseable", "warning", f"not a valid ONNX protobuf: {e}"[:300])
        return FormatScan("onnx", (f,))
