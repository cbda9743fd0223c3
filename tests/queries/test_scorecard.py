"""The scorecard on a small graph with known facts, on both stores."""

from __future__ import annotations

from pathlib import Path

from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.queries import blast_radius
from mlsc.queries.scorecard import scorecard
from mlsc.scan import scan_path, scan_records
from tests.graph.builders import PROV, derived, model


def graph() -> GraphBatch:
    """acme/chat (well kept) <- derives from shady/base (pickle, unsigned, 14 writers)."""
    nodes = [
        model("shady/base", license="mit", created_at="2024-01-01T00:00:00.000Z"),
        model("acme/chat", license="apache-2.0", created_at="2024-02-01T00:00:00.000Z",
              signature_status="verified"),
        NodeRecord("Actor", "acme", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "shady", {"kind": "org", "verified": False, **PROV}),
        NodeRecord("Dataset", "d/chat", PROV),
        NodeRecord("File", "acme/chat/README.md", {"path": "README.md", **PROV}),
        NodeRecord("File", "acme/chat/model.safetensors",
                   {"path": "model.safetensors", "format": "safetensors", "pickle": False,
                    "sha256": "a" * 64, **PROV}),
        NodeRecord("File", "shady/base/pytorch_model.bin",
                   {"path": "pytorch_model.bin", "format": "pickle", "pickle": True, **PROV}),
        NodeRecord("File", "shady/base/modeling.py", {"path": "modeling.py", **PROV}),
        NodeRecord("Commit", "1" * 40, {"title": "weights", "signature": "gpg",
                                        "verified": True, "verification_reason": "good", **PROV}),
        NodeRecord("Commit", "2" * 40, {"title": "card", "signature": "ssh", "verified": True,
                                        "verification_reason": "good", **PROV}),
        NodeRecord("Commit", "3" * 40, {"title": "", "verification_reason": "none",
                                        "rewritten": True, **PROV}),
        *(NodeRecord("Actor", f"u{i}", {"kind": "user", **PROV}) for i in range(14)),
    ]  # fmt: skip
    edges = [
        derived("acme/chat", "shady/base", "finetune"),
        EdgeRecord("TRAINED_ON", "Model", "acme/chat", "Dataset", "d/chat", PROV),
        EdgeRecord("HAS_FILE", "Model", "acme/chat", "File", "acme/chat/README.md", PROV),
        EdgeRecord("HAS_FILE", "Model", "acme/chat", "File", "acme/chat/model.safetensors", PROV),
        EdgeRecord("HAS_FILE", "Model", "shady/base", "File", "shady/base/pytorch_model.bin", PROV),
        EdgeRecord("HAS_FILE", "Model", "shady/base", "File", "shady/base/modeling.py", PROV),
        EdgeRecord("HAS_COMMIT", "Model", "acme/chat", "Commit", "1" * 40, PROV),
        EdgeRecord("HAS_COMMIT", "Model", "acme/chat", "Commit", "2" * 40, PROV),
        EdgeRecord("HAS_COMMIT", "Model", "shady/base", "Commit", "3" * 40, PROV),
        EdgeRecord("AUTHORED", "Actor", "u0", "Commit", "1" * 40, {"role": "author", **PROV}),
        EdgeRecord("AUTHORED", "Actor", "u1", "Commit", "2" * 40, {"role": "author", **PROV}),
        *(EdgeRecord("MEMBER_OF", "Actor", f"u{i}", "Actor", "shady", PROV) for i in range(14)),
        EdgeRecord("MEMBER_OF", "Actor", "u0", "Actor", "acme", PROV),
        EdgeRecord("MEMBER_OF", "Actor", "u1", "Actor", "acme", PROV),
    ]  # fmt: skip
    return GraphBatch(nodes, edges)


