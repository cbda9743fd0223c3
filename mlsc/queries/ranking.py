"""Exact top-k rankings by reach over the whole graph.

Package reach (distinct descendants) of every model would cost a traversal per model. We
rank with upper bounds instead: on the graph of strongly connected components, a model's
reach is at most the sum over its children of (1 + their bound). Candidates are evaluated
exactly in decreasing bound order until the k-th exact reach beats every remaining bound, so
the ranking is exact while only a handful of traversals run.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable

from mlsc.graph.algorithms import strongly_connected
from mlsc.graph.store import GraphStore
from mlsc.queries.results import Ranked


class _Graph:
    """Children lists over integer ids, built once from the store's edge list."""

    def __init__(self, edges: Iterable[tuple[str, str]]) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []
        self.children: list[list[int]] = []
        for child, parent in edges:
            self.children[self.id(parent)].append(self.id(child))

    def id(self, name: str) -> int:
        i = self.index.get(name)
        if i is None:
            i = self.index[name] = len(self.names)
            self.names.append(name)
            self.children.append([])
        return i

    def reach(self, seeds: Iterable[int]) -> set[int]:
        """Every node reachable from ``seeds`` by one hop or more, plus the seeds."""
        seen = set(seeds)
        queue = deque(seen)
        children = self.children
        while queue:
            for c in children[queue.popleft()]:
                if c not in seen:
                    seen.add(c)
                    queue.append(c)
        return seen

    def descendants(self, node: int) -> int:
        """Distinct models downstream of ``node``, never counting itself (even on a cycle)."""
        seen: set[int] = set()
        queue = deque(self.children[node])
        while queue:
            c = queue.popleft()
            if c not in seen:
                seen.add(c)
                queue.extend(self.children[c])
        seen.discard(node)
        return len(seen)

    def upper_bounds(self) -> list[int]:
        """Per node, an upper bound of its descendant count (exact on trees)."""
        n = len(self.names)
        comp, order = strongly_connected(self.children)
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
                for w in self.children[v]:
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
    g = _Graph(store.derivation_edges())
    bounds = g.upper_bounds()

    class _Lazy(dict[str, int]):
        def __missing__(self, name: str) -> int:
            value = self[name] = g.descendants(g.index[name])
            return value

    lazy = _Lazy()
    candidates = [
        (-bounds[i], g.names[i], len(g.children[i])) for i in range(len(g.names)) if bounds[i]
    ]
    evaluated = _top(candidates, k, lazy)
    rows = [Ranked(n, lazy[n], len(g.children[g.index[n]])) for n in evaluated]
    rows.sort(key=lambda r: (-r.reach, r.id))
    return rows[:k]


def top_actors(store: GraphStore, k: int = 20) -> list[Ranked]:
    """The ``k`` actors with the largest maintainer reach (controlled ∪ downstream)."""
    g = _Graph(store.derivation_edges())
    owned: dict[str, set[int]] = {}
    for actor, model in store.ownership_edges():
        owned.setdefault(actor, set()).add(g.id(model))
    for member, org in store.membership_edges():
        owned.setdefault(member, set()).update(owned.get(org, set()))
    bounds = g.upper_bounds() if g.names else []
    bounds += [0] * (len(g.names) - len(bounds))
    n = len(g.names)

    class _Lazy(dict[str, int]):
        def __missing__(self, actor: str) -> int:
            value = self[actor] = len(g.reach(owned[actor]))
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
