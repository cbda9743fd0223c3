"""Lineage, blast radius and reach, composed from the store's traversal primitives.

    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:               # doctest: +SKIP
    ...     br = blast_radius(store, "meta-llama")
    ...     print(br.count, br.by_depth, len(br.owners))

Every answer is computed from exact reachable sets (never path enumeration), so counts are
distinct models also on merge-of-merge graphs and with lineage cycles, and both stores give
the same answer from the same code.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlsc.errors import EmptyStoreError, InputError, NotFoundError
from mlsc.graph.algorithms import cycles as find_cycles
from mlsc.graph.store import CommitRef, Expansion, GraphStore
from mlsc.queries.applications import applications_of
from mlsc.queries.indexed import (
    AFFECTED_COLUMNS,
    Downstream,
    downstream,
    reach_columns,
    triple,
    triples,
)
from mlsc.queries.results import Affected, BlastRadius, LineageEntry, LineageResult, Reach, Rows
from mlsc.vocab import utc_stamp

Kind = Literal["model", "actor", "commit"]


def suggest(store: GraphStore, label: str, name: str, limit: int = 5) -> list[str]:
    """Known keys of ``label`` that look most like ``name``."""
    fragments = [name, name.rsplit("/", 1)[-1], name.split("/", 1)[0]]
    fragments += [f[: max(3, len(f) // 2)] for f in list(fragments)]
    candidates: list[str] = []
    for fragment in dict.fromkeys(f for f in fragments if f):
        candidates.extend(store.keys(label, fragment, 200))
        if len(candidates) >= 200:
            break
    unique = list(dict.fromkeys(candidates))
    close = difflib.get_close_matches(name, unique, n=limit, cutoff=0.3)
    return close or unique[:limit]


def require_node(store: GraphStore, label: str, key: str) -> None:
    """Raise :class:`NotFoundError` (with the closest known keys) unless the node exists, or
    :class:`EmptyStoreError` when the knowledge base holds no model at all."""
    if store.node(label, key) is not None:
        return
    if store.counts().get("Model", 0) == 0:
        raise EmptyStoreError(store.location)
    raise NotFoundError("model" if label == "Model" else "actor", key, suggest(store, label, key))


def _with_hops(expansion: Expansion, direction: Literal["down", "up"]) -> pa.Table:
    """The reached models, each with the hop that reached it on a shortest path.

    Adds ``via`` (the neighbour one step nearer the seeds; null at depth 0) and
    ``relation``; rows by depth, then downloads (most first), then id. Where several shortest
    paths exist the neighbour with the smallest id wins, so the answer is deterministic and
    the same on every store. Integer work in numpy: no per-row Python.
    """
    models, edges = expansion.models, expansion.edges
    n = models.num_rows
    ids = models.column("id").combine_chunks()
    depth = models.column("depth").to_numpy()
    rank = np.empty(n, dtype=np.int64)  # position of each id in sorted order
    rank[pc.sort_indices(ids).to_numpy()] = np.arange(n, dtype=np.int64)
    node_col, near_col = ("child", "parent") if direction == "down" else ("parent", "child")
    node = pc.fill_null(pc.index_in(edges.column(node_col), value_set=ids), -1).to_numpy()
    near = pc.fill_null(pc.index_in(edges.column(near_col), value_set=ids), -1).to_numpy()
    ok = (node >= 0) & (near >= 0)
    ok[ok] = depth[near[ok]] == depth[node[ok]] - 1
    candidates = np.nonzero(ok)[0]
    order = candidates[np.lexsort((rank[near[candidates]], node[candidates]))]
    first = order[np.r_[True, node[order][1:] != node[order][:-1]]] if order.size else order
    via = np.full(n, -1, dtype=np.int64)
    hop = np.full(n, -1, dtype=np.int64)
    via[node[first]] = near[first]
    hop[node[first]] = first
    downloads = pc.fill_null(models.column("downloads"), 0).to_numpy()
    rows = pa.array(np.lexsort((rank, -downloads, depth)))
    has_hop = via >= 0
    return (
        models.append_column("via", ids.take(pa.array(via, mask=~has_hop)))
        .append_column("relation", edges.column("relation").take(pa.array(hop, mask=~has_hop)))
        .take(rows)
    )


def _columns(table: pa.Table, names: Iterable[str]) -> list[pa.Array]:
    return [table.column(n).combine_chunks() for n in names]


def lineage_entries(expansion: Expansion, direction: Literal["down", "up"]) -> Rows[LineageEntry]:
    """The reached models except the seeds, in lineage order (depth, downloads, id), each
    with the hop that reached it on a shortest path: what ``mlsc lineage`` lists."""
    table = _with_hops(expansion, direction)
    table = table.filter(pc.greater(table.column("depth"), 0))
    names = ("id", "depth", "relation", "via", "author", "downloads", "ingested")
    return Rows(LineageEntry, _columns(table, names))


def _edge_triples(edges: pa.Table, among: pa.Array) -> Rows[tuple[str, str, str]]:
    """(child, parent, relation) of the edges whose both ends are in ``among``."""
    inside = edges.filter(
        pc.and_(
            pc.is_in(edges.column("child"), value_set=among),
            pc.is_in(edges.column("parent"), value_set=among),
        )
    )
    return Rows(triple, _columns(inside, ("child", "parent", "relation")))


def lineage(store: GraphStore, model: str) -> LineageResult:
    """Ancestors up to the roots and all descendants of ``model``, each with its depth."""
    indexed = store.indexed([model])
    if indexed is None or not indexed[1].size:
        require_node(store, "Model", model)
    if indexed is None or not indexed[1].size:
        return _lineage_expanded(store, model)
    index, seed = indexed
    up, down = reach_columns(index, seed, "up"), reach_columns(index, seed, "down")
    relatives = np.union1d(up.nodes, down.nodes)
    names = ("id", "depth", "relation", "via", "author", "downloads", "ingested")
    found: set[tuple[str, str, str]] = set()
    for side in (up, down):
        found.update(zip(*triples(index, *side.out_edges_among(relatives)), strict=True))
    edges = tuple(sorted(found))
    ancestors, descendants = up.skip(1), down.skip(1)
    return LineageResult(
        model=model,
        ancestors=Rows(LineageEntry, ancestors.columns(names), len(ancestors)),
        descendants=Rows(LineageEntry, descendants.columns(names), len(descendants)),
        cycles=tuple(find_cycles((c, p) for c, p, _ in edges)),
        edges=edges,
    )


def _lineage_expanded(store: GraphStore, model: str) -> LineageResult:
    up = store.expand([model], "up")
    down = store.expand([model], "down")
    relatives = pa.concat_arrays(
        [up.models.column("id").combine_chunks(), down.models.column("id").combine_chunks()]
    )
    # an edge out of the model itself, or out of a model on a cycle, is in both expansions
    edges = tuple(sorted(set(_edge_triples(pa.concat_tables([up.edges, down.edges]), relatives))))
    return LineageResult(
        model=model,
        ancestors=lineage_entries(up, "up"),
        descendants=lineage_entries(down, "down"),
        cycles=tuple(find_cycles((c, p) for c, p, _ in edges)),
        edges=edges,
    )


_SHA = re.compile(r"^[0-9a-f]{7,64}$")


def iso_time(value: str) -> str:
    """A date or time as the graph stores times (ISO 8601, UTC, milliseconds, ``Z``)."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{value[:40]!r} is not a date or time", hint="e.g. 2026-11-01 or 2026-11-01T12:00Z"
        ) from None
    return utc_stamp(moment)


