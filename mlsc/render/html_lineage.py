"""The lineage page: a model, its ancestors above and its descendants below.

>>> from mlsc.queries.results import LineageResult
>>> from mlsc.render.html_lineage import render_lineage
>>> page = render_lineage(LineageResult("org/m", [], [], [], []), {}, {})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlsc.queries.results import LineageResult
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
from mlsc.render.page import count, esc

__all__ = ["render_lineage"]


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


def render_lineage(
    result: LineageResult,
    details: Mapping[str, Mapping[str, Any]],
    edge_details: Mapping[tuple[str, str], Mapping[str, Any]],
    *,
    cap: int = 500,
) -> str:
    """A standalone offline HTML page drawing `result` (ancestors above, descendants below).

    `details` maps a model id to its stored properties (author, downloads, license, source,
    observed_at, ...), `edge_details` a (child, parent) pair to the derivation's properties
    (relation, evidence, confidence, source, observed_at); anything may be missing. With
    more than `cap` relatives, only the top `cap` by downloads and their shortest paths to
    the model are drawn, and the page says so.
    """
    check_cap(cap)
    nodes = _lineage_nodes(result, details)
    keep = select(nodes, cap)
    graph = build_graph(nodes, keep, result.edges, details, edge_details)
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
    )
