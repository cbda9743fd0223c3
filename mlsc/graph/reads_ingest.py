"""What ingestion asks the knowledge base before it writes, as named, typed functions over
:meth:`GraphStore.read` (the reads of the query layer are in :mod:`mlsc.graph.reads`).

    >>> with open_store() as store:                                   # doctest: +SKIP
    ...     known_aliases(store)          # {"old/name": "new/name"}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from mlsc.graph.store import GraphStore

RepositoryLabel = Literal["Model", "CodeRepository"]
BATCH = 10_000
"""Ids sent in one query."""


def ingested_children(store: GraphStore, parent: str, source: str) -> list[str]:
    """Models ingested from ``source`` that declare ``parent`` as a base."""
    rows = store.read(
        "MATCH (c:Model)-[:DERIVED_FROM]->(:Model {id: $p}) "
        "WHERE c.ingested = true AND c.source = $source RETURN c.id",
        {"p": parent, "source": source},
    )
    return [str(r[0]) for r in rows]


def known_aliases(store: GraphStore) -> dict[str, str]:
    """Old id -> current id of every renamed model the knowledge base knows."""
    rows = store.read("MATCH (m:Model) WHERE m.aliases IS NOT NULL RETURN m.id, m.aliases")
    return {old: mid for mid, olds in rows for old in olds or ()}


def ingested_count(store: GraphStore, ids: Sequence[str]) -> int:
    """How many of ``ids`` are models whose own record was ingested."""
    wanted = sorted(set(ids))
    known = 0
    for start in range(0, len(wanted), BATCH):
        rows = store.read(
            "MATCH (m:Model) WHERE m.id IN $ids AND m.ingested = true RETURN count(m)",
            {"ids": wanted[start : start + BATCH]},
        )
        known += int(rows[0][0])
    return known


def stored_commits(store: GraphStore, label: RepositoryLabel, key: str) -> dict[str, bool]:
    """Commits already stored for a model or code repository -> their ``rewritten`` flag."""
    if label not in ("Model", "CodeRepository"):
        raise ValueError(f"not a repository label: {label!r}")
    rows = store.read(
        f"MATCH (r:{label} {{id: $id}})-[:HAS_COMMIT]->(c:Commit) RETURN c.id, c.rewritten",
        {"id": key},
    )
    return {str(sha): bool(rewritten) for sha, rewritten in rows}


def code_links(store: GraphStore) -> list[tuple[str, list[str]]]:
    """Every model whose card links code, with the links."""
    rows = store.read("MATCH (m:Model) WHERE m.code_links IS NOT NULL RETURN m.id, m.code_links")
    return [(str(mid), list(links or ())) for mid, links in rows]


def latest_commit_time(store: GraphStore, repository: str, source: str) -> str | None:
    """When the newest commit ``source`` stored for a code repository was committed."""
    rows = store.read(
        "MATCH (:CodeRepository {id: $r})-[:HAS_COMMIT]->(c:Commit) WHERE c.source = $s "
        "RETURN max(c.committed_at)",
        {"r": repository, "s": source},
    )
    return rows[0][0] if rows and rows[0][0] else None