def resolve_commit(store: GraphStore, target: str) -> str | None:
    """The full id of the commit ``target`` names (a sha, or an unambiguous prefix)."""
    if not _SHA.match(target):
        return None
    if store.node("Commit", target) is not None:
        return target
    found = [k for k in store.keys("Commit", target, 3) if k.startswith(target)]
    if len(found) > 1:
        raise NotFoundError("commit", target, found)
    return found[0] if found else None


def resolve_target(store: GraphStore, target: str, kind: Kind | None = None) -> Kind:
    """Whether ``target`` names a model, an actor or a commit (in that order of priority)."""
    if kind in (None, "model") and store.node("Model", target) is not None:
        return "model"
    if kind in (None, "actor") and store.node("Actor", target) is not None:
        return "actor"
    if kind in (None, "commit") and resolve_commit(store, target) is not None:
        return "commit"
    if store.counts().get("Model", 0) == 0:
        raise EmptyStoreError(store.location)
    label = {"actor": "Actor", "commit": "Commit"}.get(kind or "", "Model")
    suggestions = suggest(store, label, target)
    if kind is None:
        suggestions = list(dict.fromkeys([*suggestions, *suggest(store, "Actor", target, 3)]))
    raise NotFoundError(kind or "model or actor", target, suggestions)


