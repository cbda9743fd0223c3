"""The honest baseline: Hub JSON Lines into a networkx DiGraph, and plain reference queries.

Edges go child -> parent with a ``relation`` attribute; nodes carry ``author`` and
``downloads`` (a parent never seen as a record is still a node, without them). Lineage
follows the Hub's rules: a model's parents are the ids in its ``base_model:<relation>:<id>``
tags and in ``cardData.base_model`` (a string or a list); the relation of a parent comes from
its tag, else from ``cardData.base_model_relation``, else it is ``merge`` when the model has
several parents and ``finetune`` when it has one. Self-references are dropped.

The queries are deliberately straightforward (a BFS over predecessors): they are what the
knowledge base's own queries are measured and checked against.
"""

from __future__ import annotations

import gzip
import io
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

RELATIONS = frozenset({"adapter", "finetune", "merge", "quantized"})
_PREFIX = "base_model:"


def parents_of(record: dict[str, Any]) -> dict[str, str]:
    """Parent id -> relation for one Hub model record, per the rules above."""
    mid = record["id"]
    tagged: dict[str, str | None] = {}
    for tag in record.get("tags") or ():
        if not tag.startswith(_PREFIX):
            continue
        rel, sep, pid = tag[len(_PREFIX) :].partition(":")
        if sep and rel in RELATIONS:
            tagged[pid] = rel
    card = record.get("cardData") or {}
    declared = card.get("base_model")
    if isinstance(declared, str):
        declared = [declared]
    for pid in declared or ():
        if isinstance(pid, str):
            tagged.setdefault(pid, None)
    tagged.pop(mid, None)
    card_rel = card.get("base_model_relation")
    default = card_rel if card_rel in RELATIONS else "merge" if len(tagged) > 1 else "finetune"
    return {pid: rel or default for pid, rel in tagged.items() if pid}


def _open(path: str | Path) -> io.BufferedIOBase:
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def networkx_baseline(path: str | Path) -> nx.DiGraph[str]:
    """Read a Hub JSON Lines file (gzip or not) into a DiGraph of child -> parent edges."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    add_node, add_edge = graph.add_node, graph.add_edge
    loads = orjson.loads
    with _open(path) as lines:
        for line in lines:
            if not line.strip():
                continue
            record = loads(line)
            mid = record["id"]
            add_node(mid, author=record.get("author"), downloads=record.get("downloads"))
            for pid, rel in parents_of(record).items():
                add_edge(mid, pid, relation=rel)
    return graph


def nx_descendants_levels(graph: nx.DiGraph[str], seeds: Iterable[str]) -> dict[str, int]:
    """Shortest depth of every model downstream of the seeds (seeds at 0), by BFS."""
    levels: dict[str, int] = {}
    frontier: deque[str] = deque()
    for seed in seeds:
        if seed in graph and seed not in levels:
            levels[seed] = 0
            frontier.append(seed)
    while frontier:
        node = frontier.popleft()
        below = levels[node] + 1
        for child in graph.predecessors(node):
            if child not in levels:
                levels[child] = below
                frontier.append(child)
    return levels


def nx_blast_radius(graph: nx.DiGraph[str], model: str) -> tuple[int, int, int]:
    """(models affected, their downloads summed, their distinct owners), the model included."""
    affected = nx_descendants_levels(graph, [model])
    nodes = graph.nodes
    downloads = sum(nodes[m].get("downloads") or 0 for m in affected)
    owners = {nodes[m].get("author") for m in affected} - {None}
    return len(affected), downloads, len(owners)


def nx_org_reach(graph: nx.DiGraph[str], org: str) -> int:
    """Distinct models the org owns plus everything downstream of them."""
    owned = [m for m, data in graph.nodes(data=True) if data.get("author") == org]
    return len(nx_descendants_levels(graph, owned))
