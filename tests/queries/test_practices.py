"""The practices report on a small graph with known answers, on both stores."""

from __future__ import annotations

from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.queries.practices import practices
from tests.graph.builders import PROV, model


def population() -> GraphBatch:
    """4 orgs (1 verified, 2 not, 1 unknown), 6 models, commits known on 3 of them."""
    nodes = [
        NodeRecord("Actor", "big", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "small", {"kind": "org", "verified": False, **PROV}),
        NodeRecord("Actor", "tiny", {"kind": "org", "verified": False, **PROV}),
        NodeRecord("Actor", "dunno", {"kind": "org", **PROV}),
        NodeRecord("Actor", "solo", {"kind": "user", **PROV}),
        *(NodeRecord("Actor", u, {"kind": "user", **PROV}) for u in ("u1", "u2", "u3")),
        model("big/a", gated="manual"), model("big/b", gated="no"), model("big/c"),
        model("small/d", gated="auto"), model("solo/e", gated="no"), model("tiny/f"),
        NodeRecord("File", "big/a/pytorch_model.bin", {"pickle": True, **PROV}),
        NodeRecord("File", "big/b/model.safetensors", {"pickle": False, **PROV}),
        NodeRecord("Commit", "1" * 40, {"signature": "gpg", "verified": True, **PROV}),
        NodeRecord("Commit", "2" * 40, {"verification_reason": "none", **PROV}),
        NodeRecord("Commit", "3" * 40, {"signature": "ssh", "verified": False, **PROV}),
        NodeRecord("Commit", "4" * 40, {"verification_reason": "unsigned", **PROV}),
        NodeRecord("Commit", "5" * 40, {**PROV}),  # the Hub's list: status unknown
    ]  # fmt: skip
    edges = [
        EdgeRecord("HAS_FILE", "Model", "big/a", "File", "big/a/pytorch_model.bin", PROV),
        EdgeRecord("HAS_FILE", "Model", "big/b", "File", "big/b/model.safetensors", PROV),
        EdgeRecord("HAS_COMMIT", "Model", "big/a", "Commit", "1" * 40, PROV),
        EdgeRecord("HAS_COMMIT", "Model", "big/a", "Commit", "2" * 40, PROV),
        EdgeRecord("HAS_COMMIT", "Model", "small/d", "Commit", "3" * 40, PROV),
        EdgeRecord("HAS_COMMIT", "Model", "solo/e", "Commit", "4" * 40, PROV),
        EdgeRecord("HAS_COMMIT", "Model", "tiny/f", "Commit", "5" * 40, PROV),
        *(EdgeRecord("MEMBER_OF", "Actor", u, "Actor", "big", PROV) for u in ("u1", "u2", "u3")),
        EdgeRecord("MEMBER_OF", "Actor", "u1", "Actor", "small", PROV),
    ]
    return GraphBatch(nodes, edges)


def test_figures_over_what_is_known(store: GraphStore) -> None:
    store.write(population())
    report = practices(store)
    got = {f.name: (f.numerator, f.denominator) for f in report.figures}
    assert got == {
        "organisations_verified": (1, 3),  # 'dunno' was never looked up
        "models_with_signed_commit": (2, 3),  # tiny/f's only commit has no known status
        "commits_signed": (2, 4),
        "signatures_verified": (1, 2),
        "models_gated": (2, 4),
        "models_with_pickle": (1, 2),
        "application_references_pinned": (0, 0),  # no application loads a model here
    }
    assert report.figure("organisations_verified").published == 0.0319
    assert report.figure("commits_signed").value == 0.5
    # writers: big's 3 members on 3 models, u1 also on small's; solo and tiny themselves
    assert report.models_per_writer.top[0] == ("u1", 4)
    assert report.writers_per_model.max == 3 and report.writers_per_model.min == 1
    assert report.to_json()["models_per_writer"]["count"] == 5  # u1 u2 u3 solo tiny
    scoped = practices(store, author="big")
    assert scoped.models == 3 and scoped.figure("models_gated").denominator == 2
    assert scoped.figure("organisations_verified").denominator == 1


def test_application_references_pinned_over_what_is_known(store: GraphStore) -> None:
    from pathlib import Path

    from mlsc.code.references import CodeReading, ModelReference
    from mlsc.ingest.code import Application, ingest_reading
    from mlsc.ingest.peatmoss import ingest_peatmoss
    from mlsc.render.reports import render_practices

    sample = Path(__file__).parents[1] / "ingest" / "data" / "peatmoss-sample.csv"
    ingest_peatmoss(store, sample, observed_at="2024-03-01T00:00:00.000Z")  # 11 links
    sha = "3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
    reading = CodeReading("/src", (
        ModelReference("a.py", 3, "gpt2", sha, "commit", "from_pretrained", "python", 1.0),
        ModelReference("b.py", 1, "big/a", None, "none", "pipeline", "python", 1.0),
        ModelReference("c.py", 9, "big/b", sha, "commit", "from_pretrained", "python", 1.0),
    ), 3)  # fmt: skip
    ingest_reading(store, reading, Application("github.com/acme/app", "github.com"))
    report = practices(store)
    pins = report.application_pinning
    assert (pins.references, pins.applications, pins.pinned, pins.known, pins.unknown) == (
        14, 11, 2, 3, 11)  # fmt: skip
    figure = report.figure("application_references_pinned")
    assert (figure.numerator, figure.denominator) == (2, 3)
    assert report.to_json()["application_pinning"]["share"] == round(2 / 3, 6)
    assert "2 of 3 known (66.67%); 11 references of unknown pinning" in render_practices(report)
    scoped = practices(store, author="big").application_pinning
    assert (scoped.references, scoped.pinned, scoped.known) == (2, 1, 2)