def controlled_models(store: GraphStore, actor: str) -> tuple[list[str], list[str]]:
    """(models the actor controls directly, organisations that grant some of that control)."""
    orgs = store.organisations_of(actor)
    return store.owned_models([actor, *orgs]), orgs


def blast_radius(
    store: GraphStore, target: str, *, kind: Kind | None = None, since: str | None = None
) -> BlastRadius:
    """Everything affected if ``target`` is compromised: a model; an actor (what it controls,
    and the models it committed to, at or after ``since`` when given); or a commit (the
    models holding it). Then the applications loading an affected model: with ``since``, a
    reference pinned to a commit dated before it is ``pinned-before`` (not exposed)."""
    if since is not None:
        since = iso_time(since)
    resolved = resolve_target(store, target, kind)
    commits: list[CommitRef] = []
    if resolved == "model":
        seeds = [target]
    elif resolved == "actor":
        seeds, _ = controlled_models(store, target)
        commits = store.commits_by(target, since)
        seeds = sorted({*seeds, *(c.repository for c in commits if c.label == "Model")})
    else:
        sha = resolve_commit(store, target)
        assert sha is not None
        target = sha
        commits = store.commit_repositories(sha)
        seeds = sorted({c.repository for c in commits if c.label == "Model"})
    indexed = store.indexed(seeds) if seeds else None
    if indexed is None:
        answer = _affected_expanded(store.expand(seeds, "down"))
    else:
        answer = downstream(reach_columns(indexed[0], indexed[1], "down"))
    return BlastRadius(
        target=target,
        kind=resolved,
        seeds=tuple(sorted(seeds)),
        affected=answer.affected,
        by_relation=answer.by_relation,
        by_depth=answer.by_depth,
        owners=answer.owners,
        downloads=answer.downloads,
        edges=answer.edges,
        commits=tuple(commits),
        repositories=tuple(sorted({c.repository for c in commits if c.label != "Model"})),
        since=since,
        applications=applications_of(store, answer.source, since),
    )


def _affected_expanded(down: Expansion) -> Downstream:
    """From the store's expansion: the models with their hops in answer order, totals
    counted over the table."""
    table = _with_hops(down, "down")
    relations = pc.value_counts(table.column("relation").drop_null()).to_pylist()
    depths = pc.value_counts(table.column("depth")).to_pylist()
    owners = pc.unique(table.column("author").drop_null()).to_pylist()
    return Downstream(
        affected=Rows(Affected, _columns(table, AFFECTED_COLUMNS)),
        by_relation={
            r["values"]: r["counts"] for r in sorted(relations, key=lambda r: r["values"])
        },
        by_depth={r["values"]: r["counts"] for r in sorted(depths, key=lambda r: r["values"])},
        owners=tuple(sorted(owners)),
        downloads=pc.sum(table.column("downloads")).as_py() or 0,
        edges=_edge_triples(down.edges, down.models.column("id").combine_chunks()),
        source=table,
    )


def reach(store: GraphStore, actor: str) -> Reach:
    """Maintainer reach: what ``actor`` controls directly, and what derives from that."""
    require_node(store, "Actor", actor)
    direct, orgs = controlled_models(store, actor)
    down = store.expand(direct, "down")
    models = down.models
    reached = models.column("id").combine_chunks()
    beyond = models.filter(pc.greater(models.column("depth"), 0)).column("id")
    # direct models that also derive from another controlled or downstream model
    inside = down.edges.filter(pc.is_in(down.edges.column("parent"), value_set=reached))
    downstream = pc.unique(
        pa.concat_arrays([beyond.combine_chunks(), inside.column("child").combine_chunks()])
    )
    return Reach(
        actor=actor,
        direct=len(direct),
        transitive=len(downstream),
        total=models.num_rows,
        organisations=tuple(orgs),
    )
