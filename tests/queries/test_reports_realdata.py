"""The reports on a realistic graph: the real lineage edges and model metadata of
``../shared/data/hf-lineage-edges`` (early snapshot: 28k edges, 29k models with owner and
architecture), checked against an independent computation with networkx and the CSVs."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import orjson
import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries import lineage
from mlsc.queries.discrepancies import discrepancies
from mlsc.queries.practices import practices
from mlsc.queries.scorecard import scorecard
from tests.realdata import hub_valid, read_edges, record

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def real(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[tuple[LadybugStore, list, dict[str, str]]]:
    folder = shared_data / "hf-lineage-edges"
    edges = [e for e in read_edges(folder / "edges-early.csv")
             if hub_valid(e.child) and hub_valid(e.parent) and e.child != e.parent]  # fmt: skip
    with (folder / "metadata-early.csv").open(newline="", encoding="utf-8") as fh:
        arch = {row["id"]: row["architecture"] for row in csv.DictReader(fh) if row["architecture"]}
    by_child: dict[str, list] = {}
    for e in edges:
        by_child.setdefault(e.child, []).append(e)
    path = tmp_path_factory.mktemp("realreports") / "hub.jsonl"
    with path.open("wb") as out:
        for mid in dict.fromkeys([*by_child, *(e.parent for e in edges)]):
            rec = record(mid, by_child.get(mid, []))
            if mid in arch:
                rec["config"] = {"model_type": arch[mid]}
            out.write(orjson.dumps(rec) + b"\n")
    store = LadybugStore(tmp_path_factory.mktemp("realreports-kb") / "kb")
    ingest_snapshot(store, path)
    yield store, edges, arch
    store.close()


def test_discrepancies_match_an_independent_count(real: tuple[LadybugStore, list, dict]) -> None:
    store, edges, arch = real
    report = discrepancies(store)
    found = {(f.model, f.related[0]) for f in report.findings if f.kind == "architecture-mismatch"}
    expected = {(e.child, e.parent) for e in edges
                if e.child in arch and e.parent in arch and arch[e.child] != arch[e.parent]}  # fmt: skip
    assert found == expected and len(expected) > 100
    g: nx.DiGraph[str] = nx.DiGraph((e.child, e.parent) for e in edges)
    in_cycles = {m for c in nx.strongly_connected_components(g) if len(c) > 1 for m in c}
    assert {f.model for f in report.findings if f.kind == "lineage-cycle"} == in_cycles
    merges = {(f.model, f.related[0]) for f in report.findings
              if f.kind == "architecture-mismatch" and f.severity == "low"}  # fmt: skip
    assert merges == {(e.child, e.parent) for e in edges
                      if (e.child, e.parent) in expected and e.relation == "merge"}  # fmt: skip


def test_practices_writer_concentration(real: tuple[LadybugStore, list, dict]) -> None:
    store, edges, _ = real
    models = {*(e.child for e in edges), *(e.parent for e in edges)}
    owners = Counter(m.split("/", 1)[0] for m in models if "/" in m)
    report = practices(store)
    assert report.models == len(models)
    assert report.models_per_writer.count == len(owners)
    assert report.models_per_writer.max == max(owners.values())
    assert dict(report.models_per_writer.top[:3]) == dict(
        sorted(owners.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    )


def test_scorecard_weakest_link_is_an_ancestor(real: tuple[LadybugStore, list, dict]) -> None:
    store, edges, _ = real
    depth = Counter(e.child for e in edges)
    for model in sorted(depth, key=lambda m: (-depth[m], m))[:5]:
        card = scorecard(store, model)
        ancestors = {a.id for a in lineage(store, model).ancestors}
        assert card.ancestors_scored == len(ancestors)
        if card.weakest_upstream is not None:
            assert card.weakest_upstream.model in ancestors
