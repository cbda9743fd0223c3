"""The mlsc queries as the benchmark asks them: summaries to compare with the networkx
baseline (``mlsc_*``, the counts ``nxbaseline`` computes too) and whole answers as JSON, to
compare the embedded store with Neo4j (``full_*``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchmarks.suite.measure import Json

if TYPE_CHECKING:
    from mlsc.graph.ladybug import LadybugStore
    from mlsc.graph.store import GraphStore


def mlsc_lineage(store: LadybugStore, model: str) -> Json:
    from mlsc.queries import lineage

    result = lineage(store, model)
    return {
        "ancestors": len(result.ancestors),
        "max_ancestor_depth": max((a.depth for a in result.ancestors), default=0),
        "descendants": len(result.descendants),
    }


def mlsc_blast(store: LadybugStore, model: str) -> Json:
    from mlsc.queries import blast_radius

    result = blast_radius(store, model)
    return {
        "count": result.count,
        "downloads": result.downloads,
        "owners": len(result.owners),
        "max_depth": max(result.by_depth),
        "by_depth": dict(result.by_depth),
    }


def mlsc_reach(store: LadybugStore, actor: str) -> int:
    from mlsc.queries import reach

    return reach(store, actor).total


def full_lineage(store: GraphStore, model: str) -> Json:
    from mlsc.queries import lineage

    return lineage(store, model).to_json()


def full_blast(store: GraphStore, model: str) -> Json:
    from mlsc.queries import blast_radius

    return blast_radius(store, model).to_json()


def full_reach(store: GraphStore, actor: str) -> Json:
    from mlsc.queries import reach

    return reach(store, actor).to_json()
