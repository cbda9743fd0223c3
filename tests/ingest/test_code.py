"""Applications in the graph: a reading becomes a CodeRepository and its USES_MODEL edges."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mlsc.code.references import CodeReading, ModelReference, Unreadable
from mlsc.errors import InputError
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.reads_code import ModelUse, uses_by, uses_of
from mlsc.graph.store import GraphStore
from mlsc.ingest.code import (
    Application,
    code_batch,
    detect_application,
    fold,
    ingest_reading,
    parse_repo,
)
from mlsc.ingest.hub.snapshot import ingest_snapshot
from tests.conftest import SAMPLE

SHA = "3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
APP = Application("github.com/acme/chatbot", "github.com", "https://github.com/acme/chatbot")
STAMP = "2025-01-02T03:04:05.000Z"


def ref(file: str, line: int, model: str | None, revision: str | None = None, *,
        kind: str | None = None, evidence: str = "python", confidence: float = 1.0,
        call: str = "from_pretrained", hub: str = "huggingface") -> ModelReference:  # fmt: skip
    from mlsc.code.references import revision_kind

    return ModelReference(
        file,
        line,
        model,
        revision,
        kind or revision_kind(revision),  # type: ignore[arg-type]
        call,
        evidence,
        confidence,
        hub,  # type: ignore[arg-type]
    )


READING = CodeReading(
    "/src/chatbot",
    (
        ref("app/serve.py", 12, "meta-llama/Llama-3.1-8B-Instruct", SHA),
        ref("app/serve.py", 13, "meta-llama/Llama-3.1-8B-Instruct", "main"),
        ref("app/serve.py", 30, None, call="pipeline"),
        ref("app/train.py", 8, "openai-community/gpt2", SHA),
        ref(
            "configs/model.yaml",
            2,
            "meta-llama/Llama-3.1-8B-Instruct",
            evidence="yaml",
            confidence=0.7,
            call="config",
        ),
        ref(
            "notebooks/eval.ipynb",
            41,
            "sentence-transformers/all-MiniLM-L6-v2",
            "v1.0",
            evidence="notebook",
        ),
        ref("app/vision.py", 5, "pytorch/vision", hub="github", call="torch.hub.load"),
        ref("app/evil.py", 3, "x'}) DETACH DELETE n //", call="from_pretrained"),
    ),
    files_read=6,
    skipped=(Unreadable("legacy/old.py", "syntax error at line 4 (Python 2?)"),),
)


def test_fold_keeps_the_least_pinned_reference_per_model() -> None:
    folded = fold(READING)
    by = {u.model: u for u in folded.uses}
    assert sorted(by) == [
        "meta-llama/Llama-3.1-8B-Instruct",
        "openai-community/gpt2",
        "sentence-transformers/all-MiniLM-L6-v2",
    ]
    llama = by["meta-llama/Llama-3.1-8B-Instruct"]
    # none (the YAML) < branch (main) < commit: the YAML line describes the edge
    assert (llama.revision, llama.revision_kind, llama.file, llama.line) == (
        None, "none", "configs/model.yaml", 2)  # fmt: skip
    assert (llama.pinned, llama.references, llama.evidence, llama.confidence) == (
        False, 3, ("python", "yaml"), 0.7)  # fmt: skip
    gpt2 = by["openai-community/gpt2"]
    assert (gpt2.pinned, gpt2.revision, gpt2.revision_kind) == (True, SHA, "commit")
    st = by["sentence-transformers/all-MiniLM-L6-v2"]
    assert (st.revision_kind, st.pinned, st.evidence) == ("tag", False, ("notebook",))
    assert (folded.references, folded.dynamic, folded.torch_hub) == (5, 1, 1)
    reasons = sorted((p.reason, p.severity, p.record, p.line) for p in folded.problems)
    assert reasons == [
        ("dynamic-model", "warning", "app/serve.py", 30),
        ("invalid-id", "skipped", "app/evil.py", 3),
        ("unreadable", "skipped", "legacy/old.py", 0),
    ]


def test_ties_go_to_the_first_reference_by_file_and_line() -> None:
    reading = CodeReading("/x", (
        ref("b.py", 1, "acme/m", "dev"), ref("a.py", 9, "acme/m", "main"),
        ref("a.py", 2, "acme/m", "release"),
    ), 2)  # fmt: skip
    (use,) = fold(reading).uses
    assert (use.file, use.line, use.revision) == ("a.py", 2, "release")


def test_code_batch_shape() -> None:
    batch = code_batch(READING, APP.id, host="github.com", observed_at=STAMP)
    assert batch.replace_outgoing == {"USES_MODEL": [APP.id]}
    placeholders = sorted(n.key for n in batch.nodes if n.label == "Model")
    assert placeholders == ["meta-llama/Llama-3.1-8B-Instruct", "openai-community/gpt2",
                            "sentence-transformers/all-MiniLM-L6-v2"]  # fmt: skip
    assert all(n.create_only and n.props["ingested"] is False
               for n in batch.nodes if n.label == "Model")  # fmt: skip
    owns = sorted((e.src, e.dst) for e in batch.edges if e.type == "OWNS")
    assert ("meta-llama", "meta-llama/Llama-3.1-8B-Instruct") in owns and len(owns) == 3
    uses = [e for e in batch.edges if e.type == "USES_MODEL"]
    assert len(uses) == 3 and all(e.props["source"] == "code" for e in uses)


def read(store: GraphStore, app: str = APP.id) -> list[ModelUse]:
    return uses_by(store, [app])


def test_ingest_writes_edges_placeholders_and_is_idempotent(store: GraphStore) -> None:
    ingest_snapshot(store, SAMPLE)  # holds meta-llama/Llama-3.1-8B-Instruct, not the others
    report = ingest_reading(store, READING, APP, observed_at=STAMP)
    assert (report.models, report.pinned, report.references) == (3, 1, 5)
    assert (report.dynamic, report.torch_hub, report.removed) == (1, 1, [])
    assert report.revision_kinds == {"none": 1, "commit": 1, "tag": 1}
    assert report.placeholders == 2
    assert report.skipped == {"invalid-id": 1, "unreadable": 1}
    first = read(store)
    assert first == [
        ModelUse(APP.id, "meta-llama/Llama-3.1-8B-Instruct", None, "none", False,
                 "configs/model.yaml", 2, 3, ["python", "yaml"], 0.7),
        ModelUse(APP.id, "openai-community/gpt2", SHA, "commit", True, "app/train.py", 8, 1,
                 ["python"], 1.0),
        ModelUse(APP.id, "sentence-transformers/all-MiniLM-L6-v2", "v1.0", "tag", False,
                 "notebooks/eval.ipynb", 41, 1, ["notebook"], 1.0),
    ]  # fmt: skip
    assert uses_of(store, ["openai-community/gpt2"]) == [first[1]]
    node = store.node("CodeRepository", APP.id)
    assert node is not None and node["host"] == "github.com" and node["source"] == "code"
    placeholder = store.node("Model", "sentence-transformers/all-MiniLM-L6-v2")
    assert placeholder is not None and placeholder["ingested"] is False
    assert placeholder["author"] == "sentence-transformers"
    real = store.node("Model", "meta-llama/Llama-3.1-8B-Instruct")
    assert real is not None and real["ingested"] is True and real["source"] != "code"
    again = ingest_reading(store, READING, APP, observed_at=STAMP)
    assert read(store) == first and again.placeholders == 0 and again.removed == []


def test_reingest_removes_gone_references_and_stale_revisions(store: GraphStore) -> None:
    ingest_reading(store, READING, APP, observed_at=STAMP)
    # the pinned gpt2 reference now has no revision; the other two models are gone
    later = CodeReading("/src/chatbot", (ref("app/train.py", 9, "openai-community/gpt2"),), 1)
    report = ingest_reading(store, later, APP, observed_at=STAMP)
    assert report.removed == ["meta-llama/Llama-3.1-8B-Instruct",
                              "sentence-transformers/all-MiniLM-L6-v2"]  # fmt: skip
    assert read(store) == [
        ModelUse(APP.id, "openai-community/gpt2", None, "none", False, "app/train.py", 9, 1,
                 ["python"], 1.0)
    ]  # fmt: skip
    # placeholders stay: other applications or models may name them
    assert store.node("Model", "meta-llama/Llama-3.1-8B-Instruct") is not None


def test_placeholders_never_overwrite_ingested_models(tmp_path: Path) -> None:
    with LadybugStore(tmp_path / "kb") as store:
        ingest_snapshot(store, SAMPLE)
        model = next(iter(store.read("MATCH (m:Model) WHERE m.ingested = true RETURN m.id")))[0]
        before = store.node("Model", model)
        reading = CodeReading("/a", (ref("a.py", 1, model),), 1)
        report = ingest_reading(store, reading, APP, observed_at=STAMP)
        assert report.placeholders == 0
        assert store.node("Model", model) == before


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("github.com/acme/chatbot", "github.com/acme/chatbot"),
        ("https://GitHub.com/acme/chatbot.git", "github.com/acme/chatbot"),
        ("gitlab.example.org:8443/team/app", "gitlab.example.org:8443/team/app"),
    ],
)
def test_parse_repo(given: str, expected: str) -> None:
    assert parse_repo(given).id == expected


@pytest.mark.parametrize(
    "bad", ["acme/chatbot", "github.com/acme", "github.com/a/b/c", "local:/tmp/x/y",
            "github.com/acme/x'}) RETURN 1 //", "evil host/acme/app"],
)  # fmt: skip
def test_parse_repo_refuses(bad: str) -> None:
    with pytest.raises(InputError, match="HOST/OWNER/NAME"):
        parse_repo(bad)


@pytest.mark.skipif(not shutil.which("git"), reason="needs git")
def test_detect_application(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    app = detect_application(plain)
    assert app.id == f"local:{plain.resolve()}" and app.host == "local"
    clone = tmp_path / "clone"
    clone.mkdir()
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}
    for args in (["init", "-q"], ["remote", "add", "origin",
                                  "https://user:tok@github.com/acme/chatbot.git"]):  # fmt: skip
        subprocess.run(["git", "-C", str(clone), *args], env=env, check=True)
    app = detect_application(clone)
    assert app == Application(
        "github.com/acme/chatbot", "github.com", "https://github.com/acme/chatbot.git"
    )
    assert detect_application(clone, "github.com/acme/other").id == "github.com/acme/other"
    subprocess.run(["git", "-C", str(clone), "remote", "set-url", "origin",
                    "https://huggingface.co/acme/model"], env=env, check=True)  # fmt: skip
    with pytest.raises(InputError, match="not an application"):
        detect_application(clone)
