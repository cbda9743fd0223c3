"""Lineage and blast-radius answers gathered as columns straight from the lineage index.

The same answers as composing :meth:`GraphStore.expand` (see :mod:`mlsc.queries.core`), for
stores that keep a :class:`~mlsc.graph.lineage_index.LineageIndex` in memory: the search,
the hop that reached each model and the ordering are integer work in numpy on the index's
dense numbers and its per-model columns (:class:`~mlsc.graph.model_columns.ModelColumns`:
the id's rank, the answer order, owner, downloads); text (ids, owner and relation names) is
made only for the rows someone reads, and totals are counted over integers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from mlsc.graph.lineage_index import LineageIndex
from mlsc.graph.model_columns import Ints
from mlsc.queries.results import Affected, Rows

if TYPE_CHECKING:
    import pyarrow as pa

Direction = Literal["down", "up"]


@dataclass(frozen=True)
class Reached:
    """Models reached from seeds in one direction, in answer order (depth, downloads most
    first, id), with the hop that reached each on a shortest path."""

    index: LineageIndex
    nodes: Ints
    """Dense numbers, in answer order."""
    depth: Ints
    via: Ints
    """Dense number of the neighbour one step nearer the seeds; -1 at depth 0."""
    code: Ints
    """Relation code of that hop (see ``index.relations``); -1 at depth 0."""

    def __len__(self) -> int:
        return len(self.nodes)

    def skip(self, first: int) -> Reached:
        """The same without its first ``first`` rows."""
        return Reached(
            self.index,
            self.nodes[first:],
            self.depth[first:],
            self.via[first:],
            self.code[first:],
        )

    def relation_names(self, codes: Ints) -> list[str | None]:
        names = (*self.index.relations, None)  # code -1: no hop
        return [names[c] for c in codes.tolist()]

    def column(self, name: str) -> list[Any]:
        """One column of the answer as a list: id, depth, relation, via, author (or owner),
        downloads, ingested."""
        c = self.index.columns
        make: dict[str, Callable[[], list[Any]]] = {
            "id": lambda: c.ids.take(self.nodes),
            "depth": lambda: self.depth.tolist(),
            "relation": lambda: self.relation_names(self.code),
            "via": lambda: c.ids.take_repeated(self.via),
            "author": self.authors,
            "owner": self.authors,
            "downloads": lambda: c.downloads_of(self.nodes),
            "ingested": lambda: c.ingested_of(self.nodes),
        }
        return make[name]()

    def columns(self, names: Sequence[str]) -> Callable[[], list[list[Any]]]:
        """A function making the named columns (for rows built when first read)."""
        return lambda: [self.column(n) for n in names]

    def by_depth(self) -> dict[int, int]:
        counts = np.bincount(self.depth) if self.depth.size else np.zeros(0, np.int64)
        return {int(d): int(counts[d]) for d in np.flatnonzero(counts).tolist()}

    def by_relation(self) -> dict[str, int]:
        hops = self.code[self.code >= 0]
        counts = np.bincount(hops, minlength=len(self.index.relations)).tolist()
        found = [(r, n) for r, n in zip(self.index.relations, counts, strict=True) if n]
        return {r: n for r, n in sorted((r, n) for r, n in found if r is not None)}

    @cached_property
    def owner_numbers(self) -> Ints:
        """The distinct owner numbers of the reached models, sorted (= sorted names)."""
        owner = self.index.columns.owner[self.nodes]
        seen = np.zeros(len(self.index.columns.owners) + 1, dtype=bool)
        seen[owner + 1] = True  # -1 (no author) lands on slot 0
        numbers: Ints = np.flatnonzero(seen[1:])
        return numbers

    @cached_property
    def owner_names(self) -> list[str | None]:
        """The names of :attr:`owner_numbers`, in their order (decoded once, for the list of
        owners and the author of each row alike)."""
        return self.index.columns.owners.take(self.owner_numbers)

    def authors(self) -> list[str | None]:
        """The author of each reached model, in order; None where it has none."""
        numbers, names = self.owner_numbers, [*self.owner_names, None]
        owner = self.index.columns.owner[self.nodes]
        at = np.where(owner < 0, len(numbers), np.searchsorted(numbers, owner))
        return [names[i] for i in at.tolist()]

    def downloads(self) -> int:
        return int(self.index.columns.downloads[self.nodes].sum())

    def out_edges_among(self, among: Ints) -> tuple[Ints, Ints, Ints]:
        """(child, parent, position in the parents' CSR) of every edge out of a reached
        model whose parent is in ``among`` (sorted dense numbers), in the order
        :meth:`LineageIndex.out_edges` lists them for the reached models by number."""
        csr = self.index.parents
        positions, child = csr.gather(np.sort(self.nodes))
        parent = csr.indices[positions]
        keep = _isin_sorted(parent, among)
        return child[keep], parent[keep], positions[keep]


def _isin_sorted(values: Ints, sorted_set: Ints) -> npt.NDArray[np.bool_]:
    if not sorted_set.size:
        return np.zeros(values.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    found: npt.NDArray[np.bool_] = sorted_set[at] == values
    return found


def reach_columns(index: LineageIndex, seeds: Ints, direction: Direction) -> Reached:
    """Everything reachable from ``seeds`` (dense numbers), as :class:`Reached`."""
    rank, order = index.columns.rank, index.columns.order
    with index.searching(seeds, direction) as found:
        nodes, depth, dist = found.nodes, found.depth, found.dist
        # the hop: among the neighbours one level nearer the seeds, the one with the
        # smallest id (going down a model is reached from a parent, going up from a child)
        csr = index.parents if direction == "down" else index.children
        start = int(np.searchsorted(depth, 1))  # nodes come level by level
        inner = nodes[start:]
        first = csr.indptr[inner]
        counts = csr.indptr[inner + 1] - first  # at least 1: each was reached by an edge
        # with one neighbour that way, it is the hop; else the one with the smallest id
        # rank among those one level nearer
        hop = csr.indices[first]
        hop_code = csr.relation[first]
        multi = np.flatnonzero(counts > 1)
        if multi.size:
            firsts, many = first[multi], counts[multi]
            total = int(many.sum())
            starts = np.cumsum(many) - many
            entry = np.arange(total, dtype=np.int64)
            positions = entry + np.repeat(firsts - starts, many)
            near = csr.indices[positions]
            # one key per edge: the neighbour's id rank, then the edge, so that the minimum
            # of a model's keys names its hop; edges not from one level nearer never win
            key = rank[near] * total + entry
            key[dist[near] != np.repeat(depth[start:][multi], many)] = np.iinfo(np.int64).max
            best = np.minimum.reduceat(key, starts) % total
            hop[multi] = near[best]
            hop_code[multi] = csr.relation[positions[best]]
        via = np.full(len(nodes), -1, dtype=np.int64)
        code = np.full(len(nodes), -1, dtype=np.int64)
        via[start:] = hop
        code[start:] = hop_code
    rows = np.argsort(depth * max(index.size, 1) + order[nodes])  # unique keys
    return Reached(index, nodes[rows], depth[rows], via[rows], code[rows])


def triples(index: LineageIndex, child: Ints, parent: Ints, positions: Ints) -> list[list[Any]]:
    """Columns child id, parent id, relation of the given edges."""
    ids = index.columns.ids
    names = index.relations
    return [
        ids.take(child),
        ids.take(parent),
        [names[c] for c in index.parents.relation[positions].tolist()],
    ]


def triple(child: str, parent: str, relation: str) -> tuple[str, str, str]:
    return (child, parent, relation)


@dataclass(frozen=True)
class Downstream:
    """The parts of a blast radius that come from the models downstream of its seeds."""

    affected: Sequence[Affected]
    by_relation: dict[str, int]
    by_depth: dict[int, int]
    owners: Sequence[str]
    downloads: int
    edges: Sequence[tuple[str, str, str]]
    source: pa.Table | Reached
    """What the applications are looked up from."""


AFFECTED_COLUMNS = ("id", "depth", "relation", "via", "author", "downloads")
"""The columns of :class:`~mlsc.queries.results.Affected`, in its fields' order."""


def downstream(found: Reached) -> Downstream:
    """From the lineage index: totals counted over integer columns; text (rows, owner
    names, edges) made when first read."""
    index = found.index

    def edges() -> list[list[Any]]:
        return triples(index, *found.out_edges_among(np.sort(found.nodes)))

    return Downstream(
        affected=Rows(Affected, found.columns(AFFECTED_COLUMNS), len(found)),
        by_relation=found.by_relation(),
        by_depth=found.by_depth(),
        owners=Rows(str, lambda: [found.owner_names], len(found.owner_numbers)),
        downloads=found.downloads(),
        edges=Rows(triple, edges),
        source=found,
    )
