"""The page a lineage or blast-radius graph is drawn on: heading, summary, cap note,
legend, the graph's data as JSON and the inlined vis-network, under a policy that lets only
those scripts run.

    >>> from mlsc.render.html_page import graph_page
    >>> import networkx as nx
    >>> graph_page(title="t", heading_html="h", summary=[], note=None, graph=nx.DiGraph(),
    ...            legend_kinds=[], model_counts={}).startswith("<!DOCTYPE html>")
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Literal

import networkx as nx

from mlsc.render.html_graph import KIND_STYLE, PLACEHOLDER_FILL, RELATION_COLOURS
from mlsc.render.html_tables import SECTION_CSS, SORT_JS
from mlsc.render.html_vis import BOOT_JS, vis_assets, vis_options, vis_records
from mlsc.render.page import count, csp, esc, script_json

__all__ = ["PAGE_JS", "graph_page"]

PAGE_JS = BOOT_JS + SORT_JS
"""The page's one script: the network, then the tables' sorting."""

_PAGE_CSS = """
html, body { margin: 0; padding: 0; font-family: system-ui, sans-serif; color: #1d1d1f;
  background: #fafafa; }
body { min-height: 100vh; }
header { padding: 12px 20px 6px; }
h1 { font-size: 1.25rem; margin: 0 0 4px; font-weight: 600; }
h1 code { font-size: 1.15rem; background: #eef0f3; padding: 1px 6px; border-radius: 4px;
  word-break: break-all; }
.summary { margin: 2px 0; color: #444; font-size: 0.9rem; }
.note { margin: 6px 0 0; padding: 6px 10px; background: #fff4ce; border: 1px solid #e0c35a;
  border-radius: 4px; font-size: 0.9rem; display: inline-block; }
main { display: flex; gap: 12px; padding: 0 20px 16px; align-items: flex-start;
  height: calc(100vh - 110px); min-height: 460px; box-sizing: border-box; }
#mynetwork { flex: 1 1 auto; align-self: stretch; min-height: 420px; background: #fff;
  border: 1px solid #d6d6d6; border-radius: 6px; position: relative; }
#legend { flex: 0 0 250px; max-height: 100%; overflow-y: auto; box-sizing: border-box;
  background: #fff; border: 1px solid #d6d6d6; border-radius: 6px;
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
.sq { border-radius: 2px; }
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
    edge_counts: Counter[str],
    model_counts: Mapping[str, int],
    wording: Mapping[str, str],
    extra_html: str = "",
) -> str:
    parts = ['<aside id="legend">', "<h2>Models</h2>", "<ul>"]
    for kind in kinds:
        fill, border, text = KIND_STYLE[kind]
        text = wording.get(kind, text)
        if kind == "target":
            swatch = f'<span class="star" style="color:{fill}">\u2605</span>'
        else:
            swatch = f'<span class="sw" style="background:{fill};border-color:{border}"></span>'
        parts.append(f"<li>{swatch}{esc(text)}</li>")
    if placeholder:
        parts.append(
            f'<li><span class="sw dashed" style="background:{PLACEHOLDER_FILL};'
            f'border-color:#777777"></span>{esc("placeholder: not ingested (dashed)")}</li>'
        )
    parts.append("</ul>")
    parts.append(f"<p>{esc('Node size grows with log(downloads).')}</p>")
    parts.append("<h2>Derivations</h2>")
    parts.append(f"<p>{esc('Models reached by each relation; edges drawn in its colour.')}</p>")
    parts.append('<ul id="mlsc-relations">')
    others = sorted(r for r in model_counts if r not in RELATION_COLOURS)
    for relation in [*RELATION_COLOURS, *others]:
        colour = RELATION_COLOURS.get(relation, RELATION_COLOURS["unknown"])
        dash = " dash" if relation not in RELATION_COLOURS or relation == "unknown" else ""
        models = model_counts.get(relation, 0)
        edges = edge_counts.get(relation, 0) if relation in RELATION_COLOURS else 0
        parts.append(
            f'<li><span class="ln{dash}" style="border-top-color:{colour}"></span>'
            f'{esc(relation, 40)} <span class="count" data-relation="{esc(relation)}" '
            f'data-models="{models}" data-edges="{edges}">'
            f"({count(models, 'model')}, {count(edges, 'edge')})</span></li>"
        )
    parts.append("</ul>")
    parts.append(
        f"<p>{esc('Arrows point from a derived model to its parent; thicker = more confident.')}"
        "</p>"
    )
    parts.append(f"<p>{esc('Hover a model or an edge for its provenance.')}</p>")
    if extra_html:
        parts.append(extra_html)
    parts.append("</aside>")
    return "\n".join(parts)


def graph_page(
    *,
    title: str,
    heading_html: str,
    summary: list[str],
    note: str | None,
    graph: nx.DiGraph[str],
    legend_kinds: list[str],
    model_counts: Mapping[str, int],
    wording: Mapping[str, str] | None = None,
    legend_extra_html: str = "",
    details_html: str = "",
    layout: Literal["physics", "layers"] = "physics",
) -> str:
    """The page; ``legend_extra_html`` (already escaped) goes at the end of the legend,
    ``details_html`` (already escaped: charts and tables) under the graph.

    The legend gives, per relation, ``model_counts`` (the models that relation reached: the
    CLI's numbers) and the derivation edges drawn in its colour; edges of ``kind`` ``uses``
    (an application's) are not derivations. ``layers`` lays nodes out top-down by their
    ``level``; ``physics`` lets them settle by forces."""
    vis_nodes, vis_edges = vis_records(graph)
    edge_counts: Counter[str] = Counter()
    for _c, _p, data in graph.edges(data=True):
        if data.get("kind") == "uses":
            continue
        main = str(data.get("relation", "unknown")).split(", ")[0]
        edge_counts[main if main in RELATION_COLOURS else "unknown"] += 1
    placeholder = any(not n.get("ingested", True) for n in vis_nodes)
    payload = script_json(
        {"nodes": vis_nodes, "edges": vis_edges, "options": vis_options(len(vis_nodes), layout)}
    )
    vis_js, vis_css = vis_assets()
    note_html = f'<p class="note" id="mlsc-cap-note">{esc(note, 1000)}</p>' if note else ""
    summary_html = "".join(f'<p class="summary">{esc(s, 1000)}</p>' for s in summary)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{csp(vis_js, PAGE_JS)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="referrer" content="no-referrer">',
            f"<title>{esc(title, 400)}</title>",
            f"<style>{vis_css}</style>",
            f"<style>{_PAGE_CSS}{SECTION_CSS}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{heading_html}</h1>",
            summary_html,
            note_html,
            "</header>",
            "<main>",
            '<div id="mynetwork"></div>',
            _legend(
                legend_kinds,
                placeholder,
                edge_counts,
                model_counts,
                wording or {},
                legend_extra_html,
            ),
            "</main>",
            f'<section id="mlsc-details">{details_html}</section>' if details_html else "",
            "<noscript><p>This page draws the graph with JavaScript.</p></noscript>",
            f'<script type="application/json" id="mlsc-graph">{payload}</script>',
            f"<script>{vis_js}</script>",
            f"<script>{PAGE_JS}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )
