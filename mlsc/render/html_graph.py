"""The graph a lineage or blast-radius page draws: which models, which of them to draw under
a cap, and each node's and edge's look and plain-text tooltip, as a networkx graph.

    >>> from mlsc.render.html_graph import Node, build_graph, select
    >>> nodes = {"org/m": Node("org/m", "target", 0, None, None, "org", 10, True)}
    >>> sorted(build_graph(nodes, select(nodes, 500), [], {}, {}).nodes)
    ['org/m']

`details` maps a model id to its stored properties and `edge_details` a (child, parent)
pair to the derivation's: both are read only for what is drawn, and anything may be
missing. Every text taken from them is cleaned (:func:`mlsc.render.page.clean`); the
page escapes it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx

from mlsc.render.page import as_int, clean, fmt, fmt_int

__all__ = [
    "KIND_STYLE",
    "PLACEHOLDER_FILL",
    "RELATION_COLOURS",
    "Node",
    "add_edge_ends",
    "build_graph",
    "cap_note",
    "check_cap",
    "downloads_of",
    "node_from_details",
    "present_kinds",
    "select",
]

RELATION_COLOURS: dict[str, str] = {
    "finetune": "#2ca02c",
    "adapter": "#9467bd",
    "quantized": "#17becf",
    "merge": "#8c564b",
    "distill": "#e377c2",
    "prune": "#bcbd22",
    "unknown": "#7f7f7f",
}
"""Edge colour by relation; any relation not listed is drawn as ``unknown``."""

KIND_STYLE: dict[str, tuple[str, str, str]] = {
    # kind: (fill, border, legend text)
    "target": ("#d62728", "#7a1010", "target model"),
    "seed": ("#e8555a", "#7a1010", "seed: compromised directly"),
    "ancestor": ("#1f77b4", "#0d3d5e", "ancestor (upstream)"),
    "descendant": ("#ff9f1c", "#9c5a00", "descendant (downstream)"),
    "related": ("#b0b0b0", "#555555", "other related model"),
}
PLACEHOLDER_FILL = "#f4f4f4"
"""Fill of a model known only as a relative (not ingested); the border keeps its colour."""
_LABEL_LIMIT = 60

# --------------------------------------------------------------------------------------
# Graph model


@dataclass
class Node:
    """A model on the page: where it stands relative to the target, and what is known of it."""

    id: str
    kind: str
    depth: int
    relation: str | None
    via: str | None
    owner: str | None
    downloads: int | None
    ingested: bool | None
    """None: not known from the result; looked up in `details` if the node is drawn."""


def node_from_details(model_id: str, kind: str, details: Mapping[str, Mapping[str, Any]]) -> Node:
    """A node for `model_id`, known only from its stored properties in `details`."""
    props = details.get(model_id) or {}
    ingested = props.get("ingested")
    return Node(
        id=model_id,
        kind=kind,
        depth=0,
        relation=None,
        via=None,
        owner=_owner(None, props),
        downloads=as_int(props.get("downloads")),
        ingested=True if ingested is None else bool(ingested),
    )


def downloads_of(
    given: int | None, model_id: str, details: Mapping[str, Mapping[str, Any]]
) -> int | None:
    """Downloads from the result, else from `details` (only looked up when missing)."""
    if given is not None:
        return given
    return as_int((details.get(model_id) or {}).get("downloads"))


def _resolve(node: Node, props: Mapping[str, Any]) -> Node:
    """`node` with owner and ingested filled in from its stored properties."""
    ingested = node.ingested
    if ingested is None:
        stored = props.get("ingested")
        ingested = True if stored is None else bool(stored)
    return replace(node, owner=_owner(node.owner, props), ingested=ingested)


def _owner(given: str | None, props: Mapping[str, Any]) -> str | None:
    if given is not None:
        return given
    author = props.get("author")
    return None if author is None else str(author)


def add_edge_ends(
    nodes: dict[str, Node],
    edges: Iterable[tuple[str, str, str]],
    details: Mapping[str, Mapping[str, Any]],
) -> None:
    """Add each end of `edges` not yet in `nodes` as a ``related`` model (depth -1)."""
    for child, parent, _relation in edges:
        for model_id in (child, parent):
            if model_id not in nodes:
                node = node_from_details(model_id, "related", details)
                node.depth = -1
                nodes[model_id] = node


def select(nodes: Mapping[str, Node], cap: int) -> set[str]:
    """Ids to draw: all of them, or the top `cap` by downloads and their paths back."""
    if len(nodes) <= cap:
        return set(nodes)
    roots = {n.id for n in nodes.values() if n.kind == "target"}
    ranked = sorted(
        (n for n in nodes.values() if n.kind != "target"),
        key=lambda n: (-(n.downloads or 0), n.depth, n.id),
    )[:cap]
    keep = set(roots)
    for node in ranked:
        current: Node | None = node
        while current is not None and current.id not in keep:
            keep.add(current.id)
            current = nodes.get(current.via) if current.via is not None else None
    return keep


# --------------------------------------------------------------------------------------
# Tooltips (plain text; turned into text-only elements in the page)


def _node_title(node: Node, props: Mapping[str, Any], placement: str) -> str:
    lines = [clean(node.id), placement]
    lines.append(f"owner: {fmt(node.owner)}")
    lines.append(f"downloads: {fmt_int(node.downloads)}")
    lines.append(f"license: {fmt(props.get('license'))}")
    for key in ("pipeline_tag", "library_name", "gated", "created_at"):
        if props.get(key) is not None:
            lines.append(f"{key}: {fmt(props.get(key))}")
    if node.ingested:
        lines.append("ingested: yes")
    else:
        lines.append("ingested: no (placeholder: known only as a relative)")
    lines.append(f"source: {fmt(props.get('source'))}")
    lines.append(f"observed_at: {fmt(props.get('observed_at'))}")
    return "\n".join(lines)


def _placement(node: Node, nodes: Mapping[str, Node]) -> str:
    if node.kind == "target":
        return "target model"
    if node.kind == "related":
        return "related model"
    label = {
        "seed": "seed (compromised directly)",
        "ancestor": "ancestor",
        "descendant": "descendant",
    }[node.kind]
    if node.via is None or node.depth <= 0:
        return label
    return f"{label}, depth {node.depth}, via {clean(node.via)} ({fmt(node.relation)})"


def _edge_title(child: str, parent: str, relations: list[str], props: Mapping[str, Any]) -> str:
    lines = [f"{clean(child)} → {clean(parent)}", f"relation: {clean(', '.join(relations))}"]
    evidence = props.get("evidence")
    if isinstance(evidence, str):
        evidence = [evidence]
    if isinstance(evidence, Iterable) and not isinstance(evidence, Mapping):
        items = [clean(x) for x in list(evidence)[:20]]
        lines.append("evidence:" if items else "evidence: none recorded")
        lines.extend(f"  - {item}" for item in items)
    else:
        lines.append("evidence: none recorded")
    lines.append(f"confidence: {fmt(props.get('confidence'))}")
    lines.append(f"source: {fmt(props.get('source'))}")
    lines.append(f"observed_at: {fmt(props.get('observed_at'))}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# The networkx graph


def _size(node: Node) -> int:
    downloads = max(node.downloads or 0, 0)
    size = 8 + 5 * math.log10(1 + downloads)
    if node.kind == "target":
        size = max(size, 24)
    return round(min(size, 60))


def _confidence(props: Mapping[str, Any]) -> float | None:
    value = props.get("confidence")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return min(max(value, 0.0), 1.0) if math.isfinite(value) else None


def build_graph(
    nodes: Mapping[str, Node],
    keep: set[str],
    edges: Iterable[tuple[str, str, str]],
    details: Mapping[str, Mapping[str, Any]],
    edge_details: Mapping[tuple[str, str], Mapping[str, Any]],
) -> nx.DiGraph[str]:
    graph: nx.DiGraph[str] = nx.DiGraph()
    order = {"target": 0, "seed": 1, "ancestor": 2, "descendant": 3, "related": 4}
    for node in sorted(
        (nodes[i] for i in keep), key=lambda n: (order[n.kind], n.depth, -(n.downloads or 0), n.id)
    ):
        fill, border, _ = KIND_STYLE[node.kind]
        props = details.get(node.id) or {}
        node = _resolve(node, props)
        attrs: dict[str, Any] = {
            "label": clean(node.id, _LABEL_LIMIT),
            "title": _node_title(node, props, _placement(node, nodes)),
            "shape": "star" if node.kind == "target" else "dot",
            "size": _size(node),
            "kind": node.kind,
            "depth": node.depth,
            "downloads": node.downloads,
            "ingested": node.ingested,
            "borderWidth": 3 if node.kind == "target" else 1.5,
        }
        if node.ingested:
            attrs["color"] = {
                "background": fill,
                "border": border,
                "highlight": {"background": fill, "border": "#000000"},
                "hover": {"background": fill, "border": "#000000"},
            }
        else:
            attrs["color"] = {
                "background": PLACEHOLDER_FILL,
                "border": fill,
                "highlight": {"background": PLACEHOLDER_FILL, "border": "#000000"},
                "hover": {"background": PLACEHOLDER_FILL, "border": "#000000"},
            }
            attrs["borderWidth"] = 2.5
            attrs["shapeProperties"] = {"borderDashes": [4, 3]}
            attrs["font"] = {"color": "#555555"}
        graph.add_node(node.id, **attrs)

    relations: dict[tuple[str, str], list[str]] = {}
    for child, parent, relation in edges:
        if child in keep and parent in keep:
            found = relations.setdefault((child, parent), [])
            if relation not in found:
                found.append(relation)
    for (child, parent), rels in relations.items():
        props = edge_details.get((child, parent)) or {}
        main = rels[0] if rels[0] in RELATION_COLOURS else "unknown"
        colour = RELATION_COLOURS[main]
        confidence = _confidence(props)
        graph.add_edge(
            child,
            parent,
            title=_edge_title(child, parent, rels, props),
            relation=clean(", ".join(rels), 80),
            color={"color": colour, "highlight": colour, "hover": colour},
            dashes=main == "unknown",
            weight=round(1.5 + 2.5 * (confidence if confidence is not None else 0.4), 2),
        )
    return graph


def present_kinds(nodes: Mapping[str, Node], keep: set[str]) -> list[str]:
    """The kinds among the drawn nodes, in legend order."""
    present = {nodes[i].kind for i in keep}
    return [kind for kind in KIND_STYLE if kind in present]


def cap_note(shown: int, total: int, cap: int) -> str:
    """What the page says when the cap hid some models."""
    return f"Showing {shown:,} of {total:,} models (top {cap:,} by downloads and their paths to the target)"


def check_cap(cap: int) -> None:
    """Raise ValueError unless `cap` is at least 1."""
    if cap < 1:
        raise ValueError(f"cap must be at least 1, not {cap}")
