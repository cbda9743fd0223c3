"""Lineage and blast-radius answers gathered as columns straight from the lineage index.

The same answers as composing :meth:`GraphStore.expand` (see :mod:`mlsc.queries.core`), for
stores that keep a :class:`~mlsc.graph.lineage_index.LineageIndex` in memory: the search,
the hop that reached each model and the ordering are integer work in numpy on the index's
dense numbers; model ids are compared as text once (to rank the reached models for the
tie-breaks), and strings are only gathered by index into the answer's Arrow columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlsc.graph.lineage_index import Ints, LineageIndex

Direction = Literal["down", "up"]


@dataclass(frozen=True)
class Reached:
    """Models reached from seeds in one direction, in answer order (depth, downloads most
    first, id), with the hop that reached each on a shortest path."""

    index: LineageIndex
    nodes: Ints
    """Dense numbers, in answer order."""
    table: pa.Table
    """id, depth, author, downloads, ingested, via, relation: one row per node, same order."""
    dist: Ints
    """Per dense number of the whole index: distance from the seeds + 1, 0 when not reached."""

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
    nodes, depth, dist = index.search(seeds, direction)
    n = nodes.size
    ids = index.models.column("id").take(pa.array(index.row[nodes])).combine_chunks()
    rank = np.empty(n, dtype=np.int64)  # position of each id in sorted order
    rank[pc.sort_indices(ids).to_numpy()] = np.arange(n, dtype=np.int64)
    # the hop: among the neighbours one level nearer the seeds, the one with the smallest id
    # (going down a model is reached from a parent, going up from a child)
    csr = index.parents if direction == "down" else index.children
    inner = np.nonzero(depth > 0)[0]
    positions, owner = csr.gather(nodes[inner])
    owner_local = np.repeat(inner, csr.indptr[nodes[inner] + 1] - csr.indptr[nodes[inner]])
    near = csr.indices[positions]
    ok = dist[near] == dist[owner] - 1
    positions, owner_local, near = positions[ok], owner_local[ok], near[ok]
    near_local = np.searchsorted(nodes, near)
    order = np.lexsort((rank[near_local], owner_local))
    if order.size:
        first = order[np.r_[True, owner_local[order][1:] != owner_local[order][:-1]]]
    else:
        first = order
    via = np.full(n, -1, dtype=np.int64)
    code = np.full(n, -1, dtype=np.int64)
    via[owner_local[first]] = near_local[first]
    code[owner_local[first]] = csr.relation[positions[first]]
    downloads = index.models.column("downloads").take(pa.array(index.row[nodes]))
    rows = np.lexsort((rank, -pc.fill_null(downloads, 0).to_numpy(), depth))
    # one take per column, in answer order
    via, code = via[rows], code[rows]
    has_hop = via >= 0
    table = (
        index.models.take(pa.array(index.row[nodes[rows]]))
        .drop_columns(["o"])
        .add_column(1, "depth", pa.array(depth[rows], pa.int64()))
        .append_column("via", ids.take(pa.array(via, mask=~has_hop)))
        .append_column("relation", index.relations.take(pa.array(code, mask=~has_hop)))
    )
    return Reached(index, nodes[rows], table, dist)


def triples(index: LineageIndex, child: Ints, parent: Ints, positions: Ints) -> list[pa.Array]:
    """Columns child id, parent id, relation of the given edges."""
    ids = index.models.column("id")
    return [
        ids.take(pa.array(index.row[child])).combine_chunks(),
        ids.take(pa.array(index.row[parent])).combine_chunks(),
        index.relations.take(pa.array(index.parents.relation[positions])),
    ]
