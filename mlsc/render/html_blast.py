"""The blast-radius page: the seeds (what the target is or controls) and every model
downstream of them.

    >>> from mlsc.render.html_blast import render_blast_radius
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlsc.queries.results import BlastRadius
from mlsc.render.html_apps import add_applications, applications_legend
from mlsc.render.html_graph import (
    RELATION_COLOURS,
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
from mlsc.render.html_tables import ROW_CAP, Column, histogram, table
from mlsc.render.page import count, esc

__all__ = ["OwnerRow", "owners_to_notify", "render_blast_radius"]

_AFFECTED = [Column("depth", numeric=True), Column("id"), Column("relation"), Column("via"),
             Column("owner"), Column("downloads", numeric=True)]  # fmt: skip
_OWNERS = [Column("owner"), Column("models", numeric=True), Column("downloads", numeric=True)]
_APPS = [Column("id"), Column("exposed"), Column("models")]


@dataclass(frozen=True)
class OwnerRow:
    """An owner to notify: how many affected models it owns, their downloads together."""

    owner: str
    models: int
    downloads: int


def owners_to_notify(result: BlastRadius) -> tuple[tuple[OwnerRow, ...], int]:
    """Every owner of an affected model, most downloads first (then most models, then
    name), and how many affected models have no known owner."""
    seen: set[str] = set()
    models: dict[str, int] = {}
    downloads: dict[str, int] = {}
    unowned = 0
    for a in result.affected:
        if a.id in seen:
            continue
        seen.add(a.id)
        if a.owner is None:
            unowned += 1
            continue
        models[a.owner] = models.get(a.owner, 0) + 1
        downloads[a.owner] = downloads.get(a.owner, 0) + (a.downloads or 0)
    rows = sorted(
        (OwnerRow(o, n, downloads[o]) for o, n in models.items()),
        key=lambda r: (-r.downloads, -r.models, r.owner),
    )
    return tuple(rows), unowned


def _details(result: BlastRadius, rows: int) -> str:
    """Under the graph: the histograms, the affected models, the owners, the applications."""
    depth = histogram(
        "depth", "affected models by depth", [(str(d), n) for d, n in result.by_depth.items()]
    )
    relation = histogram(
        "relation",
        "affected models by relation (the one that reached each; seeds have none)",
        list(result.by_relation.items()),
        colours=RELATION_COLOURS,
    )
    parts = ['<div class="charts">', depth, relation, "</div>"]
    owners, unowned = owners_to_notify(result)
    parts.append("<h2>Owners to notify</h2>")
    parts.append(
        '<p class="why">'
        + esc(
            "Each owner of an affected model, with how many it owns and their downloads "
            "together, most downloads first."
            + (f" {count(unowned, 'affected model')} with no known owner." if unowned else "")
        )
        + "</p>"
    )
    parts.append(
        table(
            "owners",
            "owners",
            _OWNERS,
            [(o.owner, o.models, o.downloads) for o in owners],
            total=len(owners),
            cap=rows,
        )
    )
    parts.append("<h2>Affected models</h2>")
    parts.append(
        '<p class="why">'
        + esc("In the command line's order (by depth, then downloads); click a header to sort.")
        + "</p>"
    )
    parts.append(
        table(
            "affected",
            "affected models",
            _AFFECTED,
            [(a.depth, a.id, a.relation, a.via, a.owner, a.downloads) for a in result.affected],
            total=result.count,
            cap=rows,
        )
    )
    if result.applications:
        parts.append("<h2>Applications</h2>")
        parts.append(
            table(
                "applications",
                "applications",
                _APPS,
                [
                    (
                        app.id,
                        app.exposed,
                        "; ".join(f"{m.id} (depth {m.depth}): {m.status}" for m in app.models),
                    )
                    for app in result.applications
                ],
                total=len(result.applications),
                cap=rows,
            )
        )
    return "\n".join(parts)


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
    rows: int = ROW_CAP,
) -> str:
    """A standalone offline HTML page drawing the blast radius `result`.

    Seeds (what the target is or controls) and every model downstream of them; arguments
    and capping as in `render_lineage` (paths lead back to the target model or the seeds).
    The applications loading a drawn model form a ring of their own (at most `cap`).
    Under the graph: histograms by depth and relation, the owners to notify, the affected
    models and the applications, each table complete up to `rows` rows (then it says so).
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
        f"{count(apps, 'application')} load{'s' if apps == 1 else ''} an affected model, {result.exposed:,} exposed"
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
        model_counts=result.by_relation,
        details_html=_details(result, rows),
    )
