"""The query layer: lineage, blast radius, reach and rankings over any graph store.

Its names are imported on first use, so that a module of this package (the blast radius from
a saved index, :mod:`mlsc.queries.saved`) loads without the rest and pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlsc.queries.core import (
        blast_radius,
        lineage,
        reach,
        require_node,
        resolve_target,
        suggest,
    )
    from mlsc.queries.ranking import top_actors, top_models

_WHERE = {
    "blast_radius": "mlsc.queries.core",
    "lineage": "mlsc.queries.core",
    "reach": "mlsc.queries.core",
    "require_node": "mlsc.queries.core",
    "resolve_target": "mlsc.queries.core",
    "suggest": "mlsc.queries.core",
    "top_actors": "mlsc.queries.ranking",
    "top_models": "mlsc.queries.ranking",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


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
