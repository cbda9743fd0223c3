"""One Neo4j driver and the database it talks to: opening it (with the key constraints),
reads under the query time limit, and the driver's errors translated into
:mod:`mlsc.errors`.

    >>> conn = Connection(Neo4jSettings.from_env(), read_only=True)   # doctest: +SKIP
    >>> conn.read("MATCH (m:Model) RETURN count(m) AS c")[0]["c"]       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from neo4j import (
    Driver,
    GraphDatabase,
    ManagedTransaction,
    NotificationMinimumSeverity,
    Query,
    RoutingControl,
    Session,
    unit_of_work,
)
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConfigurationError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from mlsc.errors import QueryTimeoutError, ReadOnlyViolation, StoreError, StoreUnavailableError
from mlsc.graph import schema
from mlsc.graph.neo4j.settings import Neo4jSettings
from mlsc.graph.store import ENV_QUERY_TIMEOUT, query_timeout

T = TypeVar("T")

LOOKUP = 20_000
"""Ids per read of a traversal level."""


class Connection:
    """An open driver for one database of a Neo4j server (closed again if opening fails)."""

    def __init__(self, settings: Neo4jSettings, *, read_only: bool) -> None:
        self._settings = settings
        try:
            self.timeout = query_timeout()
            """The time limit of every query, in seconds."""
            self.driver: Driver = GraphDatabase.driver(
                settings.uri,
                auth=(settings.user, settings.password),
                max_transaction_retry_time=settings.retry_seconds,
                # Schema hints ("label does not exist" on an empty database) are noise here.
                notifications_min_severity=NotificationMinimumSeverity.OFF,
            )
            self.driver.verify_connectivity()
            self.driver.execute_query("RETURN 1", database_=settings.database)
            if not read_only:
                self.constraints()
            else:
                self.constraints_if_missing()
        except Exception as exc:
            if getattr(self, "driver", None) is not None:
                self.driver.close()
            raise self.translate(exc) from exc

    def translate(self, exc: BaseException) -> StoreError:
        """The driver's error as the :class:`StoreError` a user can act on."""
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

    def read(self, query: str, **params: Any) -> list[Any]:
        """The records of one read query (READ routing, under the time limit)."""
        try:
            records, _, _ = self.driver.execute_query(
                Query(query, timeout=self.timeout),
                params,
                database_=self._settings.database,
                routing_=RoutingControl.READ,
            )
        except (Neo4jError, ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self.translate(exc) from exc
        return list(records)

    def read_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Run ``work`` in one managed read transaction, under the query time limit."""
        try:
            with self.driver.session(database=self._settings.database) as session:
                return session.execute_read(unit_of_work(timeout=self.timeout)(work))
        except (Neo4jError, ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self.translate(exc) from exc

    def read_stamped(self, work: Callable[[ManagedTransaction], T]) -> tuple[T, str]:
        """Run ``work`` in a managed read transaction of a fresh session: its result and the
        bookmark the server returned at its end, as one string ('' if none): the point of
        the database's history that the read saw. Equal stamps: no write in between."""
        try:
            with self.driver.session(database=self._settings.database) as session:
                result = session.execute_read(unit_of_work(timeout=self.timeout)(work))
                stamp = ",".join(sorted(session.last_bookmarks().raw_values))
        except (Neo4jError, ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self.translate(exc) from exc
        return result, stamp

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the database (the caller translates errors)."""
        with self.driver.session(database=self._settings.database) as session:
            yield session

    def existing(self, labels: set[str], keys: list[str]) -> list[str]:
        """Which of ``keys`` are stored as a node of one of ``labels``."""
        found: list[str] = []
        for label in sorted(labels):
            key = schema.NODES[label].key
            for start in range(0, len(keys), LOOKUP):
                found.extend(
                    self.read(
                        f"UNWIND $keys AS k MATCH (n:{label} {{{key}: k}}) RETURN collect(k) AS k",
                        keys=keys[start : start + LOOKUP],
                    )[0]["k"]
                )
        return found

    def constraints(self) -> None:
        """One uniqueness constraint per node key, created if missing. Managed transactions,
        so two clients starting at once (a deadlock on the schema lock) are retried."""

        def create(tx: ManagedTransaction, statement: str) -> None:
            tx.run(statement).consume()

        with self.driver.session(database=self._settings.database) as session:
            for node in schema.NODE_TYPES:
                session.execute_write(
                    create,
                    f"CREATE CONSTRAINT {node.label.lower()}_key IF NOT EXISTS "
                    f"FOR (n:{node.label}) REQUIRE n.{node.key} IS UNIQUE",
                )

    def constraints_if_missing(self) -> None:
        """A read-only open of a database filled by ``neo4j-admin import`` (or by hand) may
        lack the key constraints every lookup relies on: create them if the user may; a
        reader account without schema rights is left as it is (queries still answer)."""
        names = {r["name"] for r in self.read("SHOW CONSTRAINTS YIELD name RETURN name")}
        if all(f"{n.label.lower()}_key" in names for n in schema.NODE_TYPES):
            return
        try:
            self.constraints()
        except (ClientError, Neo4jError) as exc:
            if "Forbidden" not in (exc.code or "") and "AccessMode" not in (exc.code or ""):
                raise

    def close(self) -> None:
        driver = getattr(self, "driver", None)
        if driver is not None:
            driver.close()
            self.driver = None  # type: ignore[assignment]