def test_cells_facts_and_the_weakest_link(store: GraphStore) -> None:
    store.write(graph())
    card = scorecard(store, "acme/chat")
    scores = {(c.principle, c.subject): c.score for c in card.cells}
    assert scores == {
        ("transparency", "artifacts"): 1.0,  # card, lineage, dataset, hashes 1/1
        ("validity", "artifacts"): 1.0,  # safetensors, no finding, signature verified
        ("separation", "artifacts"): 1.0,  # no code
        ("transparency", "operations"): 1.0,
        ("validity", "operations"): 1.0,  # 2/2 signed and verified, never rewritten
        ("separation", "operations"): 1.0,  # two committers (no linked code: unknown)
        ("transparency", "actors"): 1.0,
        ("validity", "actors"): 1.0,  # verified org, 2/2 committers sign
        ("separation", "actors"): 1.0,  # 2 writers, 1 model
    }
    assert card.overall == 1.0 and card.ancestors_scored == 1
    weakest = card.weakest_upstream
    assert weakest is not None and weakest.model == "shady/base" and weakest.depth == 1
    pulled = {(c.principle, c.subject) for c in weakest.pulled_down_by}
    assert pulled >= {
        ("separation", "artifacts"),  # modeling.py: trust_remote_code
        ("validity", "operations"),  # unsigned, rewritten
        ("validity", "actors"),  # unverified organisation
        ("separation", "actors"),  # 14 accounts can write
    }
    base = scorecard(store, "shady/base")
    assert base.cell("validity", "artifacts").score == 0.5  # pickle weights, no finding
    writers = base.cell("separation", "actors").facts[0]
    assert (writers.value, writers.score) == (14, 0.0)
    rewritten = base.cell("validity", "operations").facts[1]
    assert (rewritten.value, rewritten.score) == (1, 0.0)
    assert base.weakest_upstream is None
    assert card.to_json()["weakest_upstream"]["model"] == "shady/base"


# -- unknown is never scored as good; scan verdicts veto ------------------------------------

EVIL = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."


def test_a_model_nobody_knows_anything_about_scores_zero(store: GraphStore) -> None:
    store.write(
        GraphBatch(
            [
                NodeRecord("Model", "ghost/base", {"hub": "huggingface", "ingested": False,
                                                   **PROV}),
                model("acme/chat", license="mit"),
            ],
            [derived("acme/chat", "ghost/base")],
        )
    )  # fmt: skip
    ghost = scorecard(store, "ghost/base")
    assert (ghost.overall, ghost.overall_known, ghost.known_cells) == (0.0, None, 0)
    data = ghost.to_json()
    assert (data["overall"], data["overall_known"], data["known_cells"]) == (0.0, None, 0)


def test_the_lower_bound_counts_unknown_cells_as_zero(store: GraphStore) -> None:
    store.write(graph())
    card = scorecard(store, "acme/chat")
    assert card.known_cells == 9 and card.overall == card.overall_known == 1.0
    # An anonymous model, ingested with nothing but its id: no dataset named (a known no),
    # no discrepancy and one account (known yeses). Not assured: 2/9, far below the model
    # about which much is known, though its known cells average 0.67.
    store.write(GraphBatch([model("anon/thing")]))
    anon = scorecard(store, "anon/thing")
    assert (anon.known_cells, anon.overall_known) == (3, round(2 / 3, 3))
    assert anon.overall == round(2 / 9, 3) < card.overall


def test_a_sound_ancestor_is_never_named_weaker_than_an_unknown_one(store: GraphStore) -> None:
    """acme/chat derives from shady/base (known, flawed) and, by a merge, from ghost/base
    (never ingested): the unknown one is named, since nothing about it is assured."""
    store.write(graph())
    store.write(
        GraphBatch(
            [NodeRecord("Model", "ghost/base", {"hub": "huggingface", "ingested": False, **PROV})],
            [derived("acme/chat", "ghost/base", "merge")],
        )
    )
    weakest = scorecard(store, "acme/chat").weakest_upstream
    assert weakest is not None
    assert (weakest.model, weakest.overall, weakest.known_cells) == ("ghost/base", 0.0, 0)


