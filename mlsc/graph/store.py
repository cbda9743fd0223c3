"""The narrow interface every graph store implements, and the values it returns.

Traversal primitives live here; :mod:`mlsc.queries` composes them into lineage, blast
radius and reach, so both stores give the same answers from the same Python code.
"""

from __future__ import annotations

import abc
import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import pyarrow as pa

from mlsc.graph.records import EdgeTable, GraphBatch, NodeTable, WriteStats

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsc.graph.lineage_index import LineageIndex

Direction = Literal["down", "up"]

ENV_QUERY_TIMEOUT = "MLSC_QUERY_TIMEOUT"


def query_timeout() -> float:
    """Seconds a user's query may run: ``$MLSC_QUERY_TIMEOUT``, default 300."""
    from mlsc.errors import StoreError

    raw = os.environ.get(ENV_QUERY_TIMEOUT, "300")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise StoreError(
            f"{ENV_QUERY_TIMEOUT}={raw[:20]!r} is not a positive number of seconds", hint="e.g. 60"
        )
    return seconds


SCAN_ROWS = 100_000
"""Rows per table of a whole-graph scan (copy, export)."""


@dataclass(frozen=True)
class Hop:
    """One DERIVED_FROM edge seen during an expansion."""

    child: str
    parent: str
    relation: str


@dataclass(frozen=True)
class ModelSummary:
    """The few properties reports show beside a model id."""

    id: str
    author: str | None
    downloads: int | None
    ingested: bool


@dataclass(frozen=True)
class Expansion:
    """Everything reachable from a set of seed models in one direction, as columns."""

    models: pa.Table
    """One row per reached model (seeds included): id, depth (shortest distance from the
    nearest seed; seeds 0), author, downloads, ingested."""
    edges: pa.Table
    """Every DERIVED_FROM edge out of a reached model: child, parent, relation. Going down,
    a parent may lie outside the reached set (the other base of a merge)."""

    @functools.cached_property
    def depth(self) -> dict[str, int]:
        """Reached id -> depth (a convenience for small answers and tests)."""
        return dict(
            zip(
                self.models.column("id").to_pylist(),
                self.models.column("depth").to_pylist(),
                strict=True,
            )
        )

    @functools.cached_property
    def info(self) -> dict[str, ModelSummary]:
        cols = [
            self.models.column(c).to_pylist() for c in ("id", "author", "downloads", "ingested")
        ]
        return {i: ModelSummary(i, a, d, bool(g)) for i, a, d, g in zip(*cols, strict=True)}

    def hops(self) -> set[Hop]:
        cols = [self.edges.column(c).to_pylist() for c in ("child", "parent", "relation")]
        return {Hop(c, p, r) for c, p, r in zip(*cols, strict=True)}


EXPANSION_MODELS = pa.schema(
    [
        ("id", pa.string()),
        ("depth", pa.int64()),
        ("author", pa.string()),
        ("downloads", pa.int64()),
        ("ingested", pa.bool_()),
    ]
)
EXPANSION_EDGES = pa.schema(
    [("child", pa.string()), ("parent", pa.string()), ("relation", pa.string())]
)


def indexed_expansion(
    index: LineageIndex, seeds: npt.NDArray[np.int64], direction: Direction
) -> Expansion:
    """The expansion from ``seeds`` (index numbers) found on a lineage index: what both
    stores answer once they hold one."""
    reached, depth = index.bfs(seeds, direction)
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


@dataclass(frozen=True)
class CommitRef:
    """A commit in one repository: where an account's changes landed."""

    sha: str
    label: str
    """``Model`` or ``CodeRepository``."""
    repository: str
    at: str | None
    """When it was committed (else authored), ISO 8601."""

    def to_json(self) -> dict[str, Any]:
        return {"sha": self.sha, "label": self.label, "repository": self.repository, "at": self.at}


