"""Exact top-k rankings by reach over the whole graph.

Package reach (distinct descendants) of every model would cost a traversal per model. We
rank with upper bounds instead: on the graph of strongly connected components, a model's
reach is at most the sum over its children of (1 + their bound). Candidates are evaluated
exactly in decreasing bound order until the k-th exact reach beats every remaining bound, so
the ranking is exact while only a handful of traversals run, each a breadth-first search on
the lineage index (:class:`~mlsc.graph.lineage_index.LineageIndex`), the one traversal every
query uses.
"""

from __future__ import annotations

import heapq

import numpy as np

from mlsc.graph.algorithms import strongly_connected
from mlsc.graph.lineage_index import LineageIndex
from mlsc.graph.store import GraphStore
from mlsc.queries.results import Ranked


def _upper_bounds(index: LineageIndex) -> list[int]:
    """Per dense number, an upper bound of its descendant count (exact on trees)."""
    n = index.size
    children = index.children_lists()
    comp, order = strongly_connected(children)
    size = [0] * (max(comp, default=-1) + 1)
    for c in comp:
        size[c] += 1
    bound_c = [0] * len(size)
    members: list[list[int]] = [[] for _ in size]
    for v, c in enumerate(comp):
        members[c].append(v)
    # Tarjan emits components children-first, so one pass in that order is enough.
    for c in order:
        total = size[c] - 1
        seen_children: set[int] = set()
        for v in members[c]:
            for w in children[v]:
                cw = comp[w]
                if cw != c and cw not in seen_children:
                    seen_children.add(cw)
                    total += size[cw] + bound_c[cw]
        bound_c[c] = min(total, n)
    return [bound_c[comp[v]] for v in range(n)]


def _top(candidates: list[tuple[int, str, int]], k: int, exact: dict[str, int]) -> list[str]:
    """Pop candidates (-bound, name, direct) until the k-th exact value beats every bound."""
    heapq.heapify(candidates)
    best: list[tuple[int, str]] = []  # min-heap of (reach, negated order key)
    done: list[str] = []
    while candidates:
        neg_bound, name, _ = candidates[0]
        if len(best) >= k and best[0][0] > -neg_bound:
            break
        heapq.heappop(candidates)
        done.append(name)
        heapq.heappush(best, (exact[name], name))
        if len(best) > k:
            heapq.heappop(best)
    return done


def top_models(store: GraphStore, k: int = 20) -> list[Ranked]:
    """The ``k`` models with the most distinct descendants (package reach)."""
    g = LineageIndex.from_pairs(store.derivation_edges())
    bounds = _upper_bounds(g)
    names = list(g.number)
    direct = np.diff(g.children.indptr)

    class _Lazy(dict[str, int]):
        def __missing__(self, name: str) -> int:
            # distinct models downstream, never counting the model itself (even on a cycle)
            value = self[name] = g.reach(np.array([g.number[name]], dtype=np.int64)) - 1
            return value

    lazy = _Lazy()
    candidates = [(-bounds[i], names[i], int(direct[i])) for i in range(len(names)) if bounds[i]]
    evaluated = _top(candidates, k, lazy)
    rows = [Ranked(n, lazy[n], int(direct[g.number[n]])) for n in evaluated]
    rows.sort(key=lambda r: (-r.reach, r.id))
    return rows[:k]


def top_actors(store: GraphStore, k: int = 20) -> list[Ranked]:
    """The ``k`` actors with the largest maintainer reach (controlled ∪ downstream)."""
    ownership = list(store.ownership_edges())
    g = LineageIndex.from_pairs(store.derivation_edges(), (model for _, model in ownership))
    owned: dict[str, set[int]] = {}
    for actor, model in ownership:
        owned.setdefault(actor, set()).add(g.number[model])
    for member, org in store.membership_edges():
        owned.setdefault(member, set()).update(owned.get(org, set()))
    bounds = _upper_bounds(g)
    n = g.size

    class _Lazy(dict[str, int]):
        def __missing__(self, actor: str) -> int:
            value = self[actor] = g.reach(np.fromiter(owned[actor], dtype=np.int64))
            return value

    lazy = _Lazy()
    candidates = [
        (-min(n, sum(1 + bounds[m] for m in models)), actor, len(models))
        for actor, models in owned.items()
        if models
    ]
    evaluated = _top(candidates, k, lazy)
    rows = [Ranked(a, lazy[a], len(owned[a])) for a in evaluated]
    rows.sort(key=lambda r: (-r.reach, r.id))
    return rows[:k]
