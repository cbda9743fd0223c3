"""The TensorFlow engine: SavedModels (``saved_model.pb``), frozen graphs (``*.pb``) and the
Keras layer metadata of a SavedModel (``keras_metadata.pb``).

The protobuf is decoded with :mod:`mlsc.scan.protobuf` (no TensorFlow needed), with the
field numbers of TensorFlow's ``.proto`` files: ``SavedModel.meta_graphs = 2``,
``MetaGraphDef.graph_def = 2``, ``GraphDef.node = 1`` and ``.library = 2``,
``FunctionDefLibrary.function = 1``, ``FunctionDef.signature = 1`` (``OpDef.name = 1``) and
``.node_def = 3``, ``NodeDef.name = 1``, ``.op = 2``, ``.attr = 5`` (map entries ``key = 1``,
``value = 2``; ``AttrValue.s = 2``, ``.func = 10``, ``.list = 1`` with ``ListValue.func = 9``;
``NameAttrList.name = 1``). Every op of the graph and of every library function is rated
with :mod:`mlsc.scan.tf_ops`: file, code and network ops are ``critical``
(``tf_unsafe_op``), unknown ops a ``warning`` (``tf_unknown_op``). Checkpoint ops
(``SaveV2``, ``RestoreV2`` ...) are expected in the saver subgraph (TF1 nodes under
``save/``, TF2 functions ``__inference__traced_save_*``/``_traced_restore_*``) and critical
elsewhere, as is a call into a saver function from another function.

``keras_metadata.pb`` (``SavedMetadata.nodes = 1``, ``SavedObject.node_path = 3``,
``.metadata = 5``: one layer's JSON config) is checked like a Keras config.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from mlsc.scan.engines import FormatScan
from mlsc.scan.findings import Finding
from mlsc.scan.formats import Sniff
from mlsc.scan.keras_config import check_config
from mlsc.scan.protobuf import (
    VARINT,
    Buffer,
    ProtobufError,
    fields,
    string,
    strings,
    submessages,
    text,
)
from mlsc.scan.tf_ops import DANGEROUS_OPS, PRINT_OPS, SAVER_OPS, is_known

MAX_PB = 2 << 30
"""Bytes of protobuf read (protobuf itself caps a message at 2 GiB)."""
MAX_UNKNOWN = 20
"""Unknown ops reported one by one before the rest are counted."""
_TF1_SAVER = re.compile(r"^save(_\d+)?/")
_TF2_SAVER = re.compile(r"_traced_(save|restore)(_\d+)?$")


@dataclass(frozen=True)
class Node:
    """One node: where it is (``graph`` or a function name), its name, op and the functions
    and string attributes it references."""

    where: str
    name: str
    op: str
    calls: tuple[str, ...]
    texts: tuple[str, ...]


def _attr_refs(node: Buffer) -> tuple[list[str], list[str]]:
    """The function names and string values in a NodeDef's attributes."""
    calls: list[str] = []
    texts: list[str] = []
    for entry in submessages(node, 5):
        for value in submessages(entry, 2):
            for n, _, v in fields(value):
                if isinstance(v, int):
                    continue
                if n == 10:
                    calls.append(string(v, 1))
                elif n == 2:
                    texts.append(text(v))
                elif n == 1:
                    calls.extend(string(f, 1) for f in submessages(v, 9))
                    texts.extend(strings(v, 2))
    return calls, texts


def _nodes(graph_def: Buffer) -> tuple[list[Node], set[str]]:
    """Every node of a GraphDef and of its function library, and the library's names."""
    out: list[Node] = []
    functions: set[str] = set()
    bodies: list[tuple[str, Buffer]] = [("graph", n) for n in submessages(graph_def, 1)]
    for library in submessages(graph_def, 2):
        for fn in submessages(library, 1):
            name = "".join(string(sig, 1) for sig in submessages(fn, 1)) or "?"
            functions.add(name)
            bodies.extend((name, n) for n in submessages(fn, 3))
    for where, raw in bodies:
        calls, texts = _attr_refs(raw)
        out.append(Node(where, string(raw, 1), string(raw, 2), tuple(calls), tuple(texts)))
    return out, functions