@dataclass(frozen=True)
class Column:
    """One column of :meth:`GraphStore.read_table`."""

    name: str
    """Its name in the table (a plain identifier)."""
    expression: str
    """The Cypher expression giving its value in each row, over the read's variables."""
    type: pa.DataType
    """Its Arrow type (what the column is cast to, so both stores give the same table)."""


def returning(columns: Sequence[Column]) -> str:
    """``e1 AS n1, e2 AS n2, ...``: the RETURN list of ``columns``."""
    return ", ".join(f"{c.expression} AS {c.name}" for c in columns)


def column_table(columns: Sequence[Column], values: Sequence[Any]) -> pa.Table:
    """The table of ``columns`` from their values (one list or Arrow array per column)."""
    return pa.table(
        {
            c.name: v.cast(c.type)
            if isinstance(v, (pa.Array, pa.ChunkedArray))
            else pa.array(v, c.type)
            for c, v in zip(columns, values, strict=True)
        }
    )


@dataclass(frozen=True)
class CypherResult:
    """Rows of a user query."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


class GraphStore(abc.ABC):
    """A property graph holding the knowledge base."""

    backend: str
    """Short backend name, e.g. ``ladybug`` or ``neo4j``."""

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the data lives, for messages (a path or a URI without credentials)."""

    @abc.abstractmethod
    def write(self, batch: GraphBatch) -> WriteStats:
        """Write a batch idempotently: writing it twice leaves the same graph."""

    @abc.abstractmethod
    def node(self, label: str, key: str) -> dict[str, Any] | None:
        """All properties of one node, or None."""

    @abc.abstractmethod
    def derivation(self, child: str, parent: str) -> dict[str, Any] | None:
        """Properties of the DERIVED_FROM edge child -> parent, or None."""

    @abc.abstractmethod
    def expand(self, seeds: Sequence[str], direction: Direction) -> Expansion:
        """Models reachable from ``seeds`` through DERIVED_FROM, with no hop limit.

        ``down`` follows children (who derives from the seeds), ``up`` follows parents.
        Cycles terminate; each model appears once at its shortest distance.
        """

    def indexed(self, seeds: Sequence[str]) -> tuple[LineageIndex, npt.NDArray[np.int64]] | None:
        """The store's in-memory lineage index and the dense numbers of ``seeds`` in it
        (unknown ids left out), for stores that keep one; None otherwise. Queries then build
        their answers as columns gathered from the index instead of from :meth:`expand`."""
        return None

    @abc.abstractmethod
    def owned_models(self, actors: Sequence[str]) -> list[str]:
        """Ids of the models the given actors own, sorted."""

    @abc.abstractmethod
    def organisations_of(self, actor: str) -> list[str]:
        """Organisations the actor is a member of, sorted."""

    @abc.abstractmethod
    def membership_edges(self) -> Iterator[tuple[str, str]]:
        """Every MEMBER_OF edge as (member, organisation)."""

    @abc.abstractmethod
    def derivation_edges(self) -> Iterator[tuple[str, str]]:
        """Every DERIVED_FROM edge as (child, parent), for whole-graph rankings."""

    def derivation_cycles(self) -> list[tuple[str, ...]]:
        """Every lineage cycle, as sorted model ids; stores may override with a faster way."""
        from mlsc.graph.algorithms import cycles

        return cycles(self.derivation_edges())

    def commits_by(self, actor: str, since: str | None = None) -> list[CommitRef]:
        """Commits ``actor`` authored or committed (at or after ``since``, an ISO time,
        compared with the commit time, else the author time), with their repositories."""
        out: list[CommitRef] = []
        when = "coalesce(c.committed_at, c.authored_at)"
        for label in ("Model", "CodeRepository"):
            rows = self.read(
                f"MATCH (:Actor {{name: $a}})-[:AUTHORED]->(c:Commit)<-[:HAS_COMMIT]-(r:{label}) "
                + (f"WHERE {when} >= $since " if since else "")
                + f"RETURN DISTINCT c.id, r.id, {when}",
                {"a": actor, "since": since} if since else {"a": actor},
            )
            out.extend(CommitRef(sha, label, repo, at) for sha, repo, at in rows)
        return sorted(out, key=lambda c: (c.repository, c.at or "", c.sha))

    def commit_repositories(self, sha: str) -> list[CommitRef]:
        """The models and code repositories that hold commit ``sha``."""
        out: list[CommitRef] = []
        for label in ("Model", "CodeRepository"):
            rows = self.read(
                f"MATCH (r:{label})-[:HAS_COMMIT]->(c:Commit {{id: $sha}}) "
                "RETURN r.id, coalesce(c.committed_at, c.authored_at)",
                {"sha": sha},
            )
            out.extend(CommitRef(sha, label, repo, at) for repo, at in rows)
        return sorted(out, key=lambda c: (c.label, c.repository))

    @abc.abstractmethod
    def ownership_edges(self) -> Iterator[tuple[str, str]]:
        """Every OWNS edge as (actor, model)."""

    def node_keys(self, label: str) -> pa.Array:
        """The keys of every ``label`` node by dense number (the position), for whole-graph
        rankings; a number without a node holds null. Stores may override with a faster way."""
        return pa.chunked_array(
            [t.keys for t in self.scan_nodes(label)], pa.string()
        ).combine_chunks()

    def edge_numbers(self, edge_type: str, src_label: str, dst_label: str) -> tuple[Any, Any]:
        """(source numbers, target numbers) of every ``edge_type`` edge between the two
        labels, as int64 numpy arrays numbered as :meth:`node_keys` numbers the nodes."""
        import numpy as np
        import pyarrow.compute as pc

        tables = list(self.scan_edges(edge_type, src_label, dst_label))
        out = []
        for label, side in ((src_label, "src"), (dst_label, "dst")):
            keys = pa.chunked_array([getattr(t, side) for t in tables], pa.string())
            found = pc.index_in(keys, value_set=self.node_keys(label))
            out.append(np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64))
        return out[0], out[1]

    @abc.abstractmethod
    def scan_nodes(self, label: str, rows: int = SCAN_ROWS) -> Iterator[NodeTable]:
        """Every node of ``label`` with every schema property (unknown values stay None),
        as Arrow-backed tables of at most ``rows`` rows: what copy and export read."""

    @abc.abstractmethod
    def scan_edges(
        self, edge_type: str, src_label: str, dst_label: str, rows: int = SCAN_ROWS
    ) -> Iterator[EdgeTable]:
        """Every ``edge_type`` edge from a ``src_label`` to a ``dst_label`` node, with every
        schema property, as tables of about ``rows`` rows."""

    @abc.abstractmethod
    def keys(self, label: str, containing: str, limit: int) -> list[str]:
        """Keys of ``label`` that contain ``containing`` (case-insensitive), for suggestions."""

    @abc.abstractmethod
    def counts(self) -> dict[str, int]:
        """Number of nodes per label and edges per type, plus ``relation:<r>`` counts."""

    @abc.abstractmethod
    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of one of mlsc's own read-only queries (:mod:`mlsc.graph.reads` holds them
        all; values always come as ``params``). Not for users' queries: no write check and
        no user time limit, that is :meth:`cypher`."""

    @abc.abstractmethod
    def read_table(
        self, match: str, columns: Sequence[Column], params: Mapping[str, Any] | None = None
    ) -> pa.Table:
        """One of mlsc's own reads (like :meth:`read`) answered as Arrow columns: ``match``
        (``MATCH ... WHERE ...``, no ``RETURN``), then one row per match with each of
        ``columns``, nulls kept, in no particular order. For reads over the whole
        population, where a Python tuple per row costs more than the query."""

    @abc.abstractmethod
    def cypher(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        write: bool = False,
        timeout: float | None = None,
    ) -> CypherResult:
        """Run a user's Cypher. Without ``write`` a query that writes is refused. A query
        running longer than ``timeout`` seconds (default :func:`query_timeout`) is stopped
        with :class:`~mlsc.errors.QueryTimeoutError`."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the store."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
