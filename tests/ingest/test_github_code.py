"""`ingest_github(..., code=True)`: the real PyGithub client reads a repository's code at its
default branch's head from GitHub-shaped answers (tests/replay/github_code.py): the ref, the
recursive tree, the blobs; what it loads becomes USES_MODEL edges, like `mlsc ingest code`."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsc.cli.app import app
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.reads_code import ModelUse, uses_by
from mlsc.ingest.github import GitHubOptions, ingest_github
from tests.replay.github import TOKEN, Fault, GitHubServer, Replay, synthetic_github
from tests.replay.github_code import (
    FILE,
    PINNED,
    chatbot_files,
    commit_sha,
    monorepo_files,
    replay_text,
    tree_listing,
)

CHATBOT = "127.0.0.1/acme/chatbot"  # GitHub at another base URL: its own host, as github.py
MONOREPO = "127.0.0.1/acme/monorepo"
REPOS = ("acme/chatbot", "acme/monorepo")
HEAD = commit_sha(tree_listing(chatbot_files())[0], "acme/chatbot: the code as read")
MONO_HEAD = commit_sha(tree_listing(monorepo_files())[0], "acme/monorepo: the code as read")


@pytest.fixture
def server() -> Iterator[GitHubServer]:
    with GitHubServer(synthetic_github(seed=0), replay=Replay.from_files(FILE.name)) as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LadybugStore]:
    with LadybugStore(tmp_path / "kb") as opened:
        yield opened


def options(server: GitHubServer, **kw: object) -> GitHubOptions:
    base = {"base_url": server.url, "token": TOKEN, "throttle": 0.0, "repos": REPOS,
            "code": True, "observed_at": "2025-01-07T09:00:00Z"}  # fmt: skip
    return GitHubOptions(**(base | kw))  # type: ignore[arg-type]


def test_the_replay_data_is_current_and_consistent() -> None:
    assert FILE.read_text() == replay_text()  # python -m tests.replay.github_code rewrites it


def test_code_read_from_github(server: GitHubServer, store: LadybugStore) -> None:
    report = ingest_github(store, options(server))
    assert report.repositories == 2
    chatbot, mono = report.code
    assert (chatbot.repository, chatbot.revision, chatbot.branch) == (CHATBOT, HEAD, "main")
    # 6 files of the reader's kinds outside build/; package.json, README.md, the 3 MiB JSON,
    # the link and the submodule are not fetched
    assert (chatbot.files_listed, chatbot.files_fetched, chatbot.files_cut) == (6, 6, 0)
    assert chatbot.tree_truncated is False
    assert chatbot.requests == 8  # the ref, the tree, 6 blobs
    assert server.count(path="/repos/acme/chatbot/git/blobs/*") == 6
    code = chatbot.report
    assert (code.files_read, code.references, code.models, code.pinned) == (5, 13, 9, 0)
    skipped = {p.record: p.detail for p in code.problems if p.severity == "skipped"}
    assert skipped == {
        "configs/current.yaml": "symbolic link, not followed",
        "data/embeddings.json": "too large (3,145,734 bytes; the limit is 2,097,152)",
        "legacy/old_script.py": skipped["legacy/old_script.py"],
        "notebooks/explore.ipynb": skipped["notebooks/explore.ipynb"],
        "third_party/peft": "submodule at 5f0a3c1e2b4d6f8091a2b3c4d5e6f708192a3b4c, not read",
    }
    assert "(Python 2, or a newer Python?)" in skipped["legacy/old_script.py"]
    uses = {u.model: u for u in uses_by(store, [CHATBOT])}
    assert "acme/not-read" not in uses  # build/ is never fetched
    assert uses["Qwen/Qwen2.5-0.5B-Instruct"].file == "notebooks/explore.ipynb"
    assert uses["facebook/bart-large-cnn"] == ModelUse(
        CHATBOT, "facebook/bart-large-cnn", "main", "branch", False,
        "inference_service/settings.yaml", 8, 1, ["yaml"], 0.7)  # fmt: skip
    rows = store.cypher(
        "MATCH (:CodeRepository {id: $r})-[u:USES_MODEL]->() RETURN DISTINCT u.source, "
        "u.observed_at", {"r": CHATBOT},
    ).rows  # fmt: skip
    assert rows == (("github", "2025-01-07T09:00:00.000Z"),)
    node = store.node("CodeRepository", CHATBOT)
    assert node is not None and node["url"] == "https://github.com/acme/chatbot"
    # the truncated tree is read as far as GitHub listed it, and said so
    assert (mono.revision, mono.tree_truncated, mono.files_fetched, mono.requests) == (
        MONO_HEAD, True, 1, 3)  # fmt: skip
    assert uses_by(store, [MONOREPO]) == [
        ModelUse(MONOREPO, "google-bert/bert-base-uncased", PINNED, "commit", True,
                 "services/api/app.py", 3, 1, ["python"], 1.0)
    ]  # fmt: skip
    # requests per repository: the metadata (repo, branch, collaborators, contributors,
    # commits: GitHub knows nothing more of these two here, so 404s) and the code
    assert report.requests_by_repository == {"acme/chatbot": 13, "acme/monorepo": 8}
    assert sum(report.requests_by_repository.values()) == report.requests
    # the same code again: the same edges
    before = uses_by(store, [CHATBOT, MONOREPO])
    again = ingest_github(store, options(server))
    assert uses_by(store, [CHATBOT, MONOREPO]) == before
    assert again.code[0].report.placeholders == 0 and again.code[0].report.removed == []


def test_the_cap_cuts_files_and_says_so(server: GitHubServer, store: LadybugStore) -> None:
    report = ingest_github(store, options(server, repos=("acme/chatbot",), code_files=2))
    (read,) = report.code
    assert (read.files_listed, read.files_fetched, read.files_cut, read.requests) == (6, 2, 4, 4)
    assert server.count(path="/repos/acme/chatbot/git/blobs/*") == 2
    assert [u.model for u in uses_by(store, [CHATBOT])] == [
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        "dslim/bert-base-NER",
        "facebook/bart-large-cnn",
    ]


def test_a_rate_limit_on_one_repository_is_reported_and_the_batch_goes_on(
    server: GitHubServer, store: LadybugStore
) -> None:
    server.add_fault("/repos/acme/chatbot/git/blobs/*",
                     Fault.rate_limited(int(time.time()) + 3600))  # fmt: skip
    report = ingest_github(store, options(server, max_wait=60), sleep=lambda s: None)
    assert report.repositories == 2
    assert [c.repository for c in report.code] == [MONOREPO]
    (problem,) = [p for p in report.problems if p.reason == "code-rate-limited"]
    assert problem.record == CHATBOT and "resets at" in problem.detail
    assert uses_by(store, [CHATBOT]) == [] and len(uses_by(store, [MONOREPO])) == 1


def test_a_missing_tree_is_reported(server: GitHubServer, store: LadybugStore) -> None:
    server.add_fault("/repos/acme/monorepo/git/trees/*", Fault.not_found())
    report = ingest_github(store, options(server))
    assert [c.repository for c in report.code] == [CHATBOT]
    (problem,) = [p for p in report.problems if p.record == MONOREPO and
                  p.reason.startswith("code-")]  # fmt: skip
    assert problem.reason == "code-unknown" and "HTTP 404" in problem.detail


def test_an_unreachable_server_is_reported_per_repository(store: LadybugStore) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    waits: list[float] = []
    report = ingest_github(
        store,
        GitHubOptions(repos=REPOS, base_url=f"http://127.0.0.1:{port}", token=TOKEN,
                      throttle=0.0, code=True, timeout=2),
        sleep=waits.append,
    )  # fmt: skip
    assert report.repositories == 0 and report.skipped == {"unreachable": 2}
    assert [p.record for p in report.problems] == list(REPOS)
    assert "no answer from GitHub (ConnectionError)" in report.problems[0].detail
    assert waits == [2.0, 4.0, 8.0] * 2  # retried as a 5xx is, then reported
    assert report.requests_by_repository == {"acme/chatbot": 4, "acme/monorepo": 4}


def test_ingest_github_code_through_the_cli(
    server: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    db = str(tmp_path / "kb")
    args = ["ingest", "github", *REPOS, "--code", "--base-url", server.url, "--db", db]
    result = CliRunner().invoke(app, [*args, "--code-files", "5"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        f"code {CHATBOT} at {HEAD} (main): fetched 5 of 6 files, 1 cut by --code-files, "
        "read 4, skipped 5; references 10 to 7 models, pinned to a commit 0; removed 0; "
        "requests 7"
    ) in lines
    assert (
        f"code {MONOREPO} at {MONO_HEAD} (main): fetched 1 of 1 files, read 1, skipped 0; "
        "references 1 to 1 models, pinned to a commit 1; removed 0; requests 3; GitHub "
        "truncated the tree: files may be missing"
    ) in lines
    assert "requests by repository: acme/chatbot 12, acme/monorepo 8" in lines
    result = CliRunner().invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["requests_by_repository"] == {"acme/chatbot": 13, "acme/monorepo": 8}
    first = report["code"][0]
    assert (first["repository"], first["revision"], first["files_fetched"]) == (CHATBOT, HEAD, 6)
    assert (first["models"], first["edges_removed"], first["tree_truncated"]) == (9, 0, False)
    assert TOKEN not in result.stdout + result.stderr
