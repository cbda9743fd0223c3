"""`mlsc ingest code`, `mlsc ingest peatmoss` and `report practices` over applications, end
to end: the code of real checkouts (tests/code/apps in a git clone), read back from the graph."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsc.cli.app import app
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.reads_code import ModelUse, uses_by

runner = CliRunner()
SAMPLE = Path(__file__).parents[1] / "ingest" / "data" / "peatmoss-sample.csv"


def test_ingest_peatmoss_then_practices(tmp_path: Path) -> None:
    db = str(tmp_path / "kb")
    result = runner.invoke(app, ["ingest", "peatmoss", str(SAMPLE), "--db", db])
    assert result.exit_code == 0, result.stderr
    assert "read 12 rows" in result.stdout
    assert "links 11 (USES_MODEL, pinning unknown); applications 10; models 5" in result.stdout
    assert "line 10 (pszemraj/long-t5-tglobal-base-16384-book-summary): warning: duplicate" in (
        result.stderr
    )
    errors = tmp_path / "problems.jsonl"
    result = runner.invoke(
        app, ["ingest", "peatmoss", str(SAMPLE), "--db", db, "-f", "json", "--errors", str(errors)]
    )
    report = json.loads(result.stdout)
    assert (report["ingested"], report["applications"], report["placeholders"]) == (11, 10, 0)
    assert [json.loads(line)["reason"] for line in errors.read_text().splitlines()] == ["duplicate"]
    result = runner.invoke(app, ["report", "practices", "--db", db, "-f", "json"])
    pins = json.loads(result.stdout)["application_pinning"]
    assert pins == {"references": 11, "applications": 10, "pinned": 0, "known": 0,
                    "unknown": 11, "share": None}  # fmt: skip
    result = runner.invoke(app, ["report", "practices", "--db", db])
    assert "pinned to a commit: 0 of 0 known (-), 11 unknown" in result.stdout


def test_ingest_peatmoss_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "peatmoss", str(tmp_path / "nope.csv"),
                                 "--db", str(tmp_path / "kb")])  # fmt: skip
    assert result.exit_code == 1 and "cannot read" in result.stderr


def test_ingest_code_refuses_a_bad_repo(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "code", str(tmp_path), "--repo", "acme/app",
                                 "--db", str(tmp_path / "kb")])  # fmt: skip
    assert result.exit_code == 1 and "HOST/OWNER/NAME" in result.stderr


APPS = Path(__file__).parents[1] / "code" / "apps"
CHATBOT = "github.com/acme/chatbot"
CHATBOT_USES = [
    ModelUse(CHATBOT, "HuggingFaceH4/zephyr-7b-beta", "v1.0", "tag", False,
             "rag_app/config.yaml", 4, 1, ["yaml"], 0.7),
    ModelUse(CHATBOT, "TheBloke/Mistral-7B-Instruct-v0.2-GGUF", None, "none", False,
             "rag_app/rag.py", 16, 1, ["python"], 1.0),
    ModelUse(CHATBOT, "cross-encoder/ms-marco-MiniLM-L-6-v2", None, "none", False,
             "rag_app/rag.py", 14, 1, ["python"], 1.0),
    ModelUse(CHATBOT, "distilbert/distilbert-base-uncased-finetuned-sst-2-english", None,
             "none", False, "inference_service/main.py", 14, 3, ["python", "yaml"], 0.7),
    ModelUse(CHATBOT, "dslim/bert-base-NER", None, "none", False,
             "inference_service/main.py", 21, 1, ["python"], 1.0),
    ModelUse(CHATBOT, "facebook/bart-large-cnn", "main", "branch", False,
             "inference_service/settings.yaml", 8, 1, ["yaml"], 0.7),
    ModelUse(CHATBOT, "sentence-transformers/all-MiniLM-L6-v2", None, "none", False,
             "rag_app/config.yaml", 2, 2, ["python", "yaml"], 0.7),
]  # fmt: skip


def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *apps: str) -> Path:
    """A real git clone of github.com/acme/chatbot holding copies of fixture applications."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Alice Maintainer",
        "GIT_AUTHOR_EMAIL": "alice@example.org",
        "GIT_COMMITTER_NAME": "Alice Maintainer",
        "GIT_COMMITTER_EMAIL": "alice@example.org",
        "LC_ALL": "C",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # the ingester's git sees the same keys
    clone = tmp_path / "chatbot"
    clone.mkdir()
    for name in apps:
        shutil.copytree(APPS / name, clone / name)
    for args in (["init", "-q", "-b", "main"],
                 ["remote", "add", "origin", "https://github.com/acme/chatbot.git"],
                 ["add", "-A"], ["commit", "-q", "-m", "the applications"]):  # fmt: skip
        subprocess.run(["git", "-C", str(clone), *args], env=env, check=True)
    return clone


def stored(db: str) -> list[ModelUse]:
    with LadybugStore(Path(db), read_only=True) as store:
        return uses_by(store, [CHATBOT])


