"""Traversals on Neo4j: breadth-first, inside one read transaction, with the visited set
kept here: exact, no hop limit, no path enumeration on merge-heavy graphs, and cycles stop.

    >>> conn.read_tx(functools.partial(expand_at_once, ["a/b"], "up"))   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
from neo4j import ManagedTransaction

from mlsc.graph.neo4j.connection import LOOKUP
from mlsc.graph.store import EXPANSION_EDGES, EXPANSION_MODELS, Direction, Expansion

AT_ONCE_SEEDS = 64
"""Up to this many seeds, a traversal is one server-side search; beyond, one query per
level keeps seeds that derive from each other from being walked once each."""

_MODELS_OUT = (
    "WITH collect(m) AS ms "
    "CALL { WITH ms UNWIND ms AS m MATCH (m)-[r:DERIVED_FROM]->(p:Model) "
    "RETURN collect(m.id) AS child, collect(p.id) AS parent, collect([r.relation]) AS rel } "
)
_MODELS_RETURN = (
    "RETURN [m IN ms | m.id] AS id, [m IN ms | m.author] AS author, "
    "[m IN ms | m.downloads] AS downloads, "
    "[m IN ms WHERE m.ingested IS NULL OR NOT m.ingested | m.id] AS placeholders, "
    "child, parent, [x IN rel | x[0]] AS relation"
)
"""The models ``m`` reached, their properties and DERIVED_FROM edges out, as flat lists."""


class Reached:
    """Columns of an Expansion, filled from records of ``_MODELS_RETURN``."""

    def __init__(self) -> None:
        self.models: dict[str, list[Any]] = {n: [] for n in EXPANSION_MODELS.names}
        self.edges: dict[str, list[Any]] = {n: [] for n in EXPANSION_EDGES.names}

    def add(self, record: Any, depth: Mapping[str, int]) -> None:
        ids = record["id"]
        placeholders = set(record["placeholders"])
        self.models["id"].extend(ids)
        self.models["depth"].extend(depth[i] for i in ids)
        self.models["author"].extend(record["author"])
        self.models["downloads"].extend(record["downloads"])
        self.models["ingested"].extend(i not in placeholders for i in ids)
        for name, values in self.edges.items():
            values.extend(record[name])

    def expansion(self) -> Expansion:
        return Expansion(
            pa.table(self.models, EXPANSION_MODELS), pa.table(self.edges, EXPANSION_EDGES)
        )


def expand_at_once(seeds: list[str], direction: Direction, tx: ManagedTransaction) -> Expansion:
    """Few seeds: the server finds every model reached in one variable-length match that it
    runs as a breadth-first search with a visited set (DISTINCT lets the planner prune, so
    merges of merges cost no more than their edges), and sends them with their edges out;
    the depths come from a breadth-first search here over those edges."""
    arrow = "<-[:DERIVED_FROM*0..]-" if direction == "down" else "-[:DERIVED_FROM*0..]->"
    record = tx.run(
        f"UNWIND $ids AS id MATCH (:Model {{id: id}}){arrow}(m:Model) WITH DISTINCT m "
        + _MODELS_OUT
        + _MODELS_RETURN,
        ids=seeds,
    ).single()
    reached = Reached()
    if record is None or not record["id"]:
        return reached.expansion()
    following: dict[str, list[str]] = {}
    ends = (record["parent"], record["child"])
    for a, b in zip(*(ends if direction == "down" else ends[::-1]), strict=True):
        following.setdefault(a, []).append(b)
    present = set(record["id"])
    depth = {s: 0 for s in seeds if s in present}
    frontier = list(depth)
    level = 0
    while frontier:
        level += 1
        nxt = []
        for node in frontier:
            for n in following.get(node, ()):
                if n not in depth:
                    depth[n] = level
                    nxt.append(n)
        frontier = nxt
    reached.add(record, depth)
    return reached.expansion()


def expand_by_level(seeds: list[str], direction: Direction, tx: ManagedTransaction) -> Expansion:
    """Many seeds (an actor's models): one query per level (per LOOKUP ids) with the visited
    set kept here, so no model is walked twice however the seeds nest."""
    query = "UNWIND $ids AS id MATCH (m:Model {id: id}) " + _MODELS_OUT
    if direction == "down":
        query += (
            "CALL { WITH ms UNWIND ms AS m MATCH (m)<-[:DERIVED_FROM]-(c:Model) "
            "RETURN collect(DISTINCT c.id) AS next } "
        )
    else:
        query += "WITH *, parent AS next "
    query += _MODELS_RETURN + ", next"
    reached = Reached()
    depth: dict[str, int] = {}
    frontier = seeds
    level = 0
    while frontier:
        found = [
            record
            for start in range(0, len(frontier), LOOKUP)
            if (record := tx.run(query, ids=frontier[start : start + LOOKUP]).single())
        ]
        if level == 0:  # the seeds that exist
            depth.update((i, 0) for r in found for i in r["id"])
        level += 1
        nxt: list[str] = []
        for record in found:
            reached.add(record, depth)
            for n in record["next"]:
                if n not in depth:
                    depth[n] = level
                    nxt.append(n)
        frontier = nxt
    return reached.expansion()
