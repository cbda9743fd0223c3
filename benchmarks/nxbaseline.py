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
from collections import Counter, deque
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


# -- the answers mlsc is checked against (benchmarks/suite/queries.py, merge_heavy.py) --


def nx_ancestors_levels(graph: nx.DiGraph[str], model: str) -> dict[str, int]:
    """Shortest depth of every model upstream of ``model`` (itself at 0), by BFS."""
    return dict(nx.single_source_shortest_path_length(graph, model))


def nx_lineage(graph: nx.DiGraph[str], model: str) -> dict[str, Any]:
    """Ancestors and descendants with depth, owner and downloads (what mlsc returns)."""
    nodes = graph.nodes
    up = nx_ancestors_levels(graph, model)
    down = nx_descendants_levels(graph, [model])
    ancestors = [
        (m, d, nodes[m].get("author"), nodes[m].get("downloads")) for m, d in up.items() if d
    ]
    descendants = [
        (m, d, nodes[m].get("author"), nodes[m].get("downloads")) for m, d in down.items() if d
    ]
    return {
        "ancestors": len(ancestors),
        "max_ancestor_depth": max((d for _, d, _, _ in ancestors), default=0),
        "descendants": len(descendants),
    }


def nx_blast(graph: nx.DiGraph[str], model: str) -> dict[str, Any]:
    """Levels downstream plus owner and downloads of every affected model, and totals."""
    nodes = graph.nodes
    levels = nx_descendants_levels(graph, [model])
    affected = [
        (m, d, nodes[m].get("author"), nodes[m].get("downloads")) for m, d in levels.items()
    ]
    return {
        "count": len(affected),
        "downloads": sum(dl or 0 for _, _, _, dl in affected),
        "owners": len({o for _, _, o, _ in affected if o}),
        "max_depth": max(d for _, d, _, _ in affected),
        "by_depth": dict(sorted(Counter(d for _, d, _, _ in affected).items())),
    }


def most_descendants(graph: nx.DiGraph[str]) -> tuple[str, int]:
    """The model with the most descendants, and how many.

    It is a root: a parent has every descendant of its child, plus the child. So BFS from
    each root that has children (ties go to the smallest id).
    """
    best, best_n = "", -1
    for node in sorted(graph):
        if graph.out_degree(node) == 0 and graph.in_degree(node) > 0:
            n = len(nx_descendants_levels(graph, [node])) - 1
            if n > best_n:
                best, best_n = node, n
    return best, best_n


def widest_org(graph: nx.DiGraph[str], orgs: Iterable[str]) -> tuple[str, int]:
    """The organisation whose models plus everything downstream of them is largest."""
    owned: dict[str, list[str]] = {}
    for m, data in graph.nodes(data=True):
        author = data.get("author")
        if author:
            owned.setdefault(author, []).append(m)
    best, best_n = "", -1
    for org in sorted(orgs):
        if org in owned:
            n = len(nx_descendants_levels(graph, owned[org]))
            if n > best_n:
                best, best_n = org, n
    return best, best_n


def count_paths(graph: nx.DiGraph[str], target: str) -> tuple[int, dict[str, int]]:
    """Exact number of derivation paths ending at ``target`` (length >= 1), and per model
    the number of its paths to ``target``: dynamic programming over the DAG of descendants
    (what a path-enumerating query would have to walk one by one)."""
    below = nx_descendants_levels(graph, [target])
    sub = graph.subgraph(below)
    paths: dict[str, int] = {}
    for node in reversed(list(nx.topological_sort(sub))):  # parents first
        paths[node] = 1 if node == target else sum(paths[p] for p in sub.successors(node))
    return sum(n for m, n in paths.items() if m != target), paths
