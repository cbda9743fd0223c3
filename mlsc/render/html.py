"""Standalone, offline HTML pages of a lineage or a blast radius.

The graph is built with networkx and laid out by pyvis into vis-network node and edge
records; the page itself is written here, not by pyvis's template, because that template
always pulls bootstrap from a CDN, does not escape the heading, and switches to an
``innerHTML`` popup as soon as any tooltip contains the text "href".

Offline: vis-network 9.1.2 (JS and CSS, as shipped inside the pyvis wheel) is inlined; the
page loads nothing: a Content-Security-Policy ``default-src 'none'`` forbids any fetch and
only the page's own inline scripts (by hash) may run, so an injected ``onerror=`` handler
could not run even if escaping failed.

Escaping: model ids, owners, licences and the rest are attacker-controlled.

* Every string written as HTML (title, headings, summary, legend, the cap note) goes
  through `html.escape`.
* Nodes, edges and options travel as JSON inside ``<script type="application/json">``
  with ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026``, so no
  value can close the script element.
* Tooltips are plain text. vis-network 9.1.2 shows a string ``title`` with
  ``innerText``; older versions used ``innerHTML``. The page does not depend on that:
  before the network is built each title is replaced by a ``<div>`` whose
  ``textContent`` is the text, and vis-network appends an Element as it is.
* Labels are drawn on the canvas as text (``font.multi`` is never enabled).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
import pyvis  # type: ignore[import-untyped,unused-ignore]
from pyvis.network import Network  # type: ignore[import-untyped,unused-ignore]

from mlsc.queries.results import BlastRadius, LineageResult

__all__ = ["RELATION_COLOURS", "render_blast_radius", "render_lineage"]

_VIS_VERSION = "9.1.2"

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

_KIND_STYLE: dict[str, tuple[str, str, str]] = {
    # kind: (fill, border, legend text)
    "target": ("#d62728", "#7a1010", "target model"),
    "seed": ("#e8555a", "#7a1010", "seed: compromised directly"),
    "ancestor": ("#1f77b4", "#0d3d5e", "ancestor (upstream)"),
    "descendant": ("#ff9f1c", "#9c5a00", "descendant (downstream)"),
    "related": ("#b0b0b0", "#555555", "other related model"),
}
_PLACEHOLDER_FILL = "#f4f4f4"
_TEXT_LIMIT = 300
"""Longest attacker-controlled value shown in a tooltip (the rest is cut with an ellipsis)."""
_LABEL_LIMIT = 60


# --------------------------------------------------------------------------------------
# Text hygiene


def _clean(value: object, limit: int = _TEXT_LIMIT) -> str:
    """`value` as printable text: lone surrogates replaced, controls dropped, length cut."""
    text = value if isinstance(value, str) else str(value)
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = "".join(ch for ch in text if ch in "\n\t" or not (ord(ch) < 32 or ord(ch) == 127))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _esc(value: object, limit: int = _TEXT_LIMIT) -> str:
    """HTML-escaped text, safe in element content and in quoted attribute values."""
    return html.escape(_clean(value, limit), quote=True)


def _script_json(value: Any) -> str:
    """JSON that may sit inside a ``<script>`` element: it cannot close or comment it."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    # '<', '>' and '&' occur only inside JSON strings, where \\uXXXX means the same.
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _as_int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return None


