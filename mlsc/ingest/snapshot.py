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
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from mlsc.errors import InputError
from mlsc.graph import schema
from mlsc.graph.algorithms import cycles as find_cycles
from mlsc.graph.records import EdgeTable, GraphBatch, NodeTable
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
CHUNK = 200_000

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) as the file is read."""


_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _iso(value: Any) -> str | None:
    """ISO 8601 in UTC with milliseconds, the Hub's own form; None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 24 and _CANONICAL_TIME.fullmatch(value):
        return value
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
        if type(value) is str and len(value) <= MAX_TEXT:
            return value
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


_MODEL_COLUMNS = tuple(name for name, _ in schema.MODEL.properties)


class _Chunk:
    """Columns of the records read since the last write: the bulk form a store loads."""

    def __init__(self, source: str, observed_at: str) -> None:
        self.source, self.observed_at = source, observed_at
        self.keys: list[str] = []
        self.models: dict[str, list[Any]] = {name: [] for name in _MODEL_COLUMNS}
        self.actors: dict[str, tuple[str | None, bool | None]] = {}
        self.placeholders: dict[str, str | None] = {}
        self.owns: dict[tuple[str, str], None] = {}
        self.derived: dict[tuple[str, str], tuple[str, list[str], float]] = {}
        self.datasets: dict[str, None] = {}
        self.trained: dict[tuple[str, str], None] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def batch(self) -> GraphBatch:
        n_prov = {"source": self.source, "observed_at": self.observed_at}

        def prov(n: int) -> dict[str, list[Any]]:
            return {k: [v] * n for k, v in n_prov.items()}

        ingested = set(self.keys)
        placeholders = [p for p in self.placeholders if p not in ingested]
        parent_owners = [o for o in dict.fromkeys(self.placeholders.values()) if o]
        actors = list(self.actors)
        nodes = [
            NodeTable("Model", self.keys, self.models),
            NodeTable(
                "Actor",
                actors,
                {
                    "hub": [HUB] * len(actors),
                    "kind": [k for k, _ in self.actors.values()],
                    "verified": [v for _, v in self.actors.values()],
                    **prov(len(actors)),
                },
            ),
            NodeTable(
                "Model",
                placeholders,
                {
                    "hub": [HUB] * len(placeholders),
                    "author": [self.placeholders[p] for p in placeholders],
                    "ingested": [False] * len(placeholders),
                    **prov(len(placeholders)),
                },
                create_only=True,
            ),
            NodeTable(
                "Actor",
                parent_owners,
                {"hub": [HUB] * len(parent_owners), **prov(len(parent_owners))},
                create_only=True,
            ),
            NodeTable(
                "Dataset",
                list(self.datasets),
                {"hub": [HUB] * len(self.datasets), **prov(len(self.datasets))},
            ),
        ]
        owns = list(self.owns)
        derived = list(self.derived.items())
        trained = list(self.trained)
        edges = [
            EdgeTable(
                "OWNS",
                "Actor",
                "Model",
                [a for a, _ in owns],
                [m for _, m in owns],
                prov(len(owns)),
            ),
            EdgeTable(
                "DERIVED_FROM",
                "Model",
                "Model",
                [c for (c, _), _ in derived],
                [p for (_, p), _ in derived],
                {
                    "relation": [r for _, (r, _, _) in derived],
                    "evidence": [e for _, (_, e, _) in derived],
                    "confidence": [c for _, (_, _, c) in derived],
                    **prov(len(derived)),
                },
            ),
            EdgeTable(
                "TRAINED_ON",
                "Model",
                "Dataset",
                [m for m, _ in trained],
                [d for _, d in trained],
                prov(len(trained)),
            ),
        ]
        replaced = frozenset(self.keys)
        return GraphBatch(
            node_tables=nodes,
            edge_tables=edges,
            replace_outgoing={"DERIVED_FROM": replaced, "TRAINED_ON": replaced},
        )

    def add(self, rec: _Record) -> list[str]:
        """Append one record's model, owner, datasets and derivations; return its relations."""
        raw, rid = rec.raw, rec.rid
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
            for s in (siblings if isinstance(siblings, list) else ())
            if isinstance(s, dict) and isinstance(s.get("rfilename"), str)
        ][:MAX_LIST]
        owner = _owner(rid, rec.text(raw.get("author"), "author"))
        gated = raw.get("gated")
        private = raw.get("private")
        has_base = card.get("base_model") is not None
        license_tag: str | None = None
        datasets = rec.strings(card.get("datasets"), "cardData.datasets")
        for tag in tags:
            if tag.startswith("base_model:"):
                has_base = True
            elif tag.startswith("license:") and license_tag is None:
                license_tag = tag[8:]
            elif tag.startswith("dataset:"):
                datasets.append(tag[8:])
        license_ = rec.text(card.get("license"), "cardData.license") or rec.text(
            license_tag, "license tag"
        )
        architectures = rec.strings(config.get("architectures"), "config.architectures")
        created, modified = raw.get("createdAt"), raw.get("lastModified")
        created_at, last_modified = _iso(created), _iso(modified)
        if created is not None and created_at is None:
            rec.warn("invalid-field", f"createdAt {str(created)[:40]!r} is not a date")
        if modified is not None and last_modified is None:
            rec.warn("invalid-field", f"lastModified {str(modified)[:40]!r} is not a date")
        values = (
            HUB,
            owner,
            rec.text(raw.get("sha"), "sha"),
            created_at,
            last_modified,
            rec.count("downloads"),
            rec.count("likes"),
            rec.text(raw.get("library_name"), "library_name"),
            rec.text(raw.get("pipeline_tag"), "pipeline_tag"),
            license_,
            "no" if gated is False else (gated if gated in ("auto", "manual") else None),
            private if isinstance(private, bool) else None,
            rec.text(config.get("model_type"), "config.model_type"),
            architectures or None,
            True,
            self.source,
            self.observed_at,
        )
        self.keys.append(rid)
        for name, value in zip(_MODEL_COLUMNS, values, strict=True):
            self.models[name].append(value)
        if owner:
            author_data = raw.get("authorData")
            author_data = author_data if isinstance(author_data, dict) else {}
            kind = author_data.get("type")
            verified = author_data.get("isVerified")
            self.actors[owner] = (
                kind if kind in ("user", "org") else None,
                verified if isinstance(verified, bool) else None,
            )
            self.owns[(owner, rid)] = None

        relations = []
        if has_base:
            declared = declared_parents(rid, card=card, tags=tags, files=files, config=config)
            for reason, detail in declared.problems:
                rec.warn(reason, detail)
            for parent in declared.parents:
                pid = parent.parent
                if pid not in self.placeholders:
                    parent_owner = _owner(pid, None)
                    self.placeholders[pid] = parent_owner
                    if parent_owner:
                        self.owns[(parent_owner, pid)] = None
                self.derived[(rid, pid)] = (
                    parent.relation,
                    list(parent.evidence),
                    parent.confidence,
                )
                relations.append(parent.relation)

        for ds in dict.fromkeys(datasets):
            if not is_valid_repo_id(ds):
                rec.warn("invalid-dataset-id", f"dataset {ds[:120]!r}")
                continue
            self.datasets[ds] = None
            self.trained[(rid, ds)] = None
        return relations


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
    if observed_at is None:
        mtime = datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
        observed = mtime.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    else:
        observed = _iso(observed_at) or ""
        if not observed:
            raise InputError(
                f"--observed-at {observed_at[:40]!r} is not a date",
                hint="Use ISO 8601, e.g. 2025-06-01T00:00:00Z.",
            )
    report = IngestReport(source=str(path))
    current = _Chunk(source, observed)
    ingested_ids: set[str] = set()
    placeholders: set[str] = set()
    first_line: dict[str, int] = {}

    def flush() -> None:
        nonlocal current
        if not len(current):
            return
        placeholders.update(current.placeholders)
        stats = store.write(current.batch())
        report.edges_removed += stats.edges_removed
        report.nodes_created += stats.nodes_created
        report.nodes_updated += stats.nodes_updated
        current = _Chunk(source, observed)

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
            flush()  # the earlier record must be written before this one replaces it
        first_line.setdefault(rid, number)
        report.edges.update(current.add(_Record(raw, number, rid, report)))
        ingested_ids.add(rid)
        report.ingested += 1
        if len(current) >= chunk:
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
