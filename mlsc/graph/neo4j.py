"""The server store: Neo4j 5 (a server, a cluster or Aura) through the official driver.

    >>> from mlsc.graph.neo4j import Neo4jStore, Neo4jSettings
    >>> settings = Neo4jSettings.from_env()                   # doctest: +SKIP
    >>> with Neo4jStore(settings) as store:                   # doctest: +SKIP
    ...     print(store.counts()["Model"])

Writes are managed transactions (retried by the driver on transient errors) of
``UNWIND $rows ... MERGE`` batches on uniquely constrained keys, so a retried or repeated
batch leaves the same graph. Reads use READ routing so clusters spread them. Traversals are
breadth-first, one Cypher query per level over index lookups (``UNWIND $ids``), with the
visited set kept here: exact, no hop limit, no path enumeration on merge-heavy graphs, and
cycles stop. Every value reaches Cypher as a parameter; labels and property names come only
from :mod:`mlsc.graph.schema`.
"""

from __future__ import annotations

import collections
import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from neo4j import (
    Driver,
    GraphDatabase,
    ManagedTransaction,
    NotificationMinimumSeverity,
    Query,
    RoutingControl,
    unit_of_work,
)
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConfigurationError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from mlsc.errors import (
    QueryTimeoutError,
    ReadOnlyViolation,
    StoreError,
    StoreUnavailableError,
)
from mlsc.graph import schema
from mlsc.graph.algorithms import cycles
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

T = TypeVar("T")

BATCH = 20_000
"""Rows per write transaction."""
WRITERS = 2
"""Write batches in flight at once, each in its own session: while the server applies one,
this process packs the next (and a server with cores to spare applies both). Batches of
nodes never touch the same node; batches of edges may (a hub's children), and two in
flight then deadlock on the hub's relationship locks often enough (each deadlock is retried
after a back-off) that such edges go one batch at a time (see ``_write_edges``)."""
LOOKUP = 20_000
"""Ids per read of a traversal level."""
AT_ONCE_SEEDS = 64
"""Up to this many seeds, a traversal is one server-side search; beyond, one query per
level keeps seeds that derive from each other from being walked once each."""
_CONSTRAINT_FAILED = "Neo.ClientError.Schema.ConstraintValidationFailed"
RETRY_SECONDS = 120.0
"""How long the driver keeps retrying a transaction after a transient error or a lost
connection (a restarting server, a cluster leader switch) before giving up."""


