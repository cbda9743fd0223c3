"""Reads about applications: the code repositories and local checkouts that load models.

    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:                  # doctest: +SKIP
    ...     for use in uses_of(store, ["bert-base-uncased"]):
    ...         print(use.application, use.pinned, use.file, use.line)

Like :mod:`mlsc.graph.reads`: one query per function, values as parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from mlsc.graph.store import GraphStore


class ModelUse(NamedTuple):
    """One ``USES_MODEL`` edge: an application loads a model."""

    application: str
    model: str
    revision: str | None
    revision_kind: str | None
    pinned: bool | None
    """True: every reference pins a commit; False: some does not; None: unknown."""
    file: str | None
    line: int | None
    references: int | None
    evidence: list[str] | None
    confidence: float | None


_USE = (
    "r.id, m.id, u.revision, u.revision_kind, u.pinned, u.file, u.line, u.references, "
    "u.evidence, u.confidence"
)


def uses_of(store: GraphStore, models: Sequence[str]) -> list[ModelUse]:
    """Every application that loads one of ``models``, one row per (application, model),
    ordered by application then model."""
    wanted = sorted(set(models))
    if not wanted:
        return []
    # Whichever is fewer: every USES_MODEL edge, filtered here (a blast radius of 100k models
    # in a knowledge base with few applications), or one key lookup per model (about 7 µs
    # each on LadybugDB; ``WHERE m.id IN $ms`` would test every edge against the whole list:
    # 1.7 s for 5k models and 43k edges).
    ((edges,),) = store.read("MATCH ()-[u:USES_MODEL]->() RETURN count(u)")
    if edges <= len(wanted):
        keep = set(wanted)
        rows = store.read(
            "MATCH (r:CodeRepository)-[u:USES_MODEL]->(m:Model) "
            f"RETURN {_USE} ORDER BY r.id, m.id"
        )
        return [ModelUse(*r) for r in rows if r[1] in keep]
    rows = store.read(
        "UNWIND $ms AS mid MATCH (m:Model {id: mid})<-[u:USES_MODEL]-(r:CodeRepository) "
        f"RETURN {_USE} ORDER BY r.id, m.id",
        {"ms": wanted},
    )
    return [ModelUse(*r) for r in rows]


def uses_by(store: GraphStore, applications: Sequence[str]) -> list[ModelUse]:
    """Every model the given applications load, ordered by application then model."""
    rows = store.read(
        f"MATCH (r:CodeRepository)-[u:USES_MODEL]->(m:Model) WHERE r.id IN $rs RETURN {_USE} "
        "ORDER BY r.id, m.id",
        {"rs": sorted(set(applications))},
    )
    return [ModelUse(*r) for r in rows]


BATCH = 10_000
"""Ids sent in one query."""


def stored_models(store: GraphStore, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` are models the knowledge base holds (ingested or placeholders)."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        rows = store.read(
            "UNWIND $ids AS k MATCH (m:Model {id: k}) RETURN m.id",
            {"ids": wanted[start : start + BATCH]},
        )
        found.update(str(r[0]) for r in rows)
    return found


def stored_uses(store: GraphStore, applications: Sequence[str]) -> dict[tuple[str, str], str]:
    """(application, model) -> the ``source`` of every stored ``USES_MODEL`` edge out of
    ``applications`` (``code``, ``github``, ``peatmoss``)."""
    wanted = sorted(set(applications))
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(wanted), BATCH):
        rows = store.read(
            "MATCH (r:CodeRepository)-[u:USES_MODEL]->(m:Model) WHERE r.id IN $rs "
            "RETURN r.id, m.id, u.source",
            {"rs": wanted[start : start + BATCH]},
        )
        found.update({(str(a), str(m)): str(s) for a, m, s in rows})
    return found


def pin_dates(store: GraphStore, shas: Sequence[str]) -> list[tuple[str, str, str | None]]:
    """(model, sha, time) of each of ``shas`` the knowledge base holds as a commit of a model:
    the commit time, else the author time (ISO 8601, UTC), None when neither is known."""
    return [
        (model, sha, at)
        for model, sha, at in store.read(
            "UNWIND $shas AS sha MATCH (m:Model)-[:HAS_COMMIT]->(c:Commit {id: sha}) "
            "RETURN m.id, c.id, coalesce(c.committed_at, c.authored_at) ORDER BY m.id, c.id",
            {"shas": sorted(set(shas))},
        )
    ]
