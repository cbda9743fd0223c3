"""Exact reach (distinct descendants) of every model at once, in numpy.

A sum over children counts a model twice when two paths lead to it, so it is exact only
where every path is unique. We split the models in two:

* *tree* models: reached from a parentless model through models with exactly one parent.
  Each has a single path up, so the tree models below a model are counted exactly by
  summing over children, level by level from the deepest;
* every other model (a merge, anything below a merge, anything on or below a cycle): for
  each, its distinct ancestors by a breadth-first closure over (model, ancestor) pairs with
  duplicates removed, so it counts once for each of its ancestors.

A model's reach is the sum of both parts, never counting itself (even on a cycle). The
closure runs in blocks of models, so memory stays bounded on merge-heavy graphs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
BLOCK_PAIRS = 4_000_000
"""About how many (model, ancestor) pairs one block of the closure may hold."""


def unique(values: Ints) -> Ints:
    """The distinct values, sorted: by sorting (numpy 2.4's ``np.unique`` hashes integers,
    several times slower on these arrays)."""
    if values.size < 2:
        return np.array(values, dtype=np.int64)
    ordered = np.sort(values)
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    out: Ints = ordered[keep]
    return out


class Adjacency:
    """Compressed sparse rows of (child, parent) edges over numbers ``0..n-1``, both ways."""

    def __init__(self, n: int, child: Ints, parent: Ints) -> None:
        self.n = n
        self.child = child
        self.parent = parent
        self.down_ptr, self.down = _csr(n, parent, child)
        self.up_ptr, self.up = _csr(n, child, parent)

    def gather(self, ptr: Ints, nodes: Ints) -> tuple[Ints, Ints]:
        """(positions of the neighbours of ``nodes``, index into ``nodes`` of their owner)."""
        starts = ptr[nodes]
        counts = ptr[nodes + 1] - starts
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        owner = np.repeat(np.arange(len(nodes), dtype=np.int64), counts)
        return np.arange(total, dtype=np.int64) + offsets, owner

    def reach(self, seeds: Ints) -> int:
        """How many models ``seeds`` and their descendants are, the seeds included."""
        seen = np.zeros(self.n, dtype=bool)
        frontier = unique(seeds)
        seen[frontier] = True
        total = len(frontier)
        while frontier.size:
            positions, _ = self.gather(self.down_ptr, frontier)
            nxt = self.down[positions]
            nxt = unique(nxt[~seen[nxt]])
            seen[nxt] = True
            total += len(nxt)
            frontier = nxt
        return total


def _csr(n: int, rows: Ints, cols: Ints) -> tuple[Ints, Ints]:
    order = np.argsort(rows, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
    return ptr, cols[order]


def descendant_counts(g: Adjacency) -> Ints:
    """Per model, how many distinct models derive from it, directly or not (itself never)."""
    n = g.n
    indegree = np.bincount(g.child, minlength=n)
    tree = np.zeros(n, dtype=bool)
    level = np.nonzero(indegree == 0)[0]
    levels: list[Ints] = []
    while level.size:
        tree[level] = True
        levels.append(level)
        positions, _ = g.gather(g.down_ptr, level)
        kids = g.down[positions]
        level = unique(kids[(indegree[kids] == 1) & ~tree[kids]])
    counts = np.zeros(n, dtype=np.int64)
    for level in reversed(levels[1:]):
        parents = g.up[g.up_ptr[level]]  # the one parent of each
        np.add.at(counts, parents, counts[level] + 1)
    for ancestors in _ancestor_blocks(g, np.nonzero(~tree)[0]):
        counts += np.bincount(ancestors, minlength=n)
    return counts


def _ancestor_blocks(g: Adjacency, targets: Ints) -> Iterator[Ints]:
    """For blocks of ``targets``, the distinct strict ancestors of each, concatenated."""
    per = max(1, BLOCK_PAIRS // 64)
    for start in range(0, len(targets), per):
        block = targets[start : start + per]
        yield _closure(g, block)


def _closure(g: Adjacency, block: Ints) -> Ints:
    n = g.n
    positions, owner = g.gather(g.up_ptr, block)
    keys = unique(owner * n + g.up[positions])
    seen = keys
    while keys.size:
        model, ancestor = np.divmod(keys, n)
        positions, idx = g.gather(g.up_ptr, ancestor)
        nxt = unique(model[idx] * n + g.up[positions])
        nxt = nxt[~np.isin(nxt, seen, assume_unique=True)]
        seen = np.sort(np.concatenate([seen, nxt]), kind="stable")  # two sorted runs: a merge
        keys = nxt
    model, ancestor = np.divmod(seen, n)
    out: Ints = ancestor[block[model] != ancestor]
    return out
