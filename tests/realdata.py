"""Real Hugging Face lineage edges as snapshot records, and an independent networkx reference.

The edges come from ``../shared/data/hf-lineage-edges/edges-2025-06.csv`` (columns
``source`` = parent, ``target`` = child, ``edge`` = finetuned/quantized/merged/adapter). That
data has no licence upstream: it is read from the shared folder, never copied into the repo.

    >>> edges = read_edges(LINEAGE_EDGES)                                  # doctest: +SKIP
    >>> snap = write_snapshot(edges, tmp_path / "hub.jsonl", roots=["gpt2"])  # doctest: +SKIP
    >>> ref = reference_graph(snap)                                          # doctest: +SKIP

Nothing here imports mlsc: the reference must stay independent of the code under test.
"""

from __future__ import annotations

import csv
import re
import zlib
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
LINEAGE_EDGES = SHARED_DATA / "hf-lineage-edges" / "edges-2025-06.csv"

RELATION = {
    "finetuned": "finetune",
    "merged": "merge",
    "quantized": "quantized",
    "adapter": "adapter",
}
"""The dataset's edge names -> the relation names of the Hub's ``base_model:<rel>:`` tags."""

_HUB_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?"
HUB_ID = re.compile(rf"^(?:{_HUB_PART}/)?{_HUB_PART}$")
"""The Hub's own rule (huggingface_hub ``validate_repo_id``): ASCII letters, digits, ``_``,
``-`` and ``.``; a part starts and ends with a word character (``_`` included); 96 max."""


def hub_valid(model_id: str) -> bool:
    """True for an id the Hub accepts (``--``, ``..`` and a ``.git`` suffix are refused)."""
    return (
        HUB_ID.match(model_id) is not None
        and "--" not in model_id
        and ".." not in model_id
        and not model_id.endswith(".git")
    )


@dataclass(frozen=True)
class Edge:
    """One row of the edge list."""

    line: int
    """1-based line in the CSV (the header is line 1)."""
    parent: str
    child: str
    relation: str
    """Already mapped to the Hub's tag names (finetune, merge, quantized, adapter)."""


def read_edges(path: Path) -> list[Edge]:
    """Every row of an ``source,target,edge`` CSV, with its line number."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return [
            Edge(reader.line_num, row["source"], row["target"], RELATION[row["edge"]])
            for row in reader
        ]


def namespace(model_id: str) -> str:
    return model_id.split("/", 1)[0]


def downloads_of(model_id: str) -> int:
    """A deterministic, arbitrary download count for a model id."""
    return zlib.crc32(model_id.encode()) % 100_000


@dataclass
class Snapshot:
    """A snapshot file written from edges: which record sits on which line."""

    path: Path
    lines: dict[str, int] = field(default_factory=dict)
    """Record id -> its 1-based line in the JSON Lines file."""
    parents: dict[str, list[Edge]] = field(default_factory=dict)
    """Record id -> the edges it declares (empty for a root record)."""


def record(model_id: str, edges: Sequence[Edge]) -> dict[str, Any]:
    """A model as ``GET /api/models?full=true&cardData=true`` shows it, lineage included."""
    parents = [e.parent for e in edges]
    card: dict[str, Any] = {}
    if parents:
        card["base_model"] = parents[0] if len(parents) == 1 else parents
    return {
        "id": model_id,
        "modelId": model_id,
        "author": namespace(model_id),
        "tags": [f"base_model:{e.relation}:{e.parent}" for e in edges],
        "cardData": card,
        "downloads": downloads_of(model_id),
        "pipeline_tag": "text-generation",
    }


def write_snapshot(edges: Iterable[Edge], path: Path, roots: Iterable[str] = ()) -> Snapshot:
    """One record per child (in order of first appearance), then one per root in ``roots``."""
    by_child: dict[str, list[Edge]] = {}
    for e in edges:
        by_child.setdefault(e.child, []).append(e)
    snap = Snapshot(path)
    with path.open("wb") as out:
        ids = [*by_child, *(r for r in roots if r not in by_child)]
        for number, model_id in enumerate(ids, start=1):
            declared = by_child.get(model_id, [])
            out.write(orjson.dumps(record(model_id, declared)) + b"\n")
            snap.lines[model_id] = number
            snap.parents[model_id] = declared
    return snap


def reference_graph(snap: Snapshot, valid: Callable[[str], bool] = hub_valid) -> nx.DiGraph[str]:
    """The lineage graph the snapshot declares, child -> parent, built with networkx only.

    A record whose id is not ``valid`` is left out with its edges; an invalid parent is left
    out (its child stays); a self-loop is left out (a model cannot derive from itself).
    Nodes carry ``ingested``, ``owner`` and ``downloads`` (None for a placeholder); edges
    carry ``relation``.
    """
    g: nx.DiGraph[str] = nx.DiGraph()
    for model_id, declared in snap.parents.items():
        if not valid(model_id):
            continue
        g.add_node(
            model_id, ingested=True, owner=namespace(model_id), downloads=downloads_of(model_id)
        )
        for e in declared:
            if e.parent == model_id or not valid(e.parent):
                continue
            if e.parent not in g:
                g.add_node(e.parent, ingested=False, owner=namespace(e.parent), downloads=None)
            g.add_edge(model_id, e.parent, relation=e.relation)
    return g


def descendants(g: nx.DiGraph[str], model: str) -> dict[str, int]:
    """Lineage descendants of ``model`` (models deriving from it) -> shortest hop count."""
    dist: dict[str, int] = nx.single_source_shortest_path_length(g.reverse(copy=False), model)
    return dist


def ancestors(g: nx.DiGraph[str], model: str) -> dict[str, int]:
    """Lineage ancestors of ``model`` (what it derives from) -> shortest hop count."""
    dist: dict[str, int] = nx.single_source_shortest_path_length(g, model)
    return dist


def cycles(g: nx.DiGraph[str]) -> list[tuple[str, ...]]:
    """Strongly connected components of more than one model, each sorted, the list sorted."""
    return sorted(tuple(sorted(c)) for c in nx.strongly_connected_components(g) if len(c) > 1)


def triples(g: nx.DiGraph[str], among: Collection[str] | None = None) -> set[tuple[str, str, str]]:
    """Edges as (child, parent, relation), all of them or those between models of ``among``."""
    view = g if among is None else g.subgraph(among)
    return {(c, p, str(view.edges[c, p]["relation"])) for c, p in view.edges}
