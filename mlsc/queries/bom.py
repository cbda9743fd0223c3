"""What a model's ML-BOM needs from the knowledge base, gathered in a few reads.

    >>> from mlsc.graph import open_store
    >>> from mlsc.render.cyclonedx import ml_bom_json
    >>> with open_store(read_only=True) as store:                    # doctest: +SKIP
    ...     print(ml_bom_json(ml_bom_facts(store, "quantlab/Evo-8B-g12-GGUF")))

:func:`ml_bom_facts` reads; :mod:`mlsc.render.cyclonedx` turns the values into a document
and never touches the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlsc.graph import reads
from mlsc.graph.algorithms import cycles as find_cycles
from mlsc.graph.store import GraphStore
from mlsc.queries.core import lineage_entries, require_node
from mlsc.queries.results import LineageEntry


@dataclass(frozen=True)
class BomEdge:
    """One DERIVED_FROM edge of the lineage with all its properties."""

    child: str
    parent: str
    relation: str | None
    evidence: tuple[str, ...]
    confidence: float | None


@dataclass(frozen=True)
class MlBomFacts:
    """Everything a model's ML-BOM says, as values."""

    model: str
    nodes: Mapping[str, Mapping[str, Any]]
    """Model id -> its node, for the model and every ancestor."""
    ancestors: tuple[LineageEntry, ...]
    """In lineage order: depth, downloads (most first), id."""
    edges: Mapping[str, tuple[BomEdge, ...]]
    """Child id -> its DERIVED_FROM edges, by parent id."""
    cycles: tuple[tuple[str, ...], ...]
    owners: Mapping[str, Mapping[str, Any]]
    """Owner name -> its Actor node, for the owners of those models that are known actors."""
    datasets: tuple[reads.TrainedOn, ...]
    """The model's data sets, by id."""
    files: tuple[reads.BomFile, ...]
    """The model's files, by file id."""


def ml_bom_facts(store: GraphStore, model_id: str) -> MlBomFacts:
    """What :func:`mlsc.render.cyclonedx.ml_bom` needs about ``model_id``. Raises
    :class:`~mlsc.errors.NotFoundError` for an unknown model (and
    :class:`~mlsc.errors.EmptyStoreError` on an empty store)."""
    require_node(store, "Model", model_id)
    up = store.expand([model_id], "up")
    ancestors = tuple(lineage_entries(up, "up"))
    members = sorted({model_id, *(a.id for a in ancestors)})
    found = reads.nodes(store, "Model", members)
    nodes: dict[str, Mapping[str, Any]] = {m: found.get(m) or {"id": m} for m in members}
    reached = set(zip(*(up.edges.column(c).to_pylist() for c in ("child", "parent")), strict=True))
    props = {(e.child, e.parent): e for e in reads.derivations_from(store, members)}
    edges: dict[str, list[BomEdge]] = {}
    for child, parent in sorted(reached):
        if child not in nodes or parent not in nodes:
            continue  # cannot happen going up: every parent of a reached model is reached
        edge = props.get((child, parent))
        confidence = edge.confidence if edge else None
        edges.setdefault(child, []).append(
            BomEdge(
                child,
                parent,
                edge.relation if edge else None,
                tuple(str(e) for e in (edge.evidence if edge else None) or ()),
                float(confidence) if confidence is not None else None,
            )
        )
    cycles = find_cycles((e.child, e.parent) for es in edges.values() for e in es)
    authors = [str(a) for n in nodes.values() if (a := n.get("author"))]
    return MlBomFacts(
        model=model_id,
        nodes=nodes,
        ancestors=ancestors,
        edges={child: tuple(es) for child, es in edges.items()},
        cycles=tuple(cycles),
        owners=reads.nodes(store, "Actor", authors),
        datasets=tuple(d for d in reads.datasets_of(store, [model_id])),
        files=tuple(reads.bom_files(store, model_id)),
    )
