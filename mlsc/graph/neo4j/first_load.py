"""A first load: nodes written together with the edges that hang on them.

When every node of a table is new (its keys were not stored when the write began), each
batch CREATEs its nodes and, in the same transaction, CREATEs the edges of which they are
one end while the other end is a node this write already wrote (found by node id). Such an
edge cannot have existed before: its node did not. And the batch stays idempotent without
MERGE: if it committed and is run again (a retry after a lost connection, or a second
writer loading the same models at the same moment), the uniqueness constraint refuses the
node CREATE and the batch is redone with MERGE for the nodes and their edges alike.

An edge between two nodes of the same table (a model and its base) can only go with the
later of the two, so the table is written in levels: models without a base in the table
first, then those whose bases are all written, and so on (models on a derivation cycle,
and the models below them, come last; an edge between two of them is left to the plain
edge pass). Batches of one level run in parallel; a level starts when the one before it
has committed.

    >>> plan = plan_first_load(table, edges, writer_ids)       # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlsc.graph import schema
from mlsc.graph.neo4j.columns import Columns
from mlsc.graph.records import EdgeTable


@dataclass
class Attached:
    """The rows of one edge table that go with the nodes of a table."""

    table: EdgeTable
    anchor_is_src: bool
    """The table's node is the edge's source (else its target)."""
    cols: Columns
    """The edge properties, in write order."""
    offsets: npt.NDArray[np.int64]
    """Per node in write order, where its edges start (one more entry at the end)."""
    other: npt.NDArray[np.int64]
    """Each edge's other end in write order: its node id, or ``-1 - position`` for a node
    of this table (whose id is known once its level is written)."""


@dataclass
class FirstLoad:
    """How to write one table of new nodes: the order, the levels, the attached edges."""

    keys: list[str]
    """The keys in write order."""
    order: npt.NDArray[np.int64]
    """Write position -> row of the table."""
    levels: list[tuple[int, int]]
    """Spans of write positions written one after the other."""
    attached: list[Attached] = field(default_factory=list)
    taken: dict[int, npt.NDArray[np.int64]] = field(default_factory=dict)
    """Edge table index -> its rows written with the nodes."""


def _positions(values: Any, keys: pa.Array) -> npt.NDArray[np.int64]:
    """Each value's position in ``keys``, -1 if absent."""
    found = pc.index_in(pa.array(values, pa.string()) if isinstance(values, list) else values, keys)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)