def _fmt_int(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def _fmt(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}" if math.isfinite(value) else "unknown"
    return _clean(value)


# --------------------------------------------------------------------------------------
# Graph model


@dataclass
class _Node:
    id: str
    kind: str
    depth: int
    relation: str | None
    via: str | None
    owner: str | None
    downloads: int | None
    ingested: bool | None
    """None: not known from the result; looked up in `details` if the node is drawn."""


def _node_from_details(model_id: str, kind: str, details: Mapping[str, Mapping[str, Any]]) -> _Node:
    props = details.get(model_id) or {}
    ingested = props.get("ingested")
    return _Node(
        id=model_id,
        kind=kind,
        depth=0,
        relation=None,
        via=None,
        owner=_owner(None, props),
        downloads=_as_int(props.get("downloads")),
        ingested=True if ingested is None else bool(ingested),
    )


def _downloads(
    given: int | None, model_id: str, details: Mapping[str, Mapping[str, Any]]
) -> int | None:
    """Downloads from the result, else from `details` (only looked up when missing)."""
    if given is not None:
        return given
    return _as_int((details.get(model_id) or {}).get("downloads"))


def _resolve(node: _Node, props: Mapping[str, Any]) -> _Node:
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


def _lineage_nodes(
    result: LineageResult, details: Mapping[str, Mapping[str, Any]]
) -> dict[str, _Node]:
    nodes: dict[str, _Node] = {result.model: _node_from_details(result.model, "target", details)}
    for kind, entries in (("ancestor", result.ancestors), ("descendant", result.descendants)):
        for e in entries:
            if e.id in nodes:  # on a cycle: already drawn as the target or an ancestor
                continue
            nodes[e.id] = _Node(
                id=e.id,
                kind=kind,
                depth=e.depth,
                relation=e.relation,
                via=e.via,
                owner=e.author,
                downloads=_downloads(e.downloads, e.id, details),
                ingested=e.ingested,
            )
    _add_edge_ends(nodes, result.edges, details)
    return nodes


def _blast_nodes(result: BlastRadius, details: Mapping[str, Mapping[str, Any]]) -> dict[str, _Node]:
    nodes: dict[str, _Node] = {}
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
        nodes[a.id] = _Node(
            id=a.id,
            kind=kind,
            depth=a.depth,
            relation=a.relation,
            via=a.via,
            owner=a.owner,
            downloads=_downloads(a.downloads, a.id, details),
            ingested=None,
        )
    if result.kind == "model" and result.target not in nodes:
        nodes[result.target] = _node_from_details(result.target, "target", details)
    for seed in result.seeds:
        if seed not in nodes:
            nodes[seed] = _node_from_details(seed, "seed", details)
    _add_edge_ends(nodes, result.edges, details)
    return nodes


def _add_edge_ends(
    nodes: dict[str, _Node],
    edges: Iterable[tuple[str, str, str]],
    details: Mapping[str, Mapping[str, Any]],
) -> None:
    for child, parent, _relation in edges:
        for model_id in (child, parent):
            if model_id not in nodes:
                node = _node_from_details(model_id, "related", details)
                node.depth = -1
                nodes[model_id] = node


def _select(nodes: Mapping[str, _Node], cap: int) -> set[str]:
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
        current: _Node | None = node
        while current is not None and current.id not in keep:
            keep.add(current.id)
            current = nodes.get(current.via) if current.via is not None else None
    return keep


# --------------------------------------------------------------------------------------
# Tooltips (plain text; turned into text-only elements in the page)


def _node_title(node: _Node, props: Mapping[str, Any], placement: str) -> str:
    lines = [_clean(node.id), placement]
    lines.append(f"owner: {_fmt(node.owner)}")
    lines.append(f"downloads: {_fmt_int(node.downloads)}")
    lines.append(f"license: {_fmt(props.get('license'))}")
    for key in ("pipeline_tag", "library_name", "gated", "created_at"):
        if props.get(key) is not None:
            lines.append(f"{key}: {_fmt(props.get(key))}")
    if node.ingested:
        lines.append("ingested: yes")
    else:
        lines.append("ingested: no (placeholder: known only as a relative)")
    lines.append(f"source: {_fmt(props.get('source'))}")
    lines.append(f"observed_at: {_fmt(props.get('observed_at'))}")
    return "\n".join(lines)


def _placement(node: _Node, nodes: Mapping[str, _Node]) -> str:
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
    return f"{label}, depth {node.depth}, via {_clean(node.via)} ({_fmt(node.relation)})"


def _edge_title(child: str, parent: str, relations: list[str], props: Mapping[str, Any]) -> str:
    lines = [f"{_clean(child)} → {_clean(parent)}", f"relation: {_clean(', '.join(relations))}"]
    evidence = props.get("evidence")
    if isinstance(evidence, str):
        evidence = [evidence]
    if isinstance(evidence, Iterable) and not isinstance(evidence, Mapping):
        items = [_clean(x) for x in list(evidence)[:20]]
        lines.append("evidence:" if items else "evidence: none recorded")
        lines.extend(f"  - {item}" for item in items)
    else:
        lines.append("evidence: none recorded")
    lines.append(f"confidence: {_fmt(props.get('confidence'))}")
    lines.append(f"source: {_fmt(props.get('source'))}")
    lines.append(f"observed_at: {_fmt(props.get('observed_at'))}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# networkx -> pyvis


def _size(node: _Node) -> int:
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


def _build_graph(
    nodes: Mapping[str, _Node],
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
        fill, border, _ = _KIND_STYLE[node.kind]
        props = details.get(node.id) or {}
        node = _resolve(node, props)
        attrs: dict[str, Any] = {
            "label": _clean(node.id, _LABEL_LIMIT),
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
                "background": _PLACEHOLDER_FILL,
                "border": fill,
                "highlight": {"background": _PLACEHOLDER_FILL, "border": "#000000"},
                "hover": {"background": _PLACEHOLDER_FILL, "border": "#000000"},
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
            relation=_clean(", ".join(rels), 80),
            color={"color": colour, "highlight": colour, "hover": colour},
            dashes=main == "unknown",
            weight=round(1.5 + 2.5 * (confidence if confidence is not None else 0.4), 2),
        )
    return graph


def _vis_records(graph: nx.DiGraph[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    net = Network(directed=True, cdn_resources="in_line")
    net.from_nx(graph, default_node_size=10)
    nodes: list[dict[str, Any]] = [dict(n) for n in net.nodes]
    edges: list[dict[str, Any]] = [dict(e) for e in net.edges]
    return nodes, edges


def _vis_options(node_count: int) -> dict[str, Any]:
    """vis-network options; big graphs get a cheaper layout (vis warns above 100 nodes)."""
    options = json.loads(json.dumps(_VIS_OPTIONS))
    if node_count > 100:
        options["layout"]["improvedLayout"] = False
        options["physics"]["stabilization"]["iterations"] = 300
    return dict(options)


_VIS_OPTIONS: dict[str, Any] = {
    "layout": {"randomSeed": 7},
    "nodes": {
        "font": {
            "size": 13,
            "face": "system-ui, sans-serif",
            "strokeWidth": 3,
            "strokeColor": "#ffffff",
        },
    },
    "edges": {
        "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
        "smooth": {"enabled": True, "type": "continuous", "roundness": 0.5},
        "selectionWidth": 2,
        "hoverWidth": 1.5,
    },
    "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": False},
    "physics": {
        "solver": "forceAtlas2Based",
        "forceAtlas2Based": {
            "gravitationalConstant": -80,
            "centralGravity": 0.01,
            "springLength": 130,
            "springConstant": 0.06,
            "avoidOverlap": 0.4,
        },
        "stabilization": {"enabled": True, "iterations": 600, "updateInterval": 50, "fit": True},
    },
}


# --------------------------------------------------------------------------------------
# Page


@lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    """vis-network's JS and CSS as shipped inside the pyvis package (no network access)."""
    base = Path(pyvis.__file__).parent / "templates" / "lib" / f"vis-{_VIS_VERSION}"
    js_path, css_path = base / "vis-network.min.js", base / "vis-network.css"
    if not js_path.is_file() or not css_path.is_file():
        raise RuntimeError(
            f"vis-network {_VIS_VERSION} not found under {base}: mlsc needs pyvis==0.3.2"
        )
    js = js_path.read_text(encoding="utf-8")
    css = css_path.read_text(encoding="utf-8")
    # Belt and braces: nothing inside may end its element early ("<\/" means "</" in JS).
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    css = re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)
    return js, css


_BOOT_JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("mlsc-graph").textContent);
  function textTip(value) {
    if (typeof value !== "string") { return undefined; }
    var el = document.createElement("div");
    el.className = "mlsc-tip";
    el.textContent = value;
    return el;
  }
  data.nodes.forEach(function (n) { n.title = textTip(n.title); });
  data.edges.forEach(function (e) { e.title = textTip(e.title); });
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("mynetwork");
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, data.options);
  window.mlsc = {network: network, nodes: nodes, edges: edges, ready: false};
  function ready() {
    if (window.mlsc.ready) { return; }
    network.setOptions({physics: {enabled: false}});
    network.fit();
    network.once("afterDrawing", function () {
      window.mlsc.ready = true;
      document.body.setAttribute("data-ready", "1");
    });
    network.redraw();
  }
  network.once("stabilizationIterationsDone", ready);
  network.once("stabilized", ready);
})();
"""

_PAGE_CSS = """
html, body { margin: 0; padding: 0; font-family: system-ui, sans-serif; color: #1d1d1f;
  background: #fafafa; }
body { display: flex; flex-direction: column; height: 100vh; }
header { padding: 12px 20px 6px; }
h1 { font-size: 1.25rem; margin: 0 0 4px; font-weight: 600; }
h1 code { font-size: 1.15rem; background: #eef0f3; padding: 1px 6px; border-radius: 4px;
  word-break: break-all; }
.summary { margin: 2px 0; color: #444; font-size: 0.9rem; }
.note { margin: 6px 0 0; padding: 6px 10px; background: #fff4ce; border: 1px solid #e0c35a;
  border-radius: 4px; font-size: 0.9rem; display: inline-block; }
main { display: flex; gap: 12px; padding: 0 20px 16px; align-items: flex-start;
  flex: 1 1 auto; min-height: 0; }
#mynetwork { flex: 1 1 auto; align-self: stretch; min-height: 420px; background: #fff;
  border: 1px solid #d6d6d6; border-radius: 6px; position: relative; }
#legend { flex: 0 0 250px; background: #fff; border: 1px solid #d6d6d6; border-radius: 6px;
  padding: 10px 12px; font-size: 0.85rem; }
#legend h2 { font-size: 0.95rem; margin: 4px 0 6px; }
#legend ul { list-style: none; margin: 0 0 10px; padding: 0; }
#legend li { display: flex; align-items: center; gap: 8px; margin: 4px 0; }
#legend p { margin: 4px 0; color: #444; }
.sw { display: inline-block; width: 14px; height: 14px; border-radius: 50%;
  border: 2px solid; box-sizing: border-box; flex: 0 0 14px; }
.star { display: inline-block; width: 14px; font-size: 17px; line-height: 14px; flex: 0 0 14px;
  text-align: center; -webkit-text-stroke: 0.6px #7a1010; }
.dashed { border-style: dashed; }
.ln { display: inline-block; width: 30px; height: 0; border-top: 3px solid; flex: 0 0 30px; }
.ln.dash { border-top-style: dashed; }
.count { color: #777; }
div.vis-tooltip { max-width: 480px; white-space: normal; font-size: 12px;
  font-family: ui-monospace, monospace; background: #fffdf2; border: 1px solid #b9a96a; }
.mlsc-tip { white-space: pre-wrap; word-break: break-word; }
"""


def _legend(
    kinds: list[str],
    placeholder: bool,
    relation_counts: Counter[str],
    wording: Mapping[str, str],
) -> str:
    parts = ['<aside id="legend">', "<h2>Models</h2>", "<ul>"]
    for kind in kinds:
        fill, border, text = _KIND_STYLE[kind]
        text = wording.get(kind, text)
        if kind == "target":
            swatch = f'<span class="star" style="color:{fill}">\u2605</span>'
        else:
            swatch = f'<span class="sw" style="background:{fill};border-color:{border}"></span>'
        parts.append(f"<li>{swatch}{_esc(text)}</li>")
    if placeholder:
        parts.append(
            f'<li><span class="sw dashed" style="background:{_PLACEHOLDER_FILL};'
            f'border-color:#777777"></span>{_esc("placeholder: not ingested (dashed)")}</li>'
        )
    parts.append("</ul>")
    parts.append(f"<p>{_esc('Node size grows with log(downloads).')}</p>")
    parts.append("<h2>Derivations</h2><ul>")
    for relation, colour in RELATION_COLOURS.items():
        dash = " dash" if relation == "unknown" else ""
        count = relation_counts.get(relation, 0)
        parts.append(
            f'<li><span class="ln{dash}" style="border-top-color:{colour}"></span>'
            f'{_esc(relation)} <span class="count">({count})</span></li>'
        )
    parts.append("</ul>")
    parts.append(
        f"<p>{_esc('Arrows point from a derived model to its parent; thicker = more confident.')}"
        "</p>"
    )
    parts.append(f"<p>{_esc('Hover a model or an edge for its provenance.')}</p>")
    parts.append("</aside>")
    return "\n".join(parts)


def _csp(*scripts: str) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
        for s in scripts
    )
    return (
        "default-src 'none'; "
        f"script-src {hashes}; "
        "style-src 'unsafe-inline'; "
        "img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def _page(
    *,
    title: str,
    heading_html: str,
    summary: list[str],
    note: str | None,
    graph: nx.DiGraph[str],
    legend_kinds: list[str],
    wording: Mapping[str, str] | None = None,
) -> str:
    vis_nodes, vis_edges = _vis_records(graph)
    relation_counts: Counter[str] = Counter()
    for _c, _p, data in graph.edges(data=True):
        main = str(data.get("relation", "unknown")).split(", ")[0]
        relation_counts[main if main in RELATION_COLOURS else "unknown"] += 1
    placeholder = any(not n.get("ingested", True) for n in vis_nodes)
    payload = _script_json(
        {"nodes": vis_nodes, "edges": vis_edges, "options": _vis_options(len(vis_nodes))}
    )
    vis_js, vis_css = _vis_assets()
    note_html = f'<p class="note" id="mlsc-cap-note">{_esc(note, 1000)}</p>' if note else ""
    summary_html = "".join(f'<p class="summary">{_esc(s, 1000)}</p>' for s in summary)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_csp(vis_js, _BOOT_JS)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="referrer" content="no-referrer">',
            f"<title>{_esc(title, 400)}</title>",
            f"<style>{vis_css}</style>",
            f"<style>{_PAGE_CSS}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{heading_html}</h1>",
            summary_html,
            note_html,
            "</header>",
            "<main>",
            '<div id="mynetwork"></div>',
            _legend(legend_kinds, placeholder, relation_counts, wording or {}),
            "</main>",
            "<noscript><p>This page draws the graph with JavaScript.</p></noscript>",
            f'<script type="application/json" id="mlsc-graph">{payload}</script>',
            f"<script>{vis_js}</script>",
            f"<script>{_BOOT_JS}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _present_kinds(nodes: Mapping[str, _Node], keep: set[str]) -> list[str]:
    present = {nodes[i].kind for i in keep}
    return [kind for kind in _KIND_STYLE if kind in present]


def _cap_note(shown: int, total: int, cap: int) -> str:
    return f"Showing {shown:,} of {total:,} models (top {cap:,} by downloads and their paths to the target)"


def _check_cap(cap: int) -> None:
    if cap < 1:
        raise ValueError(f"cap must be at least 1, not {cap}")


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
    _check_cap(cap)
    nodes = _lineage_nodes(result, details)
    keep = _select(nodes, cap)
    graph = _build_graph(nodes, keep, result.edges, details, edge_details)
    ancestors = len({e.id for e in result.ancestors})
    descendants = len({e.id for e in result.descendants})
    summary = [
        " · ".join(
            [
                _count(ancestors, "ancestor"),
                _count(descendants, "descendant"),
                _count(len(result.cycles), "cycle"),
                _count(len(result.edges), "derivation"),
            ]
        )
    ]
    note = _cap_note(len(keep), len(nodes), cap) if len(keep) < len(nodes) else None
    return _page(
        title=f"mlsc · lineage · {result.model}",
        heading_html=f"Lineage of <code>{_esc(result.model, 400)}</code>",
        summary=summary,
        note=note,
        graph=graph,
        legend_kinds=_present_kinds(nodes, keep),
    )


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
    """
    _check_cap(cap)
    nodes = _blast_nodes(result, details)
    keep = _select(nodes, cap)
    graph = _build_graph(nodes, keep, result.edges, details, edge_details)
    depths = ", ".join(f"{d}: {n:,}" for d, n in sorted(result.by_depth.items()))
    summary = [
        " · ".join(
            [
                _count(result.count, "affected model"),
                _count(result.downloads, "download"),
                _count(len(result.owners), "owner") + " to notify",
                _count(len(result.seeds), "seed"),
            ]
        )
    ]
    if depths:
        summary.append(f"by depth: {depths}")
    note = _cap_note(len(keep), len(nodes), cap) if len(keep) < len(nodes) else None
    return _page(
        title=f"mlsc · blast radius · {result.target}",
        heading_html=f"Blast radius of {_esc(result.kind)} <code>{_esc(result.target, 400)}</code>",
        summary=summary,
        note=note,
        graph=graph,
        legend_kinds=_present_kinds(nodes, keep),
        wording={
            "target": "target model (compromised)",
            "seed": f"seed: controlled by the {result.kind}"
            if result.kind == "actor"
            else "seed: compromised directly",
            "descendant": "affected downstream",
        },
    )
