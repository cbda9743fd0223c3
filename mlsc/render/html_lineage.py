"""The lineage page: a model, its ancestors above and its descendants below.

>>> from mlsc.queries.results import LineageResult
>>> from mlsc.render.html_lineage import render_lineage
>>> page = render_lineage(LineageResult("org/m", [], [], [], []), {}, {})
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

import networkx as nx

from mlsc.queries.results import LineageEntry, LineageResult
from mlsc.render.html_graph import (
    Node,
    add_edge_ends,
    build_graph,
    cap_note,
    check_cap,
    downloads_of,
    node_from_details,
    present_kinds,
    select,
)
from mlsc.render.html_page import graph_page
from mlsc.render.html_tables import ROW_CAP, Column, table
from mlsc.render.page import count, esc

__all__ = ["LAYOUTS", "render_lineage"]

LAYOUTS = ("layers", "physics")
"""How a lineage is laid out: rows by depth (the default) or by forces."""
_COLUMNS = [Column("depth", numeric=True), Column("id"), Column("relation"), Column("via"),
            Column("owner"), Column("downloads", numeric=True)]  # fmt: skip


def _lineage_nodes(
    result: LineageResult, details: Mapping[str, Mapping[str, Any]]
) -> dict[str, Node]:
    nodes: dict[str, Node] = {result.model: node_from_details(result.model, "target", details)}
    for kind, entries in (("ancestor", result.ancestors), ("descendant", result.descendants)):
        for e in entries:
            if e.id in nodes:  # on a cycle: already drawn as the target or an ancestor
                continue
            nodes[e.id] = Node(
                id=e.id,
                kind=kind,
                depth=e.depth,
                relation=e.relation,
                via=e.via,
                owner=e.author,
                downloads=downloads_of(e.downloads, e.id, details),
                ingested=e.ingested,
            )
    add_edge_ends(nodes, result.edges, details)
    return nodes


def _set_levels(graph: nx.DiGraph[str], nodes: Mapping[str, Node]) -> None:
    """Give every drawn node a ``level`` (its row, top to bottom): the furthest ancestor on
    the first row, the model on the row after the deepest ancestor, each descendant `depth`
    rows below it. A model drawn only as an edge's end takes a neighbour's row."""
    top = max((n.depth for n in nodes.values() if n.kind == "ancestor"), default=0)
    levels: dict[str, int] = {}
    for node_id in graph.nodes:
        node = nodes[node_id]
        if node.kind == "target":
            levels[node_id] = top
        elif node.kind == "ancestor":
            levels[node_id] = top - node.depth
        elif node.kind == "descendant":
            levels[node_id] = top + node.depth
    for node_id in graph.nodes:
        if node_id not in levels:
            near = [levels[n] for n in nx.all_neighbors(graph, node_id) if n in levels]
            levels[node_id] = min(near) if near else top
    nx.set_node_attributes(graph, levels, "level")


def _tables(result: LineageResult, rows: int) -> str:
    parts = []
    for title, entries in (("ancestors", result.ancestors), ("descendants", result.descendants)):
        parts.append(f"<h2>{esc(title.capitalize())}</h2>")
        parts.append(
            table(
                title,
                title,
                _COLUMNS,
                [(e.depth, e.id, e.relation, e.via, e.author, e.downloads) for e in entries],
                total=len(entries),
                cap=rows,
            )
        )
    return "\n".join(parts)


def _by_relation(entries: list[LineageEntry]) -> dict[str, int]:
    """Relatives by the relation of the hop that reached them (the legend's counts)."""
    return dict(Counter(e.relation for e in entries))


def render_lineage(
    result: LineageResult,
    details: Mapping[str, Mapping[str, Any]],
    edge_details: Mapping[tuple[str, str], Mapping[str, Any]],
    *,
    cap: int = 500,
    rows: int = ROW_CAP,
    layout: Literal["layers", "physics"] = "layers",
) -> str:
    """A standalone offline HTML page drawing `result` (ancestors above, descendants below).

    `details` maps a model id to its stored properties (author, downloads, license, source,
    observed_at, ...), `edge_details` a (child, parent) pair to the derivation's properties
    (relation, evidence, confidence, source, observed_at); anything may be missing. With
    more than `cap` relatives, only the top `cap` by downloads and their shortest paths to
    the model are drawn, and the page says so. ``layers`` draws a row per depth (ancestors
    above, descendants below), ``physics`` lets the nodes settle by forces. Under the graph,
    the ancestors and descendants tables, complete up to `rows` rows (then they say so).
    """
    check_cap(cap)
    nodes = _lineage_nodes(result, details)
    keep = select(nodes, cap)
    graph = build_graph(nodes, keep, result.edges, details, edge_details)
    if layout == "layers":
        _set_levels(graph, nodes)
    ancestors = len({e.id for e in result.ancestors})
    descendants = len({e.id for e in result.descendants})
    summary = [
        " · ".join(
            [
                count(ancestors, "ancestor"),
                count(descendants, "descendant"),
                count(len(result.cycles), "cycle"),
                count(len(result.edges), "derivation"),
            ]
        )
    ]
    note = cap_note(len(keep), len(nodes), cap) if len(keep) < len(nodes) else None
    return graph_page(
        title=f"mlsc · lineage · {result.model}",
        heading_html=f"Lineage of <code>{esc(result.model, 400)}</code>",
        summary=summary,
        note=note,
        graph=graph,
        legend_kinds=present_kinds(nodes, keep),
        model_counts=_by_relation([*result.ancestors, *result.descendants]),
        details_html=_tables(result, rows),
        layout=layout,
    )
