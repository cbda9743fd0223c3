"""Traversals on Neo4j: the server finds what a set of seeds reaches, exact, no hop limit,
no path enumeration on merge-heavy graphs, and cycles stop; the answer comes back as a few
flat columns in one record.

    >>> conn.read_tx(functools.partial(expand_at_once, ["a/b"], "up"))   # doctest: +SKIP

What costs on the server is reading properties (a model has some thirty, in a chain of
records), and on the wire a value per row: so the search reads each reached model's four
summary properties once, and the edges out of them come back as the child's position in
the models' list and the parent's ``elementId`` (no property read, no string per edge that
this side has to match up); depths come from a breadth-first search here over those edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from neo4j import ManagedTransaction

from mlsc.graph.neo4j.connection import LOOKUP
from mlsc.graph.store import EXPANSION_EDGES, EXPANSION_MODELS, Direction, Expansion

AT_ONCE_SEEDS = 64
"""Up to this many seeds, a traversal is one server-side search; beyond, one query per
level keeps seeds that derive from each other from being walked once each."""

_MODELS = (
    "WITH collect(m) AS ms "
    "CALL (ms) { UNWIND range(0, size(ms) - 1) AS i WITH i, ms[i] AS m "
    "MATCH (m)-[r:DERIVED_FROM]->(p:Model) "
    "RETURN collect(i) AS child, collect(elementId(p)) AS parent, collect([r.relation]) AS rel } "
    "RETURN [m IN ms | elementId(m)] AS eid, [m IN ms | m.id] AS id, "
    "[m IN ms | m.author] AS author, [m IN ms | m.downloads] AS downloads, "
    "[i IN range(0, size(ms) - 1) WHERE NOT coalesce(ms[i].ingested, false) | i] AS placeholders, "
    "child, parent, [x IN rel | x[0]] AS relation"
)
"""The models ``m`` reached, their summary properties and DERIVED_FROM edges out, as flat
lists: an edge is (position of its child in the models, elementId of its parent, relation;
``collect`` drops nulls, so a relation travels in a list of one)."""

_KEYS = (
    "UNWIND $eids AS e MATCH (n:Model) WHERE elementId(n) = e "
    "RETURN collect(elementId(n)) AS eid, collect(n.id) AS id"
)
"""The ids of models named by elementId: parents outside the reached set (a merge's other
bases, going down)."""


class Reached:
    """Columns of an Expansion, filled from records of ``_MODELS`` (one per query, the
    models of different records distinct)."""

    def __init__(self) -> None:
        self.eids: list[str] = []
        self.models: dict[str, list[Any]] = {n: [] for n in EXPANSION_MODELS.names}
        self.child: list[int] = []
        """Edges: position of the child in ``self.eids``."""
        self.parent: list[str] = []
        """Edges: elementId of the parent."""
        self.relation: list[str | None] = []

    def add(self, record: Any) -> list[int]:
        """Add a record's models and edges; the positions of its models."""
        base = len(self.eids)
        ids = record["id"]
        self.eids.extend(record["eid"])
        self.models["id"].extend(ids)
        self.models["author"].extend(record["author"])
        self.models["downloads"].extend(record["downloads"])
        ingested = [True] * len(ids)
        for i in record["placeholders"]:
            ingested[i] = False
        self.models["ingested"].extend(ingested)
        self.child.extend(base + i for i in record["child"])
        self.parent.extend(record["parent"])
        self.relation.extend(record["relation"])
        return list(range(base, base + len(ids)))

    def position(self) -> dict[str, int]:
        return {e: i for i, e in enumerate(self.eids)}

    def expansion(self, depth: Sequence[int], tx: ManagedTransaction) -> Expansion:
        """The Expansion, with ``depth`` per model (by position); looks up the ids of
        parents outside the reached set."""
        ids = self.models["id"]
        key = {e: ids[i] for e, i in self.position().items()}
        outside = sorted({p for p in self.parent if p not in key})
        for start in range(0, len(outside), LOOKUP):
            record = tx.run(_KEYS, eids=outside[start : start + LOOKUP]).single()
            if record is not None:
                key.update(zip(record["eid"], record["id"], strict=True))
        self.models["depth"] = list(depth)
        edges = {
            "child": [ids[c] for c in self.child],
            "parent": [key[p] for p in self.parent],
            "relation": self.relation,
        }
        return Expansion(pa.table(self.models, EXPANSION_MODELS), pa.table(edges, EXPANSION_EDGES))


