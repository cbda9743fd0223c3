"""A scan as graph records: File nodes with their scan verdicts, the Model with its
signature status, and the HAS_FILE edges between them.

File keys follow the Hugging Face ingester's (``<repo id>/<path>``), so scanning a local
copy of ``org/name`` with ``repo_id="org/name"`` annotates the File nodes the hub crawl
made; without a repo id the directory itself stands for the model, as ``local:<abs path>``.

A scan never erases or overwrites what another source said. What it saw goes into its own
``scan_*`` properties, with ``scan_source`` naming the scanned path: a File another source
already recorded (``known_files``) and a hub Model keep their size, hash, format, pickle flag
and provenance, and the local hash sits beside the hub's in ``scan_sha256``. Only files no
other source knew become File nodes with ``source = "scan"``.

The properties a scan adds to File and Model nodes are listed in
:data:`FILE_SCAN_PROPERTIES` and :data:`MODEL_SCAN_PROPERTIES`. Records carry only the
properties :mod:`mlsc.graph.schema` declares (``declared_only``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from mlsc.graph import schema
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.scan.scanner import FileScan, ScanReport

SOURCE = "scan"
"""The provenance ``source`` of everything a scan writes."""
LOCAL_PREFIX = "local:"
MAX_FINDINGS = 50
"""Finding texts kept per file (the most severe first)."""
MAX_IMPORTS = 100

FILE_SCAN_PROPERTIES: tuple[tuple[str, str], ...] = (
    ("scan_status", "STRING"),
    ("scan_findings", "STRING[]"),
    ("scan_imports", "STRING[]"),
    ("scan_format", "STRING"),
    ("scan_pickle", "BOOLEAN"),
    ("scan_sha256", "STRING"),
    ("scan_source", "STRING"),
    ("scanned_at", "STRING"),
    ("chat_template_sha256", "STRING"),
)
"""File properties a scan sets, for :data:`mlsc.graph.schema.FILE`:

