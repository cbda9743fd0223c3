"""Small graph algorithms over plain edge lists, shared by ingestion and queries."""

from __future__ import annotations

from collections.abc import Iterable


def strongly_connected(children: list[list[int]]) -> tuple[list[int], list[int]]:
    """Tarjan's algorithm, iterative (no recursion limit on 40-hop chains or longer).

    Returns the component of each node and the component ids in the order Tarjan emits
    them, which is children first: a component comes after every component it reaches.
    """
    n = len(children)
    comp = [-1] * n
    low = [0] * n
    order = [-1] * n
    on_stack = [False] * n
    stack: list[int] = []
    emitted: list[int] = []
    counter = 0
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
            if i < len(children[v]):
                work[-1] = (v, i + 1)
                w = children[v][i]
                if order[w] == -1:
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], order[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == order[v]:
                cid = len(emitted)
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = cid
                    if w == v:
                        break
                emitted.append(cid)
    return comp, emitted


def cycles(edges: Iterable[tuple[str, str]]) -> list[tuple[str, ...]]:
    """Strongly connected components with more than one node: the lineage cycles.

    Each cycle is returned sorted, and the list is sorted, so results are stable.
    """
    index: dict[str, int] = {}
    adj: list[list[int]] = []
    for a, b in edges:
        for name in (a, b):
            if name not in index:
                index[name] = len(adj)
                adj.append([])
        adj[index[a]].append(index[b])
    comp, _ = strongly_connected(adj)
    members: dict[int, list[str]] = {}
    for name, i in index.items():
        members.setdefault(comp[i], []).append(name)
    return sorted(tuple(sorted(m)) for m in members.values() if len(m) > 1)
