"""The scorecard on a small graph with known facts, on both stores."""

from __future__ import annotations

from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.queries.scorecard import scorecard
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
