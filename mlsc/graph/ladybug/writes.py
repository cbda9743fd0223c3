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
from mlsc.graph.ladybug import changes
from mlsc.graph.ladybug.changes import any_differs
from mlsc.graph.ladybug.connection import Connection
from mlsc.graph.ladybug.staging import (
    COPY_SHARE,
    EDGE_POOL_PER_BYTE,
    Stage,
    flat,
    plain,
    plain_nbytes,
    result_slices,
    slices,
    split,
    typed_array,
)
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
        found = [
            self._conn.arrow(
                f"LOAD FROM '{stage.write_table(part)}' MATCH (n:{label} {{{key}: k}}) RETURN k"
            ).column(0)
            for part in result_slices(pa.table({"k": keys}), self._conn.pool_bytes, 1)
        ]
        return pa.chunked_array(found, pa.string()).combine_chunks()

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
            for part in slices(new, pool, COPY_SHARE):
                self._conn.run(f"COPY {ntype.label} FROM '{stage.write_table(part)}'")
            new_keys.setdefault(table.label, []).append(new.column(key))
        names = [n for n in table.columns if upd.column(n).null_count < upd.num_rows]
        if upd.num_rows and names:
            changed = self._changed_nodes(stage, ntype, upd.select([key, *names]))
            sets = ", ".join(f"n.{n} = coalesce({n}, n.{n})" for n in names)
            for part in result_slices(changed, pool, changed.num_columns):
                self._conn.run(
                    f"LOAD FROM '{stage.write_table(part)}' "
                    f"MATCH (n:{ntype.label} {{{key}: {key}}}) SET {sets}"
                )
                self._conn.run("CHECKPOINT")  # frees the undo data the SET holds in the pool
        return new.num_rows, upd.num_rows

    def _changed_nodes(self, stage: Stage, ntype: schema.NodeType, rows: pa.Table) -> pa.Table:
        """The stored ``rows`` (key first) whose values would change a stored node."""
        key, names = ntype.key, rows.column_names[1:]
        returned = ", ".join(f"n.{n} AS {n}" for n in names)
        picked = []
        start = 0
        for part in result_slices(rows, self._conn.pool_bytes, rows.num_columns):
            lookup = pa.table({"i": pa.array(range(part.num_rows), pa.int64()), "k": part[key]})
            stored = self._conn.arrow(
                f"LOAD FROM '{stage.write_table(lookup)}' "
                f"MATCH (n:{ntype.label} {{{key}: k}}) RETURN i, {returned}"
            )
            new = plain(part.take(stored.column("i")))
            hits = pc.filter(stored.column("i"), any_differs(new, stored, names))
            picked.append(pc.add(hits, start))
            start += part.num_rows
        taken = pa.chunked_array(picked, pa.int64()).combine_chunks()
        return rows.take(pc.take(taken, pc.sort_indices(taken)))

    def _remove_stale(
        self,
        stage: Stage,
        etype: schema.EdgeType,
        sources: frozenset[str],
        keep: set[tuple[str, str]],
    ) -> int:
        """Delete stored ``etype`` edges out of ``sources`` that the batch no longer has."""
        removed, pool = 0, self._conn.pool_bytes
        for src_label, dst_label in etype.pairs:
            sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
            stored = pa.concat_tables(
                self._conn.arrow(
                    f"LOAD FROM '{stage.write_table(part)}' MATCH (a:{src_label} {{{sk}: k}})"
                    f"-[r:{etype.type}]->(b:{dst_label}) RETURN a.{sk}, b.{dk}"
                )
                for part in result_slices(
                    pa.table({"k": pa.array(sorted(sources), pa.string())}), pool, 4
                )
            )
            stale = [
                (a, b)
                for a, b in zip(
                    stored.column(0).to_pylist(), stored.column(1).to_pylist(), strict=True
                )
                if (a, b) not in keep
            ]
            if stale:
                pairs = pa.table(
                    {
                        "src": pa.array([a for a, _ in stale], pa.string()),
                        "dst": pa.array([b for _, b in stale], pa.string()),
                    }
                )
                for part in result_slices(pairs, pool, len(etype.properties) + 2):
                    self._conn.run(
                        f"LOAD FROM '{stage.write_table(part)}' MATCH (a:{src_label} "
                        f"{{{sk}: src}})-[r:{etype.type}]->(b:{dst_label} {{{dk}: dst}}) DELETE r"
                    )
                    self._conn.run("CHECKPOINT")
                removed += len(stale)
        return removed

    def _write_edge_table(
        self, stage: Stage, table: EdgeTable, new_keys: dict[str, list[pa.Array]]
    ) -> tuple[int, int]:
        etype = schema.EDGES[table.type]
        types = dict(etype.properties)
        src_label, dst_label = table.src_label, table.dst_label
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
        rewrite = data.slice(0, 0)
        empty = self._empty_rel(etype.type)
        if not empty:
            # An edge touching a node this write created is new; only the others need a lookup.
            fresh = pa.repeat(False, n)
            for keys, column in ((new_keys.get(src_label), src), (new_keys.get(dst_label), dst)):
                if keys:
                    fresh = pc.or_(fresh, pc.is_in(column, value_set=flat(keys)))
            unsure = pc.indices_nonzero(pc.invert(fresh))
            if len(unsure):
                found, rewrite = self._stored_edges(stage, table, data, unsure.cast(pa.int64()))
                existing = pc.is_in(pa.array(range(n), pa.int64()), value_set=found)
        upd, new = split(data, existing)
        if rewrite.num_rows:
            # Changed edges are deleted and copied again with their new values: a SET holds
            # undo data in the pool for every edge it touches, and ran a 512 MiB pool out.
            self._delete_edges(stage, table, rewrite.select(["from", "to"]), rewrite.num_columns)
            new = pa.concat_tables([plain(new), rewrite])
            empty = self._empty_rel(etype.type)  # the deletes may have emptied it
        if new.num_rows:
            options = f" (from='{src_label}', to='{dst_label}')" if len(etype.pairs) > 1 else ""
            statement = f"COPY {etype.type} FROM '{{}}'{options}"
            self._copy_edges(stage, statement, new, empty=empty)
        return new.num_rows - rewrite.num_rows, upd.num_rows

    def _copy_edges(
        self, stage: Stage, statement: str, rows: pa.Table, *, empty: bool = False
    ) -> None:
        """COPY ``rows`` whole. Into an ``empty`` rel table, with the pool widened when it
        is too small (:meth:`Connection.wider_pool`): a COPY into a non-empty rel table
        costs far more per row. When the pool runs out all the same, each half the same
        way (the first into a still empty table); a failed COPY leaves nothing behind."""
        copy = statement.format(stage.write_table(rows))
        wanted = EDGE_POOL_PER_BYTE * plain_nbytes(rows)
        if empty and rows.num_rows > 1 and 3 * self._conn.pool_bytes < 2 * wanted:
            if self._wide_copy(copy, wanted):  # sure to run out as it is: not even tried
                return
        else:
            try:
                self._conn.run(copy)
                return
            except BufferPoolFullError:
                if empty and self._wide_copy(copy, wanted):
                    return
                if rows.num_rows < 2:
                    raise
        half = rows.num_rows // 2
        for first, part in ((True, rows.slice(0, half)), (False, rows.slice(half))):
            self._copy_edges(stage, statement, part, empty=empty and first)
            self._conn.run("CHECKPOINT")

    def _wide_copy(self, copy: str, wanted: int) -> bool:
        """Run ``copy`` with the pool widened to ``wanted`` bytes; False when it could not
        be widened, or ran out all the same."""
        with self._conn.wider_pool(wanted) as widened:
            if not widened:
                return False
            try:
                self._conn.run(copy)
            except BufferPoolFullError:
                return False
            return True

    def _pattern(self, table: EdgeTable) -> str:
        sk, dk = schema.NODES[table.src_label].key, schema.NODES[table.dst_label].key
        return (
            f"(a:{table.src_label} {{{sk}: src}})-[r:{table.type}]->"
            f"(b:{table.dst_label} {{{dk}: dst}})"
        )

    def _stored_edges(
        self, stage: Stage, table: EdgeTable, data: pa.Table, rows: pa.Array
    ) -> tuple[pa.Array, pa.Table]:
        """(which of ``rows`` of ``data`` are stored, every stored edge to rewrite with its
        new values: all edges between a pair whose values change, in ``data``'s columns)."""
        props = data.column_names[2:]
        names = [n for n in table.columns if n in props]
        returned = ", ".join(f"r.{p} AS {p}" for p in props)
        found: list[pa.Table] = []
        lookup = pa.table({"i": rows, "src": data["from"].take(rows), "dst": data["to"].take(rows)})
        for part in result_slices(lookup, self._conn.pool_bytes, len(props) + 2):
            found.append(
                self._conn.arrow(
                    f"LOAD FROM '{stage.write_table(part)}' MATCH {self._pattern(table)} "
                    f"RETURN i, offset(id(r)) AS rid__, {returned}"
                )
            )
        stored = pa.concat_tables(found) if found else pa.table({"i": pa.array([], pa.int64())})
        if stored.num_rows == 0:
            return pa.array([], pa.int64()), data.slice(0, 0)
        # one row per stored edge: a pair given twice takes its last row's values
        stored = stored.take(changes.last_per(stored["rid__"], stored["i"]))
        given, found_rows = plain(data.take(stored["i"])), stored["i"].combine_chunks()
        changed = changes.any_differs(given, stored, names)
        pairs = pc.binary_join_element_wise(given["from"], given["to"], "\x00")
        touched = pc.is_in(pairs, value_set=pc.unique(pc.filter(pairs, changed)))
        given, stored = given.filter(touched), stored.filter(touched)
        values = changes.merged(given, stored, props)
        rewrite = pa.table({"from": given["from"], "to": given["to"]} | values)
        return found_rows, rewrite

    def _delete_edges(self, stage: Stage, table: EdgeTable, pairs: pa.Table, width: int) -> None:
        """Delete every stored edge between each (from, to) of ``pairs`` (edges of ``width``
        columns: deleted, they stay in the pool until the checkpoint)."""
        pairs = pairs.rename_columns(["src", "dst"]).group_by(["src", "dst"]).aggregate([])
        for part in result_slices(pairs, self._conn.pool_bytes, width):
            self._conn.run(
                f"LOAD FROM '{stage.write_table(part)}' MATCH {self._pattern(table)} DELETE r"
            )
            self._conn.run("CHECKPOINT")
