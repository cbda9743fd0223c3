"""Moving a whole knowledge base: store to store (``mlsc copy``), and to the CSV files of
``neo4j-admin database import full`` (``mlsc export neo4j-admin``).

Both read through :meth:`GraphStore.scan_nodes` and :meth:`GraphStore.scan_edges`, so they
work from either store. A copy *merges* into the target with the same idempotent writes an
ingestion uses: copying twice leaves the same graph, and a ``None`` never erases a value the
target already has. Start from an empty target for an exact mirror; the report compares the
counts on both sides either way.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mlsc.errors import InputError, MlscError
from mlsc.graph import schema
from mlsc.graph.records import ARROW_TYPES, Column, EdgeTable, GraphBatch, NodeTable, as_list
from mlsc.graph.store import GraphStore

COPY_ROWS = 50_000
"""Rows per write while copying: one managed transaction batch series on Neo4j, one staged
Parquet load on LadybugDB."""

EXPORT_ROWS = 262_144
"""Rows per scanned table while exporting. Each scan of the embedded store costs more than
its rows: 1M models' nodes took 5.1 s in tables of 50,000, 2.2 s of 200,000, 1.6 s whole."""

Progress = Callable[[str, int], None]
"""Called with (what, rows) after each table is written: a label or an edge type."""


@dataclass(frozen=True)
class CopyReport:
    """What a copy moved, and the counts of both stores afterwards."""

    source: str
    target: str
    copied: Mapping[str, int]
    """Label or edge type -> rows read from the source and written."""
    source_counts: Mapping[str, int]
    target_counts: Mapping[str, int]
    seconds: float

    @property
    def mirrored(self) -> bool:
        """True when the target now holds exactly as many of everything as the source."""
        return all(
            self.target_counts.get(k) == v for k, v in self.source_counts.items() if k in KINDS
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "copied": dict(self.copied),
            "source_counts": {k: self.source_counts[k] for k in KINDS},
            "target_counts": {k: self.target_counts[k] for k in KINDS},
            "mirrored": self.mirrored,
            "seconds": round(self.seconds, 3),
        }


KINDS: tuple[str, ...] = (
    *(n.label for n in schema.NODE_TYPES),
    *(e.type for e in schema.EDGE_TYPES),
)


def _edge_kinds() -> Iterator[tuple[str, str, str]]:
    for etype in schema.EDGE_TYPES:
        for src, dst in etype.pairs:
            yield etype.type, src, dst


