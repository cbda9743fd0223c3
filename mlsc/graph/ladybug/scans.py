"""Whole-table scans of the embedded store through the engine's native Arrow path: every
node or edge with every schema property, a range of node offsets at a time (what copy and
export read; see :meth:`mlsc.graph.store.GraphStore.scan_nodes`).

    >>> for table in scan_nodes(conn, "Model"):                     # doctest: +SKIP
    ...     print(table.keys)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from mlsc.graph import schema
from mlsc.graph.ladybug.connection import Connection
from mlsc.graph.ladybug.staging import restore_nulls
from mlsc.graph.records import EdgeTable, NodeTable
from mlsc.graph.store import SCAN_ROWS


def _offset_ranges(conn: Connection, label: str, rows: int) -> Iterator[str]:
    """``WHERE`` clauses over node offsets of ``label`` covering every node, ``rows`` apart."""
    top = conn.rows(f"MATCH (n:{label}) RETURN max(offset(id(n)))")[0][0]
    for low in range(0, -1 if top is None else int(top) + 1, max(int(rows), 1)):
        yield f"offset(id(n)) >= {low} AND offset(id(n)) < {low + max(int(rows), 1)}"


def _returning(var: str, names: Sequence[str]) -> str:
    """``var.x AS x, var.x IS NULL AS x__null, ...`` for the native Arrow path."""
    return ", ".join(f"{var}.{n} AS {n}, {var}.{n} IS NULL AS {n}__null" for n in names)


def scan_nodes(conn: Connection, label: str, rows: int = SCAN_ROWS) -> Iterator[NodeTable]:
    ntype = schema.NODES[label]
    names = [n for n, _ in ntype.properties]
    for where in _offset_ranges(conn, label, rows):
        table = restore_nulls(
            conn.native(
                f"MATCH (n:{label}) WHERE {where} RETURN n.{ntype.key} AS {ntype.key}, "
                + _returning("n", names)
            )
        )
        if table.num_rows:
            yield NodeTable(label, table.column(ntype.key), {n: table.column(n) for n in names})


def scan_edges(
    conn: Connection, edge_type: str, src_label: str, dst_label: str, rows: int = SCAN_ROWS
) -> Iterator[EdgeTable]:
    etype = schema.EDGES[edge_type]
    sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
    names = [n for n, _ in etype.properties]
    for where in _offset_ranges(conn, src_label, rows):
        table = restore_nulls(
            conn.native(
                f"MATCH (n:{src_label})-[r:{edge_type}]->(b:{dst_label}) WHERE {where} "
                f"RETURN n.{sk} AS src__, b.{dk} AS dst__, " + _returning("r", names)
            )
        )
        if table.num_rows:
            yield EdgeTable(
                edge_type,
                src_label,
                dst_label,
                table.column("src__"),
                table.column("dst__"),
                {n: table.column(n) for n in names},
            )
