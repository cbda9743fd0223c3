"""Small graph algorithms over plain edge lists, shared by ingestion and queries."""

from __future__ import annotations

from collections.abc import Iterable


def cycles(edges: Iterable[tuple[str, str]]) -> list[tuple[str, ...]]:
    """Strongly connected components with more than one node: the lineage cycles.

    Iterative Tarjan over integer ids, so a million edges take seconds, not a recursion
    error. Each cycle is returned sorted, and the list is sorted, so results are stable.
    """
    index: dict[str, int] = {}
    names: list[str] = []
    adj: list[list[int]] = []

    def vid(name: str) -> int:
        i = index.get(name)
        if i is None:
            i = index[name] = len(names)
            names.append(name)
            adj.append([])
        return i

    for a, b in edges:
        adj[vid(a)].append(vid(b))

    n = len(names)
    low = [0] * n
    order = [-1] * n
    on_stack = [False] * n
    stack: list[int] = []
    counter = 0
    found: list[tuple[str, ...]] = []
    for root in range(n):
        if order[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            v, i = work[-1]
            if i == 0:
                order[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack[v] = True
            if i < len(adj[v]):
                work[-1] = (v, i + 1)
                w = adj[v][i]
                if order[w] == -1:
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], order[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == order[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    component.append(names[w])
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(tuple(sorted(component)))
    return sorted(found)
