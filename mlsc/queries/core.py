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
from collections import Counter
from collections.abc import Container, Iterable
from typing import Literal

from mlsc.errors import EmptyStoreError, NotFoundError
from mlsc.graph.algorithms import cycles as find_cycles
from mlsc.graph.store import Expansion, GraphStore, Hop
from mlsc.queries.results import Affected, BlastRadius, LineageEntry, LineageResult, Reach

Kind = Literal["model", "actor"]


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


def _require(store: GraphStore, label: str, key: str) -> None:
    if store.node(label, key) is not None:
        return
    if store.counts().get("Model", 0) == 0:
        raise EmptyStoreError(store.location)
    raise NotFoundError("model" if label == "Model" else "actor", key, suggest(store, label, key))


def _choose_hops(expansion: Expansion, direction: Literal["down", "up"]) -> dict[str, Hop]:
    """For each reached model, the hop that reached it on a shortest path.

    Where several shortest paths exist, the neighbour with the smallest id wins, so the
    answer is deterministic and the same on every store.
    """
    depth = expansion.depth
    chosen: dict[str, Hop] = {}
    for hop in expansion.edges:
        node, neighbour = (
            (hop.child, hop.parent) if direction == "down" else (hop.parent, hop.child)
        )
        d = depth.get(node)
        if not d or depth.get(neighbour) != d - 1:
            continue
        best = chosen.get(node)
        other = best.parent if best and direction == "down" else (best.child if best else None)
        if other is None or (neighbour, hop.relation) < (other, best.relation if best else ""):
            chosen[node] = hop
    return chosen


def _entries(
    expansion: Expansion, direction: Literal["down", "up"], root: str
) -> tuple[LineageEntry, ...]:
    hops = _choose_hops(expansion, direction)
    out = []
    for node, d in expansion.depth.items():
        if node == root or d == 0:
            continue
        hop = hops[node]
        info = expansion.info.get(node)
        out.append(
            LineageEntry(
                id=node,
                depth=d,
                relation=hop.relation,
                via=hop.parent if direction == "down" else hop.child,
                author=info.author if info else None,
                downloads=info.downloads if info else None,
                ingested=info.ingested if info else False,
            )
        )
    out.sort(key=lambda e: (e.depth, -(e.downloads or 0), e.id))
    return tuple(out)


def _edge_triples(hops: Iterable[Hop], among: Container[str]) -> tuple[tuple[str, str, str], ...]:
    """(child, parent, relation) of the hops whose both ends are in ``among``."""
    return tuple(
        sorted(
            {
                (h.child, h.parent, h.relation)
                for h in hops
                if h.child in among and h.parent in among
            }
        )
    )


def lineage(store: GraphStore, model: str) -> LineageResult:
    """Ancestors up to the roots and all descendants of ``model``, each with its depth."""
    _require(store, "Model", model)
    up = store.expand([model], "up")
    down = store.expand([model], "down")
    relatives = {**up.depth, **down.depth}
    edges = _edge_triples([*up.edges, *down.edges], relatives)
    return LineageResult(
        model=model,
        ancestors=_entries(up, "up", model),
        descendants=_entries(down, "down", model),
        cycles=tuple(find_cycles((c, p) for c, p, _ in edges)),
        edges=edges,
    )


def resolve_target(store: GraphStore, target: str, kind: Kind | None = None) -> Kind:
    """Whether ``target`` names a model or an actor; a model wins when both exist."""
    if kind in (None, "model") and store.node("Model", target) is not None:
        return "model"
    if kind in (None, "actor") and store.node("Actor", target) is not None:
        return "actor"
    if store.counts().get("Model", 0) == 0:
        raise EmptyStoreError(store.location)
    label = "Actor" if kind == "actor" else "Model"
    suggestions = suggest(store, label, target)
    if kind is None:
        suggestions = list(dict.fromkeys([*suggestions, *suggest(store, "Actor", target, 3)]))
    raise NotFoundError(kind or "model or actor", target, suggestions)


def controlled_models(store: GraphStore, actor: str) -> tuple[list[str], list[str]]:
    """(models the actor controls directly, organisations that grant some of that control)."""
    orgs = store.organisations_of(actor)
    return store.owned_models([actor, *orgs]), orgs


def blast_radius(store: GraphStore, target: str, *, kind: Kind | None = None) -> BlastRadius:
    """Everything affected if ``target`` (a model, or an actor) is compromised."""
    resolved = resolve_target(store, target, kind)
    if resolved == "model":
        seeds = [target]
    else:
        seeds, _ = controlled_models(store, target)
    down = store.expand(seeds, "down")
    hops = _choose_hops(down, "down")
    affected = []
    for node, d in down.depth.items():
        info = down.info.get(node)
        hop = hops.get(node)
        affected.append(
            Affected(
                id=node,
                depth=d,
                relation=hop.relation if hop else None,
                via=hop.parent if hop else None,
                owner=info.author if info else None,
                downloads=info.downloads if info else None,
            )
        )
    affected.sort(key=lambda a: (a.depth, -(a.downloads or 0), a.id))
    by_relation = Counter(a.relation for a in affected if a.relation)
    by_depth = Counter(a.depth for a in affected)
    return BlastRadius(
        target=target,
        kind=resolved,
        seeds=tuple(sorted(seeds)),
        affected=tuple(affected),
        by_relation=dict(sorted(by_relation.items())),
        by_depth=dict(sorted(by_depth.items())),
        owners=tuple(sorted({a.owner for a in affected if a.owner})),
        downloads=sum(a.downloads or 0 for a in affected),
        edges=_edge_triples(down.edges, down.depth),
    )


def reach(store: GraphStore, actor: str) -> Reach:
    """Maintainer reach: what ``actor`` controls directly, and what derives from that."""
    _require(store, "Actor", actor)
    direct, orgs = controlled_models(store, actor)
    down = store.expand(direct, "down")
    downstream = {n for n, d in down.depth.items() if d > 0}
    # direct models that also derive from another controlled or downstream model
    downstream.update(h.child for h in down.edges if h.parent in down.depth)
    return Reach(
        actor=actor,
        direct=len(direct),
        transitive=len(downstream),
        total=len(down.depth),
        organisations=tuple(orgs),
    )
