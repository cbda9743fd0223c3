"""Ingest a snapshot of Hugging Face model records (JSON Lines, optionally gzipped).

    >>> from mlsc.graph.ladybug import LadybugStore
    >>> with LadybugStore("/tmp/kb") as store:                       # doctest: +SKIP
    ...     report = ingest_snapshot(store, "examples/sample-hub.jsonl")
    ...     print(report.ingested, sum(report.edges.values()), report.cycles)

Each line is one record as ``GET /api/models?full=true&cardData=true`` returns it. Any field
may be missing. A bad line is reported with its number and reason and the rest goes on; the
same file ingested twice leaves the same graph (facts carry the file's modification time as
``observed_at``, not the wall clock).
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from mlsc.errors import InputError
from mlsc.graph.algorithms import cycles as find_cycles
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.ingest.lineage import declared_parents, is_valid_repo_id
from mlsc.ingest.report import IngestReport, Problem

HUB = "huggingface"
MAX_LINE_BYTES = 8 * 1024 * 1024
"""A record larger than this is skipped as hostile or broken (real ones are a few KiB)."""
MAX_TEXT = 512
"""Scalar strings (licence, library, ...) longer than this are cut, with a warning."""
MAX_LIST = 2_000
"""Tags, files or datasets beyond this many are cut, with a warning."""
CHUNK = 100_000

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) as the file is read."""


@dataclass(frozen=True)
class _Converted:
    nodes: list[NodeRecord]
    edges: list[EdgeRecord]
    relations: list[str]


