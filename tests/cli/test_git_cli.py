"""`mlsc ingest git`, `mlsc report signing` and a commit's blast radius, end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsc.cli.app import app

runner = CliRunner()
pytestmark = pytest.mark.skipif(not shutil.which("git"), reason="needs git")


def git(path: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(path.parent),
           "GIT_AUTHOR_NAME": "Bo", "GIT_AUTHOR_EMAIL": "bo@example.org",
           "GIT_COMMITTER_NAME": "Bo", "GIT_COMMITTER_EMAIL": "bo@example.org"}  # fmt: skip
    return subprocess.run(
        ["git", "-C", str(path), *args], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_ingest_git_then_signing_report_and_commit_blast_radius(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    git(clone, "init", "-q", "-b", "main")
    git(clone, "remote", "add", "origin", "https://huggingface.co/acme-ai/acme-7b")
    (clone / "model.safetensors").write_text("w")
    git(clone, "add", ".")
    git(clone, "commit", "-q", "-m", "weights")
    sha = git(clone, "rev-parse", "HEAD")
    db = str(tmp_path / "kb")

    result = runner.invoke(app, ["ingest", "git", str(clone), "--db", db, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["repository"] == "acme-ai/acme-7b" and report["new"] == 1
    assert report["signatures"] == {"none": 1} and report["kinds"] == {"weights": 1}

    result = runner.invoke(app, ["ingest", "git", str(clone), "--db", db])
    assert result.exit_code == 0 and "new 0" in result.stdout

    result = runner.invoke(app, ["report", "signing", "--db", db, "-f", "json"])
    assert json.loads(result.stdout)["repositories"] == [
        {"id": "acme-ai/acme-7b", "commits": 1, "signed": 0, "verified": 0, "unknown": 0,
         "first_signed": None, "first_signed_sha": None}
    ]  # fmt: skip
    page = tmp_path / "signing.html"
    result = runner.invoke(app, ["report", "signing", "--db", db, "--html", str(page)])
    assert result.exit_code == 0 and f"wrote {page}" in result.stderr
    assert "acme-ai/acme-7b" in result.stdout  # the table still goes to stdout
    assert "data-id='acme-ai/acme-7b' data-commits='1' data-signed='0'" in page.read_text()

    result = runner.invoke(app, ["blast-radius", sha[:10], "--db", db, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    radius = json.loads(result.stdout)
    assert radius["kind"] == "commit" and radius["target"] == sha
    assert radius["seeds"] == ["acme-ai/acme-7b"] and radius["commits"][0]["sha"] == sha

    result = runner.invoke(app, ["ingest", "git", str(tmp_path / "nowhere"), "--db", db])
    assert result.exit_code == 1 and "not a directory" in result.stderr


def test_ingest_github_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.replay.github import TOKEN, GitHubServer, synthetic_github

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    db = str(tmp_path / "kb")
    with GitHubServer(synthetic_github()) as server:
        args = ["ingest", "github", "acme-ml/data-pipeline", "acme-ml/nope", "--db", db]
        result = runner.invoke(app, [*args, "--base-url", server.url, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["repositories"] == 1 and report["commits"] == 5
    assert report["signatures"] == {"unsigned": 5} and report["skipped_by_reason"] == {"missing": 1}
    assert TOKEN not in result.stdout + result.stderr
    result = runner.invoke(app, ["ingest", "github", "--db", db])
    assert result.exit_code == 1 and "no repositories" in result.stderr


def test_ingest_github_stopped_by_a_rate_limit_prints_its_counts_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from tests.replay.github import TOKEN, Fault, GitHubServer, synthetic_github

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    db = str(tmp_path / "kb")
    with GitHubServer(synthetic_github()) as server:
        server.add_fault("/repos/*/commits", Fault.rate_limited(int(time.time()) + 3600))
        args = ["ingest", "github", "acme-ml/data-pipeline", "acme-ml/nope", "--db", db]
        result = runner.invoke(app, [*args, "--base-url", server.url, "--max-wait", "5"])
    assert result.exit_code == 1
    assert "repositories 0; commits 0" in result.stdout and "collaborators 0" in result.stdout
    assert "skipped 2 (rate-limited 2)" in result.stdout
    assert "acme-ml/nope" in result.stderr and "resets at" in result.stderr
    assert "GITHUB_TOKEN" in result.stderr and TOKEN not in result.stdout + result.stderr
