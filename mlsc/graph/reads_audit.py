"""Reads ``mlsc audit`` makes beyond :mod:`mlsc.graph.reads`: the newest commit each model's
history holds, for the revision ``--fix-pins`` proposes.

    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:                  # doctest: +SKIP
    ...     newest_commits(store, ["acme-ai/acme-7b"])["acme-ai/acme-7b"].sha

Like :mod:`mlsc.graph.reads`: one query per function, values as parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from mlsc.graph.store import GraphStore


class NewestCommit(NamedTuple):
    """The newest commit of a model the knowledge base holds."""

    model: str
    sha: str
    at: str | None
    """Committed, else authored (ISO 8601); None when the source gave neither."""
    title: str | None


def newest_commits(store: GraphStore, models: Sequence[str]) -> dict[str, NewestCommit]:
    """Model -> its newest commit (by committed, else authored time; ties and undated commits
    by sha, so both stores agree), for the models with any commit."""
    rows = store.read(
        "MATCH (m:Model)-[:HAS_COMMIT]->(c:Commit) WHERE m.id IN $ms "
        "RETURN m.id, coalesce(c.sha, c.id), coalesce(c.committed_at, c.authored_at), c.title",
        {"ms": sorted(set(models))},
    )
    best: dict[str, NewestCommit] = {}
    for row in rows:
        commit = NewestCommit(str(row[0]), str(row[1]), row[2], row[3])
        held = best.get(commit.model)
        if held is None or (commit.at or "", commit.sha) > (held.at or "", held.sha):
            best[commit.model] = commit
    return best


def actor_verification(store: GraphStore, names: Sequence[str]) -> dict[str, bool | None]:
    """Actor name -> its ``verified`` flag (None: not reported), for the actors that exist."""
    rows = store.read(
        "MATCH (a:Actor) WHERE a.name IN $names RETURN a.name, a.verified",
        {"names": sorted(set(names))},
    )
    return {str(name): verified for name, verified in rows}