def take(values: Any, rows: npt.NDArray[np.int64]) -> Any:
    """The values at ``rows`` of a column (an Arrow array or a list)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.take(pa.array(rows, pa.int64()))
    values = list(values)
    return [values[r] for r in rows.tolist()]


def plan_first_load(
    label: str,
    keys: list[str],
    edges: Sequence[EdgeTable],
    ids: dict[str, dict[str, int]],
    skip: dict[int, Any],
) -> FirstLoad:
    """The plan for the new nodes ``keys`` of ``label``: edges of ``edges`` (their rows in
    ``skip`` already written) whose other end has a node id in ``ids``, or is a node of
    this table on an earlier level."""
    n = len(keys)
    key_array = pa.array(keys, pa.string())
    # (edge table index, anchor_is_src, edge rows, anchor rows, other rows or node ids, inner)
    found: list[tuple[int, bool, Any, Any, Any, bool]] = []
    inner_edges: list[tuple[Any, Any]] = []
    for e, t in enumerate(edges):
        if label not in (t.src_label, t.dst_label) or not len(t.src):
            continue
        anchor_is_src = t.src_label == label
        other_label = t.dst_label if anchor_is_src else t.src_label
        mine, theirs = (t.src, t.dst) if anchor_is_src else (t.dst, t.src)
        at = _positions(mine, key_array)
        usable = at >= 0
        if skip.get(e):
            usable[skip[e]] = False
        if other_label == label:
            other = _positions(theirs, key_array)
            inner = usable & (other >= 0) & (other != at)
            rows = np.flatnonzero(inner)
            found.append((e, anchor_is_src, rows, at[rows], other[rows], True))
            inner_edges.append((at[rows], other[rows]))
            usable &= other < 0
        known = ids.get(other_label, {})
        if known:
            names = pa.array(list(known), pa.string())
            node_ids = np.fromiter(known.values(), np.int64, len(known))
            where = _positions(theirs, names)
            rows = np.flatnonzero(usable & (where >= 0))
            found.append((e, anchor_is_src, rows, at[rows], node_ids[where[rows]], False))
    level = _levels(n, inner_edges)
    last = int(level.max(initial=-1)) + 1
    level[level < 0] = last
    # Within a level, the children of one node together: batches then share few of the
    # nodes they lock.
    first_other = np.full(n, n, np.int64)
    for child, parent in inner_edges:
        np.minimum.at(first_other, child, parent)
    order = np.lexsort((first_other, level)).astype(np.int64)
    at_pos = np.empty(n, np.int64)
    at_pos[order] = np.arange(n, dtype=np.int64)
    sorted_level = level[order]
    cuts = [0, *(np.flatnonzero(np.diff(sorted_level)) + 1).tolist(), n]
    plan = FirstLoad([keys[i] for i in order.tolist()], order, list(itertools.pairwise(cuts)))
    for e, anchor_is_src, rows, at, other, inner in found:
        if inner:  # an edge between two nodes on or below a cycle is left over
            keep = level[other] < level[at]
            rows, at, other = rows[keep], at[keep], -1 - at_pos[other[keep]]
        if not len(rows):
            continue
        pos = at_pos[at]
        by_pos = np.argsort(pos, kind="stable")
        rows, other = rows[by_pos], other[by_pos]
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(pos, minlength=n), out=offsets[1:])
        t = edges[e]
        cols = Columns.of({k: take(v, rows) for k, v in t.columns.items()}, len(rows))
        plan.attached.append(Attached(t, anchor_is_src, cols, offsets, other))
        prior = plan.taken.get(e)
        plan.taken[e] = rows if prior is None else np.concatenate([prior, rows])
    return plan


def _levels(n: int, inner: list[tuple[Any, Any]]) -> npt.NDArray[np.int64]:
    """Each node's level (1 + its highest parent's; 0 without parents), -1 for nodes on or
    below a cycle; ``inner`` holds (child, parent) position arrays."""
    child = np.concatenate([c for c, _ in inner]) if inner else np.zeros(0, np.int64)
    parent = np.concatenate([p for _, p in inner]) if inner else np.zeros(0, np.int64)
    waiting = np.bincount(child, minlength=n)
    by_parent = np.argsort(parent, kind="stable")
    children = child[by_parent]
    start = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(parent, minlength=n), out=start[1:])
    level = np.full(n, -1, np.int64)
    ready = np.flatnonzero(waiting == 0)
    depth = 0
    while len(ready):
        level[ready] = depth
        lo, hi = start[ready], start[ready + 1]
        count = hi - lo
        if not count.sum():
            break
        idx = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(count.sum())
        reached = children[idx]
        np.subtract.at(waiting, reached, 1)
        ready = np.unique(reached[waiting[reached] == 0])
        depth += 1
    return level


def batch_query(label: str, cols: Columns, attached: list[Attached], *, merge: bool) -> str:
    """The query writing a batch of nodes and their attached edges: CREATE, or with
    ``merge`` the MERGE that redoes a batch the uniqueness constraint refused."""
    key = schema.NODES[label].key
    node = f"(n:{label} {{{key}: $keys[i]}})"
    if merge:
        sets = cols.assignments("n", keep_stored=True)
        q = f"UNWIND range(0, size($keys) - 1) AS i MERGE {node}" + (f" SET {sets}" if sets else "")
    else:
        sets = cols.assignments("n", keep_stored=False)
        q = f"UNWIND range(0, size($keys) - 1) AS i CREATE {node}" + (
            f" SET {sets}" if sets else ""
        )
    q += " WITH i, n"
    names = []
    for k, a in enumerate(attached):
        pre = f"e{k}_"
        rel = f"(n)-[r:{a.table.type}]->(o)" if a.anchor_is_src else f"(o)-[r:{a.table.type}]->(n)"
        plain = a.cols.assignments("r", keep_stored=False, index="j", prefix=pre)
        if merge:
            keeping = a.cols.assignments("r", keep_stored=True, index="j", prefix=pre)
            write = f"MERGE {rel}" + (
                f" ON CREATE SET {plain} ON MATCH SET {keeping}" if plain else ""
            )
        else:
            write = f"CREATE {rel}" + (f" SET {plain}" if plain else "")
        q += (
            f" CALL {{ WITH i, n UNWIND range(${pre}o[i], ${pre}o[i + 1] - 1) AS j"
            f" MATCH (o) WHERE id(o) = ${pre}id[j] {write} RETURN count(r) AS {pre}c }}"
        )
        names.append(f"sum({pre}c) AS {pre}c")
    return q + " RETURN " + ", ".join(["collect(i) AS i", "collect(id(n)) AS n", *names])


def batch_params(
    plan: FirstLoad, cols: Columns, a: int, b: int, ids: dict[str, int]
) -> dict[str, Any]:
    """The parameters of the batch at write positions a..b; ``ids`` (key -> node id of
    this table, for the levels written before) resolves the edges between its nodes."""
    p: dict[str, Any] = {"keys": plan.keys[a:b], **cols.params(a, b)}
    for k, at in enumerate(plan.attached):
        lo, hi = int(at.offsets[a]), int(at.offsets[b])
        pre = f"e{k}_"
        p[f"{pre}o"] = (at.offsets[a : b + 1] - lo).tolist()
        p[f"{pre}id"] = [o if o >= 0 else ids[plan.keys[-1 - o]] for o in at.other[lo:hi].tolist()]
        p.update(at.cols.params(lo, hi, pre))
    return p


def rest(t: EdgeTable, taken: npt.NDArray[np.int64] | None) -> EdgeTable:
    """The rows of ``t`` not in ``taken``."""
    if taken is None or not len(taken):
        return t
    keep = np.ones(len(t.src), bool)
    keep[taken] = False
    rows = np.flatnonzero(keep)
    return EdgeTable(
        t.type,
        t.src_label,
        t.dst_label,
        take(t.src, rows),
        take(t.dst, rows),
        {k: take(v, rows) for k, v in t.columns.items()},
    )