def _is_saver(node: Node) -> bool:
    if node.where == "graph":
        return bool(_TF1_SAVER.match(node.name))
    return bool(_TF2_SAVER.search(node.where))


def graph_defs(data: Buffer, saved_model: bool) -> list[Buffer]:
    """The GraphDefs in a SavedModel (one per meta graph) or the frozen GraphDef itself."""
    if saved_model:
        return [g for mg in submessages(data, 2) for g in submessages(mg, 2)]
    return [data]


def _looks_saved_model(data: Buffer) -> bool:
    """A SavedModel starts with a varint schema version (field 1); a GraphDef's field 1 is a
    node message."""
    for n, wire, _ in fields(data):
        if n == 1:
            return wire == VARINT
    return True


def check_ops(rel: str, nodes: list[Node], functions: set[str]) -> list[Finding]:
    """The findings for a graph's nodes."""
    q = shlex.quote(rel)
    findings: list[Finding] = []
    unknown: dict[str, Node] = {}
    saver_fns = {f for f in functions if _TF2_SAVER.search(f)}
    for node in nodes:
        check = f"grep -a -c -F -e {shlex.quote(node.op)} {q}  # node {shlex.quote(node.name)}"
        where = "" if node.where == "graph" else f" in function {node.where}"
        label = f"{node.op} node {node.name!r}{where}"
        reason: str | None = None
        if node.op in DANGEROUS_OPS:
            reason = DANGEROUS_OPS[node.op]
        elif node.op in SAVER_OPS and not _is_saver(node):
            reason = "reads or writes a checkpoint outside the saver subgraph"
        elif node.op in PRINT_OPS and any(t.startswith("file://") for t in node.texts):
            reason = "prints to a file: " + next(t for t in node.texts if t.startswith("file://"))
        elif node.where != "graph" and not _is_saver(node):
            bad = [c for c in (node.op, *node.calls) if c in saver_fns]
            if bad:
                reason = f"calls the saver function {bad[0]} from model code"
        if reason is not None:
            findings.append(
                Finding(
                    rel,
                    "tf_unsafe_op",
                    "critical",
                    f"{label}: {reason}"[:300],
                    (f"tensorflow.op.{node.op}",),
                    check=check,
                )
            )
        elif (
            not is_known(node.op)
            and node.op not in DANGEROUS_OPS
            and node.op not in SAVER_OPS
            and node.op not in PRINT_OPS
            and node.op not in functions
        ):
            unknown.setdefault(node.op, node)
    for op, node in list(unknown.items())[:MAX_UNKNOWN]:
        findings.append(
            Finding(
                rel,
                "tf_unknown_op",
                "warning",
                f"op {op} (node {node.name!r}) is not a known TensorFlow op"[:300],
                (f"tensorflow.op.{op}",),
                check=f"grep -a -c -F -e {shlex.quote(op)} {q}",
            )
        )
    if len(unknown) > MAX_UNKNOWN:
        more = len(unknown) - MAX_UNKNOWN
        findings.append(Finding(rel, "tf_unknown_op", "warning", f"{more} more unknown ops"))
    return findings


def scan_graph(path: Path, rel: str, data: Buffer) -> FormatScan:
    """A SavedModel or frozen GraphDef."""
    try:
        saved = path.name == "saved_model.pb" or _looks_saved_model(data)
        nodes: list[Node] = []
        functions: set[str] = set()
        for gd in graph_defs(data, saved):
            more, fns = _nodes(gd)
            nodes.extend(more)
            functions |= fns
    except ProtobufError as e:
        f = Finding(rel, "unparseable", "warning", f"not a valid protobuf: {e}"[:300])
        return FormatScan("savedmodel", (f,))
    findings = check_ops(rel, nodes, functions)
    ranked = sorted(findings, key=lambda f: f.severity != "critical")
    imports = tuple(dict.fromkeys(i for f in ranked for i in f.imports))
    fmt = "savedmodel" if saved else "tf-graph"
    return FormatScan(fmt, tuple(findings), imports, (("tf_ops", str(len(nodes))),))


