"""Backend-neutral records: what ingesters produce and stores write.

An ingester turns its input into a :class:`GraphBatch` (lists of nodes and edges); a store
writes the batch idempotently. Keys are the natural keys from :mod:`mlsc.graph.schema`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa


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


ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "STRING[]": pa.list_(pa.string()),
}
"""The Arrow type of each schema property type, for columnar batches."""

Column = Any
"""A sequence of values, or a pyarrow Array/ChunkedArray (the stores take both)."""


def as_list(values: Column) -> list[Any]:
    """A column's values as a Python list."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.to_pylist()  # type: ignore[no-any-return]
    return list(values)


@dataclass(frozen=True)
class NodeTable:
    """Many nodes of one label as columns: the bulk form of :class:`NodeRecord`."""

    label: str
    keys: Column
    """Unique keys, one per row."""
    columns: Mapping[str, Column]
    """Property name -> one value per row; ``None`` never overwrites a stored value."""
    create_only: bool = False


@dataclass(frozen=True)
class EdgeTable:
    """Many edges of one type between two labels as columns: the bulk form of EdgeRecord."""

    type: str
    src_label: str
    dst_label: str
    src: Column
    dst: Column
    """(src[i], dst[i]) pairs, unique."""
    columns: Mapping[str, Column]


@dataclass(frozen=True)
class GraphBatch:
    """Nodes and edges to write in one go, plus which outgoing edges they replace."""

    nodes: Sequence[NodeRecord] = ()
    edges: Sequence[EdgeRecord] = ()
    node_tables: Sequence[NodeTable] = ()
    edge_tables: Sequence[EdgeTable] = ()
    replace_outgoing: Mapping[str, Column] = field(default_factory=dict)
    """Edge type -> source keys whose stored outgoing edges of that type are replaced by
    the batch's (a model's own record is the authority on its declared bases)."""


def node_tables(batch: GraphBatch) -> list[NodeTable]:
    """The batch's nodes as tables: records merged per key (full records win over
    create-only ones, later non-None values over earlier), then the batch's own tables."""
    merged: dict[tuple[str, str], tuple[dict[str, Any], bool]] = {}
    for node in batch.nodes:
        props = {k: v for k, v in node.props.items() if v is not None}
        old = merged.get((node.label, node.key))
        if old is None or (old[1] and not node.create_only):
            merged[(node.label, node.key)] = (props, node.create_only)
        elif old[1] == node.create_only:
            old[0].update(props)
    groups: dict[tuple[str, bool], list[tuple[str, dict[str, Any]]]] = {}
    for (label, key), (props, create_only) in merged.items():
        groups.setdefault((label, create_only), []).append((key, props))
    tables = []
    for (label, create_only), rows in groups.items():
        names = sorted({n for _, p in rows for n in p})
        tables.append(
            NodeTable(
                label,
                [k for k, _ in rows],
                {n: [p.get(n) for _, p in rows] for n in names},
                create_only,
            )
        )
    return [*tables, *batch.node_tables]


def edge_tables(batch: GraphBatch) -> list[EdgeTable]:
    """The batch's edges as tables, merged per (type, src, dst), then its own tables."""
    merged: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    for e in batch.edges:
        props = merged.setdefault((e.type, e.src_label, e.src, e.dst_label, e.dst), {})
        props.update({k: v for k, v in e.props.items() if v is not None})
    groups: dict[tuple[str, str, str], list[tuple[str, str, dict[str, Any]]]] = {}
    for (etype, sl, src, dl, dst), props in merged.items():
        groups.setdefault((etype, sl, dl), []).append((src, dst, props))
    tables = []
    for (etype, sl, dl), rows in groups.items():
        names = sorted({n for _, _, p in rows for n in p})
        tables.append(
            EdgeTable(
                etype,
                sl,
                dl,
                [s for s, _, _ in rows],
                [d for _, d, _ in rows],
                {n: [p.get(n) for _, _, p in rows] for n in names},
            )
        )
    return [*tables, *batch.edge_tables]


@dataclass(frozen=True)
class WriteStats:
    """What a write did."""

    nodes_created: int
    nodes_updated: int
    edges_created: int
    edges_updated: int
    edges_removed: int
