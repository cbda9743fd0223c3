"""Derivation edges as compressed sparse rows, for traversals at memory speed.

A store builds one from two column scans (models, DERIVED_FROM edges) and keeps it until
its next write. Breadth-first search then runs a few vectorised numpy steps per level, so
a hub with tens of thousands of descendants expands in milliseconds, with no hop limit and
no path enumeration; cycles stop because each model is visited once. While the frontier is
a handful of models (the ancestors of a leaf), it walks the rows in plain Python instead,
where numpy's fixed cost per call would be most of the work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from mlsc.graph.model_columns import Ints, ModelColumns

if TYPE_CHECKING:
    import pyarrow as pa

T = TypeVar("T")
Marks = npt.NDArray[np.int32]
"""Per dense number, scratch of a search."""
SMALL_FRONTIER = 32
"""Levels with up to this many edges out are expanded in plain Python."""


def cyclic_edges(child: Ints, parent: Ints, size: int) -> npt.NDArray[np.bool_]:
    """Which edges (child, parent: dense numbers below ``size``) can lie on a cycle: peels,
    level by level, every model without a parent or without a child among those left."""
    alive = np.ones(size, dtype=bool)
    while True:
        live = alive[child] & alive[parent]
        has_parent = np.bincount(child[live], minlength=size) > 0
        has_child = np.bincount(parent[live], minlength=size) > 0
        still = alive & has_parent & has_child
        if np.array_equal(still, alive):
            break
        alive = still
    core: npt.NDArray[np.bool_] = alive[child] & alive[parent]
    return core


@dataclass(frozen=True)
class _CSR:
    indptr: Ints
    indices: Ints
    relation: Ints
    """Per entry, the code of the edge's relation (see LineageIndex.relations)."""

    @classmethod
    def build(cls, n: int, rows: Ints, cols: Ints, relation: Ints) -> _CSR:
        order = np.argsort(rows)
        counts = np.bincount(rows, minlength=n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr, cols[order], relation[order])

    def gather(self, nodes: Ints) -> tuple[Ints, Ints]:
        """(positions into indices, owning node) for every entry of ``nodes``' rows."""
        starts = self.indptr[nodes]
        counts = self.indptr[nodes + 1] - starts
        total = int(counts.sum())
        if total == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        return np.arange(total, dtype=np.int64) + offsets, np.repeat(nodes, counts)


def _distinct(nodes: Ints, claim: Marks) -> Ints:
    """``nodes`` without repeats, in linear time: each entry claims its node in ``claim`` (a
    scratch array as long as the index), and the last claimant stays. (``np.unique`` sorts,
    and its first call imports ``numpy.ma``: 25 ms of a query process.)"""
    slots = np.arange(len(nodes), dtype=claim.dtype)
    claim[nodes] = slots
    last: Ints = nodes[claim[nodes] == slots]
    return last


@dataclass(frozen=True)
class Search:
    """What a breadth-first search reached, valid inside :meth:`LineageIndex.searching`."""

    nodes: Ints
    """Reached models, level by level (the seeds first)."""
    depth: Ints
    """Their distance from the seeds."""
    dist: Marks
    """Per dense number of the whole index: distance + 1, 0 when not reached."""


