"""The query layer: lineage, blast radius, reach and rankings over any graph store."""

from mlsc.queries.core import blast_radius, lineage, reach, require_node, resolve_target, suggest
from mlsc.queries.ranking import top_actors, top_models

__all__ = [
    "blast_radius",
    "lineage",
    "reach",
    "require_node",
    "resolve_target",
    "suggest",
    "top_actors",
    "top_models",
]