def copy_graph(
    source: GraphStore,
    target: GraphStore,
    *,
    rows: int = COPY_ROWS,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy every node, then every edge, of ``source`` into ``target``."""
    if source.backend == target.backend and source.location == target.location:
        raise InputError(
            f"the source and the target are the same knowledge base ({source.location})",
            hint="Copy between the embedded store (--db) and Neo4j (--neo4j-uri).",
        )
    start = time.perf_counter()
    copied: dict[str, int] = dict.fromkeys(KINDS, 0)
    for ntype in schema.NODE_TYPES:
        for table in source.scan_nodes(ntype.label, rows):
            target.write(GraphBatch(node_tables=[table]))
            copied[ntype.label] += len(table.keys)
            if progress:
                progress(ntype.label, len(table.keys))
    for edge_type, src, dst in _edge_kinds():
        for etable in source.scan_edges(edge_type, src, dst, rows):
            target.write(GraphBatch(edge_tables=[etable]))
            copied[edge_type] += len(etable.src)
            if progress:
                progress(edge_type, len(etable.src))
    return CopyReport(
        source.location,
        target.location,
        copied,
        source.counts(),
        target.counts(),
        time.perf_counter() - start,
    )


# -- neo4j-admin CSV ---------------------------------------------------------------------

ARRAY_DELIMITER = "\x1f"
"""Between the elements of a list property: ASCII unit separator, which no real name,
tag or evidence string contains (an element that does is reported and has it replaced)."""

EMPTY_LIST = "an empty list imports as no value (neo4j-admin cannot write an empty list)"
DELIMITER_IN_LIST = "a list element contains U+001F; replaced by U+FFFD"

_CSV_TYPES = {
    "STRING": "string",
    "INT64": "long",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "STRING[]": "string[]",
}


@dataclass(frozen=True)
class ExportReport:
    """The files an export wrote and the command that imports them."""

    directory: str
    files: Mapping[str, int]
    """File name -> data rows."""
    command: tuple[str, ...]
    """``neo4j-admin database import full`` with every argument, relative to the directory."""
    problems: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "files": dict(self.files),
            "command": list(self.command),
            "problems": list(self.problems),
        }


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _field(value: Any, prop_type: str) -> tuple[str, str | None]:
    """One CSV field in the importer's dialect, and what it could not keep, if anything.

    Empty means no property; strings are always quoted (so an empty string stays one) with
    inner quotes doubled."""
    if value is None:
        return "", None
    if prop_type == "STRING":
        return _quote(str(value)), None
    if prop_type == "BOOLEAN":
        return ("true" if value else "false"), None
    if prop_type == "INT64":
        return str(int(value)), None
    if prop_type == "DOUBLE":
        number = float(value)
        if math.isnan(number):
            return "NaN", None
        if math.isinf(number):
            return ("Infinity" if number > 0 else "-Infinity"), None
        return repr(number), None
    if not len(value):
        return "", EMPTY_LIST
    items = [str(item) for item in value]
    if any(ARRAY_DELIMITER in item for item in items):
        items = [item.replace(ARRAY_DELIMITER, "\ufffd") for item in items]
        return _quote(ARRAY_DELIMITER.join(items)), DELIMITER_IN_LIST
    return _quote(ARRAY_DELIMITER.join(items)), None


def _arrow(values: Column, prop_type: str) -> pa.Array | None:
    """``values`` as one plain Arrow array of the property's type; None when they do not
    convert (then each value goes through :func:`_field`)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        try:
            return pa.array(values, ARROW_TYPES[prop_type])
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            return None
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values if values.type == ARROW_TYPES[prop_type] else None


def _quoted(strings: pa.Array) -> pa.Array:
    escaped = pc.replace_substring(strings, '"', '""')
    return pc.binary_join_element_wise('"', escaped, '"', "")


def _csv_fields(values: Column, prop_type: str) -> tuple[pa.Array, list[tuple[int, str]]]:
    """One column as CSV fields (``""`` for no value), exactly as :func:`_field` writes
    them, and the (row, problem) that :func:`_field` reports. Strings, numbers, booleans and
    ordinary lists are converted as columns; doubles, and the rare list with an empty,
    missing or delimiter-holding element, value by value."""
    arr = _arrow(values, prop_type)
    odd: pa.Array | None = None  # rows to convert value by value
    if arr is None or prop_type == "DOUBLE":
        odd = pa.repeat(True, len(values))
        out = pa.nulls(len(values), pa.string())
    elif prop_type == "STRING":
        out = _quoted(arr)
    elif prop_type == "BOOLEAN":
        out = pc.if_else(arr, "true", "false")
    elif prop_type == "INT64":
        out = pc.cast(arr, pa.string())
    else:
        joined = pc.binary_join(arr, ARRAY_DELIMITER)  # null where an element is null
        lengths = pc.list_value_length(arr)
        delimiters = pc.count_substring(pc.fill_null(joined, ""), ARRAY_DELIMITER)
        odd = pc.or_kleene(
            pc.or_kleene(pc.equal(lengths, 0), pc.greater_equal(delimiters, lengths)),
            pc.and_(pc.is_valid(arr), pc.is_null(joined)),
        )
        out = _quoted(joined)
    problems: list[tuple[int, str]] = []
    if odd is not None and pc.any(odd).as_py():
        rows = pc.indices_nonzero(pc.fill_null(odd, False)).to_pylist()
        raw = as_list(values) if arr is None else None
        fields = out.to_pylist()
        for i in rows:
            value = raw[i] if raw is not None else arr[i].as_py()  # type: ignore[index]
            fields[i], problem = _field(value, prop_type)
            if problem:
                problems.append((i, problem))
        out = pa.array(fields, pa.string())
    return pc.fill_null(out, ""), problems


def _write_rows(
    path: Path,
    header: Sequence[str],
    types: Sequence[str],
    tables: Iterator[tuple[Column, ...]],
    name: Callable[[tuple[Any, ...]], str],
    problems: list[str],
) -> int:
    """Write the header and every table's rows; the rows' problems, in row order, named
    by ``name`` of the row's first two values."""
    n = 0
    with path.open("wb") as fh:
        fh.write((",".join(header) + "\n").encode())
        for columns in tables:
            fields = [_csv_fields(column, t) for column, t in zip(columns, types, strict=True)]
            rows = len(fields[0][0]) if fields else 0
            if not rows:
                continue
            lines = pc.binary_join_element_wise(*(f for f, _ in fields), ",")
            lines = pc.binary_join_element_wise(lines, "", "\n")
            whole = pc.binary_join(pa.ListArray.from_arrays([0, rows], lines), "")
            fh.write(whole[0].as_buffer())
            for i, _, problem in sorted(
                (i, c, problem) for c, (_, bad) in enumerate(fields) for i, problem in bad
            ):
                first = tuple(as_list(column[i : i + 1])[0] for column in columns[:2])
                problems.append(f"{name(first)}: {problem}")
            n += rows
    return n


def _node_name(label: str, row: tuple[Any, ...]) -> str:
    return f"{label} {row[0]!r}"


def _edge_name(edge_type: str, row: tuple[Any, ...]) -> str:
    return f"{edge_type} {row[0]!r} -> {row[1]!r}"


def _node_columns(table: NodeTable, ntype: schema.NodeType) -> tuple[Column, ...]:
    return (table.keys, *(table.columns[name] for name, _ in ntype.properties))


def _edge_columns(table: EdgeTable, etype: schema.EdgeType) -> tuple[Column, ...]:
    return (table.src, table.dst, *(table.columns[name] for name, _ in etype.properties))


def export_neo4j_admin(
    store: GraphStore, directory: Path, *, rows: int = EXPORT_ROWS, database: str = "neo4j"
) -> ExportReport:
    """Write node and relationship CSV files (headers in their first line) for
    ``neo4j-admin database import full`` into ``directory``, and return the command."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if any(directory.iterdir()):
            raise InputError(
                f"{directory} is not empty",
                hint="Export into a new or empty directory, so no stale file gets imported.",
            )
    except OSError as exc:
        raise MlscError(f"cannot write to {directory}: {exc.strerror}") from exc
    files: dict[str, int] = {}
    problems: list[str] = []
    args: list[str] = []
    for ntype in schema.NODE_TYPES:
        name = f"nodes-{ntype.label}.csv"
        header = [f"{ntype.key}:ID({ntype.label})"] + [
            f"{p}:{_CSV_TYPES[t]}" for p, t in ntype.properties
        ]
        types = ["STRING", *(t for _, t in ntype.properties)]
        files[name] = _write_rows(
            directory / name,
            header,
            types,
            (_node_columns(t, ntype) for t in store.scan_nodes(ntype.label, rows)),
            functools.partial(_node_name, ntype.label),
            problems,
        )
        if files[name]:
            args.append(f"--nodes={ntype.label}={name}")
        else:
            (directory / name).unlink()
            del files[name]
    for edge_type, src, dst in _edge_kinds():
        etype = schema.EDGES[edge_type]
        name = f"relationships-{edge_type}-{src}-{dst}.csv"
        header = [f":START_ID({src})", f":END_ID({dst})"] + [
            f"{p}:{_CSV_TYPES[t]}" for p, t in etype.properties
        ]
        types = ["STRING", "STRING", *(t for _, t in etype.properties)]
        files[name] = _write_rows(
            directory / name,
            header,
            types,
            (_edge_columns(t, etype) for t in store.scan_edges(edge_type, src, dst, rows)),
            functools.partial(_edge_name, edge_type),
            problems,
        )
        if files[name]:
            args.append(f"--relationships={edge_type}={name}")
        else:
            (directory / name).unlink()
            del files[name]
    empty = [p for p in problems if p.endswith(EMPTY_LIST)]
    if len(empty) > 1:
        problems = [p for p in problems if not p.endswith(EMPTY_LIST)]
        problems.append(f"{len(empty)} values, e.g. {empty[0]}")
    # The database name goes first: the file options take several values each.
    command = (
        "neo4j-admin",
        "database",
        "import",
        "full",
        database,
        "--array-delimiter=U+001F",
        "--multiline-fields=true",
        *args,
    )
    return ExportReport(str(directory), files, command, tuple(problems))
