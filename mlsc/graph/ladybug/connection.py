"""One open LadybugDB database: where it lives, its tables, and queries with the engine's
errors translated into :mod:`mlsc.errors`.

    >>> conn = Connection(Path("/tmp/kb") / DB_FILE, "/tmp/kb", read_only=True)  # doctest: +SKIP
    >>> conn.count("MATCH (m:Model) RETURN count(*)")                              # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa

from mlsc.errors import BufferPoolFullError, ReadOnlyViolation, StoreError, StoreLockedError
from mlsc.graph import schema

MAX_DEPTH = 10_000
"""Variable-length bound. Far above any real chain (the hub's deepest are ~40 hops); reaching
it raises :class:`StoreError` rather than silently cutting the answer."""


def buffer_pool_bytes() -> int:
    """The engine's page cache: ``$MLSC_BUFFER_POOL_MB`` MiB, default 512 MiB.

    LadybugDB would otherwise let its cache grow to most of the machine's memory; 512 MiB
    holds a million-model knowledge base (about 300 MB on disk) whole, and traversals run
    on the in-memory lineage index anyway. Left unset, one bulk write may widen it for a
    while (:meth:`Connection.wider_pool`); set, it is a limit.
    """
    raw = os.environ.get("MLSC_BUFFER_POOL_MB", "512")
    try:
        mib = int(raw)
    except ValueError:
        raise StoreError(
            f"MLSC_BUFFER_POOL_MB={raw[:20]!r} is not a number of MiB", hint="e.g. 2048"
        ) from None
    return max(mib, 64) * 1024 * 1024


def available_bytes() -> int:
    """The memory the system could give now (``MemAvailable``); 0 when it cannot say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def ddl() -> list[str]:
    """The statements creating every node and relationship table of the schema, if missing."""
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


def translate(exc: Exception, location: str, pool_bytes: int | None = None) -> StoreError:
    """The engine's error as the :class:`StoreError` a user can act on (``pool_bytes``: the
    buffer pool the database was opened with, named when it ran out)."""
    text = str(exc)
    if "buffer pool is full" in text:
        mib = (pool_bytes or buffer_pool_bytes()) // (1024 * 1024)
        return BufferPoolFullError(
            f"LadybugDB at {location} ran out of its buffer pool ({mib} MiB): {text}",
            hint=f"Set MLSC_BUFFER_POOL_MB={2 * mib} (or more) and run the same ingestion "
            "again: it may have stopped half-way, and running it again completes it.",
        )
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


class Connection:
    """A database opened with its one connection (the engine's own errors, RuntimeError,
    escape only from opening it); every query after that raises :class:`StoreError`."""

    def __init__(self, db_path: Path, location: str, *, read_only: bool) -> None:
        self.location = location
        self.pool_bytes = buffer_pool_bytes()
        """The engine's buffer pool: one bulk write stages at most a share of it."""
        self.pool_is_limit = "MLSC_BUFFER_POOL_MB" in os.environ
        """True when the user chose the pool: then no write widens it."""
        self._path, self._read_only = db_path, read_only
        self._open()

    def _open(self) -> None:
        self._db = ladybug.Database(
            str(self._path), read_only=self._read_only, buffer_pool_size=self.pool_bytes
        )
        self.raw = ladybug.Connection(self._db)
        """The engine's connection, for what has no method here (query time limits)."""
        self.raw.execute(f"CALL var_length_extend_max_depth={MAX_DEPTH}")

    @contextlib.contextmanager
    def wider_pool(self, wanted: int) -> Iterator[bool]:
        """The database reopened with a pool of ``wanted`` bytes (at most half the memory
        available now) for the ``with`` block, then with its own again; yields whether it
        was widened. Not when the user set the pool, nor when read-only, nor for less.

        A ``COPY`` into a non-empty rel table costs far more per row than one into an
        empty table: 2M models' 1.76M edges went in whole in about 9 s with a 1 GiB pool; at
        512 MiB the second of two halves alone took 204 s (50k-row slices: 162 s)."""
        wanted = min(wanted, available_bytes() // 2) // (1 << 20) << 20
        if self.pool_is_limit or self._read_only or wanted <= self.pool_bytes:
            yield False
            return
        own = self.pool_bytes
        self._reopen(wanted)
        try:
            yield True
        finally:
            self._reopen(own)

    def _reopen(self, pool_bytes: int) -> None:
        self.close()
        self.pool_bytes = pool_bytes
        try:
            self._open()
        except RuntimeError as exc:
            raise translate(exc, self.location, pool_bytes) from exc

    def run(self, query: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            return self.raw.execute(query, dict(params) if params else None)
        except RuntimeError as exc:
            raise translate(exc, self.location, self.pool_bytes) from exc

    def rows(self, query: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        rows: list[list[Any]] = self.run(query, params).get_all()
        return rows

    def arrow(self, query: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        return self.run(query, params).get_as_arrow()

    def count(self, query: str) -> int:
        return int(self.rows(query)[0][0])

    def native(self, query: str) -> pa.Table:
        """A whole-table scan through the engine's native Arrow path (much faster).

        That path (ladybug 0.22) writes NULL as 0, '' or false: select ``x IS NULL AS
        x__null`` beside any column that can be null, and
        :func:`mlsc.graph.ladybug.staging.restore_nulls` puts the nulls back."""
        try:
            return self.raw.query_as_arrow(query, 1 << 20).get_as_arrow()
        except RuntimeError as exc:
            raise translate(exc, self.location, self.pool_bytes) from exc

    def quietly(self, statement: str) -> None:
        """Run ``statement``, ignoring the engine's error (a ROLLBACK after a failure)."""
        with contextlib.suppress(RuntimeError):
            self.raw.execute(statement)

    def table_columns(self, table: str) -> list[str]:
        """Property names of a table in the engine's order (the key first for a node)."""
        rows = self.run(f"CALL table_info('{table}') RETURN *").get_all()
        return [row[1] for row in sorted(rows, key=lambda r: r[0])]

    def close(self) -> None:
        self.raw.close()
        self._db.close()