@pytest.mark.skipif(not shutil.which("git"), reason="needs git")
def test_ingest_code_on_a_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clone = checkout(tmp_path, monkeypatch, "inference_service", "rag_app")
    db = str(tmp_path / "kb")
    result = runner.invoke(app, ["ingest", "code", str(clone), "--db", db])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "application github.com/acme/chatbot: read 4 files",
        "references 10 to 7 models; pinned to a commit 0 of 7 (least pinned reference: "
        "branch 1, none 5, tag 1)",
        "no edge: dynamic model ids 2, torch.hub (GitHub code) 0; skipped 0 (none)",
        "models known only by name (placeholders written): 7",
    ]
    assert result.stderr.splitlines() == [
        "line 17 (inference_service/main.py): warning: dynamic-model: pipeline: the model id "
        "is computed at run time",
        "line 15 (rag_app/rag.py): warning: dynamic-model: snapshot_download: the model id is "
        "computed at run time",
    ]
    first = stored(db)
    assert first == CHATBOT_USES

    # the same code again: the same graph, nothing new written as a placeholder
    result = runner.invoke(app, ["ingest", "code", str(clone), "--db", db, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["application"] == CHATBOT and report["path"] == str(clone)
    assert (report["files_read"], report["references"], report["models"], report["pinned"]) == (
        4, 10, 7, 0)  # fmt: skip
    assert report["revision_kinds"] == {"branch": 1, "none": 5, "tag": 1}
    assert (report["placeholders"], report["dynamic"], report["torch_hub"]) == (0, 2, 0)
    assert (report["edges_removed"], report["removed"], report["skipped_by_reason"]) == (
        0, [], {})  # fmt: skip
    assert [p["reason"] for p in report["problems"]] == ["dynamic-model", "dynamic-model"]
    assert stored(db) == first

    # the reranker is gone from the code: its edge goes too, the rest stays as it was
    rag = clone / "rag_app" / "rag.py"
    rag.write_text(rag.read_text().replace(
        'reranker = CrossEncoder("cross-encoder/ms-marco-MiniLM-L-6-v2", max_length=512)\n',
        "reranker = None\n"))  # fmt: skip
    result = runner.invoke(app, ["ingest", "code", str(clone), "--db", db])
    assert result.exit_code == 0, result.stderr
    assert "references 9 to 6 models;" in result.stdout
    assert (
        "no longer referenced (edges removed) 1: cross-encoder/ms-marco-MiniLM-L-6-v2"
        in result.stdout.splitlines()
    )
    assert stored(db) == [
        u for u in CHATBOT_USES if u.model != "cross-encoder/ms-marco-MiniLM-L-6-v2"
    ]
    # the application's node is the clone's remote
    with LadybugStore(Path(db), read_only=True) as store:
        node = store.node("CodeRepository", CHATBOT)
    assert node is not None and node["host"] == "github.com" and node["source"] == "code"


@pytest.mark.skipif(not shutil.which("git"), reason="needs git")
def test_ingest_code_skips_what_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = checkout(tmp_path, monkeypatch, "legacy", "notebook", "inference_service")
    db = str(tmp_path / "kb")
    errors = tmp_path / "problems.jsonl"
    result = runner.invoke(app, ["ingest", "code", str(clone), "--db", db,
                                 "--errors", str(errors)])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    err = result.stderr
    assert "legacy/old_script.py: skipped: unreadable: syntax error at line 4" in err
    assert "(Python 2, or a newer Python?)" in err
    assert "\nnotebook/broken.ipynb: skipped: unreadable: not valid notebook JSON at line 29" in err
    assert "\nnotebook/explore.ipynb: skipped: unreadable: cell 6 does not parse (line 60)" in err
    # the rest is read and written, and the counts come at the end
    lines = result.stdout.splitlines()
    assert lines[0] == "application github.com/acme/chatbot: read 4 files"
    assert lines[1].startswith("references 9 to 6 models; pinned to a commit 0 of 6")
    assert lines[2] == (
        "no edge: dynamic model ids 1, torch.hub (GitHub code) 0; skipped 3 (unreadable 3)"
    )
    models = [u.model for u in stored(db)]
    assert "roberta-base" in models  # legacy/still_fine.py, next to the Python 2 file
    assert "Qwen/Qwen2.5-0.5B-Instruct" in models  # the readable cells of explore.ipynb
    assert "bert-base-uncased" not in models  # only in the Python 2 file
    problems = [json.loads(line) for line in errors.read_text().splitlines()]
    assert sorted(p["record"] for p in problems if p["severity"] == "skipped") == [
        "legacy/old_script.py", "notebook/broken.ipynb", "notebook/explore.ipynb"]  # fmt: skip


@pytest.mark.parametrize(
    "bad", ["acme/chatbot", "github.com/acme", "https://github.com/a/b/c",
            "github.com/acme/x'}) RETURN 1 //"],
)  # fmt: skip
def test_ingest_code_refuses_an_invalid_repo(tmp_path: Path, bad: str) -> None:
    (tmp_path / "app.py").write_text('AutoModel.from_pretrained("roberta-base")\n')
    db = tmp_path / "kb"
    result = runner.invoke(app, ["ingest", "code", str(tmp_path), "--repo", bad,
                                 "--db", str(db)])  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {bad!r} is not HOST/OWNER/NAME", "e.g. --repo github.com/acme/chatbot"]  # fmt: skip
    assert result.stdout == ""
