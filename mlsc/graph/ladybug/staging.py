"""Parquet staging for LadybugDB's bulk writes, and the Arrow column helpers they use.

    >>> stage = Stage(Path(tmp))                                   # doctest: +SKIP
    >>> path = stage.write({"k": ["a/b"]}, {"k": "STRING"})         # doctest: +SKIP
    >>> conn.run(f"COPY Model FROM '{path}'")                       # doctest: +SKIP

Staged columns are named like schema properties, so a name never needs quoting.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mlsc.graph.records import ARROW_TYPES

ROW_GROUP = 65_536
"""Rows per Parquet row group when staging: the engine's COPY reads row groups in parallel."""

POOL_SHARE = 0.1
"""The most of the engine's buffer pool that one staged COPY or LOAD FROM of nodes may hold,
in Arrow bytes. A COPY needs pool pages for the rows it reads, their hash-index entries and
their column chunks: 70k models in one COPY did not fit a 64 MiB pool, nor 1M a 512 MiB one.
Edges are copied whole (a COPY into a non-empty rel table costs far more per row): see
``Writer._copy_edges``."""

COPY_SHARE = 0.25
"""The share of the pool one COPY of new nodes may hold (a lookup keeps to ``POOL_SHARE``).
Each COPY into a non-empty node table costs a fixed part on top of its rows: 1M models went
in 8 slices at ``POOL_SHARE`` in 6.3 s, in 4 at this share in 4.0 s and whole (a 4 GiB
pool) in 3.4 s, with the same peak RSS (1.34 GB) at 512 MiB; 70k models still fit 64 MiB
(``tests/graph/test_ladybug_pool.py``)."""

_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def typed_array(values: Any, type_name: str) -> pa.Array | pa.ChunkedArray:
    """A column as Arrow data of the schema's type, whatever form it came in (chunked
    columns stay chunked: combining a million-row column would copy it; a dictionary of the
    type stays one until it is staged, see :func:`plain`)."""
    arrow_type = ARROW_TYPES[type_name]
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        kind = values.type
        if kind == arrow_type or (pa.types.is_dictionary(kind) and kind.value_type == arrow_type):
            return values
        return values.cast(arrow_type)
    return pa.array(list(values), arrow_type)


def flat(columns: list[Any]) -> pa.Array:
    """One Array from Arrays and ChunkedArrays (a value set for ``is_in``)."""
    chunks = [
        c for col in columns for c in (col.chunks if isinstance(col, pa.ChunkedArray) else [col])
    ]
    return pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())


def split(table: pa.Table, mask: Any) -> tuple[pa.Table, pa.Table]:
    """(rows where mask, rows where not), without copying when one side is empty."""
    hits = pc.sum(mask).as_py() or 0
    if hits == 0:
        return table.slice(0, 0), table
    if hits == table.num_rows:
        return table, table.slice(0, 0)
    return table.filter(mask), table.filter(pc.invert(mask))


def restore_nulls(table: pa.Table) -> pa.Table:
    """Apply each ``<name>__null`` indicator column to ``<name>`` and drop the indicator."""
    for name in [n for n in table.column_names if n.endswith("__null")]:
        target = name[: -len("__null")]
        column = table.column(target)
        nulled = pc.if_else(table.column(name), pa.nulls(len(column), column.type), column)
        table = table.set_column(table.column_names.index(target), target, nulled)
        table = table.drop_columns([name])
    return table


def plain(table: pa.Table) -> pa.Table:
    """``table`` with its dictionary columns decoded (as staged, and as compared)."""
    fields = [
        pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table


def plain_nbytes(table: pa.Table) -> int:
    """About the bytes of ``table`` once its dictionary columns are decoded."""
    total = 0
    for column in table.columns:
        if pa.types.is_dictionary(column.type) and len(column):
            chunk = next((c for c in column.chunks if len(c.dictionary)), None)
            each = chunk.dictionary.nbytes / len(chunk.dictionary) if chunk is not None else 0
            total += int(len(column) * (each + 4))
        else:
            total += column.nbytes
    return total


NODE_GROUP = 131_072
"""Rows per node group of the engine (LadybugDB 0.22)."""


EDGE_POOL_PER_BYTE = 3
"""Pool bytes a ``COPY`` into an empty rel table needs per Arrow byte of its rows, about:
2M models' 1.76M edges (390 MB) ran 768 MiB out and fit 1 GiB (2.75 times); 1M models'
0.88M (195 MB) fit 512 MiB (2.75 times)."""


def slices(table: pa.Table, pool_bytes: int, share: float = POOL_SHARE) -> Iterator[pa.Table]:
    """``table`` in consecutive slices of at most about ``share`` of ``pool_bytes`` each
    (the table itself when it fits). Nothing is copied.

    A slice is a whole number of node groups, or a power-of-two fraction of one (so a single
    Parquet row group): LadybugDB 0.22 loses sight of rows already stored when a COPY of
    100,000 rows (two row groups) goes into a half-filled node group (200k models in two
    slices: one of the first slice's models could no longer be found by key or by scan, and
    the edges' COPY stopped on it); aligned slices of 131,072 and slices of 32,768 or 50,000
    rows did not."""
    budget = max(int(pool_bytes * share), 1)
    size = plain_nbytes(table)
    if size <= budget:
        yield table
        return
    fit = max(int(table.num_rows * budget / size), 1)
    # whole node groups, else the largest power of two that fits (it divides NODE_GROUP)
    rows = fit // NODE_GROUP * NODE_GROUP if fit >= NODE_GROUP else 1 << (fit.bit_length() - 1)
    for start in range(0, table.num_rows, rows):
        yield table.slice(start, rows)


RESULT_VALUE_BYTES = 100
"""Pool bytes allowed per value (row x column) of one lookup's result. A query's result
lives in the pool until it is read: 61,557 edges of 7 columns each ran a 64 MiB pool out,
49,152 did not (about 170 bytes per value); with ``POOL_SHARE`` a lookup uses a sixth of
that."""


def result_slices(table: pa.Table, pool_bytes: int, columns: int) -> Iterator[pa.Table]:
    """``table`` (rows to look up) in consecutive slices whose results, ``columns`` values
    per row, take at most about ``POOL_SHARE`` of ``pool_bytes``. Nothing is copied."""
    rows = max(int(pool_bytes * POOL_SHARE / (max(columns, 1) * RESULT_VALUE_BYTES)), 1)
    for start in range(0, table.num_rows, rows):
        yield table.slice(start, rows)


class Stage:
    """Parquet files in a temporary directory, for COPY FROM and LOAD FROM."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._n = 0

    def write_table(self, table: pa.Table) -> str:
        import pyarrow.parquet as pq  # writes only: a query process need not import it

        assert all(_SAFE_NAME.match(name) for name in table.column_names)
        self._n += 1
        path = self._root / f"stage-{self._n}.parquet"
        pq.write_table(plain(table), path, compression="none", row_group_size=ROW_GROUP)
        pa.default_memory_pool().release_unused()  # the decoded copy: not while the COPY runs
        return str(path)

    def write(self, columns: Mapping[str, list[Any]], types: Mapping[str, str]) -> str:
        """Stage Python lists, typed by the schema's property types."""
        arrays = [
            pa.array(values, type=ARROW_TYPES[types[name]]) for name, values in columns.items()
        ]
        return self.write_table(pa.Table.from_arrays(arrays, names=list(columns)))
