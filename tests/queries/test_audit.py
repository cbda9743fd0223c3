"""``audit()`` on a small, realistic knowledge base with one of each finding, on both stores.

The application is a hand-built :class:`CodeReading` (what the code reader returns): the
audit never walks files itself.
"""

from __future__ import annotations

import json

from mlsc.code.references import CodeReading, ModelReference, RevisionKind, Unreadable
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.queries.audit import AuditedReference, audit
from mlsc.queries.audit_findings import licence_rank
from tests.graph.builders import PROV, derived, model

SHA = "0123456789abcdef0123456789abcdef01234567"
HUB_SAYS_UNSAFE = json.dumps(
    {"scansDone": True, "filesWithIssues": [{"path": "pytorch_model.bin", "level": "unsafe"}]}
)


def knowledge_base() -> GraphBatch:
    """meta-llama/Llama-3.1-8B (gated, verified owner) <- acme/llama-ft (apache-2.0: a licence
    conflict) <- acme/llama-ft-gguf; evilcorp/base (critical scan) <- goodco/child; the Hub
    flags hubflag/m; old/gone was removed; acme-ai/acme-7b was acme-ai/Acme-7B."""
    nodes = [
        model("meta-llama/Llama-3.1-8B", license="llama3.1", gated="manual"),
        model("acme/llama-ft", license="apache-2.0", sha="f" * 40),
        model("acme/llama-ft-gguf", license="apache-2.0"),
        model("meta-llama/Llama-3.1-8B-Instruct", license="llama3.1", gated="manual"),
        model("evilcorp/base", license="mit", scan_status="critical"),
        model("goodco/child", license="mit"),
        model("hubflag/m", license="mit", security_status=HUB_SAYS_UNSAFE),
        model("old/gone", license="mit", removed=True, removed_at="2026-02-01T00:00:00.000Z"),
        model("acme-ai/acme-7b", license="apache-2.0", aliases=["acme-ai/Acme-7B"]),
        NodeRecord("Model", "ghost/base", {"ingested": False, **PROV}),
        NodeRecord("Actor", "meta-llama", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "acme", {"kind": "user", "verified": False, **PROV}),
        NodeRecord("Actor", "goodco", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "evilcorp", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "hubflag", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "old", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "acme-ai", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("File", "evilcorp/base/pytorch_model.bin",
                   {"path": "pytorch_model.bin", "scan_status": "critical", **PROV}),
        NodeRecord("Commit", "1" * 40, {"sha": "1" * 40, "authored_at": "2025-01-01T00:00:00.000Z",
                                        **PROV}),
        NodeRecord("Commit", "2" * 40, {"sha": "2" * 40, "authored_at": "2025-03-01T00:00:00.000Z",
                                        **PROV}),
    ]  # fmt: skip
    edges = [
        derived("acme/llama-ft", "meta-llama/Llama-3.1-8B"),
        derived("acme/llama-ft-gguf", "acme/llama-ft", "quantized"),
        derived("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B"),
        derived("goodco/child", "evilcorp/base"),
        EdgeRecord("HAS_FILE", "Model", "evilcorp/base", "File", "evilcorp/base/pytorch_model.bin",
                   PROV),
        EdgeRecord("HAS_COMMIT", "Model", "acme/llama-ft", "Commit", "1" * 40, PROV),
        EdgeRecord("HAS_COMMIT", "Model", "acme/llama-ft", "Commit", "2" * 40, PROV),
        EdgeRecord("OWNS", "Actor", "acme", "Model", "acme/llama-ft", PROV),
    ]  # fmt: skip
    return GraphBatch(nodes, edges)


def ref(file: str, line: int, mid: str | None, revision: str | None = None,
        kind: RevisionKind = "none", hub: str = "huggingface") -> ModelReference:  # fmt: skip
    return ModelReference(file, line, mid, revision, kind, "from_pretrained", "python", 1.0,
                          "github" if hub == "github" else "huggingface")  # fmt: skip


def reading(*refs: ModelReference) -> CodeReading:
    return CodeReading("app", tuple(refs), files_read=4,
                       skipped=(Unreadable("broken.py", "syntax error at line 3"),))  # fmt: skip


def kinds(audited: AuditedReference) -> list[tuple[str, str, str | None]]:
    return [(f.kind, f.severity, f.via) for f in audited.findings]


def test_each_kind_of_finding_on_its_reference(store: GraphStore) -> None:
    store.write(knowledge_base())
    result = audit(store, reading(
        ref("train.py", 9, "goodco/child", SHA, "commit"),
        ref("serve.py", 3, "acme/llama-ft", "v1.0", "tag"),
        ref("serve.py", 12, "meta-llama/Llama-3.1-8B-Instruct", "main", "branch"),
        ref("app/hub.py", 1, "hubflag/m", SHA, "commit"),
        ref("app/hub.py", 5, "old/gone", SHA, "commit"),
        ref("app/hub.py", 7, "acme-ai/Acme-7B", SHA, "commit"),
        ref("app/hub.py", 9, None),
        ref("app/hub.py", 11, "nobody/never-crawled", SHA, "commit"),
        ref("app/hub.py", 13, "ghost/base", SHA, "commit"),
    ))  # fmt: skip
    by_place = {(r.reference.file, r.reference.line): r for r in result.references}
    assert [(r.reference.file, r.reference.line) for r in result.references] == sorted(by_place)
    child = by_place[("train.py", 9)]
    assert child.known and child.reference.pinned
    assert kinds(child) == [("scan-verdict", "critical", "evilcorp/base")]
    assert child.findings[0].files == ("pytorch_model.bin",)
    assert "its ancestor evilcorp/base (depth 1)" in child.findings[0].detail
    ft = by_place[("serve.py", 3)]
    assert kinds(ft) == [
        ("license-conflict", "medium", "meta-llama/Llama-3.1-8B"),
        ("unpinned", "medium", None),
        ("gated", "low", "meta-llama/Llama-3.1-8B"),  # an ancestor's state is on record too
        ("unsigned-commits", "low", None),
        ("unverified-owner", "low", None),
    ]
    assert "a tag can be moved" in next(f for f in ft.findings if f.kind == "unpinned").detail
    assert "its ancestor meta-llama/Llama-3.1-8B (depth 1) is gated" in ft.findings[2].detail
    assert "does not own its base (meta-llama/Llama-3.1-8B)" in ft.findings[4].detail
    assert "acme is not a verified organisation" in ft.findings[4].detail  # verified: false
    instruct = by_place[("serve.py", 12)]  # same owner as its base: no owner finding
    assert kinds(instruct) == [("unpinned", "medium", None), ("gated", "low", None),
                               ("gated", "low", "meta-llama/Llama-3.1-8B")]  # fmt: skip
    assert "is a branch" in instruct.findings[0].detail
    assert kinds(by_place[("app/hub.py", 1)]) == [("scan-verdict", "critical", None)]
    assert "the Hub's scanners: critical" in by_place[("app/hub.py", 1)].findings[0].detail
    assert kinds(by_place[("app/hub.py", 5)]) == [("removed", "high", None)]
    renamed = by_place[("app/hub.py", 7)]
    assert renamed.known and renamed.current == "acme-ai/acme-7b"
    assert kinds(renamed) == [("renamed", "high", None)]
    dynamic = by_place[("app/hub.py", 9)]
    assert kinds(dynamic) == [("unpinned", "medium", None), ("dynamic", "low", None)]
    unknown = by_place[("app/hub.py", 11)]
    assert not unknown.known and not unknown.in_graph
    assert kinds(unknown) == [("unknown-model", "medium", None)]
    assert "mlsc ingest hf -m nobody/never-crawled --ancestors" in unknown.findings[0].detail
    ghost = by_place[("app/hub.py", 13)]
    assert ghost.in_graph and not ghost.known and kinds(ghost) == [
        ("unknown-model", "medium", None)]  # fmt: skip
    assert "only as another model's base" in ghost.findings[0].detail

    data = result.to_json()
    assert {"path", "references", "by_severity", "models", "unpinned"} <= set(data)
    assert data["path"] == "app" and data["models"] == 8 and data["unpinned"] == 3
    assert set(data["by_severity"]) == {"critical", "high", "medium", "low"}
    assert sum(data["by_severity"].values()) == len(result.findings)
    assert data["by_severity"]["critical"] == 2 and data["by_severity"]["high"] == 2
    assert data["skipped"] == [{"file": "broken.py", "reason": "syntax error at line 3"}]
    first = data["references"][0]
    assert set(first) >= {"file", "line", "model", "revision", "revision_kind", "pinned",
                          "known", "findings"}  # fmt: skip
    assert set(first["findings"][0]) >= {"kind", "severity", "detail", "via"}
    assert result.fails("critical") and result.fails("low") and not result.fails("none")


def test_licence_conflict_and_discrepancy_come_through_the_lineage(store: GraphStore) -> None:
    store.write(knowledge_base())
    (gguf,) = audit(store, reading(ref("q.py", 2, "acme/llama-ft-gguf", SHA, "commit"))).references
    conflicts = [f for f in gguf.findings if f.kind == "license-conflict"]
    assert [(f.severity, f.via) for f in conflicts] == [("medium", "meta-llama/Llama-3.1-8B")]
    assert "llama3.1" in conflicts[0].detail and "(depth 2)" in conflicts[0].detail
    assert [f.severity for f in gguf.findings] == sorted(
        (f.severity for f in gguf.findings), key=["critical", "high", "medium", "low"].index
    )


def test_the_state_and_owners_of_ancestors_are_audited_too(store: GraphStore) -> None:
    """A verified organisation's fine-tune of a removed, private base by an unverified user,
    itself a fine-tune of a base by an owner the knowledge base never read: each ancestor's
    state, and each unverified owner up the lineage once, nearest first."""
    store.write(GraphBatch([
        model("bigorg/chat", license="mit"),
        model("solo/base-v2", license="mit", removed=True, private=True),
        model("solo/base-v1", license="mit"),
        model("unread/root", license="mit"),
        NodeRecord("Actor", "bigorg", {"kind": "org", "verified": True, **PROV}),
        NodeRecord("Actor", "solo", {"kind": "user", "verified": False, **PROV}),
    ], [derived("bigorg/chat", "solo/base-v2"), derived("solo/base-v2", "solo/base-v1"),
        derived("solo/base-v1", "unread/root")]))  # fmt: skip
    (chat,) = audit(store, reading(ref("a.py", 1, "bigorg/chat", SHA, "commit"))).references
    assert kinds(chat) == [
        ("discrepancy", "medium", None),  # missing-base: the model's own claim
        ("private", "medium", "solo/base-v2"),
        ("removed", "medium", "solo/base-v2"),
        ("unverified-owner", "low", "solo/base-v2"),
        ("unverified-owner", "low", "unread/root"),
    ]
    removed = chat.findings[2].detail
    assert "its ancestor solo/base-v2 (depth 1) is gone" in removed and "adapter" in removed
    assert "is owned by solo, not a verified organisation" in chat.findings[3].detail
    assert "(depth 3) is owned by unread, not known to the knowledge base" in (
        chat.findings[4].detail)  # fmt: skip


def test_fix_pins_from_the_newest_commit_held(store: GraphStore) -> None:
    store.write(knowledge_base())
    result = audit(store, reading(
        ref("serve.py", 3, "acme/llama-ft", "v1.0", "tag"),
        ref("serve.py", 8, "goodco/child"),
        ref("serve.py", 9, "nobody/never-crawled"),
        ref("serve.py", 10, "goodco/child", SHA, "commit"),
    ), fix_pins=True)  # fmt: skip
    assert result.fix_pins is not None
    pins = [(p.line, p.revision) for p in result.fix_pins]
    assert pins == [(3, "2" * 40), (8, None), (9, None)]
    assert "`mlsc ingest hf -m goodco/child --commits`" in (result.fix_pins[1].note or "")
    assert result.to_json()["fix_pins"][0]["at"] == "2025-03-01T00:00:00.000Z"


def test_empty_knowledge_base_still_lists_every_reference(store: GraphStore) -> None:
    result = audit(store, reading(ref("a.py", 1, "bert-base-uncased"), ref("a.py", 2, "x/y")))
    assert result.empty and [r.reference.model for r in result.references] == [
        "bert-base-uncased", "x/y"]  # fmt: skip
    assert all(("unknown-model", "medium", None) in kinds(r) for r in result.references)
    assert result.by_severity == {"critical": 0, "high": 0, "medium": 4, "low": 0}


def test_invalid_ids_and_torch_hub_references(store: GraphStore) -> None:
    store.write(knowledge_base())
    result = audit(store, reading(
        ref("a.py", 1, "x/y'}) DETACH DELETE n //", SHA, "commit"),
        ref("a.py", 2, "pytorch/vision", "v0.10.0", "tag", hub="github"),
    ))  # fmt: skip
    bad, torch_hub = result.references
    assert kinds(bad) == [("unknown-model", "medium", None)]
    assert "not a valid model id" in bad.findings[0].detail
    assert torch_hub.current == "github.com/pytorch/vision"
    assert kinds(torch_hub) == [("unknown-model", "medium", None), ("unpinned", "medium", None)]
    assert store.counts()["Model"] == 10  # nothing was written, nothing deleted


def test_licence_ranks() -> None:
    assert [licence_rank(x) for x in ("MIT", "bsd-3-clause", "apache-2.0")] == [0, 0, 0]
    assert [licence_rank(x) for x in ("gpl-3.0", "openrail", "other", "cc-by-sa-4.0")] == [1] * 4
    assert [licence_rank(x) for x in ("cc-by-nc-4.0", "llama2", "llama3.1")] == [2, 2, 2]
    assert licence_rank(None) is None and licence_rank("unknown-custom") is None
