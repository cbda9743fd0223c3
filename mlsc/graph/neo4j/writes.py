"""Neo4j's write path: managed transactions (retried by the driver on transient errors) of
``UNWIND $rows ... MERGE`` batches on uniquely constrained keys, so a retried or repeated
batch leaves the same graph.

    >>> stats = Writer(conn).write(batch)                           # doctest: +SKIP

What a first load costs (1M models, 1.9M edges) is mostly the server's: so a node whose key
was not stored when the write began is CREATEd, without a lookup (the constraint refuses a
duplicate, and the batch is redone with MERGE); every node write returns the engine's ids of
its nodes, and an edge whose ends this write wrote finds them by id instead of through
the key's index (half the cost of an edge). Edges are always MERGEd: CREATE saves 10-20% of
an edge's server time (measured again on a warm server), but two writers loading the same
new models at once could then store an edge twice. Tried and measured at 1M models
(2026-12-05), and not kept: creating each new model with its edges in one transaction
(race-free, the node being new) cost as much server time as two passes, with more garbage
collection; derivations of single-base models two batches at a time deadlocked 18 times
and were no faster than one at a time. On a fresh engine about a fifth of the server's CPU
time at 1M (half at 200k) is its JIT compiler warming up. For the very first load of a big
snapshot, the offline importer is faster: ``mlsc export neo4j-admin DIR`` (README,
"Moving a knowledge base").
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from neo4j import ManagedTransaction
from neo4j.exceptions import ClientError, Neo4jError, ServiceUnavailable, SessionExpired

from mlsc.errors import StoreError
from mlsc.graph import schema
from mlsc.graph.neo4j.columns import Columns
from mlsc.graph.neo4j.connection import Connection
from mlsc.graph.records import (
    EdgeTable,
    GraphBatch,
    WriteStats,
    as_list,
    edge_tables,
    node_tables,
)

BATCH = 5_000
"""Rows per write transaction."""
WRITERS = 2
"""Write batches in flight at once, each in its own session: while the server applies one,
this process packs the next (and a server with cores to spare applies both). Batches of
nodes never touch the same node; batches of edges may (a hub's children), and two in
flight then deadlock on the hub's relationship locks often enough (each deadlock is retried
after a back-off) that such edges go one batch at a time (see ``Writer._write_edges``)."""
_CONSTRAINT_FAILED = "Neo.ClientError.Schema.ConstraintValidationFailed"


class Writer:
    """Writes batches into the database of one connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._ids: dict[str, dict[str, int]] = {}
        """Label -> key -> the engine's node id, for the nodes this write wrote: their edges
        find them by id, not through the key's index."""

    def write(self, batch: GraphBatch) -> WriteStats:
        """Write ``batch``: its nodes, then its stale edges removed, then its edges."""
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
            if self._conn.read(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"] == 0:
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
            cols = Columns.of(table.columns, len(keys))
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
            found = set(self._conn.existing({label}, ask))
            seen.update((k, k in found) for k in ask)
        return seen

    def _write_nodes(
        self, label: str, cols: Columns, keys: list[str], rows: list[int] | None, mode: str
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

        ids = self._ids.setdefault(label, {})
        tail = " RETURN collect(i) AS i, collect(id(n)) AS n"
        first += tail
        fallback = fallback + tail if fallback else None

        def params(a: int, b: int) -> dict[str, Any]:
            return {"keys": keys[a:b], **cols.params(a, b)}

        def written(p: dict[str, Any], record: Any) -> None:
            ids.update(zip([p["keys"][i] for i in record["i"]], record["n"], strict=True))

        return self._batches(first, len(keys), params, fallback=fallback, each=written)["nodes"]

    def _write_edges(self, t: EdgeTable) -> int:
        """MERGE the table's edges (a null keeps the stored value); edges created. Those
        whose both ends this write wrote find them by node id, the others by key."""
        src, dst = as_list(t.src), as_list(t.dst)
        if not src:
            return 0
        cols = Columns.of(t.columns, len(src))
        sid, did = self._ids.get(t.src_label, {}), self._ids.get(t.dst_label, {})
        a, b = [sid.get(k) for k in src], [did.get(k) for k in dst]
        by_id = [i for i in range(len(src)) if a[i] is not None and b[i] is not None]
        if len(by_id) == len(src):
            return self._edges(t, src, dst, cols, (a, b))
        n = 0
        if by_id:
            n = self._edges(
                t,
                [src[i] for i in by_id],
                [dst[i] for i in by_id],
                cols.take(by_id),
                ([a[i] for i in by_id], [b[i] for i in by_id]),
            )
        by_key = [i for i in range(len(src)) if a[i] is None or b[i] is None]
        return n + self._edges(
            t, [src[i] for i in by_key], [dst[i] for i in by_key], cols.take(by_key), None
        )

    def _edges(
        self,
        t: EdgeTable,
        src: list[str],
        dst: list[str],
        cols: Columns,
        ids: tuple[list[Any], list[Any]] | None,
    ) -> int:
        """MERGE edges found by key, or by node id when ``ids`` (per row, of both ends)."""
        node_ids: list[Any] = [None] * len(src) if ids is None else ids[0]
        other_ids: list[Any] = [None] * len(src) if ids is None else ids[1]
        # Batches of edges sharing a node may deadlock on it, so edges go one batch at a
        # time; but when every edge has an end of its own (each model has one owner),
        # batches sorted by the other end share at most the node at their boundary, which
        # makes them wait at worst, never deadlock: those go WRITERS at a time.
        writers, shared = 1, dst  # sorted by the end they share (a hub's children together)
        if len(src) > BATCH and WRITERS > 1:
            for own, other in ((dst, src), (src, dst)):
                if len(set(own)) == len(own):
                    writers, shared = WRITERS, other
                    break
        order = sorted(range(len(src)), key=shared.__getitem__)
        src, dst = [src[i] for i in order], [dst[i] for i in order]
        node_ids, other_ids = [node_ids[i] for i in order], [other_ids[i] for i in order]
        cols = cols.take(order)
        sk, dk = schema.NODES[t.src_label].key, schema.NODES[t.dst_label].key
        on_create = cols.assignments("r", keep_stored=False)
        on_match = cols.assignments("r", keep_stored=True)
        if ids is None:
            ends = (
                f"MATCH (a:{t.src_label} {{{sk}: $src[i]}}) USING INDEX a:{t.src_label}({sk}) "
                f"MATCH (b:{t.dst_label} {{{dk}: $dst[i]}}) USING INDEX b:{t.dst_label}({dk}) "
            )
        else:
            ends = "MATCH (a) WHERE id(a) = $a[i] MATCH (b) WHERE id(b) = $b[i] "
        query = (
            f"UNWIND range(0, size(${'src' if ids is None else 'a'}) - 1) AS i "
            + ends
            + f"MERGE (a)-[r:{t.type}]->(b)"
            + (f" ON CREATE SET {on_create} ON MATCH SET {on_match}" if on_create else "")
            + " RETURN count(r) AS matched"
        )

        def params(a: int, b: int) -> dict[str, Any]:
            if ids is None:
                return {"src": src[a:b], "dst": dst[a:b], **cols.params(a, b)}
            return {
                "a": node_ids[a:b],
                "b": other_ids[a:b],
                **cols.params(a, b),
            }

        def check(a: int, b: int, matched: int) -> StoreError | None:
            return self._endpoints_missing(t, src[a:b], dst[a:b], matched)

        return self._batches(query, len(src), params, check=check, writers=writers)["rels"]

    def _batches(
        self,
        query: str,
        n: int,
        params: Callable[[int, int], dict[str, Any]],
        *,
        check: Callable[[int, int, int], StoreError | None] | None = None,
        fallback: str | None = None,
        writers: int = WRITERS,
        each: Callable[[dict[str, Any], Any], None] | None = None,
    ) -> dict[str, int]:
        """Run ``query`` over rows 0..n in batches of managed, retried write transactions,
        up to ``writers`` at once; ``params(a, b)`` gives a batch's parameters. Totals of
        nodes created, relationships created and deleted.

        With ``check``, the query returns ``matched`` (how many rows it applied to) and
        ``check(a, b, matched)`` may turn a shortfall into an error, rolling the batch back.
        Else, with ``each``, the query's one record goes to ``each(params, record)`` (as the
        batch commits: a retried batch gives it again). With ``fallback``, a batch the
        uniqueness constraint refuses is run again with it."""

        def work(
            tx: ManagedTransaction, text: str, p: dict[str, Any], a: int, b: int
        ) -> dict[str, int]:
            result = tx.run(text, p)
            if check is not None:
                record = result.single()
                error = check(a, b, record["matched"] if record else 0)
                if error is not None:
                    raise error
            elif each is not None:
                record = result.single()
                if record is not None:
                    each(p, record)
            c = result.consume().counters
            return {
                "nodes": c.nodes_created,
                "rels": c.relationships_created,
                "deleted": c.relationships_deleted,
            }

        def one(a: int) -> dict[str, int]:
            b = min(a + BATCH, n)
            p = params(a, b)
            with self._conn.session() as session:
                try:
                    return session.execute_write(work, query, p, a, b)
                except ClientError as exc:
                    if fallback is None or exc.code != _CONSTRAINT_FAILED:
                        raise
                    return session.execute_write(work, fallback, p, a, b)

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
            raise self._conn.translate(exc) from exc
        for d in done:
            for k, v in d.items():
                totals[k] += v
        return totals

    def _endpoints_missing(
        self, table: EdgeTable, src: list[str], dst: list[str], matched: int
    ) -> StoreError | None:
        """An error naming the first edges whose endpoint node is not stored, if any."""
        if matched == len(src):
            return None
        missing: list[str] = []
        for keys, label in ((src, table.src_label), (dst, table.dst_label)):
            unique = sorted(set(keys))
            found = set(self._conn.existing({label}, unique))
            missing += [f"{label} {k!r}" for k in unique if k not in found]
        return StoreError(
            f"{len(src) - matched} {table.type} edge(s) point at nodes that are not stored: "
            + ", ".join(missing[:5])
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""),
            hint="Write the nodes before (or with) their edges.",
        )
