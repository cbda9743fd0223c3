"""One snapshot record as Arrow rows: the columnar form of :mod:`.model`'s rules, for
millions of records (:func:`convert_block` runs in worker processes too).

    >>> block = convert_block([(1, b'{"id": "me/tiny", "author": "me", "tags": ["license:mit"]}')])
    >>> block.models.column("license").to_pylist(), list(block.actors)
    (['mit'], ['me'])

Every field is checked (:class:`RecordFields`); what is wrong becomes a warning or a skipped
line in the block's problems, with its line number.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

from mlsc.graph import schema
from mlsc.graph.records import ARROW_TYPES
from mlsc.ingest.hub.lineage import declared_parents
from mlsc.ingest.hub.lineage_fast import one_base
from mlsc.ingest.hub.model import gated_value, hub_tags, model_datasets, model_licence, model_owner
from mlsc.ingest.interface import MAX_TEXT, IngestReport, Problem
from mlsc.vocab import HUB, is_valid_repo_id, namespace_of, utc_iso

MAX_LINE_BYTES = 8 * 1024 * 1024
"""A record larger than this is skipped as hostile or broken (real ones are a few KiB)."""
MAX_LIST = 2_000
"""Tags, files or datasets beyond this many are cut, with a warning."""
_STR = {str}


class RecordFields:
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
        if type(value) is list and len(value) <= MAX_LIST and set(map(type, value)) <= _STR:
            return value  # the usual case, checked without a Python loop
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


SNAPSHOT_COLUMNS = (
    "hub", "author", "sha", "created_at", "last_modified", "downloads", "likes", "library",
    "pipeline_tag", "license", "gated", "private", "model_type", "architectures", "ingested",
)  # fmt: skip
"""The Model properties a snapshot record gives, in the order ``_add`` builds its rows; the
others (what a crawl, a scan or another ingester knows) a snapshot leaves as they are."""
MODEL_PROPERTIES = [(n, dict(schema.MODEL.properties)[n]) for n in SNAPSHOT_COLUMNS]
MODEL_COLUMNS = tuple(name for name, _ in MODEL_PROPERTIES)
MODEL_SCHEMA = pa.schema(
    [("id", pa.string())]
    + [(n, ARROW_TYPES[t]) for n, t in MODEL_PROPERTIES]
    + [("line", pa.int64())]
)
DERIVED_SCHEMA = pa.schema(
    [
        ("child", pa.string()),
        ("parent", pa.string()),
        ("relation", pa.string()),
        ("evidence", pa.list_(pa.string())),
        ("confidence", pa.float64()),
        ("line", pa.int64()),
    ]
)
TRAINED_SCHEMA = pa.schema([("model", pa.string()), ("dataset", pa.string()), ("line", pa.int64())])


@dataclass
class Block:
    """What one block of lines turns into: columns for the bulk write, and what was odd."""

    read: int = 0
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    derived: list[tuple[str, str, str, int, float, int]] = field(default_factory=list)
    """(child, parent, relation, evidence code, confidence, line)."""
    evidence: dict[tuple[str, ...], int] = field(default_factory=dict)
    """Each distinct evidence list -> its code (a handful per file)."""
    trained: list[tuple[str, str, int]] = field(default_factory=list)
    actors: dict[str, tuple[str | None, bool | None]] = field(default_factory=dict)
    placeholders: dict[str, str | None] = field(default_factory=dict)
    datasets: dict[str, None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Converted:
    """A block in the compact form that crosses process boundaries (Arrow tables)."""

    read: int
    ingested: int
    models: pa.Table
    derived: pa.Table
    trained: pa.Table
    actors: dict[str, tuple[str | None, bool | None]]
    placeholders: dict[str, str | None]
    datasets: list[str]
    problems: list[Problem]


def add_record(block: Block, rec: RecordFields) -> None:
    """Append one record's model, owner, datasets and derivations to ``block``."""
    raw, rid, line = rec.raw, rec.rid, rec.line
    card = raw.get("cardData")
    if card is not None and not isinstance(card, dict):
        rec.warn("invalid-field", f"cardData is {type(card).__name__}, expected an object")
        card = None
    card = card or {}
    config = raw.get("config")
    config = config if isinstance(config, dict) else {}
    tags = rec.strings(raw.get("tags"), "tags")
    owner = model_owner(rid, rec.text(raw.get("author"), "author"))
    private = raw.get("private")
    tag_facts = hub_tags(tags)
    has_base = tag_facts.has_base or card.get("base_model") is not None
    datasets = model_datasets(rec.strings(card.get("datasets"), "cardData.datasets"), tag_facts)
    license_ = model_licence(rec.text(card.get("license"), "cardData.license"), tag_facts)
    if license_ is not None and license_ is tag_facts.licence:  # checked only when used
        license_ = rec.text(license_, "license tag")
    architectures = rec.strings(config.get("architectures"), "config.architectures")
    created, modified = raw.get("createdAt"), raw.get("lastModified")
    created_at, last_modified = utc_iso(created), utc_iso(modified)
    if created is not None and created_at is None:
        rec.warn("invalid-field", f"createdAt {str(created)[:40]!r} is not a date")
    if modified is not None and last_modified is None:
        rec.warn("invalid-field", f"lastModified {str(modified)[:40]!r} is not a date")
    block.rows.append(
        (
            rid,
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
            gated_value(raw.get("gated")),
            private if isinstance(private, bool) else None,
            rec.text(config.get("model_type"), "config.model_type"),
            architectures or None,
            True,
            line,
        )
    )
    if owner:
        author_data = raw.get("authorData")
        author_data = author_data if isinstance(author_data, dict) else {}
        kind = author_data.get("type")
        verified = author_data.get("isVerified")
        block.actors[owner] = (
            kind if kind in ("user", "org") else None,
            verified if isinstance(verified, bool) else None,
        )
    if has_base:
        siblings = raw.get("siblings")

        def files() -> list[str]:
            return [
                s["rfilename"]
                for s in (siblings if isinstance(siblings, list) else ())[:MAX_LIST]
                if isinstance(s, dict) and isinstance(s.get("rfilename"), str)
            ]

        declared = one_base(rid, card, tags, config, files) or declared_parents(
            rid, card=card, tags=tags, files=files(), config=config
        )
        for reason, detail in declared.problems:
            rec.warn(reason, detail)
        for parent in declared.parents:
            pid = parent.parent
            if pid not in block.placeholders:
                block.placeholders[pid] = namespace_of(pid)
            code = block.evidence.setdefault(parent.evidence, len(block.evidence))
            block.derived.append((rid, pid, parent.relation, code, parent.confidence, line))
    for ds in datasets:
        if not is_valid_repo_id(ds):
            rec.warn("invalid-dataset-id", f"dataset {ds[:120]!r}")
            continue
        block.datasets[ds] = None
        block.trained.append((rid, ds, line))