def scan_keras_metadata(rel: str, data: Buffer) -> FormatScan:
    """``keras_metadata.pb``: each node's JSON metadata checked as a Keras config."""
    findings: list[Finding] = []
    check = (
        'python -c \'import sys; d=open(sys.argv[1],"rb").read(); print(d.count(b"Lambda"))\' '
        + shlex.quote(rel)
    )
    try:
        for i, node in enumerate(submessages(data, 1)):
            meta = string(node, 5)
            if not meta:
                continue
            where = string(node, 3) or f"nodes[{i}]"
            try:
                config = json.loads(meta)
            except (ValueError, RecursionError) as e:
                detail = f"{where}: metadata is not JSON: {e}"[:300]
                findings.append(Finding(rel, "unparseable", "warning", detail))
                continue
            issues, _ = check_config(config, where)
            for issue in issues:
                detail = f"{issue.where}: {issue.detail}"[:300]
                findings.append(
                    Finding(rel, issue.kind, issue.severity, detail, issue.imports, check=check)
                )
    except ProtobufError as e:
        findings.append(Finding(rel, "unparseable", "warning", f"not a valid protobuf: {e}"))
    imports = tuple(dict.fromkeys(i for f in findings for i in f.imports))
    return FormatScan("keras-metadata", tuple(findings), imports)


_OP_TEXT = re.compile(rb'\bop:\s*"((?:[^"\\]|\\.)*)"')
_NAME_TEXT = re.compile(rb'\bname:\s*"((?:[^"\\]|\\.)*)"')
_SIG_TEXT = re.compile(rb'signature\s*\{\s*name:\s*"((?:[^"\\]|\\.)*)"')


def scan_pbtxt(rel: str, data: bytes) -> FormatScan:
    """A text-format SavedModel (``saved_model.pbtxt``): ops found by their ``op:`` lines,
    placed in the library function whose ``signature { name: ... }`` came last before them."""
    starts = [(m.start(), m.group(1).decode("utf-8", "replace")) for m in _SIG_TEXT.finditer(data)]
    nodes: list[Node] = []
    for m in _OP_TEXT.finditer(data):
        names = _NAME_TEXT.findall(data, max(0, m.start() - 4096), m.start())
        name = names[-1].decode("utf-8", "replace") if names else "?"
        where = next((fn for pos, fn in reversed(starts) if pos < m.start()), "graph")
        nodes.append(Node(where, name, m.group(1).decode("utf-8", "replace"), (), ()))
    functions = {fn for _, fn in starts}
    return FormatScan("savedmodel", tuple(check_ops(rel, nodes, functions)))


def savedmodel_engine(path: Path, rel: str, sniff: Sniff) -> FormatScan | None:
    """The engine: ``saved_model.pb``/``.pbtxt``, ``keras_metadata.pb`` and other ``*.pb``
    files (frozen graphs); ``fingerprint.pb`` and files with a known magic are declined."""
    lower = path.name.lower()
    if sniff.magic is not None or lower == "fingerprint.pb":
        return None
    if not lower.endswith((".pb", "saved_model.pbtxt")):
        return None
    if sniff.size > MAX_PB:
        f = Finding(rel, "scan_limit", "warning", f"{sniff.size} bytes: over the protobuf limit")
        return FormatScan("savedmodel", (f,))
    if sniff.size == 0:
        return FormatScan("savedmodel", (Finding(rel, "unparseable", "warning", "empty"),))
    with path.open("rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        return _scan_bytes(path, rel, lower, memoryview(mm))
    finally:
        with contextlib.suppress(BufferError):  # a view still alive: the GC closes it
            mm.close()


def _scan_bytes(path: Path, rel: str, lower: str, data: memoryview) -> FormatScan:
    if lower.endswith(".pbtxt"):
        return scan_pbtxt(rel, data.tobytes())
    if lower == "keras_metadata.pb":
        return scan_keras_metadata(rel, data)
    return scan_graph(path, rel, data)
