"""Every query against an independent networkx computation on real Hugging Face lineage.

The ~30k edges of ``../shared/data/hf-lineage-edges/edges-2025-06.csv`` become one Hub-shaped
record per child model (plus a few roots), ingested once per module into a LadybugDB store.
The same CSV also becomes a networkx graph (child -> parent) built without mlsc code; every
query answer is compared with it: blast radius, lineage, reach, and both rankings.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.ingest.interface import IngestReport
from mlsc.queries import blast_radius, lineage, reach, top_actors, top_models
from mlsc.queries.results import BlastRadius, LineageResult
from tests.realdata import (
    Edge,
    Snapshot,
    ancestors,
    cycles,
    descendants,
    hub_valid,
    read_edges,
    reference_graph,
    triples,
    write_snapshot,
)

pytestmark = pytest.mark.shared_data

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
EDGES_CSV = DATA / "hf-lineage-edges" / "edges-2025-06.csv"
SKIP_REASON = (
    "../shared/data/hf-lineage-edges not found: "
    "real-data tests need the shared data folder beside the checkout"
)
ROOT_RECORDS = 20
"""How many roots (parents never declared as children) also get a record of their own."""
VALID = hub_valid
"""Which ids the reference keeps: the Hub's own rule."""


@dataclass
class RealData:
    edges: list[Edge]
    snap: Snapshot
    ref: nx.DiGraph[str]
    """Reference lineage, child -> parent, built with networkx only."""
    model_reach: dict[str, int]
    """Model -> number of distinct lineage descendants, from networkx."""
    owners: dict[str, set[str]]
    """Namespace -> the models (ingested or placeholders) it owns."""
    store: LadybugStore
    report: IngestReport
    counts: dict[str, int]
    """store.counts() right after the first ingestion."""
    hub: str
    """The model with the most descendants."""
    hub_radius: BlastRadius
    """Its blast radius right after the first ingestion."""
    cycles: list[tuple[str, ...]]
    """Strongly connected components of the reference with more than one model."""
    lineages: dict[str, LineageResult]
    """Answers of ``lineage`` already asked for (several tests look at each)."""

    sampled: list[str] = field(default_factory=list)

    def sample(self) -> list[str]:
        """The sampled models (computed once)."""
        if not self.sampled:
            self.sampled = sample_models(self)
        return self.sampled

    def lineage(self, model: str) -> LineageResult:
        if model not in self.lineages:
            self.lineages[model] = lineage(self.store, model)
        return self.lineages[model]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealData]:
    """Read the CSV, write the snapshot, build the reference and ingest once for the module."""
    if not EDGES_CSV.is_file():
        pytest.skip(SKIP_REASON)
    tmp = tmp_path_factory.mktemp("realdata")
    edges = read_edges(EDGES_CSV)
    children = Counter(e.parent for e in edges)
    declared = {e.child for e in edges}
    roots = sorted(
        (p for p in children if p not in declared and VALID(p)),
        key=lambda p: (-children[p], p),
    )[:ROOT_RECORDS]
    snap = write_snapshot(edges, tmp / "hub-lineage.jsonl", roots=roots)
    ref = reference_graph(snap, VALID)
    model_reach = {m: len(nx.ancestors(ref, m)) for m in ref}
    owners: dict[str, set[str]] = {}
    for m in ref:
        owners.setdefault(ref.nodes[m]["owner"], set()).add(m)
    store = LadybugStore(tmp / "kb")
    try:
        report = ingest_snapshot(store, snap.path)
        hub = min(ref, key=lambda m: (-model_reach[m], m))
        yield RealData(
            edges,
            snap,
            ref,
            model_reach,
            owners,
            store,
            report,
            store.counts(),
            hub,
            blast_radius(store, hub, kind="model"),
            cycles(ref),
            {},
        )
    finally:
        store.close()


