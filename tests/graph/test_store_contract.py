"""The store contract: every backend must pass this suite unchanged."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mlsc.errors import QueryTimeoutError, ReadOnlyViolation, StoreError
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore, Hop
from tests.graph.builders import DIAMOND, PROV, chain, contents, derived, lineage_batch, model


def test_a_new_store_is_empty(store: GraphStore) -> None:
    counts = store.counts()
    assert counts["Model"] == 0 and counts["DERIVED_FROM"] == 0
    assert store.node("Model", "o/r") is None


def test_writing_a_batch_twice_leaves_the_same_graph(store: GraphStore) -> None:
    batch = lineage_batch(DIAMOND)
    first = store.write(batch)
    counts = store.counts()
    second = store.write(batch)
    assert first.nodes_created == 8 + 4 and first.edges_created == 8 + 8
    assert (second.nodes_created, second.edges_created, second.edges_removed) == (0, 0, 0)
    assert store.counts() == counts
    assert counts["Model"] == 8 and counts["DERIVED_FROM"] == 8 and counts["Actor"] == 4
    assert counts["relation:merge"] == 4


def test_none_never_overwrites_and_new_values_do(store: GraphStore) -> None:
    store.write(GraphBatch([model("o/a", downloads=5, license="mit", architectures=["Llama"])]))
    store.write(GraphBatch([model("o/a", downloads=7, license=None)]))
    node = store.node("Model", "o/a")
    assert node is not None
    assert (node["downloads"], node["license"], node["architectures"]) == (7, "mit", ["Llama"])


def test_a_placeholder_never_overwrites_an_ingested_model(store: GraphStore) -> None:
    store.write(GraphBatch([model("o/a", downloads=5)]))
    placeholder = NodeRecord("Model", "o/a", {"ingested": False, **PROV}, create_only=True)
    store.write(GraphBatch([placeholder]))
    node = store.node("Model", "o/a")
    assert node is not None and node["ingested"] is True and node["downloads"] == 5


def test_an_ingested_record_fills_a_placeholder(store: GraphStore) -> None:
    placeholder = NodeRecord("Model", "o/a", {"ingested": False, **PROV}, create_only=True)
    store.write(GraphBatch([placeholder]))
    store.write(GraphBatch([model("o/a", downloads=5)]))
    node = store.node("Model", "o/a")
    assert node is not None and node["ingested"] is True and node["downloads"] == 5


def test_replacing_outgoing_edges_removes_only_the_stale_ones(store: GraphStore) -> None:
    store.write(lineage_batch([("o/x", "o/a", "finetune"), ("o/x", "o/b", "finetune")]))
    batch = GraphBatch(
        [model("o/x")],
        [derived("o/x", "o/a", "merge", confidence=0.5)],
        replace_outgoing={"DERIVED_FROM": frozenset({"o/x"})},
    )
    stats = store.write(batch)
    assert (stats.edges_removed, stats.edges_updated, stats.edges_created) == (1, 1, 0)
    assert store.derivation("o/x", "o/b") is None
    edge = store.derivation("o/x", "o/a")
    assert edge is not None and edge["relation"] == "merge" and edge["confidence"] == 0.5


def test_edge_properties_round_trip(store: GraphStore) -> None:
    store.write(GraphBatch([model("o/a"), model("o/b")]))
    store.write(
        GraphBatch(
            [],
            [
                derived(
                    "o/b", "o/a", "quantized", evidence=["tag:base_model:quantized", "files:gguf"]
                )
            ],
        )
    )
    edge = store.derivation("o/b", "o/a")
    assert edge is not None
    assert edge["evidence"] == ["tag:base_model:quantized", "files:gguf"]
    assert edge["source"] == "test" and edge["observed_at"] == "2026-01-01T00:00:00Z"


def test_hostile_strings_are_stored_verbatim(store: GraphStore) -> None:
    hostile = "<img src=x onerror=alert(1)>\"');\nMATCH (n) DETACH DELETE n //\t\u202e" + "x" * 5000
    store.write(GraphBatch([model("o/a", license=hostile, pipeline_tag="a,b\r\nc")]))
    node = store.node("Model", "o/a")
    assert node is not None and node["license"] == hostile and node["pipeline_tag"] == "a,b\r\nc"
    assert store.counts()["Model"] == 1


def test_expand_down_gives_shortest_depths_on_merges_of_merges(store: GraphStore) -> None:
    store.write(lineage_batch(DIAMOND))
    down = store.expand(["o/r"], "down")
    assert dict(down.depth) == {"o/r": 0, "o/a": 1, "o/b": 1, "p/m": 2, "p/mm": 2, "q/q": 3}
    assert down.hops() == {Hop(c, p, r) for c, p, r in DIAMOND if c != "z/x"}
    assert down.info["q/q"].author == "q" and down.info["o/r"].ingested


def test_expand_up_reaches_every_root(store: GraphStore) -> None:
    store.write(lineage_batch(DIAMOND))
    up = store.expand(["q/q"], "up")
    assert dict(up.depth) == {"q/q": 0, "p/mm": 1, "p/m": 2, "o/a": 2, "o/b": 3, "o/r": 3}
    assert Hop("q/q", "p/mm", "quantized") in up.hops()
    assert Hop("o/b", "o/r", "adapter") in up.hops()


def test_expand_from_several_seeds_takes_the_nearest(store: GraphStore) -> None:
    store.write(lineage_batch(DIAMOND))
    down = store.expand(["o/r", "p/m", "nobody/unknown"], "down")
    assert down.depth["p/m"] == 0 and down.depth["p/mm"] == 1 and down.depth["q/q"] == 2
    assert "nobody/unknown" not in down.depth


def test_expand_terminates_on_cycles(store: GraphStore) -> None:
    store.write(
        lineage_batch(
            [
                ("c/a", "c/b", "finetune"),
                ("c/b", "c/c", "finetune"),
                ("c/c", "c/a", "merge"),
                ("c/d", "c/a", "quantized"),
            ]
        )
    )
    down = store.expand(["c/a"], "down")
    assert dict(down.depth) == {"c/a": 0, "c/c": 1, "c/b": 2, "c/d": 1}
    up = store.expand(["c/d"], "up")
    assert dict(up.depth) == {"c/d": 0, "c/a": 1, "c/b": 2, "c/c": 3}


def test_expand_does_not_stop_at_thirty_hops(store: GraphStore) -> None:
    store.write(lineage_batch(chain(60)))
    down = store.expand(["chain/m0"], "down")
    assert len(down.depth) == 61 and down.depth["chain/m60"] == 60
    up = store.expand(["chain/m60"], "up")
    assert up.depth["chain/m0"] == 60 and up.edges.num_rows == 60


def test_ownership_and_membership(store: GraphStore) -> None:
    store.write(lineage_batch(DIAMOND))
    store.write(
        GraphBatch(
            [NodeRecord("Actor", "alice", {"kind": "user", **PROV})],
            [
                EdgeRecord("MEMBER_OF", "Actor", "alice", "Actor", "p", {"role": "admin", **PROV}),
                EdgeRecord("OWNS", "Actor", "alice", "Model", "z/x", PROV),
            ],
        )
    )
    assert store.organisations_of("alice") == ["p"]
    assert store.owned_models(["alice", "p"]) == ["p/m", "p/mm", "z/x"]
    assert ("alice", "p") in set(store.membership_edges())
    assert ("alice", "z/x") in set(store.ownership_edges())
    assert sorted(store.derivation_edges()) == sorted((c, p) for c, p, _ in DIAMOND)


def test_keys_for_suggestions(store: GraphStore) -> None:
    store.write(lineage_batch(DIAMOND))
    assert store.keys("Model", "P/M", 10) == ["p/m", "p/mm"]


def test_cypher_reads_with_parameters(store: GraphStore) -> None:
    store.write(lineage_batch(DIAMOND))
    result = store.cypher(
        "MATCH (c:Model)-[r:DERIVED_FROM]->(p:Model {id: $id}) RETURN c.id AS child ORDER BY child",
        {"id": "o/a"},
    )
    assert result.columns == ("child",) and result.rows == (("p/m",), ("p/mm",))


def test_cypher_refuses_writes_unless_asked(store: GraphStore) -> None:
    store.write(lineage_batch(DIAMOND))
    with pytest.raises(ReadOnlyViolation):
        store.cypher("MATCH (m:Model) DETACH DELETE m")
    assert store.counts()["Model"] == 8
    store.cypher("MATCH (m:Model {id: 'z/x'}) SET m.license = 'gpl'", write=True)
    node = store.node("Model", "z/x")
    assert node is not None and node["license"] == "gpl"
    # the store is still usable for reads after a refused write
    assert store.cypher("MATCH (m:Model) RETURN count(*)").rows == ((8,),)


def test_two_stores_are_independent(make_store: Callable[[], GraphStore]) -> None:
    one, two = make_store(), make_store()
    one.write(lineage_batch(DIAMOND))
    assert two.counts()["Model"] == 0


def test_expand_keeps_unknown_values_unknown(store: GraphStore) -> None:
    store.write(lineage_batch(DIAMOND))
    store.write(GraphBatch([model("o/a", downloads=7), model("o/b", downloads=None)]))
    down = store.expand(["o/r"], "down")
    assert down.info["o/a"].downloads == 7
    assert down.info["o/b"].downloads is None  # never 0: unknown is not "no downloads"
    assert down.info["o/r"].author == "o"


def test_derivation_cycles_are_exact_among_chains_and_merges(store: GraphStore) -> None:
    edges = [
        *DIAMOND,
        ("c/a", "c/b", "finetune"),  # a 3-cycle ...
        ("c/b", "c/c", "finetune"),
        ("c/c", "c/a", "merge"),
        ("c/d", "c/a", "quantized"),  # ... with a tail below and a chain above it
        ("c/a", "o/r", "merge"),
        ("d/x", "d/y", "finetune"),  # a separate 2-cycle
        ("d/y", "d/x", "finetune"),
        *chain(35, "long/m"),
    ]
    store.write(lineage_batch(edges))
    assert store.derivation_cycles() == [("c/a", "c/b", "c/c"), ("d/x", "d/y")]


HOSTILE = 'a,"b"\n;\x1f<script>\u202e' + "é" * 300


def _varied_batch() -> GraphBatch:
    """Every label, every edge pair, nulls, empty strings and lists, hostile text."""
    hostile = HOSTILE
    nodes = [
        model("o/a", architectures=["Llama", "Mistral"], downloads=0, license=""),
        model("o/b", architectures=[], downloads=None, license=hostile, private=False),
        NodeRecord("Actor", "o", {"hub": "huggingface", "kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "u", {"hub": "huggingface", "kind": "user", **PROV}),
        NodeRecord("Dataset", "d/x", {"hub": "huggingface", **PROV}),
        NodeRecord("Commit", "c1", {"repo": "o/a", "title": hostile, "verified": False, **PROV}),
        NodeRecord("File", "o/a/model.bin", {"size": 1 << 40, "pickle": True, **PROV}),
        NodeRecord("CodeRepository", "github.com/o/r", {"host": "github.com", **PROV}),
    ]
    edges = [
        derived("o/b", "o/a", "quantized", evidence=["files:gguf", hostile], confidence=0.25),
        EdgeRecord("OWNS", "Actor", "o", "Model", "o/a", PROV),
        EdgeRecord("MEMBER_OF", "Actor", "u", "Actor", "o", {"role": "admin", **PROV}),
        EdgeRecord("TRAINED_ON", "Model", "o/a", "Dataset", "d/x", PROV),
        EdgeRecord("HAS_FILE", "Model", "o/a", "File", "o/a/model.bin", PROV),
        EdgeRecord("HAS_COMMIT", "Model", "o/a", "Commit", "c1", PROV),
        EdgeRecord("HAS_COMMIT", "CodeRepository", "github.com/o/r", "Commit", "c1", PROV),
        EdgeRecord("AUTHORED", "Actor", "u", "Commit", "c1", {"role": "author", **PROV}),
        EdgeRecord("USES_MODEL", "CodeRepository", "github.com/o/r", "Model", "o/b", PROV),
    ]
    return GraphBatch(nodes, edges)


def test_scans_return_every_node_and_edge_with_every_property(store: GraphStore) -> None:
    store.write(_varied_batch())
    got = contents(store, rows=1)
    assert len(got) == 8 + 9
    b = got[("Model", "o/b")]
    assert b["architectures"] == [] and b["downloads"] is None and b["likes"] is None
    assert b["license"] == HOSTILE
    a = got[("Model", "o/a")]
    assert (a["downloads"], a["license"], a["architectures"]) == (0, "", ["Llama", "Mistral"])
    assert got[("File", "o/a/model.bin")]["size"] == 1 << 40
    assert got[("Actor", "u")]["verified"] is None and got[("Actor", "o")]["verified"] is True
    edge = got[("DERIVED_FROM", "Model", "o/b", "Model", "o/a")]
    assert edge["evidence"][0] == "files:gguf" and edge["confidence"] == 0.25
    assert ("HAS_COMMIT", "CodeRepository", "github.com/o/r", "Commit", "c1") in got
    assert ("HAS_COMMIT", "Model", "o/a", "Commit", "c1") in got
    assert got[("MEMBER_OF", "Actor", "u", "Actor", "o")]["role"] == "admin"


def test_scans_page_through_large_tables(store: GraphStore) -> None:
    store.write(lineage_batch(chain(250)))
    tables = list(store.scan_nodes("Model", 100))
    assert [len(t.keys) for t in tables] == [100, 100, 51]
    assert sum(len(t.src) for t in store.scan_edges("DERIVED_FROM", "Model", "Model", 100)) == 250


def test_an_edge_to_a_missing_node_is_an_error_naming_it(store: GraphStore) -> None:
    store.write(GraphBatch([model("o/a")]))
    with pytest.raises(StoreError, match="o/nowhere"):
        store.write(GraphBatch([], [derived("o/a", "o/nowhere")]))
    assert store.derivation("o/a", "o/nowhere") is None


SLOW = (
    "MATCH (a:Model), (b:Model), (c:Model), (d:Model) "
    "WHERE (a.id + b.id + c.id + d.id) CONTAINS 'never' RETURN count(*)"
)
"""About 4 billion rows on a 250-hop chain: hours, unless the timeout stops it."""


def test_a_query_running_too_long_is_stopped_and_the_store_stays_usable(
    store: GraphStore,
) -> None:
    store.write(lineage_batch(chain(250)))
    with pytest.raises(QueryTimeoutError, match="longer than"):
        store.cypher(SLOW, timeout=1)
    assert store.cypher("MATCH (m:Model) RETURN count(*)").rows == ((251,),)


def _uses_batch() -> GraphBatch:
    app, other = "github.com/acme/chatbot", "local:/home/dev/app"
    sha = "3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
    nodes = [
        model("o/a"),
        model("o/b"),
        NodeRecord("CodeRepository", app, {"host": "github.com", **PROV}),
        NodeRecord("CodeRepository", other, {"host": "local", **PROV}),
    ]
    edges = [
        EdgeRecord("USES_MODEL", "CodeRepository", app, "Model", "o/a",
                   {"revision": sha, "revision_kind": "commit", "pinned": True,
                    "file": "app/serve.py", "line": 12, "references": 3,
                    "evidence": ["notebook", "python"], "confidence": 0.9, **PROV}),
        EdgeRecord("USES_MODEL", "CodeRepository", app, "Model", "o/b",
                   {"revision": "main", "revision_kind": "branch", "pinned": False,
                    "file": HOSTILE, "line": 1, "references": 1, "evidence": ["yaml"],
                    "confidence": 0.7, **PROV}),
        EdgeRecord("USES_MODEL", "CodeRepository", other, "Model", "o/a",
                   {"evidence": ["peatmoss"], "confidence": 0.8, **PROV}),
    ]  # fmt: skip
    return GraphBatch(nodes, edges)


def test_uses_model_round_trips_every_property(store: GraphStore) -> None:
    from mlsc.graph.reads_code import (
        ModelUse,
        stored_models,
        stored_uses,
        uses_by,
        uses_of,
    )
    from mlsc.graph.reads_population import Scope, pinning_count

    store.write(_uses_batch())
    app, other = "github.com/acme/chatbot", "local:/home/dev/app"
    sha = "3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
    assert uses_by(store, [app]) == [
        ModelUse(app, "o/a", sha, "commit", True, "app/serve.py", 12, 3, ["notebook", "python"],
                 0.9),
        ModelUse(app, "o/b", "main", "branch", False, HOSTILE, 1, 1, ["yaml"], 0.7),
    ]  # fmt: skip
    assert uses_of(store, ["o/a"]) == [
        uses_by(store, [app])[0],
        ModelUse(other, "o/a", None, None, None, None, None, None, ["peatmoss"], 0.8),
    ]
    many = ["o/a", *(f"o/missing{i}" for i in range(5))]  # more ids than edges: a scan
    assert uses_of(store, many) == uses_of(store, ["o/a"])
    assert uses_of(store, []) == []
    assert pinning_count(store, Scope()) == (3, 2, 1, 2)  # edges, apps, pinned, known
    assert pinning_count(store, Scope("o")) == (3, 2, 1, 2)
    assert pinning_count(store, Scope(HOSTILE)) == (0, 0, 0, 0)
    assert stored_models(store, ["o/a", "o/zz", "o/a"]) == {"o/a"}
    assert stored_uses(store, [other, "github.com/none/x"]) == {(other, "o/a"): "test"}


def test_replacing_uses_keeps_other_applications(store: GraphStore) -> None:
    from mlsc.graph.reads_code import uses_of

    store.write(_uses_batch())
    app = "github.com/acme/chatbot"
    stats = store.write(GraphBatch(replace_outgoing={"USES_MODEL": [app]}))
    assert stats.edges_removed == 2
    assert [(u.application, u.model) for u in uses_of(store, ["o/a", "o/b"])] == [
        ("local:/home/dev/app", "o/a")
    ]


def test_read_table_keeps_nulls_and_types_with_or_without_parameters(store: GraphStore) -> None:
    import pyarrow as pa

    from mlsc.graph.store import Column

    store.write(
        GraphBatch(
            [model("o/a", downloads=0, gated="no", private=False, architectures=["Llama"]),
             model("o/b", author=None, downloads=None, architectures=[]),
             model("o/c", downloads=7, gated="auto", private=True)],
            [derived("o/b", "o/a", "merge", confidence=None, evidence=None)],
        )
    )  # fmt: skip
    columns = [
        Column("id", "m.id", pa.string()),
        Column("author", "m.author", pa.string()),
        Column("downloads", "m.downloads", pa.int64()),
        Column("private", "m.private", pa.bool_()),
        Column("architectures", "m.architectures", pa.list_(pa.string())),
        Column("gated", "m.gated IN ['auto', 'manual']", pa.bool_()),
    ]
    table = store.read_table("MATCH (m:Model)", columns)
    assert table.schema == pa.schema([(c.name, c.type) for c in columns])
    assert table.sort_by("id").to_pylist() == [
        {"id": "o/a", "author": "o", "downloads": 0, "private": False,
         "architectures": ["Llama"], "gated": False},
        {"id": "o/b", "author": None, "downloads": None, "private": None,
         "architectures": [], "gated": None},
        {"id": "o/c", "author": "o", "downloads": 7, "private": True,
         "architectures": None, "gated": True},
    ]  # fmt: skip
    edges = store.read_table(
        "MATCH (c:Model)-[r:DERIVED_FROM]->(p:Model) WHERE p.id = $p",
        [Column("child", "c.id", pa.string()), Column("confidence", "r.confidence", pa.float64()),
         Column("evidence", "r.evidence", pa.list_(pa.string()))],
        {"p": "o/a"},
    )  # fmt: skip
    assert edges.to_pylist() == [{"child": "o/b", "confidence": None, "evidence": None}]
    none = store.read_table("MATCH (m:Model) WHERE m.id = $id", columns, {"id": HOSTILE})
    assert none.num_rows == 0 and none.schema == table.schema
