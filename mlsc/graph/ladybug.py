"""The embedded store: LadybugDB (the maintained fork of Kùzu), in-process, one directory.

    >>> from mlsc.graph.ladybug import LadybugStore
    >>> with LadybugStore("/tmp/kb") as store:          # doctest: +SKIP
    ...     print(store.counts()["Model"])

Bulk writes go through Parquet files staged in a temporary directory and loaded with
``COPY ... FROM`` (new rows) or ``LOAD FROM ... MATCH ... SET`` (rows that already exist),
never row by row. Traversals use ``SHORTEST`` variable-length patterns, which answer "what is
reachable" without enumerating paths, with the engine's 30-hop default raised far above any
real lineage depth; a traversal that reaches the raised bound raises instead of truncating.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.parquet as pq

from mlsc.errors import (
    EmptyStoreError,
    ReadOnlyViolation,
    StoreError,
    StoreLockedError,
)
from mlsc.graph import schema
from mlsc.graph.records import (
    EdgeTable,
    GraphBatch,
    NodeTable,
    WriteStats,
    edge_tables,
    node_tables,
)
from mlsc.graph.store import (
    CypherResult,
    Direction,
    Expansion,
    GraphStore,
    Hop,
    ModelSummary,
)

DB_FILE = "graph.lbug"
MAX_DEPTH = 10_000
"""Variable-length bound. Far above any real chain (the hub's deepest are ~40 hops); reaching
it raises :class:`StoreError` rather than silently cutting the answer."""

_ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "STRING[]": pa.list_(pa.string()),
}


def _ddl() -> list[str]:
    stmts = []
    for node in schema.NODE_TYPES:
        cols = ", ".join(
            [f"{node.key} STRING PRIMARY KEY"] + [f"{n} {t}" for n, t in node.properties]
        )
        stmts.append(f"CREATE NODE TABLE IF NOT EXISTS {node.label}({cols})")
    for edge in schema.EDGE_TYPES:
        pairs = ", ".join(f"FROM {a} TO {b}" for a, b in edge.pairs)
        props = "".join(f", {n} {t}" for n, t in edge.properties)
        stmts.append(f"CREATE REL TABLE IF NOT EXISTS {edge.type}({pairs}{props})")
    return stmts


def _translate(exc: Exception, location: str) -> StoreError:
    text = str(exc)
    if "Could not set lock" in text:
        return StoreLockedError(
            f"the knowledge base at {location} is open for writing in another process",
            hint="Wait for that process (an ingestion?) to finish, or use another --db.",
        )
    if "read-only" in text.lower() or "read only" in text.lower():
        return ReadOnlyViolation(
            f"refused: the query writes, and the knowledge base at {location} is open read-only",
            hint="Queries through `mlsc cypher` are read-only unless --write is given.",
        )
    return StoreError(f"LadybugDB at {location}: {text}")


class LadybugStore(GraphStore):
    """A knowledge base in one directory on the local disk."""

    backend = "ladybug"

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self._dir = Path(path).expanduser()
        self._read_only = read_only
        db_path = self._dir / DB_FILE
        if read_only and not db_path.exists():
            raise EmptyStoreError(str(self._dir))
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            self._db = ladybug.Database(str(db_path), read_only=read_only)
            self._conn = ladybug.Connection(self._db)
            self._closed = False
            self._conn.execute(f"CALL var_length_extend_max_depth={MAX_DEPTH}")
            if not read_only:
                for stmt in _ddl():
                    self._conn.execute(stmt)
        except OSError as exc:
            raise StoreError(
                f"cannot create the knowledge base directory {self._dir}: {exc.strerror}",
                hint="Choose a writable place with --db PATH or MLSC_DB.",
            ) from exc
        except RuntimeError as exc:
            raise _translate(exc, str(self._dir)) from exc

    # -- plumbing ------------------------------------------------------------------------

    @property
    def location(self) -> str:
        return str(self._dir)

    def _run(self, query: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            return self._conn.execute(query, dict(params) if params else None)
        except RuntimeError as exc:
            raise _translate(exc, self.location) from exc

    def _rows(self, query: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        rows: list[list[Any]] = self._run(query, params).get_all()
        return rows

    def _arrow(self, query: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        return self._run(query, params).get_as_arrow()

    def _count(self, query: str) -> int:
        return int(self._rows(query)[0][0])

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._conn.close()
            self._db.close()
            self._closed = True

    # -- writes --------------------------------------------------------------------------

    def write(self, batch: GraphBatch) -> WriteStats:
        if self._read_only:
            raise ReadOnlyViolation(f"the knowledge base at {self.location} is open read-only")
        created = updated = e_created = e_updated = e_removed = 0
        new_keys: dict[str, set[str]] = {}  # label -> keys created now: their edges are new
        with tempfile.TemporaryDirectory(prefix="mlsc-stage-") as tmp:
            stage = _Stage(Path(tmp))
            tables = node_tables(batch)
            full_keys: dict[str, set[str]] = {}
            for table in sorted(tables, key=lambda t: t.create_only):
                c, u = self._write_node_table(stage, table, new_keys, full_keys)
                created, updated = created + c, updated + u
            edges = edge_tables(batch)
            for edge_type, sources in batch.replace_outgoing.items():
                etype = schema.EDGES[edge_type]
                old_sources = frozenset(
                    s for s in sources if all(s not in new_keys.get(a, ()) for a, _ in etype.pairs)
                )
                if old_sources:
                    keep = {
                        pair
                        for t in edges
                        if t.type == edge_type
                        for pair in zip(t.src, t.dst, strict=True)
                    }
                    e_removed += self._remove_stale(stage, etype, old_sources, keep)
            for et in edges:
                c, u = self._write_edge_table(stage, et, new_keys)
                e_created, e_updated = e_created + c, e_updated + u
        return WriteStats(created, updated, e_created, e_updated, e_removed)

    def _existing(self, stage: _Stage, label: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are stored already (one staged lookup, not one query each)."""
        key = schema.NODES[label].key
        if not keys or self._count(f"MATCH (n:{label}) RETURN count(*)") == 0:
            return set()
        path = stage.write({"k": list(keys)}, {"k": "STRING"})
        table = self._arrow(f"LOAD FROM '{path}' MATCH (n:{label} {{{key}: k}}) RETURN k")
        return set(table.column(0).to_pylist())

    def _write_node_table(
        self,
        stage: _Stage,
        table: NodeTable,
        new_keys: dict[str, set[str]],
        full_keys: dict[str, set[str]],
    ) -> tuple[int, int]:
        ntype = schema.NODES[table.label]
        types = dict(ntype.properties)
        unknown = set(table.columns) - set(types)
        if unknown:
            raise StoreError(f"{table.label} has no properties {sorted(unknown)}")
        written = full_keys.setdefault(table.label, set())
        existing = self._existing(stage, table.label, table.keys)
        rows = range(len(table.keys))
        if table.create_only:
            new_rows = [
                i for i in rows if table.keys[i] not in existing and table.keys[i] not in written
            ]
            upd_rows: list[int] = []
        else:
            new_rows = [i for i in rows if table.keys[i] not in existing]
            upd_rows = [i for i in rows if table.keys[i] in existing]
            written.update(table.keys)
        key = ntype.key
        if new_rows:
            cols: dict[str, list[Any]] = {key: [table.keys[i] for i in new_rows]}
            for name in types:
                values = table.columns.get(name)
                cols[name] = [values[i] for i in new_rows] if values else [None] * len(new_rows)
            self._run(f"COPY {ntype.label} FROM '{stage.write(cols, {key: 'STRING', **types})}'")
            new_keys.setdefault(table.label, set()).update(cols[key])
        if upd_rows:
            names = [n for n, v in table.columns.items() if any(v[i] is not None for i in upd_rows)]
            if names:
                cols = {key: [table.keys[i] for i in upd_rows]} | {
                    n: [table.columns[n][i] for i in upd_rows] for n in names
                }
                path = stage.write(cols, {key: "STRING", **{n: types[n] for n in names}})
                sets = ", ".join(f"n.{n} = coalesce({n}, n.{n})" for n in names)
                self._run(f"LOAD FROM '{path}' MATCH (n:{ntype.label} {{{key}: {key}}}) SET {sets}")
        return len(new_rows), len(upd_rows)

    def _remove_stale(
        self,
        stage: _Stage,
        etype: schema.EdgeType,
        sources: frozenset[str],
        keep: set[tuple[str, str]],
    ) -> int:
        """Delete stored ``etype`` edges out of ``sources`` that the batch no longer has."""
        if self._count(f"MATCH ()-[r:{etype.type}]->() RETURN count(*)") == 0:
            return 0
        removed = 0
        for src_label, dst_label in etype.pairs:
            sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
            path = stage.write({"k": sorted(sources)}, {"k": "STRING"})
            stored = self._arrow(
                f"LOAD FROM '{path}' MATCH (a:{src_label} {{{sk}: k}})-[r:{etype.type}]->"
                f"(b:{dst_label}) RETURN a.{sk}, b.{dk}"
            )
            stale = [
                (a, b)
                for a, b in zip(
                    stored.column(0).to_pylist(), stored.column(1).to_pylist(), strict=True
                )
                if (a, b) not in keep
            ]
            if stale:
                path = stage.write(
                    {"src": [a for a, _ in stale], "dst": [b for _, b in stale]},
                    {"src": "STRING", "dst": "STRING"},
                )
                self._run(
                    f"LOAD FROM '{path}' MATCH (a:{src_label} {{{sk}: src}})-[r:{etype.type}]->"
                    f"(b:{dst_label} {{{dk}: dst}}) DELETE r"
                )
                removed += len(stale)
        return removed

    def _write_edge_table(
        self, stage: _Stage, table: EdgeTable, new_keys: dict[str, set[str]]
    ) -> tuple[int, int]:
        etype = schema.EDGES[table.type]
        types = dict(etype.properties)
        src_label, dst_label = table.src_label, table.dst_label
        sk, dk = schema.NODES[src_label].key, schema.NODES[dst_label].key
        pattern = f"(a:{src_label} {{{sk}: src}})-[r:{etype.type}]->(b:{dst_label} {{{dk}: dst}})"
        new_src, new_dst = new_keys.get(src_label, set()), new_keys.get(dst_label, set())
        rows = range(len(table.src))
        # An edge touching a node this write created is new; only the others need a lookup.
        unsure = [i for i in rows if table.src[i] not in new_src and table.dst[i] not in new_dst]
        existing: set[int] = set()
        if unsure and self._count(f"MATCH ()-[r:{etype.type}]->() RETURN count(*)") > 0:
            path = stage.write(
                {
                    "i": unsure,
                    "src": [table.src[i] for i in unsure],
                    "dst": [table.dst[i] for i in unsure],
                },
                {"i": "INT64", "src": "STRING", "dst": "STRING"},
            )
            existing = set(
                self._arrow(f"LOAD FROM '{path}' MATCH {pattern} RETURN i").column(0).to_pylist()
            )
        new_rows = [i for i in rows if i not in existing]
        upd_rows = sorted(existing)

        def columns(picked: list[int]) -> dict[str, list[Any]]:
            out = {}
            for name in types:
                values = table.columns.get(name)
                out[name] = [values[i] for i in picked] if values else [None] * len(picked)
            return out

        if new_rows:
            cols = {
                "from": [table.src[i] for i in new_rows],
                "to": [table.dst[i] for i in new_rows],
            } | columns(new_rows)
            path = stage.write(cols, {"from": "STRING", "to": "STRING", **types})
            options = f" (from='{src_label}', to='{dst_label}')" if len(etype.pairs) > 1 else ""
            self._run(f"COPY {etype.type} FROM '{path}'{options}")
        if upd_rows and table.columns:
            names = [n for n in types if n in table.columns]
            cols = {
                "src": [table.src[i] for i in upd_rows],
                "dst": [table.dst[i] for i in upd_rows],
            } | {n: [table.columns[n][i] for i in upd_rows] for n in names}
            path = stage.write(
                cols, {"src": "STRING", "dst": "STRING", **{n: types[n] for n in names}}
            )
            sets = ", ".join(f"r.{n} = coalesce({n}, r.{n})" for n in names)
            self._run(f"LOAD FROM '{path}' MATCH {pattern} SET {sets}")
        return len(new_rows), len(upd_rows)

    # -- reads ---------------------------------------------------------------------------

    def node(self, label: str, key: str) -> dict[str, Any] | None:
        ntype = schema.NODES[label]
        rows = self._rows(
            f"MATCH (n:{label} {{{ntype.key}: $k}}) RETURN "
            + ", ".join(f"n.{c}" for c in ntype.columns),
            {"k": key},
        )
        return dict(zip(ntype.columns, rows[0], strict=True)) if rows else None

    def derivation(self, child: str, parent: str) -> dict[str, Any] | None:
        names = [n for n, _ in schema.DERIVED_FROM.properties]
        rows = self._rows(
            "MATCH (c:Model {id: $c})-[r:DERIVED_FROM]->(p:Model {id: $p}) RETURN "
            + ", ".join(f"r.{n}" for n in names),
            {"c": child, "p": parent},
        )
        return dict(zip(names, rows[0], strict=True)) if rows else None

    def expand(self, seeds: Sequence[str], direction: Direction) -> Expansion:
        seed_list = sorted(set(seeds))
        if not seed_list:
            return Expansion({}, (), {})
        info = self.summaries(seed_list)
        depth: dict[str, int] = {s: 0 for s in seed_list if s in info}
        arrow, tail = ("<-", "-") if direction == "down" else ("-", "->")
        # (b) is a reached model and (b)->(p) each of its parent edges (roots have none).
        table = self._arrow(
            f"MATCH (a:Model){arrow}[e:DERIVED_FROM* SHORTEST 1..{MAX_DEPTH}]{tail}(b:Model) "
            "WHERE a.id IN $seeds OPTIONAL MATCH (b)-[r:DERIVED_FROM]->(p:Model) "
            "RETURN b.id, length(e), p.id, r.relation, b.author, b.downloads, b.ingested",
            {"seeds": seed_list},
        )
        bs, ls, ps, rs, au, dl, ing = (table.column(i).to_pylist() for i in range(7))
        for b, length, author, downloads, ingested in zip(bs, ls, au, dl, ing, strict=True):
            if length >= MAX_DEPTH:
                raise StoreError(
                    f"a lineage traversal reached {MAX_DEPTH} hops from {seed_list[0]!r}",
                    hint="No real lineage is that deep; check the input for generated chains.",
                )
            if depth.get(b, MAX_DEPTH) > length:
                depth[b] = length
                info[b] = ModelSummary(b, author, downloads, bool(ingested))
        edge_set = {(b, p, r) for b, p, r in zip(bs, ps, rs, strict=True) if p is not None}
        for child, parent, rel in self._rows(
            "MATCH (a:Model)-[r:DERIVED_FROM]->(p:Model) WHERE a.id IN $seeds "
            "RETURN a.id, p.id, r.relation",
            {"seeds": seed_list},
        ):
            edge_set.add((child, parent, rel))
        return Expansion(depth, [Hop(c, p, r) for c, p, r in sorted(edge_set)], info)

    def summaries(self, ids: Sequence[str]) -> dict[str, ModelSummary]:
        if not ids:
            return {}
        table = self._arrow(
            "MATCH (m:Model) WHERE m.id IN $ids RETURN m.id, m.author, m.downloads, m.ingested",
            {"ids": list(set(ids))},
        )
        cols = [table.column(i).to_pylist() for i in range(4)]
        return {i: ModelSummary(i, a, d, bool(g)) for i, a, d, g in zip(*cols, strict=True)}

    def owned_models(self, actors: Sequence[str]) -> list[str]:
        rows = self._rows(
            "MATCH (a:Actor)-[:OWNS]->(m:Model) WHERE a.name IN $actors RETURN DISTINCT m.id",
            {"actors": list(actors)},
        )
        return sorted(r[0] for r in rows)

    def organisations_of(self, actor: str) -> list[str]:
        rows = self._rows(
            "MATCH (u:Actor {name: $n})-[:MEMBER_OF]->(o:Actor) RETURN DISTINCT o.name",
            {"n": actor},
        )
        return sorted(r[0] for r in rows)

    def membership_edges(self) -> Iterator[tuple[str, str]]:
        table = self._arrow("MATCH (u:Actor)-[:MEMBER_OF]->(o:Actor) RETURN u.name, o.name")
        yield from zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)

    def derivation_edges(self) -> Iterator[tuple[str, str]]:
        table = self._arrow("MATCH (c:Model)-[:DERIVED_FROM]->(p:Model) RETURN c.id, p.id")
        yield from zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)

    def ownership_edges(self) -> Iterator[tuple[str, str]]:
        table = self._arrow("MATCH (a:Actor)-[:OWNS]->(m:Model) RETURN a.name, m.id")
        yield from zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)

    def keys(self, label: str, containing: str, limit: int) -> list[str]:
        key = schema.NODES[label].key
        rows = self._rows(
            f"MATCH (n:{label}) WHERE lower(n.{key}) CONTAINS lower($s) "
            f"RETURN n.{key} ORDER BY size(n.{key}) LIMIT {int(limit)}",
            {"s": containing},
        )
        return [r[0] for r in rows]

    def counts(self) -> dict[str, int]:
        out = {
            n.label: self._count(f"MATCH (n:{n.label}) RETURN count(*)") for n in schema.NODE_TYPES
        }
        for e in schema.EDGE_TYPES:
            out[e.type] = self._count(f"MATCH ()-[r:{e.type}]->() RETURN count(*)")
        for rel, n in self._rows(
            "MATCH ()-[r:DERIVED_FROM]->() RETURN r.relation, count(*) ORDER BY r.relation"
        ):
            out[f"relation:{rel}"] = int(n)
        out["Model:placeholder"] = self._count(
            "MATCH (m:Model) WHERE m.ingested = false RETURN count(*)"
        )
        return out

    def cypher(
        self, query: str, params: Mapping[str, Any] | None = None, *, write: bool = False
    ) -> CypherResult:
        if write and self._read_only:
            raise ReadOnlyViolation(f"the knowledge base at {self.location} is open read-only")
        if not write:
            self._run("BEGIN TRANSACTION READ ONLY")
        try:
            result = self._run(query, params)
            columns = tuple(result.get_column_names())
            rows = tuple(tuple(r) for r in result.get_all())
        except StoreError as exc:
            if not write:
                _quietly(self._conn, "ROLLBACK")
            if "read-only transaction" in exc.message or isinstance(exc, ReadOnlyViolation):
                raise ReadOnlyViolation(
                    "refused: this query writes, and `mlsc cypher` is read-only",
                    hint="Pass --write to change the knowledge base on purpose.",
                ) from exc
            raise
        if not write:
            self._run("COMMIT")
        return CypherResult(columns, rows)


def _quietly(conn: Any, statement: str) -> None:
    with contextlib.suppress(RuntimeError):
        conn.execute(statement)


_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Stage:
    """Parquet files in a temporary directory, for COPY FROM and LOAD FROM."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._n = 0

    def write(self, columns: Mapping[str, list[Any]], types: Mapping[str, str]) -> str:
        assert all(_SAFE_NAME.match(name) for name in columns)
        arrays = [
            pa.array(values, type=_ARROW_TYPES[types[name]]) for name, values in columns.items()
        ]
        table = pa.Table.from_arrays(arrays, names=list(columns))
        self._n += 1
        path = self._root / f"stage-{self._n}.parquet"
        pq.write_table(table, path)
        return str(path)
