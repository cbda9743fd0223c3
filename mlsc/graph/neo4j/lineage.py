"""The database's derivations as a :class:`~mlsc.graph.lineage_index.LineageIndex` kept in
this process, valid while the database has not changed: a traversal then costs one short
read (the seeds' numbers) instead of the server's search and a value per reached model on
the wire.

    >>> lineage = Lineage(conn)                                  # doctest: +SKIP
    >>> index, numbers = lineage.indexed(["org/base"])           # doctest: +SKIP

Whether the database changed is told by the bookmark the server returns when a read
transaction ends: it names the point of the database's transaction history that the read
saw, and every committed write moves it (community edition exposes no transaction id to
Cypher; ``SHOW DATABASES`` leaves ``lastCommittedTxn`` empty there). The seeds are looked up
in a read whose bookmark is compared with the one the index was built at; a different one
rebuilds the index, from two column scans in one read between two bookmark checks. A write
that lands during the build leaves the index unused for that call (the caller falls back to
the server's traversal) and unkept.

Dense numbers are the engine's node ids (``id()``: deprecated in Cypher 5 for use across
transactions, which is exactly how the bookmark check makes it safe to use here).

The build costs more than one server-side search (at 1M models about 11 s against about
1 s, see benchmarks/README.md), so a process builds the index only when it asks a second
time about the same database state: a one-off command (``mlsc blast-radius``) keeps the
server's search, a process that goes on querying (reports, a notebook, the benchmark) pays
the build once and then a bookmark check and the in-memory search per traversal, and one
that writes between its reads keeps the server's search.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from neo4j import ManagedTransaction

from mlsc.graph.lineage_index import LineageIndex
from mlsc.graph.neo4j.connection import Connection

Ints = npt.NDArray[np.int64]

_MODELS = (
    "MATCH (m:Model) WITH collect(m) AS ms "
    "RETURN [m IN ms | id(m)] AS o, [m IN ms | m.id] AS id, [m IN ms | m.author] AS author, "
    "[m IN ms | m.downloads] AS downloads, [m IN ms | m.ingested] AS ingested"
)
"""Every model's number and summary properties as flat columns (a list comprehension
keeps nulls, which ``collect`` would drop)."""
_EDGES = (
    "MATCH (:Model)-[r:DERIVED_FROM]->(:Model) WITH collect(r) AS rs "
    "RETURN [r IN rs | id(startNode(r))] AS child, [r IN rs | id(endNode(r))] AS parent, "
    "[r IN rs | r.relation] AS relation"
)
_NUMBERS = "UNWIND $ids AS k MATCH (m:Model {id: k}) RETURN collect(id(m)) AS o"
BUILD_AT = 2
"""The index is built when asked this many times about one database state (a bookmark)."""


def _numbers(ids: list[str], tx: ManagedTransaction) -> Ints:
    record = tx.run(_NUMBERS, ids=ids).single()
    return np.asarray(record["o"] if record else [], dtype=np.int64)


def _nothing(tx: ManagedTransaction) -> None:
    tx.run("RETURN 1").consume()


def _scan(tx: ManagedTransaction) -> LineageIndex:
    m = tx.run(_MODELS).single()
    e = tx.run(_EDGES).single()
    assert m is not None and e is not None  # an aggregation returns one row
    models = pa.table(
        {
            "o": pa.array(m["o"], pa.int64()),
            "id": pa.array(m["id"], pa.string()),
            "author": pa.array(m["author"], pa.string()),
            "downloads": pa.array(m["downloads"], pa.int64()),
            "ingested": pa.array(m["ingested"], pa.bool_()),
        }
    )
    edges = pa.table(
        {
            "child": pa.array(e["child"], pa.int64()),
            "parent": pa.array(e["parent"], pa.int64()),
            "relation": pa.array(e["relation"], pa.string()),
        }
    )
    return LineageIndex(models, edges)


class Lineage:
    """The lineage index of one connection's database, rebuilt when the database changed."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._index: LineageIndex | None = None
        self._stamp: str | None = None
        self._asked: tuple[str, int] = ("", 0)
        """(bookmark, how many times the index was asked for at that state)."""

    def current(self, seeds: Sequence[str]) -> tuple[LineageIndex, Ints] | None:
        """The index if one is kept and still current, with the numbers of ``seeds``;
        never builds one."""
        if self._index is None:
            return None
        return self.indexed(seeds, build=False)

    def indexed(
        self, seeds: Sequence[str], *, build: bool = True
    ) -> tuple[LineageIndex, Ints] | None:
        """The current index and the dense numbers of ``seeds`` in it (unknown ids left
        out); None while the database state was asked about fewer than ``BUILD_AT`` times,
        when ``build`` is off and no current index is kept, or when the database changed
        while the index was being built."""
        ids = sorted(set(seeds))
        numbers, stamp = self._conn.read_stamped(lambda tx: _numbers(ids, tx))
        with self._lock:
            if self._index is not None and stamp == self._stamp:
                return self._index, numbers
            if not build:
                return None
            seen, times = self._asked
            self._asked = (stamp, times + 1 if seen == stamp else 1)
            if self._asked[1] < BUILD_AT:
                return None
            index, built = self._conn.read_stamped(_scan)
            _, after = self._conn.read_stamped(_nothing)
            if not stamp or not (stamp == built == after):
                return None
            self._index, self._stamp = index, stamp
            return index, numbers

    def forget(self) -> None:
        """Drop the index (this process wrote: the next traversal rebuilds it)."""
        with self._lock:
            self._index = self._stamp = None

    def stamp(self) -> Any:
        """The bookmark the kept index was built at (None without one), for tests."""
        return self._stamp
