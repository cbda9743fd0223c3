"""igraph as a second in-memory baseline: the practical limit of a traversal in a C library.

The graph is the networkx baseline's (the same child -> parent edges), copied into an igraph
``Graph`` in the benchmark process; per-model columns (id, author, downloads) are numpy
arrays by vertex number. A blast radius is one BFS from the model along incoming edges
(children) plus the per-model columns gathered for every model reached and the totals the
networkx side computes, so the answers can be checked against it.

igraph is optional (the ``dev`` extra installs it): without it :func:`load` returns None and
the benchmark says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class IGraphBaseline:
    graph: Any
    """The ``igraph.Graph``, edges child -> parent."""
    number: dict[str, int]
    ids: np.ndarray[Any, Any]
    author: np.ndarray[Any, Any]
    downloads: np.ndarray[Any, Any]


def load(graph: nx.DiGraph[str]) -> IGraphBaseline | None:
    """The networkx graph's edges and per-model columns in igraph and numpy, or None when
    igraph is not installed."""
    try:
        import igraph
    except ImportError:
        return None
    ids = list(graph)
    number = {m: i for i, m in enumerate(ids)}
    edges = [(number[c], number[p]) for c, p in graph.edges()]
    g = igraph.Graph(n=len(ids), edges=edges, directed=True)
    nodes = graph.nodes
    return IGraphBaseline(
        g,
        number,
        np.array(ids, dtype=object),
        np.array([nodes[m].get("author") for m in ids], dtype=object),
        np.array([nodes[m].get("downloads") or 0 for m in ids], dtype=np.int64),
    )


def _levels(base: IGraphBaseline, model: str, mode: str) -> tuple[Any, Any]:
    """(vertices reached, their depth) by one BFS (mode ``in``: children, ``out``: parents)."""
    vids, layers, _ = base.graph.bfs(base.number[model], mode=mode)
    vids = np.asarray(vids, dtype=np.int64)
    depth = np.repeat(np.arange(len(layers) - 1), np.diff(layers))
    return vids, depth


def blast(base: IGraphBaseline, model: str) -> dict[str, Any]:
    """What ``nx_blast`` returns: BFS down, then id, depth, owner and downloads of every
    affected model gathered by index, and the totals."""
    vids, depth = _levels(base, model, "in")
    columns = (base.ids[vids], depth, base.author[vids], base.downloads[vids])
    _, depth, author, downloads = columns
    owners = {a for a in author.tolist() if a}
    return {
        "count": int(vids.size),
        "downloads": int(downloads.sum()),
        "owners": len(owners),
        "max_depth": int(depth.max()),
        "by_depth": dict(sorted(Counter(depth.tolist()).items())),
    }


def lineage(base: IGraphBaseline, model: str) -> dict[str, Any]:
    """What ``nx_lineage`` returns: BFS up and down with depth, owner and downloads."""
    out: dict[str, Any] = {}
    for key, mode in (("ancestors", "out"), ("descendants", "in")):
        vids, depth = _levels(base, model, mode)
        keep = depth > 0
        columns = (base.ids[vids[keep]], depth[keep], base.author[vids[keep]])
        out[key] = int(keep.sum())
        if key == "ancestors":
            out["max_ancestor_depth"] = int(columns[1].max()) if keep.any() else 0
        _ = base.downloads[vids[keep]]
    return {k: out[k] for k in ("ancestors", "max_ancestor_depth", "descendants")}