- ``scan_status``: ``clean`` | ``warning`` | ``critical`` | ``unparseable`` | ``skipped``;
- ``scan_findings``: short texts, most severe first (``critical dangerous_import: ...``);
- ``scan_imports``: the ``module.name`` callables its pickles import (dangerous first);
- ``scan_format``: what held the pickles (``torch-zip``, ``torch-legacy``, ``pickle`` ...);
- ``scan_pickle``: whether loading the scanned file unpickles something;
- ``scan_sha256``: the SHA-256 of the scanned bytes (beside the hub's ``sha256``);
- ``scan_source``: what was scanned (``scan:<absolute path>``);
- ``scanned_at``: when (ISO-8601 UTC);
- ``chat_template_sha256``: of its chat templates (a GGUF's, a tokenizer config's), if any
  (:func:`mlsc.scan.templates.templates_sha256`).
"""
MODEL_SCAN_PROPERTIES: tuple[tuple[str, str], ...] = (
    ("scan_status", "STRING"),
    ("scan_source", "STRING"),
    ("scanned_at", "STRING"),
    ("signature_status", "STRING"),
    ("signature_detail", "STRING"),
)
"""Model properties a directory scan sets, for :data:`mlsc.graph.schema.MODEL`:

- ``scan_status``: the worst status of its files (so blast radius needs no join);
- ``scan_source``: what was scanned (``scan:<absolute path>``);
- ``scanned_at``: when;
- ``signature_status``: ``verified`` | ``invalid`` | ``unsigned`` | ``unverifiable``;
- ``signature_detail``: why (the signer's key hint, the changed file, what was missing).
"""

_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def model_key(report: ScanReport, repo_id: str | None = None) -> str:
    """The Model key a scan is recorded under."""
    return repo_id or f"{LOCAL_PREFIX}{report.root}"


def scan_props(f: FileScan, scanned_at: str, scanned: str) -> dict[str, Any]:
    """What a scan saw of one file, in its own properties (never another source's)."""
    ranked = sorted(f.findings, key=lambda x: _SEVERITY_ORDER[x.severity])
    return {
        "scan_status": f.status,
        "scan_findings": [x.short() for x in ranked[:MAX_FINDINGS]],
        "scan_imports": list(f.imports[:MAX_IMPORTS]),
        "scan_format": f.container,
        "scan_pickle": f.pickle,
        "scan_sha256": f.sha256,
        "scan_source": scanned,
        "scanned_at": scanned_at,
        "chat_template_sha256": dict(f.facts).get("chat_template_sha256"),
    }


def file_props(f: FileScan, repo: str, scanned_at: str, scanned: str = "") -> dict[str, Any]:
    """A File node's properties for a file no other source recorded: what the scan saw,
    both as the file's own facts and as its ``scan_*`` properties."""
    return {
        "repo": repo,
        "path": f.path,
        "size": f.size,
        "sha256": f.sha256,
        "format": f.format,
        "pickle": f.pickle,
        **scan_props(f, scanned_at, scanned),
    }


def _declared(label: str, props: dict[str, Any]) -> dict[str, Any]:
    """``props`` less those the schema does not declare for ``label``."""
    known = set(schema.NODES[label].columns)
    return {k: v for k, v in props.items() if k in known}


def scan_records(
    report: ScanReport,
    repo_id: str | None = None,
    *,
    known_files: Collection[str] = (),
    observed_at: str | None = None,
    declared_only: bool = True,
) -> GraphBatch:
    """The graph records of a scan.

    - a ``File`` per scanned file, keyed ``<repo>/<path>``: a file whose key is in
      ``known_files`` (another source recorded it) gets only :data:`FILE_SCAN_PROPERTIES`;
      any other gets the schema's File properties as well, with ``source = "scan"``, and a
      ``HAS_FILE`` edge from the model (for a directory scan);
    - for a directory scan, the ``Model`` (``repo_id``, else ``local:<root>``) with
      :data:`MODEL_SCAN_PROPERTIES`; a ``local:`` model, which only the scan knows, also gets
      ``hub = "local"`` and the scan's provenance. A single-file scan writes only its File.

    ``repo_id`` must be the model's id when the directory is a copy of a hub repository, so
    the keys meet the ingested ones, and ``known_files`` the keys of its stored File nodes.
    With ``declared_only`` (the default) properties the schema does not declare are left out.
    """

    def props(label: str, values: dict[str, Any]) -> dict[str, Any]:
        return _declared(label, values) if declared_only else values

    repo = model_key(report, repo_id)
    stamp = observed_at or report.scanned_at
    prov = {"source": SOURCE, "observed_at": stamp}
    scanned = f"{SOURCE}:{report.target}"
    known = frozenset(known_files)
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    for f in report.files:
        key = f"{repo}/{f.path}"
        if key in known:
            nodes.append(NodeRecord("File", key, props("File", scan_props(f, stamp, scanned))))
            continue
        values = {**file_props(f, repo, report.scanned_at, scanned), **prov}
        nodes.append(NodeRecord("File", key, props("File", values)))
        if report.is_dir:
            edges.append(EdgeRecord("HAS_FILE", "Model", repo, "File", key, dict(prov)))
    if report.is_dir:
        sig = report.signature
        own = {} if repo_id else {"hub": "local", **prov}
        values = {
            "scan_status": report.status,
            "scan_source": scanned,
            "scanned_at": report.scanned_at,
            "signature_status": sig.status if sig else None,
            "signature_detail": sig.detail if sig else None,
            **own,
        }
        nodes.append(NodeRecord("Model", repo, props("Model", values)))
    return GraphBatch(nodes, edges)


def record_scan(
    store: GraphStore,
    report: ScanReport,
    repo_id: str | None = None,
    *,
    known_files: Collection[str] = (),
) -> None:
    """Write a scan into a knowledge base (see :func:`scan_records` for what is written and
    what is never overwritten); idempotent, like every ingestion."""
    store.write(
        scan_records(report, repo_id, known_files=known_files, observed_at=report.scanned_at)
    )
