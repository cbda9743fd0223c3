"""The server store: Neo4j 5 (a server, a cluster or Aura) through the official driver.

    >>> from mlsc.graph.neo4j import Neo4jStore, Neo4jSettings
    >>> settings = Neo4jSettings.from_env()                   # doctest: +SKIP
    >>> with Neo4jStore(settings) as store:                   # doctest: +SKIP
    ...     print(store.counts()["Model"])

Writes are managed transactions of ``UNWIND $rows ... MERGE`` batches (see
:mod:`mlsc.graph.neo4j.writes`). Reads use READ routing so clusters spread them. Traversals are
one server-side search for a few seeds (one query per level for many), answered as flat
columns: elementIds and positions instead of a record per model (see
:mod:`mlsc.graph.neo4j.traversal`). Every value reaches Cypher as
a parameter; labels and property names come only from :mod:`mlsc.graph.schema`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from neo4j import ManagedTransaction, unit_of_work
from neo4j.exceptions import (
    ClientError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from mlsc.errors import ReadOnlyViolation
from mlsc.graph import schema
from mlsc.graph.algorithms import cycles
from mlsc.graph.cypher_params import check_parameters
from mlsc.graph.lineage_index import LineageIndex
from mlsc.graph.neo4j.columns import plain
from mlsc.graph.neo4j.connection import Connection
from mlsc.graph.neo4j.lineage import Lineage
from mlsc.graph.neo4j.settings import Neo4jSettings
from mlsc.graph.neo4j.traversal import AT_ONCE_SEEDS, expand_at_once, expand_by_level
from mlsc.graph.neo4j.writes import Writer
from mlsc.graph.records import ARROW_TYPES, EdgeTable, GraphBatch, NodeTable, WriteStats
from mlsc.graph.store import (
    SCAN_ROWS,
    Column,
    CypherResult,
    Direction,
    Expansion,
    GraphStore,
    column_table,
    indexed_expansion,
)


class Neo4jStore(GraphStore):
    """A knowledge base in a Neo4j 5 database."""

    backend = "neo4j"

    def __init__(self, settings: Neo4jSettings, *, read_only: bool = False) -> None:
        self._settings = settings
        self._read_only = read_only
        self._conn = Connection(settings, read_only=read_only)
        self._lineage = Lineage(self._conn)

    # -- plumbing ------------------------------------------------------------------------

    @property
    def location(self) -> str:
        return f"{self._settings.uri} (database {self._settings.database})"

    def close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()

    # -- writes --------------------------------------------------------------------------

    def write(self, batch: GraphBatch) -> WriteStats:
        if self._read_only:
            raise ReadOnlyViolation(f"the knowledge base at {self.location} is open read-only")
        self._lineage.forget()
        try:
            return Writer(self._conn).write(batch)
        finally:
            self._lineage.forget()

    # -- reads ---------------------------------------------------------------------------

    def node(self, label: str, key: str) -> dict[str, Any] | None:
        ntype = schema.NODES[label]
        records = self._conn.read(
            f"MATCH (n:{label} {{{ntype.key}: $key}}) RETURN properties(n) AS p", key=key
        )
        if not records:
            return None
        props = dict(records[0]["p"])
        return {c: props.get(c) for c in ntype.columns}

    def derivation(self, child: str, parent: str) -> dict[str, Any] | None:
        records = self._conn.read(
            "MATCH (:Model {id: $c})-[r:DERIVED_FROM]->(:Model {id: $p}) RETURN properties(r) AS p",
            c=child,
            p=parent,
        )
        if not records:
            return None
        props = dict(records[0]["p"])
        return {n: props.get(n) for n, _ in schema.DERIVED_FROM.properties}

    def indexed(self, seeds: Sequence[str]) -> tuple[LineageIndex, npt.NDArray[np.int64]] | None:
        # Kept in this process while the database's bookmark stays the same, built when a
        # database state is asked about a second time (see mlsc.graph.neo4j.lineage).
        return self._lineage.indexed(seeds)

    def expand(self, seeds: Sequence[str], direction: Direction) -> Expansion:
        wanted = sorted(set(seeds))
        found = self._lineage.current(wanted)
        if found is not None:
            return indexed_expansion(*found, direction)
        # The server's search: the answer comes as flat lists in one record per query
        # (receiving a record, or a list, per row costs far more than the values in it).
        if len(wanted) <= AT_ONCE_SEEDS:
            return self._conn.read_tx(functools.partial(expand_at_once, wanted, direction))
        return self._conn.read_tx(functools.partial(expand_by_level, wanted, direction))

    def owned_models(self, actors: Sequence[str]) -> list[str]:
        records = self._conn.read(
            "UNWIND $actors AS name MATCH (:Actor {name: name})-[:OWNS]->(m:Model) "
            "RETURN collect(DISTINCT m.id) AS ids",
            actors=list(actors),
        )
        return sorted(records[0]["ids"])

    def organisations_of(self, actor: str) -> list[str]:
        records = self._conn.read(
            "MATCH (:Actor {name: $n})-[:MEMBER_OF]->(o:Actor) RETURN collect(DISTINCT o.name) AS n",
            n=actor,
        )
        return sorted(records[0]["n"])

    def _pairs(self, query: str) -> Iterator[tuple[str, str]]:
        for r in self._conn.read(query):
            yield r["a"], r["b"]

    def membership_edges(self) -> Iterator[tuple[str, str]]:
        return self._pairs(
            "MATCH (u:Actor)-[:MEMBER_OF]->(o:Actor) RETURN u.name AS a, o.name AS b"
        )

    def derivation_edges(self) -> Iterator[tuple[str, str]]:
        return self._pairs("MATCH (c:Model)-[:DERIVED_FROM]->(p:Model) RETURN c.id AS a, p.id AS b")

    def derivation_cycles(self) -> list[tuple[str, ...]]:
        # An edge lies on a cycle only if its child has a child and its parent a parent.
        # The server keeps just those edges (degree checks, no traversal): on a hub-shaped
        # graph a small share, where shipping every edge here took most of the time.
        return cycles(
            self._pairs(
                "MATCH (c:Model)-[:DERIVED_FROM]->(p:Model) "
                "WHERE COUNT { (c)<-[:DERIVED_FROM]-() } > 0 "
                "AND COUNT { (p)-[:DERIVED_FROM]->() } > 0 "
                "RETURN c.id AS a, p.id AS b"
            )
        )

    def ownership_edges(self) -> Iterator[tuple[str, str]]:
        return self._pairs("MATCH (a:Actor)-[:OWNS]->(m:Model) RETURN a.name AS a, m.id AS b")

    def scan_nodes(self, label: str, rows: int = SCAN_ROWS) -> Iterator[NodeTable]:
        ntype = schema.NODES[label]
        key = ntype.key
        after: str | None = None
        while True:
            # Key order through the uniqueness index: each page is one short query.
            where = f"n.{key} > $after" if after is not None else f"n.{key} IS NOT NULL"
            page = self._conn.read(
                f"MATCH (n:{label}) WHERE {where} RETURN n.{key} AS k, "
                f"properties(n) AS p ORDER BY n.{key} LIMIT $rows",
                after=after,
                rows=int(rows),
            )
            if not page:
                return
            props = [r["p"] for r in page]
            yield NodeTable(
                label,
                pa.array([r["k"] for r in page], pa.string()),
                {
                    n: pa.array([p.get(n) for p in props], ARROW_TYPES[t])
                    for n, t in ntype.properties
                },
            )
            after = page[-1]["k"]

    def scan_edges(
        self, edge_type: str, src_label: str, dst_label: str, rows: int = SCAN_ROWS
    ) -> Iterator[EdgeTable]:
        etype = schema.EDGES[edge_type]
        sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
        after: str | None = None
        while True:
            # Pages of source nodes in key order; a source without such edges gives one
            # row with a null target, which only moves the page on.
            where = f"a.{sk} > $after" if after is not None else f"a.{sk} IS NOT NULL"
            page = self._conn.read(
                f"MATCH (a:{src_label}) WHERE {where} WITH a ORDER BY a.{sk} LIMIT $rows "
                f"OPTIONAL MATCH (a)-[r:{edge_type}]->(b:{dst_label}) "
                f"RETURN a.{sk} AS s, b.{dk} AS d, properties(r) AS p",
                after=after,
                rows=int(rows),
            )
            if not page:
                return
            after = max(r["s"] for r in page)
            found = [r for r in page if r["d"] is not None]
            if found:
                props = [r["p"] for r in found]
                yield EdgeTable(
                    edge_type,
                    src_label,
                    dst_label,
                    pa.array([r["s"] for r in found], pa.string()),
                    pa.array([r["d"] for r in found], pa.string()),
                    {
                        n: pa.array([p.get(n) for p in props], ARROW_TYPES[t])
                        for n, t in etype.properties
                    },
                )

    def keys(self, label: str, containing: str, limit: int) -> list[str]:
        key = schema.NODES[label].key
        records = self._conn.read(
            f"MATCH (n:{label}) WHERE toLower(n.{key}) CONTAINS toLower($s) "
            f"RETURN n.{key} AS k ORDER BY size(n.{key}), n.{key} LIMIT $limit",
            s=containing,
            limit=int(limit),
        )
        return [r["k"] for r in records]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in schema.NODE_TYPES:
            out[n.label] = self._conn.read(f"MATCH (n:{n.label}) RETURN count(n) AS c")[0]["c"]
        for e in schema.EDGE_TYPES:
            out[e.type] = self._conn.read(f"MATCH ()-[r:{e.type}]->() RETURN count(r) AS c")[0]["c"]
        for r in self._conn.read(
            "MATCH ()-[r:DERIVED_FROM]->() RETURN r.relation AS rel, count(*) AS c ORDER BY rel"
        ):
            out[f"relation:{r['rel']}"] = r["c"]
        out["Model:placeholder"] = self._conn.read(
            "MATCH (m:Model) WHERE m.ingested = false RETURN count(m) AS c"
        )[0]["c"]
        return out

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        records = self._conn.read(query, **dict(params or {}))
        return [tuple(plain(v) for v in record.values()) for record in records]

    def read_table(
        self, match: str, columns: Sequence[Column], params: Mapping[str, Any] | None = None
    ) -> pa.Table:
        # One record of one list per column (a record per row costs more than its values);
        # rows travel as lists, since ``collect`` would drop a column's nulls.
        values = ", ".join(c.expression for c in columns)
        lists = ", ".join(f"[r IN rows__ | r[{i}]] AS {c.name}" for i, c in enumerate(columns))
        (record,) = self._conn.read(
            f"{match} WITH collect([{values}]) AS rows__ RETURN {lists}", **dict(params or {})
        )
        return column_table(columns, [record[c.name] for c in columns])

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

        @unit_of_work(timeout=timeout or self._conn.timeout)
        def work(tx: ManagedTransaction) -> CypherResult:
            result = tx.run(query, dict(params or {}))
            rows = tuple(tuple(plain(v) for v in record.values()) for record in result)
            return CypherResult(tuple(result.keys()), rows)

        try:
            with self._conn.session() as session:
                return session.execute_write(work) if write else session.execute_read(work)
        except (ClientError, TransientError) as exc:
            raise self._conn.translate(exc) from exc
        except (Neo4jError, ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self._conn.translate(exc) from exc