@dataclass(frozen=True)
class Neo4jSettings:
    """Where the Neo4j server is and how to log in (the password is never shown)."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"
    retry_seconds: float = RETRY_SECONDS

    @classmethod
    def from_env(cls, **overrides: str | None) -> Neo4jSettings:
        """``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``."""
        values = {
            "uri": os.environ.get("NEO4J_URI", "neo4j://127.0.0.1:7687"),
            "user": os.environ.get("NEO4J_USERNAME", "neo4j"),
            "password": os.environ.get("NEO4J_PASSWORD", ""),
            "database": os.environ.get("NEO4J_DATABASE", "neo4j"),
        }
        values.update({k: v for k, v in overrides.items() if v})
        return cls(values["uri"], values["user"], values["password"], values["database"])

    def __repr__(self) -> str:
        return f"Neo4jSettings(uri={self.uri!r}, user={self.user!r}, database={self.database!r})"


class Neo4jStore(GraphStore):
    """A knowledge base in a Neo4j 5 database."""

    backend = "neo4j"

    def __init__(self, settings: Neo4jSettings, *, read_only: bool = False) -> None:
        self._settings = settings
        self._read_only = read_only
        try:
            self._timeout = query_timeout()
            self._driver: Driver = GraphDatabase.driver(
                settings.uri,
                auth=(settings.user, settings.password),
                max_transaction_retry_time=settings.retry_seconds,
                # Schema hints ("label does not exist" on an empty database) are noise here.
                notifications_min_severity=NotificationMinimumSeverity.OFF,
            )
            self._driver.verify_connectivity()
            self._driver.execute_query("RETURN 1", database_=settings.database)
            if not read_only:
                self._constraints()
            else:
                self._constraints_if_missing()
        except Exception as exc:
            if getattr(self, "_driver", None) is not None:
                self._driver.close()
            raise self._translate(exc) from exc

    # -- plumbing ------------------------------------------------------------------------

    @property
    def location(self) -> str:
        return f"{self._settings.uri} (database {self._settings.database})"

    def _translate(self, exc: BaseException) -> StoreError:
        where = f"Neo4j at {self._settings.uri}"
        if isinstance(exc, StoreError):
            return exc
        if isinstance(exc, AuthError):
            return StoreUnavailableError(
                f"{where} refused user {self._settings.user!r}: wrong user or password",
                hint="Check NEO4J_USERNAME and NEO4J_PASSWORD (or .neo4j-dev.env).",
            )
        if isinstance(exc, (ServiceUnavailable, SessionExpired, OSError)):
            return StoreUnavailableError(
                f"{where} is not reachable",
                hint="Is the server running? `make neo4j-up` starts a local one; check NEO4J_URI.",
            )
        if isinstance(exc, ConfigurationError):
            return StoreUnavailableError(f"{where}: {exc}", hint="Check NEO4J_URI.")
        if isinstance(exc, Neo4jError):
            code = exc.code or ""
            if "DatabaseNotFound" in code:
                return StoreUnavailableError(
                    f"{where} has no database {self._settings.database!r}",
                    hint="Check NEO4J_DATABASE (community edition has only 'neo4j').",
                )
            if "AccessMode" in code or "Forbidden" in code:
                return ReadOnlyViolation(
                    "refused: this query writes, and `mlsc cypher` is read-only",
                    hint="Pass --write to change the knowledge base on purpose.",
                )
            if "TransactionTimedOut" in code or "Terminated" in code:
                return QueryTimeoutError(
                    f"{where}: the query ran longer than its time limit and was stopped",
                    hint=f"Narrow the query, or allow more time with --timeout or "
                    f"{ENV_QUERY_TIMEOUT}.",
                )
            return StoreError(f"{where}: {exc.message or exc}")
        return StoreError(f"{where}: {exc}")

    def _read(self, query: str, **params: Any) -> list[Any]:
        try:
            records, _, _ = self._driver.execute_query(
                Query(query, timeout=self._timeout),
                params,
                database_=self._settings.database,
                routing_=RoutingControl.READ,
            )
        except (Neo4jError, ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self._translate(exc) from exc
        return list(records)

    def close(self) -> None:
        driver = getattr(self, "_driver", None)
        if driver is not None:
            driver.close()
            self._driver = None  # type: ignore[assignment]

    # -- writes --------------------------------------------------------------------------

    def write(self, batch: GraphBatch) -> WriteStats:
        if self._read_only:
            raise ReadOnlyViolation(f"the knowledge base at {self.location} is open read-only")
        created = updated = e_created = e_updated = e_removed = 0
        tables = sorted(node_tables(batch), key=lambda t: t.create_only)
        # Which keys are stored already, asked once per label before anything is written:
        # a new node is created without looking for it first, an existing placeholder is
        # left alone, and only the sources that existed can have stored edges to replace.
        known: dict[str, dict[str, bool]] = {}
        touched = {t.label for t in tables} | {
            a for e in batch.replace_outgoing for a, _ in schema.EDGES[e].pairs
        }
        for label in sorted(touched):  # an empty label (a first load) has nothing to look up
            if self._read(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"] == 0:
                known[label] = collections.defaultdict(bool)
        for table in tables:
            self._stored(known, table.label, as_list(table.keys))
        stored_sources: dict[str, list[str]] = {}
        for edge_type, sources in batch.replace_outgoing.items():
            keys = as_list(sources)
            labels = sorted({a for a, _ in schema.EDGES[edge_type].pairs})
            seen = [self._stored(known, label, keys) for label in labels]
            stored_sources[edge_type] = [k for k in keys if any(s[k] for s in seen)]
        for table in tables:
            keys = as_list(table.keys)
            if not keys:
                continue
            before = known[table.label]
            cols = _Columns.of(table.columns, len(keys))
            new = [i for i, k in enumerate(keys) if not before[k]]
            if table.create_only:
                n = self._write_nodes(table.label, cols, keys, new, "create_only")
            elif len(new) == len(keys):
                n = self._write_nodes(table.label, cols, keys, None, "create")
            else:
                old = [i for i, k in enumerate(keys) if before[k]]
                n = self._write_nodes(table.label, cols, keys, old, "upsert")
                n += self._write_nodes(table.label, cols, keys, new, "create") if new else 0
            created += n
            updated += 0 if table.create_only else len(keys) - n
        edges = edge_tables(batch)
        for edge_type, sources in stored_sources.items():
            if not sources:
                continue
            etype = schema.EDGES[edge_type]
            keep: dict[str, list[str]] = {}
            for t in edges:
                if t.type == edge_type:
                    for s, d in zip(as_list(t.src), as_list(t.dst), strict=True):
                        keep.setdefault(s, []).append(d)
            kept = [keep.get(s, []) for s in sources]
            for src_label, dst_label in etype.pairs:
                sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
                e_removed += self._batches(
                    f"UNWIND range(0, size($keys) - 1) AS i "
                    f"MATCH (a:{src_label} {{{sk}: $keys[i]}}) USING INDEX a:{src_label}({sk}) "
                    f"MATCH (a)-[r:{etype.type}]->(b:{dst_label}) "
                    f"WHERE NOT b.{dk} IN $keep[i] DELETE r",
                    len(sources),
                    lambda a, b: {"keys": sources[a:b], "keep": kept[a:b]},  # noqa: B023
                    writers=1,
                )["deleted"]
        for t in edges:
            n = self._write_edges(t)
            e_created += n
            e_updated += len(t.src) - n
        return WriteStats(created, updated, e_created, e_updated, e_removed)

    def _stored(
        self, known: dict[str, dict[str, bool]], label: str, keys: list[str]
    ) -> dict[str, bool]:
        """Key -> stored, for ``keys`` of ``label``, asking the server only about new ones."""
        seen = known.setdefault(label, {})
        if isinstance(seen, collections.defaultdict):
            return seen  # the label had no node when the write began
        ask = [k for k in dict.fromkeys(keys) if k not in seen]
        if ask:
            found = set(self._existing({label}, ask))
            seen.update((k, k in found) for k in ask)
        return seen

    def _write_nodes(
        self, label: str, cols: _Columns, keys: list[str], rows: list[int] | None, mode: str
    ) -> int:
        """Write the nodes at positions ``rows`` (None: all) of a table; nodes created.

        ``create`` is for keys not stored when the write began: CREATE, no lookup. If one
        appeared meanwhile (another writer; a batch that committed and is retried after a
        lost connection), the uniqueness constraint refuses the batch and it is redone with
        MERGE, which is what ``upsert`` does (a null keeps the stored value) and, setting
        properties only on creation, ``create_only``."""
        if rows is not None:
            keys = [keys[i] for i in rows]
            cols = cols.take(rows)
        if not keys:
            return 0
        ntype = schema.NODES[label]
        head = "UNWIND range(0, size($keys) - 1) AS i "
        node = f"(n:{label} {{{ntype.key}: $keys[i]}})"
        plain = cols.assignments("n", keep_stored=False)
        keeping = cols.assignments("n", keep_stored=True)
        if mode == "upsert":
            first = head + f"MERGE {node}" + (f" SET {keeping}" if keeping else "")
            fallback = None
        else:
            first = head + f"CREATE {node}" + (f" SET {plain}" if plain else "")
            if mode == "create_only":
                fallback = head + f"MERGE {node}" + (f" ON CREATE SET {plain}" if plain else "")
            else:
                fallback = head + f"MERGE {node}" + (f" SET {keeping}" if keeping else "")

        def params(a: int, b: int) -> dict[str, Any]:
            return {"keys": keys[a:b], **cols.params(a, b)}

        return self._batches(first, len(keys), params, fallback=fallback)["nodes"]

    def _write_edges(self, t: EdgeTable) -> int:
        """MERGE the table's edges (a null keeps the stored value); edges created."""
        src, dst = as_list(t.src), as_list(t.dst)
        if not src:
            return 0
        cols = _Columns.of(t.columns, len(src))
        # Batches of edges sharing a node may deadlock on it, so edges go one batch at a
        # time; but when every edge has an end of its own (each model has one owner),
        # batches sorted by the other end share at most the node at their boundary, which
        # makes them wait at worst, never deadlock: those go WRITERS at a time.
        writers = 1
        if len(src) > BATCH and WRITERS > 1:
            for own, other in ((dst, src), (src, dst)):
                if len(set(own)) == len(own):
                    order = sorted(range(len(src)), key=other.__getitem__)
                    src, dst = [src[i] for i in order], [dst[i] for i in order]
                    cols = cols.take(order)
                    writers = WRITERS
                    break
        sk, dk = schema.NODES[t.src_label].key, schema.NODES[t.dst_label].key
        on_create = cols.assignments("r", keep_stored=False)
        on_match = cols.assignments("r", keep_stored=True)
        query = (
            "UNWIND range(0, size($src) - 1) AS i "
            f"MATCH (a:{t.src_label} {{{sk}: $src[i]}}) USING INDEX a:{t.src_label}({sk}) "
            f"MATCH (b:{t.dst_label} {{{dk}: $dst[i]}}) USING INDEX b:{t.dst_label}({dk}) "
            f"MERGE (a)-[r:{t.type}]->(b)"
            + (f" ON CREATE SET {on_create} ON MATCH SET {on_match}" if on_create else "")
            + " RETURN count(r) AS matched"
        )

        def params(a: int, b: int) -> dict[str, Any]:
            return {"src": src[a:b], "dst": dst[a:b], **cols.params(a, b)}

        def check(p: dict[str, Any], matched: int) -> StoreError | None:
            return self._endpoints_missing(t, p["src"], p["dst"], matched)

        return self._batches(query, len(src), params, check=check, writers=writers)["rels"]

    def _batches(
        self,
        query: str,
        n: int,
        params: Callable[[int, int], dict[str, Any]],
        *,
        check: Callable[[dict[str, Any], int], StoreError | None] | None = None,
        fallback: str | None = None,
        writers: int = WRITERS,
    ) -> dict[str, int]:
        """Run ``query`` over rows 0..n in batches of managed, retried write transactions,
        up to ``writers`` at once; ``params(a, b)`` gives a batch's parameters. Totals of
        nodes created, relationships created and deleted.

        With ``check``, the query returns ``matched`` (how many rows it applied to) and
        ``check`` may turn a shortfall into an error, rolling the batch back. With
        ``fallback``, a batch the uniqueness constraint refuses is run again with it."""

        def work(tx: ManagedTransaction, text: str, p: dict[str, Any]) -> dict[str, int]:
            result = tx.run(text, p)
            if check is not None:
                record = result.single()
                error = check(p, record["matched"] if record else 0)
                if error is not None:
                    raise error
            c = result.consume().counters
            return {
                "nodes": c.nodes_created,
                "rels": c.relationships_created,
                "deleted": c.relationships_deleted,
            }

        def one(a: int) -> dict[str, int]:
            p = params(a, min(a + BATCH, n))
            with self._driver.session(database=self._settings.database) as session:
                try:
                    return session.execute_write(work, query, p)
                except ClientError as exc:
                    if fallback is None or exc.code != _CONSTRAINT_FAILED:
                        raise
                    return session.execute_write(work, fallback, p)

        totals = {"nodes": 0, "rels": 0, "deleted": 0}
        starts = range(0, n, BATCH)
        try:
            if len(starts) == 1 or writers <= 1:
                done = [one(a) for a in starts]
            else:
                with ThreadPoolExecutor(writers, thread_name_prefix="mlsc-neo4j-write") as pool:
                    futures = [pool.submit(one, a) for a in starts]
                    try:
                        done = [f.result() for f in futures]
                    finally:
                        for f in futures:
                            f.cancel()
        except (Neo4jError, ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self._translate(exc) from exc
        for d in done:
            for k, v in d.items():
                totals[k] += v
        return totals

    def _constraints(self) -> None:
        """One uniqueness constraint per node key, created if missing. Managed transactions,
        so two clients starting at once (a deadlock on the schema lock) are retried."""

        def create(tx: ManagedTransaction, statement: str) -> None:
            tx.run(statement).consume()

        with self._driver.session(database=self._settings.database) as session:
            for node in schema.NODE_TYPES:
                session.execute_write(
                    create,
                    f"CREATE CONSTRAINT {node.label.lower()}_key IF NOT EXISTS "
                    f"FOR (n:{node.label}) REQUIRE n.{node.key} IS UNIQUE",
                )

    def _constraints_if_missing(self) -> None:
        """A read-only open of a database filled by ``neo4j-admin import`` (or by hand) may
        lack the key constraints every lookup relies on: create them if the user may; a
        reader account without schema rights is left as it is (queries still answer)."""
        names = {r["name"] for r in self._read("SHOW CONSTRAINTS YIELD name RETURN name")}
        if all(f"{n.label.lower()}_key" in names for n in schema.NODE_TYPES):
            return
        try:
            self._constraints()
        except (ClientError, Neo4jError) as exc:
            if "Forbidden" not in (exc.code or "") and "AccessMode" not in (exc.code or ""):
                raise

    def _endpoints_missing(
        self, table: EdgeTable, src: list[str], dst: list[str], matched: int
    ) -> StoreError | None:
        """An error naming the first edges whose endpoint node is not stored, if any."""
        if matched == len(src):
            return None
        missing: list[str] = []
        for keys, label in ((src, table.src_label), (dst, table.dst_label)):
            unique = sorted(set(keys))
            found = set(self._existing({label}, unique))
            missing += [f"{label} {k!r}" for k in unique if k not in found]
        return StoreError(
            f"{len(src) - matched} {table.type} edge(s) point at nodes that are not stored: "
            + ", ".join(missing[:5])
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""),
            hint="Write the nodes before (or with) their edges.",
        )

    def _existing(self, labels: set[str], keys: list[str]) -> list[str]:
        """Which of ``keys`` are stored as a node of one of ``labels``."""
        found: list[str] = []
        for label in sorted(labels):
            key = schema.NODES[label].key
            for start in range(0, len(keys), LOOKUP):
                found.extend(
                    self._read(
                        f"UNWIND $keys AS k MATCH (n:{label} {{{key}: k}}) RETURN collect(k) AS k",
                        keys=keys[start : start + LOOKUP],
                    )[0]["k"]
                )
        return found

    # -- reads ---------------------------------------------------------------------------

    def node(self, label: str, key: str) -> dict[str, Any] | None:
        ntype = schema.NODES[label]
        records = self._read(
            f"MATCH (n:{label} {{{ntype.key}: $key}}) RETURN properties(n) AS p", key=key
        )
        if not records:
            return None
        props = dict(records[0]["p"])
        return {c: props.get(c) for c in ntype.columns}

    def derivation(self, child: str, parent: str) -> dict[str, Any] | None:
        records = self._read(
            "MATCH (:Model {id: $c})-[r:DERIVED_FROM]->(:Model {id: $p}) RETURN properties(r) AS p",
            c=child,
            p=parent,
        )
        if not records:
            return None
        props = dict(records[0]["p"])
        return {n: props.get(n) for n, _ in schema.DERIVED_FROM.properties}

    def expand(self, seeds: Sequence[str], direction: Direction) -> Expansion:
        # The answer comes as flat lists in one record per query: receiving a record, or a
        # list, per row costs far more than the values in it.
        wanted = sorted(set(seeds))
        if len(wanted) <= AT_ONCE_SEEDS:
            return self._read_tx(functools.partial(_expand_at_once, wanted, direction))
        return self._read_tx(functools.partial(_expand_by_level, wanted, direction))

    def _read_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Run ``work`` in one managed read transaction, under the query time limit."""
        try:
            with self._driver.session(database=self._settings.database) as session:
                return session.execute_read(unit_of_work(timeout=self._timeout)(work))
        except (Neo4jError, ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self._translate(exc) from exc

    def owned_models(self, actors: Sequence[str]) -> list[str]:
        records = self._read(
            "UNWIND $actors AS name MATCH (:Actor {name: name})-[:OWNS]->(m:Model) "
            "RETURN collect(DISTINCT m.id) AS ids",
            actors=list(actors),
        )
        return sorted(records[0]["ids"])

    def organisations_of(self, actor: str) -> list[str]:
        records = self._read(
            "MATCH (:Actor {name: $n})-[:MEMBER_OF]->(o:Actor) RETURN collect(DISTINCT o.name) AS n",
            n=actor,
        )
        return sorted(records[0]["n"])

    def _pairs(self, query: str) -> Iterator[tuple[str, str]]:
        for r in self._read(query):
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
            page = self._read(
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
            page = self._read(
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
        records = self._read(
            f"MATCH (n:{label}) WHERE toLower(n.{key}) CONTAINS toLower($s) "
            f"RETURN n.{key} AS k ORDER BY size(n.{key}), n.{key} LIMIT $limit",
            s=containing,
            limit=int(limit),
        )
        return [r["k"] for r in records]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in schema.NODE_TYPES:
            out[n.label] = self._read(f"MATCH (n:{n.label}) RETURN count(n) AS c")[0]["c"]
        for e in schema.EDGE_TYPES:
            out[e.type] = self._read(f"MATCH ()-[r:{e.type}]->() RETURN count(r) AS c")[0]["c"]
        for r in self._read(
            "MATCH ()-[r:DERIVED_FROM]->() RETURN r.relation AS rel, count(*) AS c ORDER BY rel"
        ):
            out[f"relation:{r['rel']}"] = r["c"]
        out["Model:placeholder"] = self._read(
            "MATCH (m:Model) WHERE m.ingested = false RETURN count(m) AS c"
        )[0]["c"]
        return out

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        records = self._read(query, **dict(params or {}))
        return [tuple(_plain(v) for v in record.values()) for record in records]

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

        @unit_of_work(timeout=timeout or self._timeout)
        def work(tx: ManagedTransaction) -> CypherResult:
            result = tx.run(query, dict(params or {}))
            rows = tuple(tuple(_plain(v) for v in record.values()) for record in result)
            return CypherResult(tuple(result.keys()), rows)

        try:
            with self._driver.session(database=self._settings.database) as session:
                return session.execute_write(work) if write else session.execute_read(work)
        except (ClientError, TransientError) as exc:
            raise self._translate(exc) from exc
        except (Neo4jError, ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self._translate(exc) from exc


_MODELS_OUT = (
    "WITH collect(m) AS ms "
    "CALL { WITH ms UNWIND ms AS m MATCH (m)-[r:DERIVED_FROM]->(p:Model) "
    "RETURN collect(m.id) AS child, collect(p.id) AS parent, collect([r.relation]) AS rel } "
)
_MODELS_RETURN = (
    "RETURN [m IN ms | m.id] AS id, [m IN ms | m.author] AS author, "
    "[m IN ms | m.downloads] AS downloads, "
    "[m IN ms WHERE m.ingested IS NULL OR NOT m.ingested | m.id] AS placeholders, "
    "child, parent, [x IN rel | x[0]] AS relation"
)
"""The models ``m`` reached, their properties and DERIVED_FROM edges out, as flat lists."""


class _Reached:
    """Columns of an Expansion, filled from records of ``_MODELS_RETURN``."""

    def __init__(self) -> None:
        self.models: dict[str, list[Any]] = {n: [] for n in EXPANSION_MODELS.names}
        self.edges: dict[str, list[Any]] = {n: [] for n in EXPANSION_EDGES.names}

    def add(self, record: Any, depth: Mapping[str, int]) -> None:
        ids = record["id"]
        placeholders = set(record["placeholders"])
        self.models["id"].extend(ids)
        self.models["depth"].extend(depth[i] for i in ids)
        self.models["author"].extend(record["author"])
        self.models["downloads"].extend(record["downloads"])
        self.models["ingested"].extend(i not in placeholders for i in ids)
        for name, values in self.edges.items():
            values.extend(record[name])

    def expansion(self) -> Expansion:
        return Expansion(
            pa.table(self.models, EXPANSION_MODELS), pa.table(self.edges, EXPANSION_EDGES)
        )


def _expand_at_once(seeds: list[str], direction: Direction, tx: ManagedTransaction) -> Expansion:
    """Few seeds: the server finds every model reached in one variable-length match that it
    runs as a breadth-first search with a visited set (DISTINCT lets the planner prune, so
    merges of merges cost no more than their edges), and sends them with their edges out;
    the depths come from a breadth-first search here over those edges."""
    arrow = "<-[:DERIVED_FROM*0..]-" if direction == "down" else "-[:DERIVED_FROM*0..]->"
    record = tx.run(
        f"UNWIND $ids AS id MATCH (:Model {{id: id}}){arrow}(m:Model) WITH DISTINCT m "
        + _MODELS_OUT
        + _MODELS_RETURN,
        ids=seeds,
    ).single()
    reached = _Reached()
    if record is None or not record["id"]:
        return reached.expansion()
    following: dict[str, list[str]] = {}
    ends = (record["parent"], record["child"])
    for a, b in zip(*(ends if direction == "down" else ends[::-1]), strict=True):
        following.setdefault(a, []).append(b)
    present = set(record["id"])
    depth = {s: 0 for s in seeds if s in present}
    frontier = list(depth)
    level = 0
    while frontier:
        level += 1
        nxt = []
        for node in frontier:
            for n in following.get(node, ()):
                if n not in depth:
                    depth[n] = level
                    nxt.append(n)
        frontier = nxt
    reached.add(record, depth)
    return reached.expansion()


def _expand_by_level(seeds: list[str], direction: Direction, tx: ManagedTransaction) -> Expansion:
    """Many seeds (an actor's models): one query per level (per LOOKUP ids) with the visited
    set kept here, so no model is walked twice however the seeds nest."""
    query = "UNWIND $ids AS id MATCH (m:Model {id: id}) " + _MODELS_OUT
    if direction == "down":
        query += (
            "CALL { WITH ms UNWIND ms AS m MATCH (m)<-[:DERIVED_FROM]-(c:Model) "
            "RETURN collect(DISTINCT c.id) AS next } "
        )
    else:
        query += "WITH *, parent AS next "
    query += _MODELS_RETURN + ", next"
    reached = _Reached()
    depth: dict[str, int] = {}
    frontier = seeds
    level = 0
    while frontier:
        found = [
            record
            for start in range(0, len(frontier), LOOKUP)
            if (record := tx.run(query, ids=frontier[start : start + LOOKUP]).single())
        ]
        if level == 0:  # the seeds that exist
            depth.update((i, 0) for r in found for i in r["id"])
        level += 1
        nxt: list[str] = []
        for record in found:
            reached.add(record, depth)
            for n in record["next"]:
                if n not in depth:
                    depth[n] = level
                    nxt.append(n)
        frontier = nxt
    return reached.expansion()


_ALL_NULL = object()
_VARIES = object()


def _constant(values: Any, n: int) -> Any:
    """The one value of a column if every row has it, ``_ALL_NULL`` if none has a value,
    else ``_VARIES``."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if values.null_count == n:
            return _ALL_NULL
        if values.null_count or pa.types.is_nested(values.type):
            return _VARIES
        try:
            distinct = pc.count_distinct(values).as_py()
        except pa.ArrowNotImplementedError:
            return _VARIES
        return values[0].as_py() if distinct == 1 else _VARIES
    values = list(values)
    first = values[0]
    if first is None:
        return _ALL_NULL if values.count(None) == n else _VARIES
    kind = type(first)
    if values.count(first) == n and all(type(v) is kind for v in values):
        return first
    return _VARIES


@dataclass(frozen=True)
class _Columns:
    """A table's properties as Cypher parameters: a list per column that varies, a single
    value per column that does not (the provenance of a whole snapshot, say), and nothing
    for a column without values (a null never overwrites). Lists of plain values pack far
    faster into Bolt messages than a map per row, and the server reads them by index."""

    lists: dict[str, list[Any]]
    scalars: dict[str, Any]

    @classmethod
    def of(cls, columns: Mapping[str, Any], n: int) -> _Columns:
        lists: dict[str, list[Any]] = {}
        scalars: dict[str, Any] = {}
        for name, values in columns.items():
            if n == 0:
                break
            one = _constant(values, n)
            if one is _VARIES:
                lists[name] = as_list(values)
            elif one is not _ALL_NULL:
                scalars[name] = one
        return cls(lists, scalars)

    def take(self, rows: list[int]) -> _Columns:
        return _Columns({k: [v[i] for i in rows] for k, v in self.lists.items()}, self.scalars)

    def assignments(self, var: str, *, keep_stored: bool) -> str:
        """``var.p = value`` for every property; with ``keep_stored``, a null row value keeps
        the stored one instead of removing it."""
        out = [f"{var}.{name} = $s_{name}" for name in self.scalars]
        for name in self.lists:
            value = f"$l_{name}[i]"
            out.append(
                f"{var}.{name} = coalesce({value}, {var}.{name})"
                if keep_stored
                else f"{var}.{name} = {value}"
            )
        return ", ".join(out)

    def params(self, a: int, b: int) -> dict[str, Any]:
        p = {f"s_{k}": v for k, v in self.scalars.items()}
        p.update((f"l_{k}", v[a:b]) for k, v in self.lists.items())
        return p


def _plain(value: Any) -> Any:
    """Graph values as plain data (nodes and relationships become their properties)."""
    if hasattr(value, "items") and hasattr(value, "element_id"):
        return dict(value.items())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
