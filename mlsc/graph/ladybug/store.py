"""The embedded store: LadybugDB (the maintained fork of Kùzu), in-process, one directory.

    >>> from mlsc.graph.ladybug import LadybugStore
    >>> with LadybugStore("/tmp/kb") as store:          # doctest: +SKIP
    ...     print(store.counts()["Model"])

Bulk writes go through Parquet files staged in a temporary directory (see
:mod:`mlsc.graph.ladybug.writes`), never row by row. Traversals run on a
:class:`LineageIndex`, a compressed-sparse-row copy of the derivation edges built from two
native Arrow scans and dropped on every write: no hop limit, no path enumeration; a read-only
store saves it in the store directory for the next process to map (see
:mod:`mlsc.graph.index_cache`). User Cypher
gets the engine's variable-length bound raised from 30 to ``MAX_DEPTH`` hops, so documented
``SHORTEST 1..10000`` patterns never truncate.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from mlsc.errors import EmptyStoreError, QueryTimeoutError, ReadOnlyViolation, StoreError
from mlsc.graph import index_cache, schema
from mlsc.graph.algorithms import cycles
from mlsc.graph.cypher_params import check_parameters
from mlsc.graph.index_cache import DB_FILE
from mlsc.graph.ladybug import scans
from mlsc.graph.ladybug.connection import Connection, ddl, translate
from mlsc.graph.ladybug.staging import restore_nulls
from mlsc.graph.ladybug.writes import Writer
from mlsc.graph.lineage_index import LineageIndex, cyclic_edges
from mlsc.graph.records import EdgeTable, GraphBatch, NodeTable, WriteStats
from mlsc.graph.store import (
    ENV_QUERY_TIMEOUT,
    SCAN_ROWS,
    Column,
    CypherResult,
    Direction,
    Expansion,
    GraphStore,
    column_table,
    indexed_expansion,
    query_timeout,
    returning,
)

FIND_IDS = 256
"""Up to this many ids are looked up in the lineage index's sorted ids (a binary search
each, microseconds); more in one query of the engine's primary-key index."""


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
            if not read_only:  # whatever this one writes, no saved index is current after
                index_cache.bump_write_version(self._dir)
            self._conn = Connection(db_path, str(self._dir), read_only=read_only)
            self._closed = False
            self._index: LineageIndex | None = None
            self._order: dict[str, list[str]] = {}
            if not read_only:
                for stmt in ddl():
                    self._conn.raw.execute(stmt)
                self._migrate()
            elif self._outdated():
                # Made by an older mlsc: upgrade it once (briefly writable), then read.
                self._conn.close()
                LadybugStore(self._dir).close()
                self._conn = Connection(db_path, str(self._dir), read_only=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the knowledge base directory {self._dir}: {exc.strerror}",
                hint="Choose a writable place with --db PATH or MLSC_DB.",
            ) from exc
        except RuntimeError as exc:
            raise translate(exc, str(self._dir)) from exc

    def _migrate(self) -> None:
        """Add the properties a newer schema declares to a knowledge base made by an older
        mlsc (new columns start out null)."""
        tables = [(n.label, n.properties) for n in schema.NODE_TYPES] + [
            (e.type, e.properties) for e in schema.EDGE_TYPES
        ]
        for table, properties in tables:
            have = self._conn.table_columns(table)
            for name, prop_type in properties:
                if name not in have:
                    self._conn.raw.execute(f"ALTER TABLE {table} ADD {name} {prop_type}")
            # COPY matches staged columns by position: stage them in the table's own order
            # (an added property comes last, whatever the schema's order).
            self._order[table] = self._conn.table_columns(table)

    def _outdated(self) -> bool:
        """True when a table or property of the schema is missing from the knowledge base."""
        tables = {row[1] for row in self._conn.run("CALL show_tables() RETURN *").get_all()}
        for label, properties in [(n.label, n.properties) for n in schema.NODE_TYPES] + [
            (e.type, e.properties) for e in schema.EDGE_TYPES
        ]:
            if label not in tables:
                return True
            have = set(self._conn.table_columns(label))
            if any(name not in have for name, _ in properties):
                return True
        return False

    # -- plumbing ------------------------------------------------------------------------

    @property
    def location(self) -> str:
        return str(self._dir)

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._conn.close()
            self._closed = True

    # -- writes --------------------------------------------------------------------------

    def write(self, batch: GraphBatch) -> WriteStats:
        if self._read_only:
            raise ReadOnlyViolation(f"the knowledge base at {self.location} is open read-only")
        self._wrote()
        return Writer(self._conn, self._order).write(batch)

    def _wrote(self) -> None:
        """Before a write: drop the lineage index, and make any saved one stale."""
        self._index = None
        index_cache.bump_write_version(self._dir)

    # -- reads ---------------------------------------------------------------------------

    def node(self, label: str, key: str) -> dict[str, Any] | None:
        ntype = schema.NODES[label]
        rows = self._conn.rows(
            f"MATCH (n:{label} {{{ntype.key}: $k}}) RETURN "
            + ", ".join(f"n.{c}" for c in ntype.columns),
            {"k": key},
        )
        return dict(zip(ntype.columns, rows[0], strict=True)) if rows else None

    def derivation(self, child: str, parent: str) -> dict[str, Any] | None:
        names = [n for n, _ in schema.DERIVED_FROM.properties]
        rows = self._conn.rows(
            "MATCH (c:Model {id: $c})-[r:DERIVED_FROM]->(p:Model {id: $p}) RETURN "
            + ", ".join(f"r.{n}" for n in names),
            {"c": child, "p": parent},
        )
        return dict(zip(names, rows[0], strict=True)) if rows else None

    def _lineage(self) -> LineageIndex:
        """The derivation graph in memory, built from two column scans; dropped on write.
        A read-only store maps the one a previous process saved, if still current."""
        if self._index is None:
            if self._read_only:
                self._index = index_cache.cached(self._dir, self._build_saved_lineage)
            else:
                self._index = self._build_lineage()
        return self._index

    def _build_lineage(self) -> LineageIndex:
        models = restore_nulls(
            self._conn.native(
                "MATCH (m:Model) RETURN offset(id(m)) AS o, m.id AS id, "
                "m.author AS author, m.author IS NULL AS author__null, "
                "m.downloads AS downloads, m.downloads IS NULL AS downloads__null, "
                "m.ingested AS ingested"
            )
        )
        edges = restore_nulls(
            self._conn.native(
                "MATCH (c:Model)-[r:DERIVED_FROM]->(p:Model) RETURN offset(id(c)) AS child, "
                "offset(id(p)) AS parent, r.relation AS relation, "
                "r.relation IS NULL AS relation__null"
            )
        )
        return LineageIndex(models, edges)

    def _build_saved_lineage(self) -> LineageIndex:
        """The index to save, with how many applications load each model: what lets the
        next process answer a blast radius from the saved index alone."""
        index = self._build_lineage()
        _, loaded = self.edge_numbers("USES_MODEL", "CodeRepository", "Model")
        index.uses = np.bincount(loaded, minlength=index.size)[: index.size].astype(np.int64)
        return index

    def _numbers(self, ids: Sequence[str]) -> npt.NDArray[np.int64]:
        """Dense numbers (engine offsets) of the given models; unknown ids are left out."""
        if len(ids) <= FIND_IDS:  # a binary search each in the index's sorted ids
            columns = self._lineage().columns
            found = [columns.find(i) for i in ids]
            return np.asarray([v for v in found if v >= 0], dtype=np.int64)
        if len(ids) <= 100_000:
            rows = self._conn.arrow(
                "UNWIND $ids AS x MATCH (m:Model {id: x}) RETURN offset(id(m))", {"ids": list(ids)}
            )
            return np.asarray(rows.column(0).to_numpy(), dtype=np.int64)
        return self._lineage().numbers(pa.array(ids, pa.string()))

    def indexed(self, seeds: Sequence[str]) -> tuple[LineageIndex, npt.NDArray[np.int64]]:
        return self._lineage(), self._numbers(sorted(set(seeds)))

    def expand(self, seeds: Sequence[str], direction: Direction) -> Expansion:
        return indexed_expansion(self._lineage(), self._numbers(sorted(set(seeds))), direction)

    def owned_models(self, actors: Sequence[str]) -> list[str]:
        table = self._conn.arrow(
            "MATCH (a:Actor)-[:OWNS]->(m:Model) WHERE a.name IN $actors RETURN DISTINCT m.id",
            {"actors": list(actors)},
        )
        return sorted(table.column(0).to_pylist())

    def organisations_of(self, actor: str) -> list[str]:
        rows = self._conn.rows(
            "MATCH (u:Actor {name: $n})-[:MEMBER_OF]->(o:Actor) RETURN DISTINCT o.name",
            {"n": actor},
        )
        return sorted(r[0] for r in rows)

    def membership_edges(self) -> Iterator[tuple[str, str]]:
        table = self._conn.arrow("MATCH (u:Actor)-[:MEMBER_OF]->(o:Actor) RETURN u.name, o.name")
        yield from zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)

    def derivation_edges(self) -> Iterator[tuple[str, str]]:
        table = self._conn.native("MATCH (c:Model)-[:DERIVED_FROM]->(p:Model) RETURN c.id, p.id")
        yield from zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)

    def derivation_cycles(self) -> list[tuple[str, ...]]:
        if self._index is not None:
            child, parent = self._index.cyclic_core()
            return cycles(zip(child.to_pylist(), parent.to_pylist(), strict=True))
        # Edges as engine offsets only: an ingestion asks this once, right after its write,
        # and building the whole index (every id, owner and download count) for it took
        # hundreds of MB at 2M models.
        table = self._conn.native(
            "MATCH (c:Model)-[:DERIVED_FROM]->(p:Model) "
            "RETURN offset(id(c)) AS c, offset(id(p)) AS p, 1 AS one"
        )
        child = np.asarray(table.column(0).to_numpy(), dtype=np.int64)
        parent = np.asarray(table.column(1).to_numpy(), dtype=np.int64)
        size = int(max(child.max(), parent.max())) + 1 if len(child) else 0
        live = cyclic_edges(child, parent, size)
        core = sorted(set(child[live].tolist()) | set(parent[live].tolist()))
        if not core:
            return []
        rows = self._conn.rows(
            "MATCH (m:Model) WHERE offset(id(m)) IN $o RETURN offset(id(m)), m.id", {"o": core}
        )
        name = {int(o): i for o, i in rows}
        pairs = zip(child[live].tolist(), parent[live].tolist(), strict=True)
        return cycles((name[c], name[p]) for c, p in pairs)

    def ownership_edges(self) -> Iterator[tuple[str, str]]:
        table = self._conn.arrow("MATCH (a:Actor)-[:OWNS]->(m:Model) RETURN a.name, m.id")
        yield from zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)

    def node_keys(self, label: str) -> pa.Array:
        key = schema.NODES[label].key
        table = self._conn.native(f"MATCH (n:{label}) RETURN offset(id(n)), n.{key}")
        offsets = np.asarray(table.column(0).to_numpy(), dtype=np.int64)
        row = np.full(int(offsets.max()) + 1 if len(offsets) else 0, -1, dtype=np.int64)
        row[offsets] = np.arange(len(offsets), dtype=np.int64)
        return table.column(1).combine_chunks().take(pa.array(row, mask=row < 0))

    def edge_numbers(
        self, edge_type: str, src_label: str, dst_label: str
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        # The native path (ladybug 0.22) returns no rows when every column is an offset:
        # the constant column keeps it honest.
        table = self._conn.native(
            f"MATCH (a:{src_label})-[:{edge_type}]->(b:{dst_label}) "
            "RETURN offset(id(a)) AS a, offset(id(b)) AS b, 1 AS one"
        )
        return (
            np.asarray(table.column(0).to_numpy(), dtype=np.int64),
            np.asarray(table.column(1).to_numpy(), dtype=np.int64),
        )

    def scan_nodes(self, label: str, rows: int = SCAN_ROWS) -> Iterator[NodeTable]:
        return scans.scan_nodes(self._conn, label, rows)

    def scan_edges(
        self, edge_type: str, src_label: str, dst_label: str, rows: int = SCAN_ROWS
    ) -> Iterator[EdgeTable]:
        return scans.scan_edges(self._conn, edge_type, src_label, dst_label, rows)

    def keys(self, label: str, containing: str, limit: int) -> list[str]:
        key = schema.NODES[label].key
        rows = self._conn.rows(
            f"MATCH (n:{label}) WHERE lower(n.{key}) CONTAINS lower($s) "
            f"RETURN n.{key} ORDER BY size(n.{key}) LIMIT {int(limit)}",
            {"s": containing},
        )
        return [r[0] for r in rows]

    def counts(self) -> dict[str, int]:
        out = {
            n.label: self._conn.count(f"MATCH (n:{n.label}) RETURN count(*)")
            for n in schema.NODE_TYPES
        }
        for e in schema.EDGE_TYPES:
            out[e.type] = self._conn.count(f"MATCH ()-[r:{e.type}]->() RETURN count(*)")
        for rel, n in self._conn.rows(
            "MATCH ()-[r:DERIVED_FROM]->() RETURN r.relation, count(*) ORDER BY r.relation"
        ):
            out[f"relation:{rel}"] = int(n)
        out["Model:placeholder"] = self._conn.count(
            "MATCH (m:Model) WHERE m.ingested = false RETURN count(*)"
        )
        return out

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._conn.rows(query, params)]

    def read_table(
        self, match: str, columns: Sequence[Column], params: Mapping[str, Any] | None = None
    ) -> pa.Table:
        # The engine's Arrow result keeps nulls (the native path loses them), takes parameters.
        return column_table(
            columns, self._conn.arrow(f"{match} RETURN {returning(columns)}", params).columns
        )

    def cypher(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        write: bool = False,
        timeout: float | None = None,
    ) -> CypherResult:
        check_parameters(query, params)
        if write and self._read_only:
            raise ReadOnlyViolation(f"the knowledge base at {self.location} is open read-only")
        limit = timeout or query_timeout()
        self._conn.raw.set_query_timeout(max(int(limit * 1000), 1))
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
            self._conn.raw.set_query_timeout(0)

    def _cypher(self, query: str, params: Mapping[str, Any] | None, *, write: bool) -> CypherResult:
        if not write:
            self._conn.run("BEGIN TRANSACTION READ ONLY")
        else:
            self._wrote()
        try:
            result = self._conn.run(query, params)
            columns = tuple(result.get_column_names())
            rows = tuple(tuple(r) for r in result.get_all())
        except StoreError as exc:
            if not write:
                self._conn.quietly("ROLLBACK")
            if "read-only transaction" in exc.message or isinstance(exc, ReadOnlyViolation):
                raise ReadOnlyViolation(
                    "refused: this query writes, and `mlsc cypher` is read-only",
                    hint="Pass --write to change the knowledge base on purpose.",
                ) from exc
            raise
        if not write:
            self._conn.run("COMMIT")
        return CypherResult(columns, rows)
