"""Exact reach of every model at once, against networkx, on graphs with merges and cycles."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from mlsc.graph import reach_counts
from mlsc.graph.reach_counts import Adjacency, descendant_counts


def _graph(seed: int, n: int, cycles: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    edges = set()
    for child in range(1, n):
        for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
            edges.add((child, rng.randrange(child)))
    for _ in range(cycles):  # back edges: parent later than child
        a, b = sorted(rng.sample(range(n), 2))
        edges.add((a, b))
    if cycles:
        edges.add((5, 5))  # a self-loop never counts the model itself
    return sorted(edges)


@pytest.mark.parametrize(("seed", "cycles"), [(0, 0), (1, 0), (2, 3), (3, 12)])
def test_descendant_counts_equal_networkx(
    seed: int, cycles: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reach_counts, "BLOCK_PAIRS", 64 * 7)  # several closure blocks
    n = 300
    edges = _graph(seed, n, cycles)
    child = np.array([c for c, _ in edges], dtype=np.int64)
    parent = np.array([p for _, p in edges], dtype=np.int64)
    counts = descendant_counts(Adjacency(n, child, parent))
    g: nx.DiGraph[int] = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from((p, c) for c, p in edges)
    assert counts.tolist() == [len(nx.descendants(g, v) - {v}) for v in range(n)]


def test_reach_counts_the_seeds_once() -> None:
    g = Adjacency(4, np.array([1, 2, 3, 3]), np.array([0, 0, 1, 2]))
    assert g.reach(np.array([0])) == 4
    assert g.reach(np.array([1, 2])) == 3


def test_unique_sorts_and_drops_repeats() -> None:
    values = np.array([5, 1, 5, 3, 1, 9], dtype=np.int64)
    assert reach_counts.unique(values).tolist() == [1, 3, 5, 9]
    assert reach_counts.unique(np.array([7], dtype=np.int64)).tolist() == [7]
    assert reach_counts.unique(np.zeros(0, dtype=np.int64)).tolist() == []
