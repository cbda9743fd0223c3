"""Exact top-k rankings by reach over the whole graph.

Package reach (distinct descendants) of every model is computed exactly, all at once, in
numpy over compressed sparse rows of the derivation edges as the store numbers them
(:meth:`GraphStore.edge_numbers`, :func:`~mlsc.graph.reach_counts.descendant_counts`): no
Python graph, no traversal per model, and names only for the rows shown. Maintainer reach
(owned models and everything downstream of them, distinct) is bounded above by the owned
models plus the sum of their exact reaches; actors are evaluated exactly, by a breadth-first
search from their models, in decreasing bound order until the k-th exact reach beats every
remaining bound, so the ranking is exact while only a handful of searches run.
"""

from __future__ import annotations

import heapq

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlsc.graph.reach_counts import Adjacency, Ints, descendant_counts
from mlsc.graph.store import GraphStore
from mlsc.queries.results import Ranked


def _models(
    store: GraphStore, extra: Ints | None = None, numbered_as: pa.Array | None = None
) -> tuple[Adjacency, pa.Array | None]:
    """The derivations as numbered edges, from the store's lineage index when it keeps one
    (and then the model ids by number too), else from one scan of the edges. With
    ``numbered_as`` (the store's model keys by number, as :meth:`GraphStore.edge_numbers`
    numbers them) the index serves only when it numbers the models the same way: Neo4j's
    index in the client numbers them otherwise."""
    indexed = store.indexed([])
    if indexed is not None and (numbered_as is None or indexed[0].id_array().equals(numbered_as)):
        index = indexed[0]
        child = np.repeat(np.arange(index.size, dtype=np.int64), np.diff(index.parents.indptr))
        parent = np.asarray(index.parents.indices, dtype=np.int64)
        return Adjacency(index.size, child, parent), index.id_array()
    child, parent = store.edge_numbers("DERIVED_FROM", "Model", "Model")
    top = max([int(a.max()) for a in (child, parent, extra) if a is not None and a.size] or [-1])
    return Adjacency(top + 1, child, parent), None


def top_models(store: GraphStore, k: int = 20) -> list[Ranked]:
    """The ``k`` models with the most distinct descendants (package reach)."""
    g, model_ids = _models(store)
    reach = descendant_counts(g)
    direct = np.diff(g.down_ptr)
    live = np.nonzero(reach > 0)[0]
    if k <= 0 or not live.size:
        return []
    cut = np.sort(reach[live])[-min(k, len(live))]
    chosen = live[reach[live] >= cut]
    if model_ids is None:
        model_ids = store.node_keys("Model")
    ids = model_ids.take(pa.array(chosen)).to_pylist()
    rows = [Ranked(i, int(reach[c]), int(direct[c])) for i, c in zip(ids, chosen, strict=True)]
    rows.sort(key=lambda r: (-r.reach, r.id))
    return rows[:k]


def top_actors(store: GraphStore, k: int = 20) -> list[Ranked]:
    """The ``k`` actors with the largest maintainer reach (controlled ∪ downstream)."""
    actor, model = store.edge_numbers("OWNS", "Actor", "Model")
    g, _ = _models(store, model, numbered_as=store.node_keys("Model"))
    reach = descendant_counts(g)
    names = store.node_keys("Actor")
    owned = _owned(store, names, actor, model)
    n = g.n
    actors = [a for a, models in owned.items() if models.size]
    sizes = np.asarray([owned[a].size for a in actors], dtype=np.int64)
    bounds: list[int] = []
    if actors:  # owned models plus the sum of their reaches, summed per actor at once
        summed = reach[np.concatenate([owned[a] for a in actors])]
        starts = np.cumsum(sizes) - sizes
        bounds = np.minimum(n, sizes + np.add.reduceat(summed, starts)).tolist()
    candidates = list(zip([-b for b in bounds], actors, sizes.tolist(), strict=True))
    heapq.heapify(candidates)
    exact: dict[int, int] = {}
    best: list[int] = []  # min-heap of exact reaches, the k largest
    while candidates:
        neg_bound, a, _ = candidates[0]
        if len(best) >= k and best[0] > -neg_bound:
            break
        heapq.heappop(candidates)
        exact[a] = g.reach(owned[a])
        heapq.heappush(best, exact[a])
        if len(best) > k:
            heapq.heappop(best)
    ids = names.take(pa.array(list(exact), pa.int64())).to_pylist()
    rows = [Ranked(i, r, int(owned[a].size)) for i, (a, r) in zip(ids, exact.items(), strict=True)]
    rows.sort(key=lambda r: (-r.reach, r.id))
    return rows[:k]


def _owned(store: GraphStore, names: pa.Array, actor: Ints, model: Ints) -> dict[int, Ints]:
    """Actor number -> the distinct numbers of the models it owns, plus (for a member) those
    its organisations own, taken in the order the membership edges come."""
    order = np.lexsort((model, actor))
    actor, model = actor[order], model[order]
    keep = np.ones(len(actor), dtype=bool)
    keep[1:] = (actor[1:] != actor[:-1]) | (model[1:] != model[:-1])
    actor, model = actor[keep], model[keep]
    starts = np.flatnonzero(np.r_[True, actor[1:] != actor[:-1]]) if actor.size else actor
    ends = np.r_[starts[1:], len(actor)]
    owned = {int(actor[s]): model[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)}
    members = list(store.membership_edges())
    if members:
        found = pc.index_in(pa.array([x for edge in members for x in edge], pa.string()), names)
        numbers = found.to_pylist()
        empty = np.zeros(0, dtype=np.int64)
        for member, org in zip(numbers[::2], numbers[1::2], strict=True):
            if member is not None:
                owned[member] = np.union1d(owned.get(member, empty), owned.get(org, empty))
    return owned