def deepest_leaves(ref: nx.DiGraph[str], n: int) -> list[tuple[str, int]]:
    """The ``n`` models without descendants whose farthest ancestor is farthest away."""
    depth = {m: max(ancestors(ref, m).values()) for m in ref if ref.in_degree(m) == 0}
    return sorted(depth.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def sample_models(real: RealData) -> list[str]:
    """The 20 biggest hubs, 20 random models, every member of a cycle, the 5 deepest leaves."""
    ref = real.ref
    hubs = sorted(ref, key=lambda m: (-real.model_reach[m], m))[:20]
    picked = random.Random(0).sample(sorted(ref), 20)
    in_cycles = [m for c in real.cycles for m in c]
    leaves = [m for m, _ in deepest_leaves(ref, 5)]
    return list(dict.fromkeys([*hubs, *picked, *in_cycles, *leaves]))


def sample_owners(real: RealData) -> list[str]:
    """The 10 owners with the most models, then 10 random others."""
    biggest = sorted(real.owners, key=lambda o: (-len(real.owners[o]), o))[:10]
    rest = sorted(set(real.owners) - set(biggest))
    return [*biggest, *random.Random(0).sample(rest, 10)]


def check_via(
    ref: nx.DiGraph[str],
    node: str,
    depth: dict[str, int],
    via: str | None,
    relation: str | None,
    down: bool,
) -> str | None:
    """None if ``via``/``relation`` is the smallest-id neighbour on a shortest path, else why."""
    d = depth[node]
    if d == 0:
        return None if via is None and relation is None else f"{node}: depth 0 has via {via}"
    # down: node derives from via (edge node -> via); up: via derives from node.
    neighbours = ref.successors(node) if down else ref.predecessors(node)
    candidates = sorted(n for n in neighbours if depth.get(n) == d - 1)
    if not candidates:
        return f"{node}: no neighbour at depth {d - 1} in networkx"
    if via != candidates[0]:
        return f"{node}: via {via!r}, expected {candidates[0]!r} (of {candidates[:5]})"
    edge = (node, via) if down else (via, node)
    expected = ref.edges[edge]["relation"]
    return None if relation == expected else f"{node}: relation {relation!r}, edge is {expected!r}"


# -- ingestion ------------------------------------------------------------------------------


def test_the_graph_ingested_equals_the_reference(real: RealData) -> None:
    ref, counts = real.ref, real.counts
    placeholders = sum(1 for m in ref if not ref.nodes[m]["ingested"])
    relations = Counter(rel for _, _, rel in triples(ref))
    assert counts["Model"] == ref.number_of_nodes()
    assert counts["Model:placeholder"] == placeholders == real.report.placeholders
    assert counts["DERIVED_FROM"] == ref.number_of_edges()
    assert {k: v for k, v in counts.items() if k.startswith("relation:")} == {
        f"relation:{r}": n for r, n in relations.items()
    }
    assert real.report.edges == relations
    assert counts["Actor"] == len(real.owners)
    assert counts["OWNS"] == ref.number_of_nodes()
    assert sorted(real.store.derivation_edges()) == sorted(ref.edges)
    assert real.report.nodes_created == counts["Model"] + counts["Actor"]
    assert real.report.edges_removed == 0


def test_real_problems_are_reported_with_their_lines(real: RealData) -> None:
    """Real data holds self-derivations (41 models name themselves as their base)."""
    snap, report = real.snap, real.report
    bad_records = {(snap.lines[m], m) for m in snap.parents if not VALID(m)}
    bad_parents = {
        (snap.lines[m], m, e.parent)
        for m, declared in snap.parents.items()
        if VALID(m)
        for e in declared
        if not VALID(e.parent)
    }
    selfish = {
        (snap.lines[m], m)
        for m, declared in snap.parents.items()
        if VALID(m) and any(e.parent == m for e in declared)
    }
    assert selfish, "the real data is expected to hold self-derivations"
    assert report.read == len(snap.lines)
    assert report.ingested == len(snap.lines) - len(bad_records)
    assert report.skipped == Counter({"invalid-id": len(bad_records)} if bad_records else {})
    assert {(p.line, p.record) for p in report.problems if p.reason == "invalid-id"} == bad_records
    # A bad base is named twice, once from the tags and once from the card.
    named = Counter(
        (p.line, p.record, parent)
        for p in report.problems
        if p.reason == "invalid-base-id"
        for parent in [p.detail.split(" names ", 1)[1].strip("'")]
    )
    assert named == Counter({key: 2 for key in bad_parents})
    assert Counter(
        (p.line, p.record) for p in report.problems if p.reason == "self-derivation"
    ) == Counter({key: 2 for key in selfish})
    expected = {"invalid-base-id": 2 * len(bad_parents), "self-derivation": 2 * len(selfish)}
    assert report.warnings == Counter({k: v for k, v in expected.items() if v})
    assert report.problems_left_out == 0


def test_every_id_the_hub_accepts_is_ingested(real: RealData) -> None:
    ids = {e.child for e in real.edges} | {e.parent for e in real.edges}
    assert all(hub_valid(i) for i in ids)  # the data came from the Hub
    refused = sorted(
        {p.record or "" for p in real.report.problems if p.reason == "invalid-id"}
        | {
            p.detail.split(" names ", 1)[1].strip("'")
            for p in real.report.problems
            if p.reason == "invalid-base-id"
        }
    )
    assert refused == []


def test_cycles_are_the_strongly_connected_components(real: RealData) -> None:
    """Self-loops are self-derivation warnings, never cycles; the report's cycles are SCCs."""
    assert not any(real.ref.has_edge(m, m) for m in real.ref)
    assert real.report.cycles == cycles(real.ref)
    assert sum(1 for p in real.report.problems if p.reason == "lineage-cycle") == len(
        real.report.cycles
    )


# -- lineage and blast radius ---------------------------------------------------------------


def test_blast_radius_of_each_sampled_model_matches_networkx(real: RealData) -> None:
    ref = real.ref
    failures: list[str] = []
    for m in real.sample():
        br = blast_radius(real.store, m, kind="model")
        expected = descendants(ref, m)
        assert expected.keys() == {m} | nx.ancestors(ref, m)
        got = {a.id: a.depth for a in br.affected}
        if got != expected:
            missing = sorted(expected.keys() - got.keys())[:5]
            extra = sorted(got.keys() - expected.keys())[:5]
            wrong = sorted(k for k in got.keys() & expected.keys() if got[k] != expected[k])[:5]
            failures.append(f"{m}: missing {missing} extra {extra} wrong depth {wrong}")
            continue
        assert br.seeds == (m,)
        assert br.count == len(expected)
        assert br.by_depth == dict(sorted(Counter(expected.values()).items()))
        assert br.downloads == sum(ref.nodes[a]["downloads"] or 0 for a in expected)
        assert br.owners == tuple(sorted({ref.nodes[a]["owner"] for a in expected}))
        assert set(br.edges) == triples(ref, expected)
        assert [a.id for a in br.affected] == sorted(
            expected, key=lambda a: (expected[a], -(ref.nodes[a]["downloads"] or 0), a)
        )
        for a in br.affected:
            assert (a.owner, a.downloads) == (
                ref.nodes[a.id]["owner"],
                ref.nodes[a.id]["downloads"],
            )
            why = check_via(ref, a.id, expected, a.via, a.relation, down=True)
            if why:
                failures.append(f"blast radius of {m}: {why}")
        assert br.by_relation == dict(
            sorted(Counter(a.relation for a in br.affected if a.relation).items())
        )
    assert failures == []


def test_lineage_of_each_sampled_model_matches_networkx(real: RealData) -> None:
    ref = real.ref
    failures: list[str] = []
    for m in real.sample():
        result = real.lineage(m)
        up, down = ancestors(ref, m), descendants(ref, m)
        for name, entries, expected, downward in (
            ("ancestors", result.ancestors, up, False),
            ("descendants", result.descendants, down, True),
        ):
            got = {e.id: e.depth for e in entries}
            want = {k: d for k, d in expected.items() if k != m}
            if got != want:
                missing = sorted(want.keys() - got.keys())[:5]
                extra = sorted(got.keys() - want.keys())[:5]
                wrong = sorted(k for k in got.keys() & want.keys() if got[k] != want[k])[:5]
                failures.append(
                    f"{name} of {m}: {len(got)} vs {len(want)}; missing {missing} "
                    f"extra {extra} wrong depth {wrong}"
                )
                continue
            for e in entries:
                node = ref.nodes[e.id]
                assert (e.author, e.downloads, e.ingested) == (
                    node["owner"],
                    node["downloads"],
                    node["ingested"],
                )
                if e.depth == 1:
                    assert e.via == m
                    edge = (e.id, m) if downward else (m, e.id)
                    assert e.relation == ref.edges[edge]["relation"], (m, e)
                # Descendants derive from their via; ancestors are derived from by theirs.
                why = check_via(ref, e.id, expected, e.via, e.relation, down=downward)
                if why:
                    failures.append(f"{name} of {m}: {why}")
        relatives = set(up) | set(down)
        assert result.cycles == tuple(c for c in real.cycles if set(c) & relatives)
    assert failures == []


def test_lineage_edges_are_every_edge_among_the_model_and_its_relatives(real: RealData) -> None:
    ref = real.ref
    failures: list[str] = []
    for m in real.sample():
        relatives = set(ancestors(ref, m)) | set(descendants(ref, m))
        expected = triples(ref, relatives)
        got = set(real.lineage(m).edges)
        if got != expected:
            failures.append(
                f"{m}: missing {sorted(expected - got)[:3]} extra {sorted(got - expected)[:3]}"
            )
    assert failures == []


def test_the_deepest_chain_is_reported_in_full(real: RealData) -> None:
    """Depths are shortest hop counts; none is cut short, however long the chain."""
    ref = real.ref
    [(leaf, depth)] = deepest_leaves(ref, 1)
    assert depth >= 10, "the real data holds chains of ten hops and more"
    result = real.lineage(leaf)
    assert max(e.depth for e in result.ancestors) == depth
    assert {e.id: e.depth for e in result.ancestors} == {
        k: d for k, d in ancestors(ref, leaf).items() if k != leaf
    }
    for root in [k for k, d in ancestors(ref, leaf).items() if d == depth]:
        br = blast_radius(real.store, root, kind="model")
        assert {a.id: a.depth for a in br.affected}[leaf] == depth
    # The longest chain of declarations (may be longer than any shortest distance).
    assert not real.cycles, "dag_longest_path needs an acyclic graph"
    chain = nx.dag_longest_path(ref)  # child -> parent: from the leaf to the root
    assert len(chain) - 1 >= depth
    first = real.lineage(chain[0])
    reached = {e.id: e.depth for e in first.ancestors}
    assert set(chain[1:]) <= reached.keys()
    assert reached == {k: d for k, d in ancestors(ref, chain[0]).items() if k != chain[0]}


# -- reach and rankings ---------------------------------------------------------------------


def test_reach_of_sampled_owners_matches_networkx(real: RealData) -> None:
    ref = real.ref
    for owner in sample_owners(real):
        owned = real.owners[owner]
        downstream: set[str] = set()
        for m in owned:
            downstream |= nx.ancestors(ref, m)
        got = reach(real.store, owner)
        assert (got.direct, got.transitive, got.total, got.organisations) == (
            len(owned),
            len(downstream),
            len(owned | downstream),
            (),
        ), owner


def test_top_models_is_the_brute_force_ranking(real: RealData) -> None:
    rows = sorted(real.ref, key=lambda m: (-real.model_reach[m], m))[:20]
    expected = [(m, real.model_reach[m], real.ref.in_degree(m)) for m in rows]
    assert [(r.id, r.reach, r.direct) for r in top_models(real.store, 20)] == expected


def test_top_actors_is_the_brute_force_ranking(real: RealData) -> None:
    total: dict[str, tuple[int, int]] = {}
    for owner, owned in real.owners.items():
        reached = set(owned)
        for m in owned:
            reached |= nx.ancestors(real.ref, m)
        total[owner] = (len(reached), len(owned))
    rows = sorted(total, key=lambda o: (-total[o][0], o))[:20]
    expected = [(o, *total[o]) for o in rows]
    assert [(r.id, r.reach, r.direct) for r in top_actors(real.store, 20)] == expected


# -- idempotence: keep last, it ingests into the module's store a second time ---------------


def test_ingesting_the_same_file_again_changes_nothing(real: RealData) -> None:
    again = ingest_snapshot(real.store, real.snap.path)
    assert again.nodes_created == 0
    assert again.edges_removed == 0
    assert again.placeholders == real.report.placeholders
    assert again.cycles == real.report.cycles
    assert Counter(p.reason for p in again.problems) == Counter(
        p.reason for p in real.report.problems
    )
    assert real.store.counts() == real.counts
    after: dict[str, Any] = blast_radius(real.store, real.hub, kind="model").to_json()
    assert after == real.hub_radius.to_json()
