"""Result values of the queries. Frozen, and each knows its JSON shape (``to_json``).

The JSON shapes are a public contract that scripts depend on: add keys, never rename. Most
results are their fields as they are (:class:`JsonFields`); the rest say what they add.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, overload

if TYPE_CHECKING:
    from mlsc.graph.store import CommitRef

T = TypeVar("T")


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: a result by its ``to_json()``, a mapping as a dict, any
    other sequence but text as a list, the rest as it is."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    to_json = getattr(value, "to_json", None)
    if to_json is not None:
        return to_json()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [plain(v) for v in value]
    return value


class JsonFields:
    """Mixin for a dataclass result whose JSON is its fields, in order, made :func:`plain`
    (``json_omit`` left out: what is only for drawing, say)."""

    json_omit: ClassVar[tuple[str, ...]] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            f.name: plain(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if f.name not in self.json_omit
        }


class Rows(Sequence[T]):
    """An immutable sequence of result rows kept as columns, built into objects when read.

    A blast radius can hold tens of thousands of models; most callers only need its
    totals, so the rows are not materialised until someone iterates or indexes them.
    Columns may be lists or pyarrow arrays (converted to lists once, on first read), or a
    function making the lists, called on first read (and ``n``, how many rows, or None:
    counted then too).
    Their JSON is built column by column when ``make`` has a ``json_rows`` (taking the
    columns, giving the rows' ``to_json()``), without an object per row.
    """

    __slots__ = ("_columns", "_make", "_n")

    def __init__(
        self,
        make: Callable[..., T],
        columns: Sequence[Any] | Callable[[], Sequence[Any]],
        n: int | None = None,
    ) -> None:
        self._make = make
        self._n: int | None
        if callable(columns):
            self._columns: tuple[Any, ...] | Callable[[], Sequence[Any]] = columns
            self._n = n
        else:
            self._columns = tuple(columns)
            self._n = len(columns[0]) if columns else 0

    def _lists(self) -> tuple[Sequence[Any], ...]:
        if callable(self._columns):
            self._columns = tuple(self._columns())
            self._n = len(self._columns[0]) if self._columns else 0
        if any(hasattr(c, "to_pylist") for c in self._columns):
            self._columns = tuple(
                c.to_pylist() if hasattr(c, "to_pylist") else c for c in self._columns
            )
        return self._columns

    def to_json(self) -> list[Any]:
        json_rows = getattr(self._make, "json_rows", None)
        if json_rows is not None:
            return json_rows(*self._lists())  # type: ignore[no-any-return]
        return [plain(row) for row in self]

    def __len__(self) -> int:
        if self._n is None:
            self._lists()
        assert self._n is not None
        return self._n

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        columns = self._lists()
        if isinstance(index, slice):
            return Rows(self._make, [c[index] for c in columns])
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(index)
        return self._make(*(c[index] for c in columns))

    def __iter__(self) -> Iterator[T]:
        return map(self._make, *self._lists())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Rows({list(self)!r})"


@dataclass(frozen=True)
class LineageEntry:
    """One ancestor or descendant of the model asked about."""

    id: str
    depth: int
    """Hops from the model asked about (1 = direct parent or child)."""
    relation: str
    """Relation of the hop that reached this model on a shortest path."""
    via: str
    """The neighbour on that shortest path (nearer to the model asked about)."""
    author: str | None
    downloads: int | None
    ingested: bool

    def to_json(self) -> dict[str, Any]:
        # written out: a lineage can list tens of thousands. "owner" is the same column
        # under the name blast-radius JSON gives it.
        return {
            "id": self.id,
            "depth": self.depth,
            "relation": self.relation,
            "via": self.via,
            "author": self.author,
            "downloads": self.downloads,
            "ingested": self.ingested,
            "owner": self.author,
        }

    @staticmethod
    def json_rows(*columns: Sequence[Any]) -> list[dict[str, Any]]:
        """``to_json()`` of the rows with these columns (the fields, in order)."""
        return [
            {
                "id": i,
                "depth": d,
                "relation": r,
                "via": v,
                "author": a,
                "downloads": n,
                "ingested": g,
                "owner": a,
            }
            for i, d, r, v, a, n, g in zip(*columns, strict=True)
        ]


@dataclass(frozen=True)
class LineageResult(JsonFields):
    json_omit = ("edges",)

    model: str
    ancestors: Sequence[LineageEntry]
    descendants: Sequence[LineageEntry]
    cycles: tuple[tuple[str, ...], ...]
    """Each cycle met on the way, as the model ids on it (smallest id first)."""
    edges: tuple[tuple[str, str, str], ...]
    """(child, parent, relation) among the model and all its relatives, for drawing."""


@dataclass(frozen=True)
class Affected:
    """A model inside a blast radius."""

    id: str
    depth: int
    """0 for what the target is or owns directly; n for n derivations further down."""
    relation: str | None
    """Relation of the hop that reached it on a shortest path; None at depth 0."""
    via: str | None
    """The model it derives from on that path (a point of contact); None at depth 0."""
    owner: str | None
    downloads: int | None

    def to_json(self) -> dict[str, Any]:
        # written out: a blast radius can list tens of thousands
        return {
            "id": self.id,
            "depth": self.depth,
            "relation": self.relation,
            "via": self.via,
            "owner": self.owner,
            "author": self.owner,  # the same column's name in lineage JSON
            "downloads": self.downloads,
        }

    @staticmethod
    def json_rows(*columns: Sequence[Any]) -> list[dict[str, Any]]:
        """``to_json()`` of the rows with these columns (the fields, in order)."""
        return [
            {"id": i, "depth": d, "relation": r, "via": v, "owner": o, "author": o, "downloads": n}
            for i, d, r, v, o, n in zip(*columns, strict=True)
        ]


PinStatus = Literal["unpinned", "pinned", "pinned-before", "unknown"]
"""How an application's reference to an affected model stands against a compromise:
``unpinned`` (no commit pin: any later push reaches it), ``pinned`` (a commit pin mlsc cannot
date before the compromise), ``pinned-before`` (pinned to a commit the knowledge base dates
before ``--since``: a later push does not reach it), ``unknown`` (the source cannot tell)."""


@dataclass(frozen=True)
class AppModel:
    """An affected model an application loads, and how its reference is pinned."""

    id: str
    depth: int
    """The model's depth in the blast radius."""
    pinned: bool | None
    """True: every reference pins a commit; False: some does not; None: unknown."""
    revision: str | None
    revision_kind: str | None
    status: PinStatus
    note: str | None = None
    """Why a pin does not protect, when that needs saying (an adapter's base, say)."""
    file: str | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "depth": self.depth,
            "pinned": self.pinned,
            "revision": self.revision,
            "revision_kind": self.revision_kind,
            "status": self.status,
            "note": self.note,
            "file": self.file,
            "line": self.line,
        }