def _following(reached: Reached, direction: Direction) -> list[list[int]]:
    """Per model (by position), the reached models one step further in ``direction``."""
    position = reached.position()
    nxt: list[list[int]] = [[] for _ in reached.eids]
    for c, pe in zip(reached.child, reached.parent, strict=True):
        p = position.get(pe)
        if p is None:
            continue
        if direction == "down":
            nxt[p].append(c)
        else:
            nxt[c].append(p)
    return nxt


def _depths(reached: Reached, seeds: list[int], direction: Direction) -> list[int]:
    """Shortest distance of each reached model from the nearest seed (breadth-first)."""
    following = _following(reached, direction)
    depth = [-1] * len(reached.eids)
    for s in seeds:
        depth[s] = 0
    frontier = seeds
    level = 0
    while frontier:
        level += 1
        ahead: list[int] = []
        for node in frontier:
            for n in following[node]:
                if depth[n] < 0:
                    depth[n] = level
                    ahead.append(n)
        frontier = ahead
    return depth


def expand_at_once(seeds: list[str], direction: Direction, tx: ManagedTransaction) -> Expansion:
    """Few seeds: the server finds every model reached in one variable-length match that it
    runs as a breadth-first search with a visited set (DISTINCT lets the planner prune, so
    merges of merges cost no more than their edges), and sends them with their edges out."""
    arrow = "<-[:DERIVED_FROM*0..]-" if direction == "down" else "-[:DERIVED_FROM*0..]->"
    record = tx.run(
        f"UNWIND $ids AS id MATCH (s:Model {{id: id}}){arrow}(m:Model) WITH DISTINCT m " + _MODELS,
        ids=seeds,
    ).single()
    reached = Reached()
    if record is not None:
        reached.add(record)
    wanted = set(seeds)
    starts = [i for i, m in enumerate(reached.models["id"]) if m in wanted]
    return reached.expansion(_depths(reached, starts, direction), tx)


def expand_by_level(seeds: list[str], direction: Direction, tx: ManagedTransaction) -> Expansion:
    """Many seeds (an actor's models): one query per level (per LOOKUP models) with the
    visited set kept here, so no model is walked twice however the seeds nest."""
    models = _MODELS
    if direction == "down":
        models = models.replace(
            "WITH collect(m) AS ms ",
            "WITH collect(m) AS ms CALL (ms) { UNWIND ms AS m "
            "MATCH (m)<-[:DERIVED_FROM]-(c:Model) RETURN collect(DISTINCT elementId(c)) AS next } ",
        )
        models += ", next"
    else:
        models += ", parent AS next"
    first = "UNWIND $ids AS id MATCH (m:Model {id: id}) " + models
    then = "UNWIND $eids AS e MATCH (m:Model) WHERE elementId(m) = e " + models
    reached = Reached()
    depth: list[int] = []
    seen: set[str] = set()
    frontier: list[str] = seeds
    level = 0
    while frontier:
        ahead: dict[str, None] = {}
        for start in range(0, len(frontier), LOOKUP):
            part = frontier[start : start + LOOKUP]
            if level == 0:
                record = tx.run(first, ids=part).single()
            else:
                record = tx.run(then, eids=part).single()
            if record is None:
                continue
            reached.add(record)
            depth.extend([level] * len(record["eid"]))
            seen.update(record["eid"])
            ahead.update(dict.fromkeys(record["next"]))
        level += 1
        frontier = [e for e in ahead if e not in seen]
    return reached.expansion(depth, tx)
