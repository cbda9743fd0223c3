"""The blast-radius page: the seeds (what the target is or controls) and every model
downstream of them.

    >>> from mlsc.render.html_blast import render_blast_radius
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlsc.queries.results import BlastRadius
from mlsc.render.html_apps import add_applications, applications_legend
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

__all__ = ["render_blast_radius"]


def _blast_nodes(result: BlastRadius, details: Mapping[str, Mapping[str, Any]]) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    seeds = set(result.seeds)
    for a in result.affected:
        if a.id in nodes:
            continue
        if result.kind == "model" and a.id == result.target:
            kind = "target"
        elif a.depth == 0 or a.id in seeds:
            kind = "seed"
        else:
            kind = "descendant"
        nodes[a.id] = Node(
            id=a.id,
            kind=kind,
            depth=a.depth,
            relation=a.relation,
            via=a.via,
            owner=a.owner,
            downloads=downloads_of(a.downloads, a.id, details),
            ingested=None,
        )
    if result.kind == "model" and result.target not in nodes:
        nodes[result.target] = node_from_details(result.target, "target", details)
    for seed in result.seeds:
        if seed not in nodes:
            nodes[seed] = node_from_details(seed, "seed", details)
    add_edge_ends(nodes, result.edges, details)
    return nodes


def render_blast_radius(
    result: BlastRadius,
    details: Mapping[str, Mapping[str, Any]],
    edge_details: Mapping[tuple[str, str], Mapping[str, Any]],
    *,
    cap: int = 500,
) -> str:
    """A standalone offline HTML page drawing the blast radius `result`.

    Seeds (what the target is or controls) and every model downstream of them; arguments
    and capping as in `render_lineage` (paths lead back to the target model or the seeds).
    The applications loading a drawn model form a ring of their own (at most `cap`).
    """
    check_cap(cap)
    nodes = _blast_nodes(result, details)
    keep = select(nodes, cap)
    graph = build_graph(nodes, keep, result.edges, details, edge_details)
    drawn_apps = add_applications(graph, result.applications, cap)
    depths = ", ".join(f"{d}: {n:,}" for d, n in sorted(result.by_depth.items()))
    summary = [
        " · ".join(
            [
                count(result.count, "affected model"),
                count(result.downloads, "download"),
                count(len(result.owners), "owner") + " to notify",
                count(len(result.seeds), "seed"),
            ]
        )
    ]
    if depths:
        summary.append(f"by depth: {depths}")
    apps = len(result.applications)
    summary.append(
        f"{count(apps, 'application')} load an affected model, {result.exposed:,} exposed"
        if apps
        else "no application in the knowledge base loads an affected model"
    )
    note = cap_note(len(keep), len(nodes), cap) if len(keep) < len(nodes) else None
    return graph_page(
        title=f"mlsc · blast radius · {result.target}",
        heading_html=f"Blast radius of {esc(result.kind)} <code>{esc(result.target, 400)}</code>",
        summary=summary,
        note=note,
        graph=graph,
        legend_kinds=present_kinds(nodes, keep),
        wording={
            "target": "target model (compromised)",
            "seed": f"seed: controlled by the {result.kind}"
            if result.kind == "actor"
            else "seed: compromised directly",
            "descendant": "affected downstream",
        },
        legend_extra_html=applications_legend(result.applications, drawn_apps),
    )