@dataclass(frozen=True)
class Application:
    """An application (code repository or local checkout) loading affected models."""

    id: str
    models: tuple[AppModel, ...]
    """By depth, then id."""
    exposed: bool
    """Some model it loads is not ``pinned-before``: the compromise can reach it."""

    @property
    def depth(self) -> int:
        return min(m.depth for m in self.models)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "models": [m.to_json() for m in self.models],
            "exposed": self.exposed,
        }


@dataclass(frozen=True)
class BlastRadius:
    target: str
    kind: Literal["model", "actor", "commit"]
    seeds: tuple[str, ...]
    """The models compromised directly: the target model, what the actor controls or
    committed to, or the models holding the commit."""
    affected: Sequence[Affected]
    """Seeds (depth 0) and everything downstream, ordered by depth, then downloads."""
    by_relation: dict[str, int]
    by_depth: dict[int, int]
    owners: Sequence[str]
    """Distinct owners of affected models, sorted: who must be told."""
    downloads: int
    edges: Sequence[tuple[str, str, str]]
    """(child, parent, relation) among affected models, for drawing."""
    commits: tuple[CommitRef, ...] = ()
    """For an actor: the commits it made (since the date asked) and where; for a commit:
    the repositories holding it."""
    repositories: tuple[str, ...] = ()
    """Code repositories compromised directly (they have no downstream models here)."""
    since: str | None = None
    """For an actor, the date its commits are followed from; for every target, the date a
    commit pin must predate to count as ``pinned-before``."""
    applications: tuple[Application, ...] = ()
    """Applications loading an affected model: exposed first, then by depth, then id."""

    @property
    def count(self) -> int:
        return len(self.affected)

    @property
    def exposed(self) -> int:
        """Applications the compromise can reach."""
        return sum(a.exposed for a in self.applications)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "count": self.count,
            "seeds": list(self.seeds),
            "affected": plain(self.affected),
            "by_relation": dict(self.by_relation),
            "by_depth": {str(k): v for k, v in self.by_depth.items()},
            "owners": len(self.owners),
            "owner_names": list(self.owners),
            "downloads": self.downloads,
            "commits": [c.to_json() for c in self.commits],
            "repositories": list(self.repositories),
            "since": self.since,
            "applications": [a.to_json() for a in self.applications],
            "applications_count": len(self.applications),
            "applications_exposed": self.exposed,
        }


@dataclass(frozen=True)
class Reach(JsonFields):
    """Maintainer reach of an actor."""

    actor: str
    direct: int
    """Models the actor controls: owns, or owns through an organisation it belongs to."""
    transitive: int
    """Models downstream of those (some may also be direct)."""
    total: int
    """Distinct models in direct ∪ transitive."""
    organisations: tuple[str, ...]

    @property
    def overlap(self) -> int:
        """Models both direct and transitive (owned, and downstream of another controlled
        model): ``direct + transitive - overlap == total``."""
        return self.direct + self.transitive - self.total

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "overlap": self.overlap}


@dataclass(frozen=True)
class Ranked(JsonFields):
    """One row of a `top` ranking."""

    id: str
    reach: int
    """Package reach (descendants) for a model; maintainer reach (total) for an actor."""
    direct: int
    """Direct children for a model; models controlled directly for an actor."""