def _iso(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _Record:
    """Field access with the checks every field needs; problems land in the report."""

    def __init__(self, raw: dict[str, Any], line: int, rid: str, report: IngestReport) -> None:
        self.raw, self.line, self.rid, self.report = raw, line, rid, report

    def warn(self, reason: str, detail: str) -> None:
        self.report.add(Problem(self.line, self.rid, reason, detail, "warning"))

    def text(self, value: Any, name: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ", ".join(value)
        if not isinstance(value, str):
            self.warn("invalid-field", f"{name} is {type(value).__name__}, expected text")
            return None
        if len(value) > MAX_TEXT:
            self.warn("field-truncated", f"{name} has {len(value)} characters; kept {MAX_TEXT}")
            return value[:MAX_TEXT]
        return value

    def count(self, name: str) -> int | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.warn("invalid-field", f"{name} is {str(value)[:40]!r}, expected a count")
            return None
        return value

    def strings(self, value: Any, name: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.warn("invalid-field", f"{name} is {type(value).__name__}, expected a list")
            return []
        out = [v for v in value if isinstance(v, str)]
        if len(out) > MAX_LIST:
            self.warn("field-truncated", f"{name} has {len(out)} entries; kept {MAX_LIST}")
            out = out[:MAX_LIST]
        return out


def _owner(model_id: str, author: str | None) -> str | None:
    if author and is_valid_repo_id(author) and "/" not in author:
        return author
    return model_id.split("/", 1)[0] if "/" in model_id else None


def _convert(rec: _Record, source: str, observed_at: str) -> _Converted:
    raw, rid = rec.raw, rec.rid
    prov = {"source": source, "observed_at": observed_at}
    card = raw.get("cardData")
    if card is not None and not isinstance(card, dict):
        rec.warn("invalid-field", f"cardData is {type(card).__name__}, expected an object")
        card = None
    card = card or {}
    config = raw.get("config")
    config = config if isinstance(config, dict) else {}
    tags = rec.strings(raw.get("tags"), "tags")
    siblings = raw.get("siblings")
    files = [
        s["rfilename"]
        for s in (siblings if isinstance(siblings, list) else [])
        if isinstance(s, dict) and isinstance(s.get("rfilename"), str)
    ][:MAX_LIST]
    author = rec.text(raw.get("author"), "author")
    owner = _owner(rid, author)
    gated = raw.get("gated")
    license_ = rec.text(card.get("license"), "cardData.license") or next(
        (t[len("license:") :] for t in tags if t.startswith("license:")), None
    )
    architectures = rec.strings(config.get("architectures"), "config.architectures")
    author_data = raw.get("authorData") if isinstance(raw.get("authorData"), dict) else {}
    assert isinstance(author_data, dict)

    props: dict[str, Any] = {
        "hub": HUB,
        "author": owner,
        "sha": rec.text(raw.get("sha"), "sha"),
        "created_at": _iso(raw.get("createdAt")),
        "last_modified": _iso(raw.get("lastModified")),
        "downloads": rec.count("downloads"),
        "likes": rec.count("likes"),
        "library": rec.text(raw.get("library_name"), "library_name"),
        "pipeline_tag": rec.text(raw.get("pipeline_tag"), "pipeline_tag"),
        "license": license_,
        "gated": "no" if gated is False else (gated if gated in ("auto", "manual") else None),
        "private": raw.get("private") if isinstance(raw.get("private"), bool) else None,
        "model_type": rec.text(config.get("model_type"), "config.model_type"),
        "architectures": architectures or None,
        "ingested": True,
        **prov,
    }
    nodes = [NodeRecord("Model", rid, props)]
    edges: list[EdgeRecord] = []
    if owner:
        kind = author_data.get("type") if author_data.get("type") in ("user", "org") else None
        verified = author_data.get("isVerified")
        nodes.append(
            NodeRecord(
                "Actor",
                owner,
                {
                    "hub": HUB,
                    "kind": kind,
                    "verified": verified if isinstance(verified, bool) else None,
                    **prov,
                },
            )
        )
        edges.append(EdgeRecord("OWNS", "Actor", owner, "Model", rid, prov))

    declared = declared_parents(rid, card=card, tags=tags, files=files, config=config)
    for reason, detail in declared.problems:
        rec.warn(reason, detail)
    relations = []
    for parent in declared.parents:
        nodes.append(
            NodeRecord(
                "Model",
                parent.parent,
                {"hub": HUB, "author": _owner(parent.parent, None), "ingested": False, **prov},
                create_only=True,
            )
        )
        parent_owner = _owner(parent.parent, None)
        if parent_owner:
            nodes.append(NodeRecord("Actor", parent_owner, {"hub": HUB, **prov}, create_only=True))
            edges.append(EdgeRecord("OWNS", "Actor", parent_owner, "Model", parent.parent, prov))
        edges.append(
            EdgeRecord(
                "DERIVED_FROM",
                "Model",
                rid,
                "Model",
                parent.parent,
                {
                    "relation": parent.relation,
                    "evidence": list(parent.evidence),
                    "confidence": parent.confidence,
                    **prov,
                },
            )
        )
        relations.append(parent.relation)

    datasets = rec.strings(card.get("datasets"), "cardData.datasets") + [
        t[len("dataset:") :] for t in tags if t.startswith("dataset:")
    ]
    for ds in dict.fromkeys(datasets):
        if not is_valid_repo_id(ds):
            rec.warn("invalid-dataset-id", f"dataset {ds[:120]!r}")
            continue
        nodes.append(NodeRecord("Dataset", ds, {"hub": HUB, **prov}))
        edges.append(EdgeRecord("TRAINED_ON", "Model", rid, "Dataset", ds, prov))
    return _Converted(nodes, edges, relations)


def _lines(path: Path, progress: Progress | None) -> Iterator[tuple[int, bytes]]:
    """Numbered raw lines; a gzip file is detected by its magic bytes, not its name."""
    total = path.stat().st_size
    with path.open("rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        stream: io.BufferedIOBase = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw
        last = 0
        try:
            for number, line in enumerate(stream, start=1):
                yield number, line
                if progress and number % 5000 == 0:
                    pos = raw.tell()
                    if pos != last:
                        progress(pos, total)
                        last = pos
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: cannot read past line {number}: {exc}") from exc
        if progress:
            progress(total, total)


def ingest_snapshot(
    store: GraphStore,
    path: str | Path,
    *,
    observed_at: str | None = None,
    progress: Progress | None = None,
    chunk: int = CHUNK,
) -> IngestReport:
    """Read ``path`` and write its models, owners, datasets and derivations into ``store``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such snapshot file: {path}", hint="Give a JSON Lines file.")
    source = f"snapshot:{path.name}"
    observed = observed_at or datetime.fromtimestamp(os.stat(path).st_mtime, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    report = IngestReport(source=str(path))
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    ingested_ids: set[str] = set()
    chunk_ids: set[str] = set()
    placeholders: set[str] = set()
    first_line: dict[str, int] = {}
    relations: list[str] = []

    def flush() -> None:
        nonlocal nodes, edges, relations, chunk_ids
        if not nodes:
            return
        stats = store.write(
            GraphBatch(
                nodes,
                edges,
                replace_outgoing={
                    "DERIVED_FROM": frozenset(chunk_ids),
                    "TRAINED_ON": frozenset(chunk_ids),
                },
            )
        )
        report.edges.update(relations)
        report.edges_removed += stats.edges_removed
        report.nodes_created += stats.nodes_created
        report.nodes_updated += stats.nodes_updated
        nodes, edges, relations, chunk_ids = [], [], [], set()

    for number, line in _lines(path, progress):
        if not line.strip():
            continue
        report.read += 1
        if len(line) > MAX_LINE_BYTES:
            report.add(Problem(number, None, "record-too-large", f"{len(line)} bytes", "skipped"))
            continue
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            report.add(Problem(number, None, "invalid-json", str(exc)[:200], "skipped"))
            continue
        if not isinstance(raw, dict):
            report.add(
                Problem(number, None, "not-an-object", f"a JSON {type(raw).__name__}", "skipped")
            )
            continue
        rid = raw.get("id", raw.get("modelId"))
        if rid is None:
            report.add(Problem(number, None, "missing-id", "no 'id' field", "skipped"))
            continue
        if not is_valid_repo_id(rid):
            shown = rid[:120] if isinstance(rid, str) else repr(rid)[:120]
            report.add(Problem(number, shown, "invalid-id", "not a Hub repository id", "skipped"))
            continue
        if rid in first_line:
            report.add(
                Problem(
                    number,
                    rid,
                    "duplicate-id",
                    f"also on line {first_line[rid]}; this later record wins",
                    "warning",
                )
            )
            if rid in chunk_ids:
                flush()
        first_line.setdefault(rid, number)
        converted = _convert(_Record(raw, number, rid, report), source, observed)
        nodes.extend(converted.nodes)
        edges.extend(converted.edges)
        relations.extend(converted.relations)
        chunk_ids.add(rid)
        ingested_ids.add(rid)
        placeholders.update(n.key for n in converted.nodes if n.create_only and n.label == "Model")
        report.ingested += 1
        if len(chunk_ids) >= chunk:
            flush()
    flush()

    report.placeholders = len(placeholders - ingested_ids)
    report.cycles = find_cycles(store.derivation_edges())
    for cycle in report.cycles:
        lines = ", ".join(f"{m} (line {first_line[m]})" for m in cycle if m in first_line)
        report.add(
            Problem(
                0,
                cycle[0],
                "lineage-cycle",
                f"{len(cycle)} models derive from each other: {lines or ', '.join(cycle)}; "
                "kept as declared, traversals stop on it",
                "warning",
            )
        )
    return report
