"""Derivation edges as compressed sparse rows, for traversals at memory speed.

A store builds one from two column scans (models, DERIVED_FROM edges) and keeps it until
its next write. Breadth-first search then runs a few vectorised numpy steps per level, so
a hub with tens of thousands of descendants expands in milliseconds, with no hop limit and
no path enumeration; cycles stop because each model is visited once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Ints = npt.NDArray[np.int64]
T = TypeVar("T")


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


def _distinct(nodes: Ints, claim: Ints) -> Ints:
    """``nodes`` without repeats, in linear time: each entry claims its node in ``claim`` (a
    scratch array as long as the index), and the last claimant stays. (``np.unique`` sorts,
    and its first call imports ``numpy.ma``: 25 ms of a query process.)"""
    slots = np.arange(len(nodes), dtype=np.int64)
    claim[nodes] = slots
    last: Ints = nodes[claim[nodes] == slots]
    return last


class LineageIndex:
    """Models as dense numbers, and their derivations both ways."""

    def __init__(self, models: pa.Table, edges: pa.Table) -> None:
        """``models``: columns o (dense number), id, author, downloads, ingested.
        ``edges``: columns child, parent (dense numbers), relation."""
        offsets = np.asarray(models.column("o").to_numpy(), dtype=np.int64)
        n = int(offsets.max()) + 1 if len(offsets) else 0
        self.size = n
        self.models = models.combine_chunks()
        """The scan as it came (a parallel scan need not be in number order), in one chunk
        so that taking a few rows does not walk thousands of chunks."""
        self.offsets = offsets
        """Row -> dense number."""
        self.row = np.full(n, -1, dtype=np.int64)
        """Dense number -> row of ``models``."""
        self.row[offsets] = np.arange(len(offsets), dtype=np.int64)
        encoded = pc.dictionary_encode(edges.column("relation")).combine_chunks()
        self.relations = encoded.dictionary
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        child = edges.column("child").to_numpy().astype(np.int64)
        parent = edges.column("parent").to_numpy().astype(np.int64)
        self.edge_count = len(child)
        self.parents = _CSR.build(n, child, parent, codes)
        self.children = _CSR.build(n, parent, child, codes)
        self.number: dict[str, int] = {}
        """Id -> dense number (filled by :meth:`from_pairs` only)."""
        self._memo: dict[str, Any] = {}

    def has_memo(self, key: str) -> bool:
        return key in self._memo

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """``build()``, computed once per index: structures derived from the same store
        state (e.g. an index of the applications) live and die with it."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]  # type: ignore[no-any-return]

    def arrays(self) -> dict[str, Ints]:
        """The numpy arrays that, with ``models`` and ``relations``, are the whole index
        (what :meth:`restore` takes back)."""
        return {
            "offsets": self.offsets,
            "row": self.row,
            "parents.indptr": self.parents.indptr,
            "parents.indices": self.parents.indices,
            "parents.relation": self.parents.relation,
            "children.indptr": self.children.indptr,
            "children.indices": self.children.indices,
            "children.relation": self.children.relation,
        }

    @classmethod
    def restore(
        cls, models: pa.Table, relations: pa.Array, arrays: Mapping[str, Ints]
    ) -> LineageIndex:
        """An index from the parts :meth:`arrays` gave (memory-mapped ones, say), checked
        for consistency: a ValueError when they do not fit together."""
        index = cls.__new__(cls)
        index.models, index.relations = models, relations
        index.offsets, index.row = arrays["offsets"], arrays["row"]
        index.size = len(index.row)
        index.parents, index.children = (
            _CSR(arrays[f"{d}.indptr"], arrays[f"{d}.indices"], arrays[f"{d}.relation"])
            for d in ("parents", "children")
        )
        index.edge_count = len(index.parents.indices)
        index.number = {}
        index._memo = {}
        n, m = index.size, index.edge_count
        fits = (
            len(index.offsets) == models.num_rows
            and all(a.dtype == np.int64 and a.ndim == 1 for a in arrays.values())
            and all(len(c.indptr) == n + 1 and int(c.indptr[-1]) == m for c in index.csrs())
            and all(len(c.indices) == m and len(c.relation) == m for c in index.csrs())
            and (m == 0 or int(max(c.indices.max() for c in index.csrs())) < n)
            and (m == 0 or int(max(c.relation.max() for c in index.csrs())) < len(relations))
            and (n == 0 or int(index.offsets.max()) < n)
        )
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
        return len(self.bfs(seeds, "down")[0])

    def bfs(self, seeds: Ints, direction: str) -> tuple[Ints, Ints]:
        """(reached nodes, their depth): multi-source shortest distance, seeds at 0."""
        reached, depth, _ = self.search(seeds, direction)
        return reached, depth

    def search(self, seeds: Ints, direction: str) -> tuple[Ints, Ints, Ints]:
        """(reached nodes in number order, their depth, and per dense number of the whole
        index its depth + 1, 0 when not reached).

        Work in proportion to what is reached: the per-number array starts as zeroed memory
        the system hands out lazily, and the reached set is the union of the frontiers.
        """
        csr = self.children if direction == "down" else self.parents
        dist = np.zeros(self.size, dtype=np.int64)
        claim = np.empty(self.size, dtype=np.int64)
        frontier = _distinct(np.asarray(seeds, dtype=np.int64), claim)
        dist[frontier] = 1
        levels = [frontier]
        level = 1
        while frontier.size:
            positions, _ = csr.gather(frontier)
            nxt = csr.indices[positions]
            nxt = _distinct(nxt[dist[nxt] == 0], claim)
            level += 1
            dist[nxt] = level
            levels.append(nxt)
            frontier = nxt
        reached = np.sort(np.concatenate(levels))
        return reached, dist[reached] - 1, dist

    def out_edges(self, nodes: Ints) -> tuple[Ints, Ints, pa.Array]:
        """(child, parent, relation) of every DERIVED_FROM edge out of ``nodes``."""
        positions, owners = self.parents.gather(nodes)
        codes = self.parents.relation[positions]
        return owners, self.parents.indices[positions], self.relations.take(pa.array(codes))

    def rows(self, nodes: Ints) -> pa.Table:
        """The scanned properties of the given numbered models, in that order."""
        return self.models.take(pa.array(self.row[nodes]))

    def ids(self, nodes: Ints) -> pa.Array:
        return self.models.column("id").take(pa.array(self.row[nodes])).combine_chunks()

    def cyclic_core(self) -> tuple[pa.Array, pa.Array]:
        """(child ids, parent ids) of the edges that can lie on a cycle.

        Peels, level by level, every model without a parent or without a child among the
        models left: what survives is the union of the cycles plus the paths between
        them, usually nothing or a handful, for an exact search in Python.
        """
        child = np.repeat(np.arange(self.size, dtype=np.int64), np.diff(self.parents.indptr))
        parent = self.parents.indices
        alive = np.ones(self.size, dtype=bool)
        while True:
            live = alive[child] & alive[parent]
            has_parent = np.bincount(child[live], minlength=self.size) > 0
            has_child = np.bincount(parent[live], minlength=self.size) > 0
            still = alive & has_parent & has_child
            if np.array_equal(still, alive):
                break
            alive = still
        live = alive[child] & alive[parent]
        return self.ids(child[live]), self.ids(parent[live])
