"""Small graphs with known answers, as write batches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlsc.graph import schema
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord, as_list
from mlsc.graph.store import GraphStore

PROV = {"source": "test", "observed_at": "2026-01-01T00:00:00Z"}


def model(mid: str, **props: object) -> NodeRecord:
    owner = mid.split("/", 1)[0] if "/" in mid else None
    return NodeRecord(
        "Model", mid, {"hub": "huggingface", "author": owner, "ingested": True, **PROV, **props}
    )


def derived(child: str, parent: str, relation: str = "finetune", **props: object) -> EdgeRecord:
    return EdgeRecord(
        "DERIVED_FROM",
        "Model",
        child,
        "Model",
        parent,
        {"relation": relation, "evidence": ["test"], "confidence": 1.0, **PROV, **props},
    )


def lineage_batch(
    edges: Iterable[tuple[str, str, str]], *, extra: Iterable[str] = ()
) -> GraphBatch:
    """Models for every id named, owners from namespaces, and the (child, parent, rel) edges."""
    edges = list(edges)
    ids = dict.fromkeys([*extra, *(c for c, _, _ in edges), *(p for _, p, _ in edges)])
    nodes: list[NodeRecord] = [model(i) for i in ids]
    rels: list[EdgeRecord] = [derived(c, p, r) for c, p, r in edges]
    for i in ids:
        if "/" in i:
            owner = i.split("/", 1)[0]
            nodes.append(NodeRecord("Actor", owner, {"hub": "huggingface", **PROV}))
            rels.append(EdgeRecord("OWNS", "Actor", owner, "Model", i, PROV))
    return GraphBatch(nodes, rels)


def chain(length: int, prefix: str = "chain/m") -> list[tuple[str, str, str]]:
    """m1 -> m0, m2 -> m1, ... : ``length`` hops."""
    return [(f"{prefix}{i}", f"{prefix}{i - 1}", "finetune") for i in range(1, length + 1)]


# A merge-of-merges diamond: r at the root; a, b fine-tunes; m merges a and b; mm merges m
# and a; q quantizes mm; x is unrelated.
DIAMOND = [
    ("o/a", "o/r", "finetune"),
    ("o/b", "o/r", "adapter"),
    ("p/m", "o/a", "merge"),
    ("p/m", "o/b", "merge"),
    ("p/mm", "p/m", "merge"),
    ("p/mm", "o/a", "merge"),
    ("q/q", "p/mm", "quantized"),
    ("z/x", "z/y", "finetune"),
]


def contents(store: GraphStore, rows: int = 1000) -> dict[tuple[str, ...], dict[str, Any]]:
    """Everything a store holds, read through its scans: (label, key) or (type, src label,
    src, dst label, dst) -> properties. Two stores holding the same graph compare equal."""
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for ntype in schema.NODE_TYPES:
        for table in store.scan_nodes(ntype.label, rows):
            columns = {name: as_list(values) for name, values in table.columns.items()}
            for i, key in enumerate(as_list(table.keys)):
                assert (ntype.label, key) not in out, (ntype.label, key)
                out[(ntype.label, key)] = {name: values[i] for name, values in columns.items()}
    for etype in schema.EDGE_TYPES:
        for src_label, dst_label in etype.pairs:
            for et in store.scan_edges(etype.type, src_label, dst_label, rows):
                columns = {name: as_list(values) for name, values in et.columns.items()}
                pairs = zip(as_list(et.src), as_list(et.dst), strict=True)
                for i, (src, dst) in enumerate(pairs):
                    edge = (etype.type, src_label, src, dst_label, dst)
                    assert edge not in out, edge
                    out[edge] = {name: values[i] for name, values in columns.items()}
    return out
