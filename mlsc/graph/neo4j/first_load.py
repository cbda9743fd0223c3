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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from mlsc.graph import schema
from mlsc.graph.neo4j.columns import Columns
from mlsc.graph.records import EdgeTable, as_list


@dataclass
class Attached:
    """The rows of one edge table that go with the nodes of a table."""

    table: EdgeTable
    anchor_is_src: bool
    """The table's node is the edge's source (else its target)."""
    cols: Columns
    """The edge properties, in write order."""
    offsets: list[int]
    """Per node in write order, where its edges start (one more entry at the end)."""
    other: list[int]
    """The node id of each edge's other end, in write order."""


@dataclass
class FirstLoad:
    """How to write one table of new nodes: the order, the levels, the attached edges."""

    keys: list[str]
    """The keys in write order."""
    order: list[int]
    """Write position -> row of the table."""
    levels: list[tuple[int, int]]
    """Spans of write positions written one after the other."""
    attached: list[Attached] = field(default_factory=list)
    taken: dict[int, list[int]] = field(default_factory=dict)
    """Edge table index -> its rows written with the nodes."""


def plan_first_load(
    label: str,
    keys: list[str],
    edges: Sequence[EdgeTable],
    ids: dict[str, dict[str, int]],
    skip: dict[int, set[int]],
) -> FirstLoad:
    """The plan for the new nodes ``keys`` of ``label``: edges of ``edges`` (their rows in
    ``skip`` already written) whose other end has a node id in ``ids``, or is a node of
    this table on an earlier level."""
    pos = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    parents: list[list[int]] = [[] for _ in range(n)]
    # (edge table index, anchor_is_src, [(anchor row, other key or row, internal)])
    found: list[tuple[int, bool, list[tuple[int, int, str | int, bool]]]] = []
    for e, t in enumerate(edges):
        if label not in (t.src_label, t.dst_label) or not len(t.src):
            continue
        anchor_is_src = t.src_label == label
        other_label = t.dst_label if anchor_is_src else t.src_label
        known = ids.get(other_label, {})
        same = other_label == label
        done = skip.get(e, set())
        src, dst = as_list(t.src), as_list(t.dst)
        mine, theirs = (src, dst) if anchor_is_src else (dst, src)
        rows: list[tuple[int, int, str | int, bool]] = []
        for r, (m, o) in enumerate(zip(mine, theirs, strict=True)):
            at = pos.get(m)
            if at is None or r in done:
                continue
            inner = pos.get(o) if same else None
            if inner is not None:
                if inner != at:
                    parents[at].append(inner)
                    rows.append((r, at, inner, True))
            elif o in known:
                rows.append((r, at, o, False))
        if rows:
            found.append((e, anchor_is_src, rows))
    level = _levels(parents)
    last = max(level, default=-1) + 1
    level = [last if v < 0 else v for v in level]
    # Within a level, the children of one node together: batches then share few of the
    # nodes they lock.
    first_other = [min(p) if p else -1 for p in parents]
    order = sorted(range(n), key=lambda i: (level[i], first_other[i]))
    at_pos = [0] * n
    for p, i in enumerate(order):
        at_pos[i] = p
    levels: list[tuple[int, int]] = []
    start = 0
    for p in range(1, n + 1):
        if p == n or level[order[p]] != level[order[start]]:
            levels.append((start, p))
            start = p
    plan = FirstLoad([keys[i] for i in order], order, levels)
    for e, anchor_is_src, rows in found:
        kept: list[tuple[int, int, str | int, bool]] = []
        for r, at, o, inner in rows:
            if inner:
                assert isinstance(o, int)
                # an edge between two nodes on or below a cycle is left over
                if level[o] >= level[at]:
                    continue
            kept.append((r, at_pos[at], o, inner))
        if not kept:
            continue
        kept.sort(key=lambda x: x[1])
        t = edges[e]
        counts = [0] * (n + 1)
        for _, p, _, _ in kept:
            counts[p + 1] += 1
        for p in range(n):
            counts[p + 1] += counts[p]
        rows_taken = [r for r, _, _, _ in kept]
        other = [
            # an inner end gets its id when its level is written: a placeholder here
            -1 - at_pos[o] if inner else ids[t.dst_label if anchor_is_src else t.src_label][o]
            for _, _, o, inner in kept  # type: ignore[index]
        ]
        cols = Columns.of(t.columns, len(t.src)).take(rows_taken)
        plan.attached.append(Attached(t, anchor_is_src, cols, counts, other))
        plan.taken[e] = rows_taken
    return plan


def _levels(parents: list[list[int]]) -> list[int]:
    """Each node's level (1 + its highest parent's; 0 without parents), -1 for nodes on or
    below a cycle."""
    n = len(parents)
    waiting = [len(set(p)) for p in parents]
    children: list[list[int]] = [[] for _ in range(n)]
    for c, ps in enumerate(parents):
        for p in set(ps):
            children[p].append(c)
    level = [-1] * n
    ready = [i for i in range(n) if waiting[i] == 0]
    for i in ready:
        level[i] = 0
    while ready:
        nxt: list[int] = []
        for p in ready:
            for c in children[p]:
                waiting[c] -= 1
                if waiting[c] == 0:
                    level[c] = level[p] + 1
                    nxt.append(c)
        ready = nxt
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
        q = f"UNWIND range(0, size($keys) - 1) AS i CREATE {node}" + (f" SET {sets}" if sets else "")
    q += " WITH i, n"
    names = []
    for k, a in enumerate(attached):
        pre = f"e{k}_"
        rel = f"(n)-[r:{a.table.type}]->(o)" if a.anchor_is_src else f"(o)-[r:{a.table.type}]->(n)"
        plain = a.cols.assignments("r", keep_stored=False, index="j", prefix=pre)
        if merge:
            keeping = a.cols.assignments("r", keep_stored=True, index="j", prefix=pre)
            write = f"MERGE {rel}" + (f" ON CREATE SET {plain} ON MATCH SET {keeping}" if plain else "")
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
        lo, hi = at.offsets[a], at.offsets[b]
        pre = f"e{k}_"
        p[f"{pre}o"] = [o - lo for o in at.offsets[a : b + 1]]
        p[f"{pre}id"] = [
            o if o >= 0 else ids[plan.keys[-1 - o]] for o in at.other[lo:hi]
        ]
        p.update(at.cols.params(lo, hi, pre))
    return p


def rest(t: EdgeTable, taken: Sequence[int]) -> EdgeTable:
    """The rows of ``t`` not in ``taken``."""
    if not taken:
        return t
    gone = set(taken)
    keep = [r for r in range(len(t.src)) if r not in gone]

    def pick(values: Any) -> Any:
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            return values.take(pa.array(keep, pa.int64()))
        values = list(values)
        return [values[r] for r in keep]

    return EdgeTable(
        t.type,
        t.src_label,
        t.dst_label,
        pick(t.src),
        pick(t.dst),
        {k: pick(v) for k, v in t.columns.items()},
    )