def _scan_into(store: GraphStore, model_id: str, directory: Path, files: dict[str, bytes],
               known: tuple[str, ...] = ()) -> None:  # fmt: skip
    directory.mkdir(parents=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    store.write(scan_records(scan_path(directory), model_id, known_files=known))


def test_a_critical_file_vetoes_artifact_validity_and_is_listed(
    store: GraphStore, tmp_path: Path
) -> None:
    store.write(graph())
    before = scorecard(store, "acme/chat").cell("validity", "artifacts")
    assert before.score == 1.0
    _scan_into(store, "acme/chat", tmp_path / "chat", {"pytorch_model.pkl": EVIL},
               known=("acme/chat/README.md", "acme/chat/model.safetensors"))  # fmt: skip
    cell = scorecard(store, "acme/chat").cell("validity", "artifacts")
    assert cell.score == 0.0 and cell.vetoed
    scan = next(f for f in cell.facts if f.name == "files mlsc's scan flags")
    assert scan.score == 0.0 and scan.veto
    [flagged] = scan.value
    assert (flagged["file"], flagged["verdict"]) == ("pytorch_model.pkl", "critical")
    assert "os.system" in flagged["callables"]
    assert flagged["finding"].startswith("critical dangerous_import")


def test_a_warning_lowers_artifact_validity(store: GraphStore, tmp_path: Path) -> None:
    store.write(graph())
    unknown_class = b"\x80\x02ctransformers.training_args\nTrainingArguments\n)R."
    _scan_into(store, "acme/chat", tmp_path / "chat", {"training_args.bin": unknown_class},
               known=("acme/chat/README.md", "acme/chat/model.safetensors"))  # fmt: skip
    cell = scorecard(store, "acme/chat").cell("validity", "artifacts")
    scan = next(f for f in cell.facts if f.name == "files mlsc's scan flags")
    assert scan.score == 0.5 and scan.value[0]["verdict"] == "warning"
    assert cell.score is not None and 0.0 < cell.score < 1.0


def test_the_hubs_own_verdict_is_never_lowered(store: GraphStore) -> None:
    status = '{"scansDone": true, "filesWithIssues": [{"path": "a.bin", "level": "unsafe"}]}'
    store.write(graph())
    store.write(GraphBatch([model("acme/chat", security_status=status)]))
    cell = scorecard(store, "acme/chat").cell("validity", "artifacts")
    hub = next(f for f in cell.facts if f.name == "files the hub's scanner flags")
    assert (hub.score, hub.value) == (0.0, [{"file": "a.bin", "verdict": "critical"}])
    assert cell.score == 0.0
    fine = '{"scansDone": true, "filesWithIssues": [{"path": "a.bin", "level": "info"}]}'
    store.write(GraphBatch([model("acme/chat", security_status=fine)]))
    cell = scorecard(store, "acme/chat").cell("validity", "artifacts")
    hub = next(f for f in cell.facts if f.name == "files the hub's scanner flags")
    assert hub.score == 1.0 and cell.score == 1.0


def test_a_descendant_names_the_ancestor_with_a_critical_file(
    store: GraphStore, tmp_path: Path
) -> None:
    """leaf -> mid (never ingested: overall 0) -> acme/chat (well kept, but a critical file):
    the critical file outranks the unknown, and blast radius lists who inherits it."""
    store.write(graph())
    store.write(
        GraphBatch(
            [NodeRecord("Model", "x/mid", {"hub": "huggingface", "ingested": False, **PROV}),
             model("x/leaf")],
            [derived("x/mid", "acme/chat"), derived("x/leaf", "x/mid")],
        )
    )  # fmt: skip
    _scan_into(store, "acme/chat", tmp_path / "chat", {"pytorch_model.pkl": EVIL},
               known=("acme/chat/README.md", "acme/chat/model.safetensors"))  # fmt: skip
    card = scorecard(store, "x/leaf")
    weakest = card.weakest_upstream
    assert weakest is not None and (weakest.model, weakest.critical) == ("acme/chat", True)
    assert weakest.overall > 0.0  # not the lowest overall: named for the critical file
    assert ("validity", "artifacts") in {(c.principle, c.subject) for c in weakest.pulled_down_by}
    assert {a.id for a in blast_radius(store, "acme/chat").affected} >= {"x/mid", "x/leaf"}


def test_a_local_scan_never_erases_the_card(store: GraphStore, tmp_path: Path) -> None:
    """The hub said the card exists (licence and tags, no file listing); a local folder
    without README.md is scanned: the card is still present."""
    store.write(GraphBatch([model("acme/tiny", license="mit", pipeline_tag="text-generation")]))
    fact = scorecard(store, "acme/tiny").cell("transparency", "artifacts").facts[0]
    assert (fact.name, fact.value) == ("card present", True)
    _scan_into(store, "acme/tiny", tmp_path / "tiny", {"config.json": b"{}"})
    fact = scorecard(store, "acme/tiny").cell("transparency", "artifacts").facts[0]
    assert (fact.name, fact.value, fact.score) == ("card present", True, 1.0)
    node = store.node("Model", "acme/tiny") or {}
    assert node["source"] == "test" and node["license"] == "mit"