_DERIVED_CODED = pa.struct(
    [pa.field(f.name, pa.int64() if f.name == "evidence" else f.type) for f in DERIVED_SCHEMA]
)


def _table(rows: list[tuple[Any, ...]], schema_: pa.Schema | pa.StructType) -> pa.Table:
    """Rows (tuples in the schema's order) as a table: converted as one struct array, in
    one pass (a column at a time cost three times as much)."""
    return pa.Table.from_struct_array(pa.array(rows, pa.struct(list(schema_))))


def _derived_table(block: Block) -> pa.Table:
    coded = _table(block.derived, _DERIVED_CODED)
    lists = pa.array([list(e) for e in block.evidence], DERIVED_SCHEMA.field("evidence").type)
    evidence = lists.take(coded.column("evidence"))
    return coded.set_column(3, DERIVED_SCHEMA.field("evidence"), evidence)


def convert_block(lines: list[tuple[int, bytes]]) -> Converted:
    """Parse and convert one block of numbered lines (runs in a worker process too).

    The cyclic garbage collector is paused meanwhile: a record's objects hold no cycles,
    and its passes over tens of thousands of fresh dicts cost 5% of the parse."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _convert(lines)
    finally:
        if enabled:
            gc.enable()


def _convert(lines: list[tuple[int, bytes]]) -> Converted:
    block = Block()
    sink = IngestReport(source="")
    for number, line in lines:
        if not line.strip():
            continue
        block.read += 1
        if len(line) > MAX_LINE_BYTES:
            sink.add(Problem(number, None, "record-too-large", f"{len(line)} bytes", "skipped"))
            continue
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            sink.add(Problem(number, None, "invalid-json", str(exc)[:200], "skipped"))
            continue
        if not isinstance(raw, dict):
            sink.add(
                Problem(number, None, "not-an-object", f"a JSON {type(raw).__name__}", "skipped")
            )
            continue
        rid = raw.get("id", raw.get("modelId"))
        if rid is None:
            sink.add(Problem(number, None, "missing-id", "no 'id' field", "skipped"))
            continue
        if not is_valid_repo_id(rid):
            shown = rid[:120] if isinstance(rid, str) else repr(rid)[:120]
            sink.add(Problem(number, shown, "invalid-id", "not a Hub repository id", "skipped"))
            continue
        add_record(block, RecordFields(raw, number, rid, sink))
    return Converted(
        read=block.read,
        ingested=len(block.rows),
        models=_table(block.rows, MODEL_SCHEMA),
        derived=_derived_table(block),
        trained=_table(block.trained, TRAINED_SCHEMA),
        actors=block.actors,
        placeholders=block.placeholders,
        datasets=list(block.datasets),
        problems=sink.problems,
    )