class LineageIndex:
    """Models as dense numbers, and their derivations both ways."""

    def __init__(self, models: pa.Table, edges: pa.Table) -> None:
        """``models``: columns o (dense number), id, and where known author, downloads,
        ingested. ``edges``: columns child, parent (dense numbers), relation."""
        import pyarrow.compute as pc

        offsets = np.asarray(models.column("o").to_numpy(), dtype=np.int64)
        n = int(offsets.max()) + 1 if len(offsets) else 0
        encoded = pc.dictionary_encode(edges.column("relation")).combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        child = edges.column("child").to_numpy().astype(np.int64)
        parent = edges.column("parent").to_numpy().astype(np.int64)
        self._setup(
            ModelColumns.build(models, n),
            tuple(encoded.dictionary.to_pylist()),
            _CSR.build(n, child, parent, codes),
            _CSR.build(n, parent, child, codes),
        )

    def _setup(
        self,
        columns: ModelColumns,
        relations: tuple[str | None, ...],
        parents: _CSR,
        children: _CSR,
    ) -> None:
        self.columns = columns
        self.size = columns.size
        self.relations = relations
        """Relation names by code."""
        self.parents, self.children = parents, children
        self.edge_count = len(parents.indices)
        self.number: dict[str, int] = {}
        """Id -> dense number (filled by :meth:`from_pairs` only)."""
        self.uses: Ints | None = None
        """Per dense number, how many USES_MODEL edges lead to the model (applications
        loading it), when the store counted them with the index: what lets a saved index
        answer a blast radius without its store."""
        self._memo: dict[str, Any] = {}
        self._local = threading.local()

    def has_memo(self, key: str) -> bool:
        return key in self._memo

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """``build()``, computed once per index: structures derived from the same store
        state (e.g. an index of the applications) live and die with it."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]  # type: ignore[no-any-return]

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        """The numpy arrays that, with ``relations``, are the whole index (what
        :meth:`restore` takes back)."""
        out: dict[str, npt.NDArray[Any]] = {
            f"{d}.{part}": getattr(csr, part)
            for d, csr in (("parents", self.parents), ("children", self.children))
            for part in ("indptr", "indices", "relation")
        }
        out.update({f"columns.{k}": v for k, v in self.columns.arrays().items()})
        if self.uses is not None:
            out["uses"] = self.uses
        return out

    @classmethod
    def restore(
        cls, relations: Sequence[str | None], arrays: Mapping[str, npt.NDArray[Any]]
    ) -> LineageIndex:
        """An index from the parts :meth:`arrays` gave (memory-mapped ones, say), checked
        for consistency: a ValueError when they do not fit together."""
        prefix = "columns."
        n = len(arrays["parents.indptr"]) - 1
        columns = ModelColumns.from_arrays(
            {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}, n
        )
        parents, children = (
            _CSR(arrays[f"{d}.indptr"], arrays[f"{d}.indices"], arrays[f"{d}.relation"])
            for d in ("parents", "children")
        )
        index = cls.__new__(cls)
        index._setup(columns, tuple(relations), parents, children)
        m = index.edge_count
        csrs = index.csrs()
        fits = (
            all(a.dtype == np.int64 and a.ndim == 1 for c in csrs for a in vars(c).values())
            and all(len(c.indptr) == n + 1 and int(c.indptr[-1]) == m for c in csrs)
            and all(len(c.indices) == m and len(c.relation) == m for c in csrs)
            and (m == 0 or int(max(c.indices.max() for c in csrs)) < n)
            and (m == 0 or int(max(c.relation.max() for c in csrs)) < len(relations))
        )
        uses = arrays.get("uses")
        if uses is not None:
            fits = fits and uses.dtype == np.int64 and uses.shape == (n,)
            index.uses = uses
        if not fits:
            raise ValueError("the parts of the lineage index do not fit together")
        return index

    def csrs(self) -> tuple[_CSR, _CSR]:
        return self.parents, self.children

    @classmethod
    def from_pairs(cls, edges: Iterable[tuple[str, str]], ids: Iterable[str] = ()) -> LineageIndex:
        """An index over (child, parent) id pairs alone, plus any further ``ids`` (models
        without an edge): what whole-graph rankings traverse. Models carry no properties and
        every relation is the empty string."""
        import pyarrow as pa

        number: dict[str, int] = {}
        child: list[int] = []
        parent: list[int] = []
        for c, p in edges:
            parent.append(number.setdefault(p, len(number)))
            child.append(number.setdefault(c, len(number)))
        for i in ids:
            number.setdefault(i, len(number))
        models = pa.table(
            {
                "o": pa.array(np.arange(len(number), dtype=np.int64)),
                "id": pa.array(list(number), pa.string()),
            }
        )
        pairs = pa.table(
            {
                "child": pa.array(np.asarray(child, dtype=np.int64)),
                "parent": pa.array(np.asarray(parent, dtype=np.int64)),
                "relation": pa.array([""] * len(child), pa.string()),
            }
        )
        index = cls(models, pairs)
        index.number = number
        return index

    def children_lists(self) -> list[list[int]]:
        """Per dense number, its children's numbers (for algorithms written over lists)."""
        indptr, indices = self.children.indptr.tolist(), self.children.indices.tolist()
        return [indices[indptr[v] : indptr[v + 1]] for v in range(self.size)]

    def reach(self, seeds: Ints) -> int:
        """How many models are reachable from ``seeds`` going down, the seeds included."""
        with self.searching(seeds, "down") as found:
            return len(found.nodes)

    def bfs(self, seeds: Ints, direction: str) -> tuple[Ints, Ints]:
        """(reached nodes in number order, their depth): multi-source shortest distance,
        seeds at 0."""
        with self.searching(seeds, direction) as found:
            order = np.argsort(found.nodes)
            return found.nodes[order], found.depth[order]

    def _scratch(self) -> tuple[Marks, Marks]:
        """This thread's (dist, claim) arrays, allocated once: ``dist`` is all zeros
        between searches (each search resets what it marked)."""
        local = self._local
        if getattr(local, "busy", False):  # a search inside a search: its own arrays
            return np.zeros(self.size, dtype=np.int32), np.empty(self.size, dtype=np.int32)
        if getattr(local, "arrays", None) is None:  # int32: half the cache lines of int64
            local.arrays = (
                np.zeros(self.size, dtype=np.int32),
                np.empty(self.size, dtype=np.int32),
            )
        local.busy = True
        return local.arrays  # type: ignore[no-any-return]

    @contextmanager
    def searching(self, seeds: Ints, direction: str) -> Iterator[Search]:
        """A breadth-first search from ``seeds`` (``down``: children, ``up``: parents);
        its ``dist`` is scratch, valid until the block ends."""
        dist, claim = self._scratch()
        try:
            try:
                nodes, depth = self._walk(seeds, direction, dist, claim)
            except BaseException:
                dist.fill(0)  # interrupted halfway: which marks were set is not known
                raise
            try:
                yield Search(nodes, depth, dist)
            finally:
                dist[nodes] = 0
        finally:
            if dist is getattr(self._local, "arrays", (None,))[0]:
                self._local.busy = False

    def _walk(self, seeds: Ints, direction: str, dist: Marks, claim: Marks) -> tuple[Ints, Ints]:
        csr = self.children if direction == "down" else self.parents
        frontier = _distinct(np.asarray(seeds, dtype=np.int64), claim)
        dist[frontier] = 1
        levels = [frontier]
        level = 1
        if frontier.size <= SMALL_FRONTIER:
            frontier, level = self._walk_small(csr, frontier, dist, levels)
        while frontier.size:
            positions, _ = csr.gather(frontier)
            nxt = csr.indices[positions]
            nxt = _distinct(nxt[dist[nxt] == 0], claim)
            level += 1
            dist[nxt] = level
            levels.append(nxt)
            frontier = nxt
        nodes = np.concatenate(levels) if len(levels) > 1 else levels[0]
        return nodes, (dist[nodes] - 1).astype(np.int64)

    @staticmethod
    def _walk_small(csr: _CSR, frontier: Ints, dist: Marks, levels: list[Ints]) -> tuple[Ints, int]:
        """Levels in plain Python while the frontier stays small; the frontier left (empty
        when the search is done) and its level."""
        indptr, indices = csr.indptr, csr.indices
        seen = set(frontier.tolist())
        front = frontier.tolist()
        level = 1
        while front:
            rows = [(int(indptr[v]), int(indptr[v + 1])) for v in front]
            if sum(end - start for start, end in rows) > SMALL_FRONTIER:
                break  # a wide level: numpy from here
            nxt: list[int] = []
            for start, end in rows:
                for w in indices[start:end].tolist():
                    if w not in seen:
                        seen.add(w)
                        nxt.append(w)
            if not nxt:
                return np.zeros(0, dtype=np.int64), level
            level += 1
            found = np.array(nxt, dtype=np.int64)
            dist[found] = level
            levels.append(found)
            front = nxt
        return levels[-1], level

    def out_edges(self, nodes: Ints) -> tuple[Ints, Ints, pa.Array]:
        """(child, parent, relation) of every DERIVED_FROM edge out of ``nodes``."""
        import pyarrow as pa

        positions, owners = self.parents.gather(nodes)
        codes = self.parents.relation[positions]
        names = self.memo("relations", lambda: pa.array(list(self.relations), pa.string()))
        return owners, self.parents.indices[positions], names.take(pa.array(codes))

    def id_array(self) -> pa.Array:
        """Every model's id by dense number, as one Arrow array (empty for a number without
        a model)."""
        return self.memo("ids", self.columns.ids.to_arrow)

    def rows(self, nodes: Ints) -> pa.Table:
        """Columns id, author, downloads, ingested of the given numbered models, in order."""
        import pyarrow as pa

        c = self.columns
        ingested, owner = c.ingested[nodes], c.owner[nodes]
        return pa.table(
            {
                "id": self.ids(nodes),
                "author": c.owners.arrow.take(pa.array(owner, mask=owner < 0)).cast(pa.string()),
                "downloads": pa.array(c.downloads[nodes], mask=~c.downloads_known[nodes]),
                "ingested": pa.array(ingested == 1, mask=ingested < 0),
            }
        )

    def ids(self, nodes: Ints) -> pa.Array:
        import pyarrow as pa

        return self.id_array().take(pa.array(nodes, pa.int64()))

    def numbers(self, ids: pa.Array) -> Ints:
        """Dense numbers of the given ids; unknown ones are left out (one hash join)."""
        import pyarrow.compute as pc

        found = pc.index_in(ids, value_set=self.id_array()).drop_null().to_numpy()
        numbers = np.asarray(found, dtype=np.int64)
        kept: Ints = numbers[self.columns.rank[numbers] >= 0]
        return kept

    def cyclic_core(self) -> tuple[pa.Array, pa.Array]:
        """(child ids, parent ids) of the edges that can lie on a cycle.

        Peels, level by level, every model without a parent or without a child among the
        models left: what survives is the union of the cycles plus the paths between
        them, usually nothing or a handful, for an exact search in Python.
        """
        child = np.repeat(np.arange(self.size, dtype=np.int64), np.diff(self.parents.indptr))
        live = cyclic_edges(child, self.parents.indices, self.size)
        parent = self.parents.indices
        return self.ids(child[live]), self.ids(parent[live])
