"""Backend-neutral records: what ingesters produce and stores write.

An ingester turns its input into a :class:`GraphBatch` (lists of nodes and edges); a store
writes the batch idempotently. Keys are the natural keys from :mod:`mlsc.graph.schema`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NodeRecord:
    """One node to write."""

    label: str
    """Its label, a key of :data:`mlsc.graph.schema.NODES`."""
    key: str
    """The value of the label's key property."""
    props: Mapping[str, Any]
    """Properties to set; a ``None`` value never overwrites a stored one."""
    create_only: bool = False
    """Write only if the node does not exist yet (a model known only as someone's base)."""


@dataclass(frozen=True)
class EdgeRecord:
    """One relationship to write; at most one exists per (type, src, dst)."""

    type: str
    """Its type, a key of :data:`mlsc.graph.schema.EDGES`."""
    src_label: str
    src: str
    dst_label: str
    dst: str
    props: Mapping[str, Any]
    """Properties to set."""


@dataclass(frozen=True)
class GraphBatch:
    """Nodes and edges to write in one go, plus which outgoing edges they replace."""

    nodes: Sequence[NodeRecord] = ()
    edges: Sequence[EdgeRecord] = ()
    replace_outgoing: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Edge type -> source keys whose stored outgoing edges of that type are replaced by
    the batch's (a model's own record is the authority on its declared bases)."""


@dataclass(frozen=True)
class WriteStats:
    """What a write did."""

    nodes_created: int
    nodes_updated: int
    edges_created: int
    edges_updated: int
    edges_removed: int
