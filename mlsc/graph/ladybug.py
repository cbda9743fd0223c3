"""The embedded store: LadybugDB (the maintained fork of Kùzu), in-process, one directory.

    >>> from mlsc.graph.ladybug import LadybugStore
    >>> with LadybugStore("/tmp/kb") as store:          # doctest: +SKIP
    ...     print(store.counts()["Model"])

Bulk writes go through Parquet files staged in a temporary directory and loaded with
``COPY ... FROM`` (new rows) or ``LOAD FROM ... MATCH ... SET`` (rows that already exist),
never row by row. Traversals run on a :class:`LineageIndex`, a compressed-sparse-row copy of
the derivation edges built from two native Arrow scans and dropped on every write: no hop
limit, no path enumeration. User Cypher gets the engine's variable-length bound raised from
30 to ``MAX_DEPTH`` hops, so documented ``SHORTEST 1..10000`` patterns never truncate.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import ladybug
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlsc.errors import (
    EmptyStoreError,
    QueryTimeoutError,
    ReadOnlyViolation,
    StoreError,
    StoreLockedError,
)
from mlsc.graph import schema
from mlsc.graph.algorithms import cycles
from mlsc.graph.lineage_index import LineageIndex
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
from mlsc.graph.store import (
    ENV_QUERY_TIMEOUT,
    EXPANSION_EDGES,
    EXPANSION_MODELS,
    SCAN_ROWS,
    CypherResult,
    Direction,
    Expansion,
    GraphStore,
    query_timeout,
)

DB_FILE = "graph.lbug"
MAX_DEPTH = 10_000
"""Variable-length bound. Far above any real chain (the hub's deepest are ~40 hops); reaching
it raises :class:`StoreError` rather than silently cutting the answer."""


def buffer_pool_bytes() -> int:
    """The engine's page cache: ``$MLSC_BUFFER_POOL_MB`` MiB, default 512 MiB.

    LadybugDB would otherwise let its cache grow to most of the machine's memory; 512 MiB
    holds a million-model knowledge base (about 300 MB on disk) whole, and traversals run
    on the in-memory lineage index anyway.
    """
    raw = os.environ.get("MLSC_BUFFER_POOL_MB", "512")
    try:
        mib = int(raw)
    except ValueError:
        raise StoreError(
            f"MLSC_BUFFER_POOL_MB={raw[:20]!r} is not a number of MiB", hint="e.g. 2048"
        ) from None
    return max(mib, 64) * 1024 * 1024


def _ddl() -> list[str]:
    stmts = []
    for node in schema.NODE_TYPES:
        cols = ", ".join(
            [f"{node.key} STRING PRIMARY KEY"] + [f"{n} {t}" for n, t in node.properties]
        )
        stmts.append(f"CREATE NODE TABLE IF NOT EXISTS {node.label}({cols})")
    for edge in schema.EDGE_TYPES:
        pairs = ", ".join(f"FROM {a} TO {b}" for a, b in edge.pairs)
        props = "".join(f", {n} {t}" for n, t in edge.properties)
        stmts.append(f"CREATE REL TABLE IF NOT EXISTS {edge.type}({pairs}{props})")
    return stmts


def _translate(exc: Exception, location: str) -> StoreError:
    text = str(exc)
    missing = re.search(r"Unable to find primary key value (.*)\.$", text, re.S)
    if missing:
        return StoreError(
            f"LadybugDB at {location}: an edge points at a node that is not stored: "
            f"{missing.group(1)!r}",
            hint="Write the nodes before (or with) their edges.",
        )
    if "Could not set lock" in text:
        return StoreLockedError(
            f"the knowledge base at {location} is open for writing in another process",
            hint="Wait for that process (an ingestion?) to finish, or use another --db.",
        )
    if "read-only" in text.lower() or "read only" in text.lower():
        return ReadOnlyViolation(
            f"refused: the query writes, and the knowledge base at {location} is open read-only",
            hint="Queries through `mlsc cypher` are read-only unless --write is given.",
        )
    return StoreError(f"LadybugDB at {location}: {text}")


class LadybugStore(GraphStore):
    """A knowledge base in one directory on the local disk."""

    backend = "ladybug"

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self._dir = Path(path).expanduser()
        self._read_only = read_only
        db_path = self._dir / DB_FILE
        if read_only and not db_path.exists():
            raise EmptyStoreError(str(self._dir))
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            self._db = ladybug.Database(
                str(db_path), read_only=read_only, buffer_pool_size=buffer_pool_bytes()
            )
            self._conn = ladybug.Connection(self._db)
            self._closed = False
            self._index: LineageIndex | None = None
            self._conn.execute(f"CALL var_length_extend_max_depth={MAX_DEPTH}")
            self._order: dict[str, list[str]] = {}
            if not read_only:
                for stmt in _ddl():
                    self._conn.execute(stmt)
                self._migrate()
            elif self._outdated():
                # Made by an older mlsc: upgrade it once (briefly writable), then read.
                self._conn.close()
                self._db.close()
                LadybugStore(self._dir).close()
                self._db = ladybug.Database(
                    str(db_path), read_only=True, buffer_pool_size=buffer_pool_bytes()
                )
                self._conn = ladybug.Connection(self._db)
                self._conn.execute(f"CALL var_length_extend_max_depth={MAX_DEPTH}")
        except OSError as exc:
            raise StoreError(
                f"cannot create the knowledge base directory {self._dir}: {exc.strerror}",
                hint="Choose a writable place with --db PATH or MLSC_DB.",
            ) from exc
        except RuntimeError as exc:
            raise _translate(exc, str(self._dir)) from exc

    def _migrate(self) -> None:
        """Add the properties a newer schema declares to a knowledge base made by an older
        mlsc (new columns start out null)."""
        tables = [(n.label, n.properties) for n in schema.NODE_TYPES] + [
            (e.type, e.properties) for e in schema.EDGE_TYPES
        ]
        for table, properties in tables:
            have = self._table_columns(table)
            for name, prop_type in properties:
                if name not in have:
                    self._conn.execute(f"ALTER TABLE {table} ADD {name} {prop_type}")
            # COPY matches staged columns by position: stage them in the table's own order
            # (an added property comes last, whatever the schema's order).
            self._order[table] = self._table_columns(table)

    def _outdated(self) -> bool:
        """True when a table or property of the schema is missing from the knowledge base."""
        tables = {row[1] for row in self._run("CALL show_tables() RETURN *").get_all()}
        for label, properties in [(n.label, n.properties) for n in schema.NODE_TYPES] + [
            (e.type, e.properties) for e in schema.EDGE_TYPES
        ]:
            if label not in tables:
                return True
            have = set(self._table_columns(label))
            if any(name not in have for name, _ in properties):
                return True
        return False

    def _table_columns(self, table: str) -> list[str]:
        """Property names of a table in the engine's order (the key first for a node)."""
        rows = self._run(f"CALL table_info('{table}') RETURN *").get_all()
        return [row[1] for row in sorted(rows, key=lambda r: r[0])]

    # -- plumbing ------------------------------------------------------------------------

    @property
    def location(self) -> str:
        return str(self._dir)

    def _run(self, query: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            return self._conn.execute(query, dict(params) if params else None)
        except RuntimeError as exc:
            raise _translate(exc, self.location) from exc

    def _rows(self, query: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        rows: list[list[Any]] = self._run(query, params).get_all()
        return rows

    def _arrow(self, query: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        return self._run(query, params).get_as_arrow()

    def _count(self, query: str) -> int:
        return int(self._rows(query)[0][0])

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._conn.close()
            self._db.close()
            self._closed = True

    # -- writes --------------------------------------------------------------------------

    def write(self, batch: GraphBatch) -> WriteStats:
        if self._read_only:
            raise ReadOnlyViolation(f"the knowledge base at {self.location} is open read-only")
        self._index = None
        created = updated = e_created = e_updated = e_removed = 0
        new_keys: dict[str, list[pa.Array]] = {}  # label -> keys created now: their edges are new
        with tempfile.TemporaryDirectory(prefix="mlsc-stage-") as tmp:
            stage = _Stage(Path(tmp))
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
        return self._count(f"MATCH ()-[r:{rel}]->() RETURN count(*)") == 0

    def _existing(self, stage: _Stage, label: str, keys: pa.Array) -> pa.Array:
        """Which of ``keys`` are stored already (one staged lookup, not one query each)."""
        key = schema.NODES[label].key
        if len(keys) == 0 or self._count(f"MATCH (n:{label}) RETURN count(*)") == 0:
            return pa.array([], pa.string())
        path = stage.write_table(pa.table({"k": keys}))
        table = self._arrow(f"LOAD FROM '{path}' MATCH (n:{label} {{{key}: k}}) RETURN k")
        return table.column(0).combine_chunks() if table.num_rows else pa.array([], pa.string())

    def _write_node_table(
        self,
        stage: _Stage,
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
        keys = _array(table.keys, "STRING")
        n = len(keys)
        if n == 0:
            return 0, 0
        data = pa.table(
            {key: keys}
            | {
                name: _array(table.columns[name], types[name])
                if name in table.columns
                else pa.nulls(n, ARROW_TYPES[types[name]])
                for name in self._order[table.label]
                if name != key
            }
        )
        stored = pc.is_in(keys, value_set=self._existing(stage, table.label, keys))
        if table.create_only:
            written = full_keys.get(table.label, [])
            taken = _flat(written) if written else None
            skip = pc.or_(stored, pc.is_in(keys, value_set=taken)) if taken is not None else stored
            new, upd = _split(data, skip)[1], data.slice(0, 0)
        else:
            upd, new = _split(data, stored)
            full_keys.setdefault(table.label, []).append(keys)
        if new.num_rows:
            self._run(f"COPY {ntype.label} FROM '{stage.write_table(new)}'")
            new_keys.setdefault(table.label, []).append(new.column(key))
        if upd.num_rows:
            names = [n for n in table.columns if upd.column(n).null_count < upd.num_rows]
            if names:
                path = stage.write_table(upd.select([key, *names]))
                sets = ", ".join(f"n.{n} = coalesce({n}, n.{n})" for n in names)
                self._run(f"LOAD FROM '{path}' MATCH (n:{ntype.label} {{{key}: {key}}}) SET {sets}")
        return new.num_rows, upd.num_rows

    def _remove_stale(
        self,
        stage: _Stage,
        etype: schema.EdgeType,
        sources: frozenset[str],
        keep: set[tuple[str, str]],
    ) -> int:
        """Delete stored ``etype`` edges out of ``sources`` that the batch no longer has."""
        removed = 0
        for src_label, dst_label in etype.pairs:
            sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
            path = stage.write({"k": sorted(sources)}, {"k": "STRING"})
            stored = self._arrow(
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
                self._run(
                    f"LOAD FROM '{path}' MATCH (a:{src_label} {{{sk}: src}})-[r:{etype.type}]->"
                    f"(b:{dst_label} {{{dk}: dst}}) DELETE r"
                )
                removed += len(stale)
        return removed

    def _write_edge_table(
        self, stage: _Stage, table: EdgeTable, new_keys: dict[str, list[pa.Array]]
    ) -> tuple[int, int]:
        etype = schema.EDGES[table.type]
        types = dict(etype.properties)
        src_label, dst_label = table.src_label, table.dst_label
        sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
        src, dst = _array(table.src, "STRING"), _array(table.dst, "STRING")
        n = len(src)
        if n == 0:
            return 0, 0
        data = pa.table(
            {"from": src, "to": dst}
            | {
                name: _array(table.columns[name], types[name])
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
                    fresh = pc.or_(fresh, pc.is_in(column, value_set=_flat(keys)))
            unsure = pc.indices_nonzero(pc.invert(fresh))
            if len(unsure):
                lookup = pa.table(
                    {"i": unsure.cast(pa.int64()), "src": src.take(unsure), "dst": dst.take(unsure)}
                )
                path = stage.write_table(lookup)
                pattern = (
                    f"(a:{src_label} {{{sk}: src}})-[r:{etype.type}]->(b:{dst_label} {{{dk}: dst}})"
                )
                found = self._arrow(f"LOAD FROM '{path}' MATCH {pattern} RETURN i").column(0)
                existing = pc.is_in(
                    pa.array(range(n), pa.int64()),
                    value_set=found.combine_chunks().cast(pa.int64())
                    if len(found)
                    else pa.array([], pa.int64()),
                )
        upd, new = _split(data, existing)
        if new.num_rows:
            options = f" (from='{src_label}', to='{dst_label}')" if len(etype.pairs) > 1 else ""
            self._run(f"COPY {etype.type} FROM '{stage.write_table(new)}'{options}")
        names = [n for n in table.columns if n in types]
        if upd.num_rows and names:
            upd = upd.rename_columns(["src", "dst", *upd.column_names[2:]])
            path = stage.write_table(upd.select(["src", "dst", *names]))
            pattern = (
                f"(a:{src_label} {{{sk}: src}})-[r:{etype.type}]->(b:{dst_label} {{{dk}: dst}})"
            )
            sets = ", ".join(f"r.{n} = coalesce({n}, r.{n})" for n in names)
            self._run(f"LOAD FROM '{path}' MATCH {pattern} SET {sets}")
        return new.num_rows, upd.num_rows

    # -- reads ---------------------------------------------------------------------------

    def node(self, label: str, key: str) -> dict[str, Any] | None:
        ntype = schema.NODES[label]
        rows = self._rows(
            f"MATCH (n:{label} {{{ntype.key}: $k}}) RETURN "
            + ", ".join(f"n.{c}" for c in ntype.columns),
            {"k": key},
        )
        return dict(zip(ntype.columns, rows[0], strict=True)) if rows else None

    def derivation(self, child: str, parent: str) -> dict[str, Any] | None:
        names = [n for n, _ in schema.DERIVED_FROM.properties]
        rows = self._rows(
            "MATCH (c:Model {id: $c})-[r:DERIVED_FROM]->(p:Model {id: $p}) RETURN "
            + ", ".join(f"r.{n}" for n in names),
            {"c": child, "p": parent},
        )
        return dict(zip(names, rows[0], strict=True)) if rows else None

    def _lineage(self) -> LineageIndex:
        """The derivation graph in memory, built from two column scans; dropped on write."""
        if self._index is None:
            models = _restore_nulls(
                self._native(
                    "MATCH (m:Model) RETURN offset(id(m)) AS o, m.id AS id, "
                    "m.author AS author, m.author IS NULL AS author__null, "
                    "m.downloads AS downloads, m.downloads IS NULL AS downloads__null, "
                    "m.ingested AS ingested"
                )
            )
            edges = _restore_nulls(
                self._native(
                    "MATCH (c:Model)-[r:DERIVED_FROM]->(p:Model) RETURN offset(id(c)) AS child, "
                    "offset(id(p)) AS parent, r.relation AS relation, "
                    "r.relation IS NULL AS relation__null"
                )
            )
            self._index = LineageIndex(models, edges)
        return self._index

    def _native(self, query: str) -> pa.Table:
        """A whole-table scan through the engine's native Arrow path (much faster).

        That path (ladybug 0.22) writes NULL as 0, '' or false: select ``x IS NULL AS
        x__null`` beside any column that can be null, and :func:`_restore_nulls` puts the
        nulls back."""
        try:
            return self._conn.query_as_arrow(query, 1 << 20).get_as_arrow()
        except RuntimeError as exc:
            raise _translate(exc, self.location) from exc

    def _numbers(self, ids: Sequence[str]) -> npt.NDArray[np.int64]:
        """Dense numbers (engine offsets) of the given models; unknown ids are left out."""
        if len(ids) <= 100_000:
            rows = self._arrow(
                "UNWIND $ids AS x MATCH (m:Model {id: x}) RETURN offset(id(m))", {"ids": list(ids)}
            )
            return np.asarray(rows.column(0).to_numpy(), dtype=np.int64)
        index = self._lineage()
        found = pc.index_in(pa.array(ids, pa.string()), value_set=index.models.column("id"))
        return index.offsets[np.asarray(found.drop_null().to_numpy(), dtype=np.int64)]

    def expand(self, seeds: Sequence[str], direction: Direction) -> Expansion:
        index = self._lineage()
        reached, depth = index.bfs(self._numbers(sorted(set(seeds))), direction)
        models = index.rows(reached)
        child, parent, relation = index.out_edges(reached)
        return Expansion(
            pa.table(
                {
                    "id": models.column("id"),
                    "depth": pa.array(depth, pa.int64()),
                    "author": models.column("author"),
                    "downloads": models.column("downloads"),
                    "ingested": models.column("ingested"),
                },
                schema=EXPANSION_MODELS,
            ),
            pa.table(
                {"child": index.ids(child), "parent": index.ids(parent), "relation": relation},
                schema=EXPANSION_EDGES,
            ),
        )

    def owned_models(self, actors: Sequence[str]) -> list[str]:
        table = self._arrow(
            "MATCH (a:Actor)-[:OWNS]->(m:Model) WHERE a.name IN $actors RETURN DISTINCT m.id",
            {"actors": list(actors)},
        )
        return sorted(table.column(0).to_pylist())

    def organisations_of(self, actor: str) -> list[str]:
        rows = self._rows(
            "MATCH (u:Actor {name: $n})-[:MEMBER_OF]->(o:Actor) RETURN DISTINCT o.name",
            {"n": actor},
        )
        return sorted(r[0] for r in rows)

    def membership_edges(self) -> Iterator[tuple[str, str]]:
        table = self._arrow("MATCH (u:Actor)-[:MEMBER_OF]->(o:Actor) RETURN u.name, o.name")
        yield from zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)

    def derivation_edges(self) -> Iterator[tuple[str, str]]:
        table = self._native("MATCH (c:Model)-[:DERIVED_FROM]->(p:Model) RETURN c.id, p.id")
        yield from zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)

    def derivation_cycles(self) -> list[tuple[str, ...]]:
        child, parent = self._lineage().cyclic_core()
        return cycles(zip(child.to_pylist(), parent.to_pylist(), strict=True))

    def ownership_edges(self) -> Iterator[tuple[str, str]]:
        table = self._arrow("MATCH (a:Actor)-[:OWNS]->(m:Model) RETURN a.name, m.id")
        yield from zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)

    def _offset_ranges(self, label: str, rows: int) -> Iterator[str]:
        """``WHERE`` clauses over node offsets of ``label`` covering every node, ``rows`` apart."""
        top = self._rows(f"MATCH (n:{label}) RETURN max(offset(id(n)))")[0][0]
        for low in range(0, -1 if top is None else int(top) + 1, max(int(rows), 1)):
            yield f"offset(id(n)) >= {low} AND offset(id(n)) < {low + max(int(rows), 1)}"

    @staticmethod
    def _returning(var: str, names: Sequence[str]) -> str:
        """``var.x AS x, var.x IS NULL AS x__null, ...`` for the native Arrow path."""
        return ", ".join(f"{var}.{n} AS {n}, {var}.{n} IS NULL AS {n}__null" for n in names)

    def scan_nodes(self, label: str, rows: int = SCAN_ROWS) -> Iterator[NodeTable]:
        ntype = schema.NODES[label]
        names = [n for n, _ in ntype.properties]
        for where in self._offset_ranges(label, rows):
            table = _restore_nulls(
                self._native(
                    f"MATCH (n:{label}) WHERE {where} RETURN n.{ntype.key} AS {ntype.key}, "
                    + self._returning("n", names)
                )
            )
            if table.num_rows:
                yield NodeTable(label, table.column(ntype.key), {n: table.column(n) for n in names})

    def scan_edges(
        self, edge_type: str, src_label: str, dst_label: str, rows: int = SCAN_ROWS
    ) -> Iterator[EdgeTable]:
        etype = schema.EDGES[edge_type]
        sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
        names = [n for n, _ in etype.properties]
        for where in self._offset_ranges(src_label, rows):
            table = _restore_nulls(
                self._native(
                    f"MATCH (n:{src_label})-[r:{edge_type}]->(b:{dst_label}) WHERE {where} "
                    f"RETURN n.{sk} AS src__, b.{dk} AS dst__, " + self._returning("r", names)
                )
            )
            if table.num_rows:
                yield EdgeTable(
                    edge_type,
                    src_label,
                    dst_label,
                    table.column("src__"),
                    table.column("dst__"),
                    {n: table.column(n) for n in names},
                )

    def keys(self, label: str, containing: str, limit: int) -> list[str]:
        key = schema.NODES[label].key
        rows = self._rows(
            f"MATCH (n:{label}) WHERE lower(n.{key}) CONTAINS lower($s) "
            f"RETURN n.{key} ORDER BY size(n.{key}) LIMIT {int(limit)}",
            {"s": containing},
        )
        return [r[0] for r in rows]

    def counts(self) -> dict[str, int]:
        out = {
            n.label: self._count(f"MATCH (n:{n.label}) RETURN count(*)") for n in schema.NODE_TYPES
        }
        for e in schema.EDGE_TYPES:
            out[e.type] = self._count(f"MATCH ()-[r:{e.type}]->() RETURN count(*)")
        for rel, n in self._rows(
            "MATCH ()-[r:DERIVED_FROM]->() RETURN r.relation, count(*) ORDER BY r.relation"
        ):
            out[f"relation:{rel}"] = int(n)
        out["Model:placeholder"] = self._count(
            "MATCH (m:Model) WHERE m.ingested = false RETURN count(*)"
        )
        return out

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._rows(query, params)]

    def cypher(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        write: bool = False,
        timeout: float | None = None,
    ) -> CypherResult:
        if write and self._read_only:
            raise ReadOnlyViolation(f"the knowledge base at {self.location} is open read-only")
        limit = timeout or query_timeout()
        self._conn.set_query_timeout(max(int(limit * 1000), 1))
        try:
            return self._cypher(query, params, write=write)
        except StoreError as exc:
            if exc.message.endswith("Interrupted."):
                raise QueryTimeoutError(
                    f"the query ran longer than {limit:g} s and was stopped",
                    hint=f"Narrow the query, or allow more time with --timeout or "
                    f"{ENV_QUERY_TIMEOUT}.",
                ) from exc
            raise
        finally:
            self._conn.set_query_timeout(0)

    def _cypher(self, query: str, params: Mapping[str, Any] | None, *, write: bool) -> CypherResult:
        if not write:
            self._run("BEGIN TRANSACTION READ ONLY")
        else:
            self._index = None
        try:
            result = self._run(query, params)
            columns = tuple(result.get_column_names())
            rows = tuple(tuple(r) for r in result.get_all())
        except StoreError as exc:
            if not write:
                _quietly(self._conn, "ROLLBACK")
            if "read-only transaction" in exc.message or isinstance(exc, ReadOnlyViolation):
                raise ReadOnlyViolation(
                    "refused: this query writes, and `mlsc cypher` is read-only",
                    hint="Pass --write to change the knowledge base on purpose.",
                ) from exc
            raise
        if not write:
            self._run("COMMIT")
        return CypherResult(columns, rows)


def _quietly(conn: Any, statement: str) -> None:
    with contextlib.suppress(RuntimeError):
        conn.execute(statement)


ROW_GROUP = 65_536
"""Rows per Parquet row group when staging: the engine's COPY reads row groups in parallel."""

_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _array(values: Any, type_name: str) -> pa.Array | pa.ChunkedArray:
    """A column as Arrow data of the schema's type, whatever form it came in (chunked
    columns stay chunked: combining a million-row column would copy it)."""
    arrow_type = ARROW_TYPES[type_name]
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values if values.type == arrow_type else values.cast(arrow_type)
    return pa.array(list(values), arrow_type)


def _flat(columns: list[Any]) -> pa.Array:
    """One Array from Arrays and ChunkedArrays (a value set for ``is_in``)."""
    chunks = [
        c for col in columns for c in (col.chunks if isinstance(col, pa.ChunkedArray) else [col])
    ]
    return pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())


def _split(table: pa.Table, mask: Any) -> tuple[pa.Table, pa.Table]:
    """(rows where mask, rows where not), without copying when one side is empty."""
    hits = pc.sum(mask).as_py() or 0
    if hits == 0:
        return table.slice(0, 0), table
    if hits == table.num_rows:
        return table, table.slice(0, 0)
    return table.filter(mask), table.filter(pc.invert(mask))


def _restore_nulls(table: pa.Table) -> pa.Table:
    """Apply each ``<name>__null`` indicator column to ``<name>`` and drop the indicator."""
    for name in [n for n in table.column_names if n.endswith("__null")]:
        target = name[: -len("__null")]
        column = table.column(target)
        nulled = pc.if_else(table.column(name), pa.nulls(len(column), column.type), column)
        table = table.set_column(table.column_names.index(target), target, nulled)
        table = table.drop_columns([name])
    return table


class _Stage:
    """Parquet files in a temporary directory, for COPY FROM and LOAD FROM."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._n = 0

    def write_table(self, table: pa.Table) -> str:
        assert all(_SAFE_NAME.match(name) for name in table.column_names)
        self._n += 1
        path = self._root / f"stage-{self._n}.parquet"
        pq.write_table(table, path, compression="none", row_group_size=ROW_GROUP)
        return str(path)

    def write(self, columns: Mapping[str, list[Any]], types: Mapping[str, str]) -> str:
        """Stage Python lists, typed by the schema's property types."""
        arrays = [
            pa.array(values, type=ARROW_TYPES[types[name]]) for name, values in columns.items()
        ]
        return self.write_table(pa.Table.from_arrays(arrays, names=list(columns)))
