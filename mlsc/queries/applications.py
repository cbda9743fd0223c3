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

import pyarrow as pa
import pyarrow.compute as pc

from mlsc.graph.reads_code import ModelUse, pin_dates, uses_of
from mlsc.graph.store import GraphStore
from mlsc.queries.results import Application, AppModel, PinStatus

ADAPTER_NOTE = "an adapter: its pin does not pin the base model it loads by name at run time"


def applications_of(
    store: GraphStore, affected: pa.Table, since: str | None
) -> tuple[Application, ...]:
    """The applications loading a model of ``affected`` (columns ``id``, ``depth`` and
    ``relation``, one row per model), with each reference's pin status against ``since`` (an
    ISO time, or None: no pin can then be dated)."""
    if affected.num_rows == 0:
        return ()
    ids = affected.column("id").combine_chunks()
    uses = uses_of(store, ids.to_pylist())
    if not uses:
        return ()
    used = sorted({u.model for u in uses})
    rows = pc.index_in(pa.array(used, pa.string()), value_set=ids).to_pylist()
    depth_col = affected.column("depth").combine_chunks()
    relation_col = affected.column("relation").combine_chunks()
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
