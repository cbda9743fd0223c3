"""The applications a blast radius reaches: who loads an affected model, and whether the
reference is pinned to a commit from before the compromise.

    >>> from mlsc.graph import open_store
    >>> from mlsc.queries import blast_radius
    >>> with open_store(read_only=True) as store:                  # doctest: +SKIP
    ...     br = blast_radius(store, "org/base", since="2026-11-01")
    ...     for app in br.applications:
    ...         print(app.id, app.exposed, [(m.id, m.status) for m in app.models])

A reference is ``pinned-before`` only when it pins a commit the knowledge base holds for that
model and dates before ``since``; whatever mlsc cannot check stays exposed (unknown is never
scored as safe).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlsc.graph.lineage_index import LineageIndex
from mlsc.graph.model_columns import Ints
from mlsc.graph.reads_code import ModelUse, pin_dates, uses_of
from mlsc.graph.store import GraphStore
from mlsc.queries.indexed import Reached
from mlsc.queries.results import Application, AppModel, PinStatus

ADAPTER_NOTE = "an adapter: its pin does not pin the base model it loads by name at run time"

INDEX_FROM = 1000
"""Affected models from which a blast radius reads its applications through the in-memory
index of USES_MODEL (built once per lineage index), rather than by one lookup per model."""

_USE_COLUMNS = (
    "revision",
    "revision_kind",
    "pinned",
    "file",
    "line",
    "references",
    "evidence",
    "confidence",
)


@dataclass(frozen=True)
class UsesIndex:
    """Every USES_MODEL edge, grouped by the dense number of the model it loads (CSR)."""

    indptr: Ints
    table: pa.Table
    """application, model, then the edge's properties; rows grouped by model number."""

    @classmethod
    def scan(cls, store: GraphStore, index: LineageIndex) -> UsesIndex:
        """From one columnar scan of the edges (model ids numbered by one hash join)."""
        parts = [
            pa.table(
                {
                    "application": t.src,
                    "model": t.dst,
                    **{n: t.columns[n] for n in _USE_COLUMNS},
                }
            )
            for t in store.scan_edges("USES_MODEL", "CodeRepository", "Model")
        ]
        number = np.zeros(0, dtype=np.int64)
        table = pa.table({"application": pa.array([], pa.string())})
        if parts:
            table = pa.concat_tables(parts).combine_chunks()
            found = pc.index_in(table.column("model"), value_set=index.id_array())
            number = np.asarray(pc.fill_null(found, 0).to_numpy(), dtype=np.int64)
            known = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            known &= index.columns.rank[number] >= 0
            table, number = table.filter(pa.array(known)), number[known]
        order = np.argsort(number, kind="stable")
        indptr = np.zeros(index.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(number, minlength=index.size), out=indptr[1:])
        return cls(indptr, table.take(pa.array(order)))

    def uses(self, nodes: Ints) -> tuple[list[ModelUse], Ints]:
        """The uses of the given models, and for each the position in ``nodes`` of its model."""
        starts = self.indptr[nodes]
        counts = self.indptr[nodes + 1] - starts
        total = int(counts.sum())
        if total == 0:
            return [], np.zeros(0, dtype=np.int64)
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        taken = self.table.take(pa.array(np.arange(total, dtype=np.int64) + offsets))
        cols: list[list[Any]] = [taken.column(c).to_pylist() for c in taken.column_names]
        return [ModelUse(*r) for r in zip(*cols, strict=True)], np.repeat(
            np.arange(nodes.size, dtype=np.int64), counts
        )


def applications_of(
    store: GraphStore, affected: pa.Table | Reached, since: str | None
) -> tuple[Application, ...]:
    """The applications loading a model of ``affected`` (columns ``id``, ``depth`` and
    ``relation``, one row per model; or the models reached in the store's lineage index),
    with each reference's pin status against ``since`` (an ISO time, or None: no pin can
    then be dated)."""
    if len(affected) == 0:
        return ()
    where: dict[str, tuple[int, str | None]]
    if isinstance(affected, Reached):
        index, nodes = affected.index, affected.nodes
        if index.has_memo("uses") or len(nodes) >= INDEX_FROM:
            uses, at = index.memo("uses", lambda: UsesIndex.scan(store, index)).uses(nodes)
        else:
            reached = affected.column("id")
            uses = uses_of(store, reached)
            position = {m: i for i, m in enumerate(reached)}
            at = np.asarray([position[u.model] for u in uses], dtype=np.int64)
        if not uses:
            return ()
        depths = affected.depth[at].tolist()
        relations = affected.relation_names(affected.code[at])
        where = {u.model: (d, r) for u, d, r in zip(uses, depths, relations, strict=True)}
    else:
        depth_col = affected.column("depth").combine_chunks()
        relation_col = affected.column("relation").combine_chunks()
        ids = affected.column("id").combine_chunks()
        uses = uses_of(store, ids.to_pylist())
        if not uses:
            return ()
        used = sorted({u.model for u in uses})
        rows = pc.index_in(pa.array(used, pa.string()), value_set=ids).to_pylist()
        where = {
            m: (depth_col[i].as_py(), relation_col[i].as_py())
            for m, i in zip(used, rows, strict=True)
            if i is not None
        }
    dates: Mapping[tuple[str, str], str | None] = {}
    if since is not None:
        shas = [u.revision for u in uses if u.pinned and u.revision]
        if shas:
            dates = {(m, sha): at for m, sha, at in pin_dates(store, shas)}
    by_app: dict[str, list[AppModel]] = {}
    for use in uses:
        if use.model not in where:
            continue
        depth, relation = where[use.model]
        by_app.setdefault(use.application, []).append(
            _reference(use, depth, relation == "adapter", since, dates)
        )
    apps = [
        Application(
            app,
            tuple(sorted(models, key=lambda m: (m.depth, m.id))),
            any(m.status != "pinned-before" for m in models),
        )
        for app, models in by_app.items()
    ]
    return tuple(sorted(apps, key=lambda a: (not a.exposed, a.depth, a.id)))


def _reference(
    use: ModelUse,
    depth: int,
    adapter: bool,
    since: str | None,
    dates: Mapping[tuple[str, str], str | None],
) -> AppModel:
    status: PinStatus
    note = None
    if use.pinned is None:
        status = "unknown"
    elif not use.pinned or use.revision_kind != "commit" or not use.revision:
        status = "unpinned"
    elif adapter:
        status, note = "pinned", ADAPTER_NOTE
    else:
        at = dates.get((use.model, use.revision)) if since is not None else None
        status = (
            "pinned-before" if at is not None and since is not None and at < since else "pinned"
        )
    return AppModel(
        id=use.model,
        depth=depth,
        pinned=use.pinned,
        revision=use.revision,
        revision_kind=use.revision_kind,
        status=status,
        note=note,
        file=use.file,
        line=use.line,
    )
