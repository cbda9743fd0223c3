"""LadybugDB's write path: a :class:`GraphBatch` staged as Parquet files and loaded with
``COPY ... FROM`` (new rows) or ``LOAD FROM ... MATCH ... SET`` (rows that already exist),
never row by row.

    >>> stats = Writer(conn, order).write(batch)                    # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from mlsc.errors import BufferPoolFullError, StoreError
from mlsc.graph import schema
from mlsc.graph.ladybug.connection import Connection
from mlsc.graph.ladybug.staging import Stage, flat, slices, split, typed_array
from mlsc.graph.records import (
    ARROW_TYPES,
    EdgeTable,
    GraphBatch,
    NodeTable,
    WriteStats,
    as_list,
    edge_tables,
    node_tables,
)


class Writer:
    """Writes batches into one open database whose tables have the given column order."""

    def __init__(self, conn: Connection, order: Mapping[str, list[str]]) -> None:
        self._conn = conn
        self._order = order
        """Table -> property names in the engine's order (COPY matches staged columns by
        position)."""

    def write(self, batch: GraphBatch) -> WriteStats:
        """Write ``batch``: its nodes, then its stale edges removed, then its edges."""
        created = updated = e_created = e_updated = e_removed = 0
        new_keys: dict[str, list[pa.Array]] = {}  # label -> keys created now: their edges are new
        with tempfile.TemporaryDirectory(prefix="mlsc-stage-") as tmp:
            stage = Stage(Path(tmp))
            full_keys: dict[str, list[pa.Array]] = {}
            for table in sorted(node_tables(batch), key=lambda t: t.create_only):
                c, u = self._write_node_table(stage, table, new_keys, full_keys)
                created, updated = created + c, updated + u
            edges = edge_tables(batch)
            for edge_type, sources in batch.replace_outgoing.items():
                etype = schema.EDGES[edge_type]
                if not len(sources) or self._empty_rel(etype.type):
                    continue
                src_labels = {src_label for src_label, _ in etype.pairs}
                fresh = {
                    key
                    for label in src_labels
                    for created_keys in new_keys.get(label, [])
                    for key in as_list(created_keys)
                }
                old_sources = frozenset(set(as_list(sources)) - fresh)
                if old_sources:
                    keep = {
                        pair
                        for t in edges
                        if t.type == edge_type
                        for pair in zip(as_list(t.src), as_list(t.dst), strict=True)
                    }
                    e_removed += self._remove_stale(stage, etype, old_sources, keep)
            for et in edges:
                c, u = self._write_edge_table(stage, et, new_keys)
                e_created, e_updated = e_created + c, e_updated + u
        return WriteStats(created, updated, e_created, e_updated, e_removed)

    def _empty_rel(self, rel: str) -> bool:
        return self._conn.count(f"MATCH ()-[r:{rel}]->() RETURN count(*)") == 0

    def _existing(self, stage: Stage, label: str, keys: pa.Array) -> pa.Array:
        """Which of ``keys`` are stored already (one staged lookup, not one query each)."""
        key = schema.NODES[label].key
        if len(keys) == 0 or self._conn.count(f"MATCH (n:{label}) RETURN count(*)") == 0:
            return pa.array([], pa.string())
        path = stage.write_table(pa.table({"k": keys}))
        table = self._conn.arrow(f"LOAD FROM '{path}' MATCH (n:{label} {{{key}: k}}) RETURN k")
        return table.column(0).combine_chunks() if table.num_rows else pa.array([], pa.string())

    def _write_node_table(
        self,
        stage: Stage,
        table: NodeTable,
        new_keys: dict[str, list[pa.Array]],
        full_keys: dict[str, list[pa.Array]],
    ) -> tuple[int, int]:
        ntype = schema.NODES[table.label]
        types = dict(ntype.properties)
        unknown = set(table.columns) - set(types)
        if unknown:
            raise StoreError(f"{table.label} has no properties {sorted(unknown)}")
        key = ntype.key
        keys = typed_array(table.keys, "STRING")
        n = len(keys)
        if n == 0:
            return 0, 0
        data = pa.table(
            {key: keys}
            | {
                name: typed_array(table.columns[name], types[name])
                if name in table.columns
                else pa.nulls(n, ARROW_TYPES[types[name]])
                for name in self._order[table.label]
                if name != key
            }
        )
        stored = pc.is_in(keys, value_set=self._existing(stage, table.label, keys))
        if table.create_only:
            written = full_keys.get(table.label, [])
            taken = flat(written) if written else None
            skip = pc.or_(stored, pc.is_in(keys, value_set=taken)) if taken is not None else stored
            new, upd = split(data, skip)[1], data.slice(0, 0)
        else:
            upd, new = split(data, stored)
            full_keys.setdefault(table.label, []).append(keys)
        pool = self._conn.pool_bytes
        if new.num_rows:
            for part in slices(new, pool):
                self._conn.run(f"COPY {ntype.label} FROM '{stage.write_table(part)}'")
            new_keys.setdefault(table.label, []).append(new.column(key))
        if upd.num_rows:
            names = [n for n in table.columns if upd.column(n).null_count < upd.num_rows]
            sets = ", ".join(f"n.{n} = coalesce({n}, n.{n})" for n in names)
            for part in slices(upd.select([key, *names]), pool) if names else ():
                self._conn.run(
                    f"LOAD FROM '{stage.write_table(part)}' "
                    f"MATCH (n:{ntype.label} {{{key}: {key}}}) SET {sets}"
                )
        return new.num_rows, upd.num_rows

    def _remove_stale(
        self,
        stage: Stage,
        etype: schema.EdgeType,
        sources: frozenset[str],
        keep: set[tuple[str, str]],
    ) -> int:
        """Delete stored ``etype`` edges out of ``sources`` that the batch no longer has."""
        removed = 0
        for src_label, dst_label in etype.pairs:
            sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
            path = stage.write({"k": sorted(sources)}, {"k": "STRING"})
            stored = self._conn.arrow(
                f"LOAD FROM '{path}' MATCH (a:{src_label} {{{sk}: k}})-[r:{etype.type}]->"
                f"(b:{dst_label}) RETURN a.{sk}, b.{dk}"
            )
            stale = [
                (a, b)
                for a, b in zip(
                    stored.column(0).to_pylist(), stored.column(1).to_pylist(), strict=True
                )
                if (a, b) not in keep
            ]
            if stale:
                path = stage.write(
                    {"src": [a for a, _ in stale], "dst": [b for _, b in stale]},
                    {"src": "STRING", "dst": "STRING"},
                )
                self._conn.run(
                    f"LOAD FROM '{path}' MATCH (a:{src_label} {{{sk}: src}})-[r:{etype.type}]->"
                    f"(b:{dst_label} {{{dk}: dst}}) DELETE r"
                )
                removed += len(stale)
        return removed

    def _write_edge_table(
        self, stage: Stage, table: EdgeTable, new_keys: dict[str, list[pa.Array]]
    ) -> tuple[int, int]:
        etype = schema.EDGES[table.type]
        types = dict(etype.properties)
        src_label, dst_label = table.src_label, table.dst_label
        sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
        src, dst = typed_array(table.src, "STRING"), typed_array(table.dst, "STRING")
        n = len(src)
        if n == 0:
            return 0, 0
        data = pa.table(
            {"from": src, "to": dst}
            | {
                name: typed_array(table.columns[name], types[name])
                if name in table.columns
                else pa.nulls(n, ARROW_TYPES[types[name]])
                for name in self._order[etype.type]
            }
        )
        existing = pa.repeat(False, n)
        if not self._empty_rel(etype.type):
            # An edge touching a node this write created is new; only the others need a lookup.
            fresh = pa.repeat(False, n)
            for keys, column in ((new_keys.get(src_label), src), (new_keys.get(dst_label), dst)):
                if keys:
                    fresh = pc.or_(fresh, pc.is_in(column, value_set=flat(keys)))
            unsure = pc.indices_nonzero(pc.invert(fresh))
            if len(unsure):
                lookup = pa.table(
                    {"i": unsure.cast(pa.int64()), "src": src.take(unsure), "dst": dst.take(unsure)}
                )
                path = stage.write_table(lookup)
                pattern = (
                    f"(a:{src_label} {{{sk}: src}})-[r:{etype.type}]->(b:{dst_label} {{{dk}: dst}})"
                )
                found = self._conn.arrow(f"LOAD FROM '{path}' MATCH {pattern} RETURN i").column(0)
                existing = pc.is_in(
                    pa.array(range(n), pa.int64()),
                    value_set=found.combine_chunks().cast(pa.int64())
                    if len(found)
                    else pa.array([], pa.int64()),
                )
        upd, new = split(data, existing)
        pool = self._conn.pool_bytes
        if new.num_rows:
            options = f" (from='{src_label}', to='{dst_label}')" if len(etype.pairs) > 1 else ""
            path = stage.write_table(new)
            try:  # whole: a COPY into a non-empty rel table is several times slower
                self._conn.run(f"COPY {etype.type} FROM '{path}'{options}")
            except BufferPoolFullError:  # a failed COPY leaves nothing behind: slice it
                for part in slices(new, pool):
                    self._conn.run(f"COPY {etype.type} FROM '{stage.write_table(part)}'{options}")
        names = [n for n in table.columns if n in types]
        if upd.num_rows and names:
            upd = upd.rename_columns(["src", "dst", *upd.column_names[2:]])
            pattern = (
                f"(a:{src_label} {{{sk}: src}})-[r:{etype.type}]->(b:{dst_label} {{{dk}: dst}})"
            )
            sets = ", ".join(f"r.{n} = coalesce({n}, r.{n})" for n in names)
            for part in slices(upd.select(["src", "dst", *names]), pool):
                path = stage.write_table(part)
                self._conn.run(f"LOAD FROM '{path}' MATCH {pattern} SET {sets}")
        return new.num_rows, upd.num_rows
