"""vis-network, inlined: its JS and CSS as shipped inside the pyvis wheel (the page loads
nothing), the node and edge records pyvis lays out from a networkx graph, the options, and
the page's own boot script.

    >>> from mlsc.render.html_vis import vis_assets
    >>> js, css = vis_assets()
    >>> "</script" in js.lower()
    False
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
import pyvis  # type: ignore[import-untyped,unused-ignore]
from pyvis.network import Network  # type: ignore[import-untyped,unused-ignore]

__all__ = ["BOOT_JS", "vis_assets", "vis_options", "vis_records"]

_VIS_VERSION = "9.1.2"
"""The vis-network shipped inside pyvis 0.3.2, the only one mlsc inlines."""


def vis_records(graph: nx.DiGraph[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`graph`'s nodes and edges as vis-network records, by pyvis."""
    net = Network(directed=True, cdn_resources="in_line")
    net.from_nx(graph, default_node_size=10)
    nodes: list[dict[str, Any]] = [dict(n) for n in net.nodes]
    edges: list[dict[str, Any]] = [dict(e) for e in net.edges]
    return nodes, edges


def vis_options(node_count: int, layout: str = "physics") -> dict[str, Any]:
    """vis-network options; big graphs get a cheaper layout (vis warns above 100 nodes).

    ``layers``: top-down by each node's ``level`` (vis-network's hierarchical layout: a
    level is a row, lower levels above), physics only spreading each row sideways.
    ``physics``: nodes settle by forces.
    """
    options = json.loads(json.dumps(_VIS_OPTIONS))
    if layout == "layers":
        options["layout"]["hierarchical"] = json.loads(json.dumps(_LAYERS))
        options["physics"] = {
            "solver": "hierarchicalRepulsion",
            "hierarchicalRepulsion": {"nodeDistance": 150, "avoidOverlap": 0.6},
            "stabilization": {"enabled": True, "iterations": 300, "updateInterval": 50,
                              "fit": True},
        }  # fmt: skip
        options["edges"]["smooth"] = {
            "enabled": True, "type": "cubicBezier", "forceDirection": "vertical",
            "roundness": 0.4,
        }  # fmt: skip
    elif layout != "physics":
        raise ValueError(f"layout must be physics or layers, not {layout!r}")
    if node_count > 100:
        options["layout"]["improvedLayout"] = False
        options["physics"]["stabilization"]["iterations"] = 300
    return dict(options)


_LAYERS: dict[str, Any] = {
    "enabled": True,
    "direction": "UD",
    "sortMethod": "directed",
    "levelSeparation": 110,
    "nodeSpacing": 150,
    "treeSpacing": 180,
    "blockShifting": True,
    "edgeMinimization": True,
    "parentCentralization": True,
}


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


@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
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


BOOT_JS = """
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
"""The page\'s own script: tooltips as text-only elements, the network, ``data-ready``."""
