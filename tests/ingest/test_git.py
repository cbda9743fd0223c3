"""Local git ingestion on real repositories made here, with real GPG and SSH signatures from
throwaway keys: good, bad, unknown key, unsigned, a merge, and a rewritten history."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlsc.errors import InputError
from mlsc.graph.ladybug import LadybugStore
from mlsc.ingest.git import clean_url, identify, ingest_git
from mlsc.vocab import file_kind

pytestmark = pytest.mark.skipif(
    not (shutil.which("git") and shutil.which("gpg") and shutil.which("ssh-keygen")),
    reason="needs git, gpg and ssh-keygen",
)


@dataclass
class Repo:
    path: Path
    env: dict[str, str]
    gpg_key: str
    ssh_key: Path

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            env=env or self.env,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, message: str, files: dict[str, str], *, sign: str | None = None) -> str:
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            self.git("add", name)
        if sign == "gpg":
            self.git("-c", "gpg.format=openpgp", "-c", f"user.signingkey={self.gpg_key}",
                     "commit", "-q", "-S", "-m", message)  # fmt: skip
        elif sign == "ssh":
            self.git("-c", "gpg.format=ssh", "-c", f"user.signingkey={self.ssh_key}",
                     "commit", "-q", "-S", "-m", message)  # fmt: skip
        else:
            self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Repo]:
    home = tmp_path / "home"
    gnupg = home / ".gnupg"
    gnupg.mkdir(parents=True, mode=0o700)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GNUPGHOME": str(gnupg),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Alice Maintainer",
        "GIT_AUTHOR_EMAIL": "alice@example.org",
        "GIT_COMMITTER_NAME": "Alice Maintainer",
        "GIT_COMMITTER_EMAIL": "alice@example.org",
        "LC_ALL": "C",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # the ingester's git sees the same keys
    subprocess.run(
        ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
         "--quick-gen-key", "Alice Maintainer <alice@example.org>", "ed25519", "sign", "never"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    listing = subprocess.run(
        ["gpg", "--batch", "--with-colons", "--list-secret-keys"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    fingerprint = next(
        line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr")
    )
    ssh_key = home / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", str(ssh_key)],
        env=env, check=True,
    )  # fmt: skip
    allowed = home / "allowed_signers"
    allowed.write_text(f"alice@example.org {(home / 'id_ed25519.pub').read_text()}")
    path = tmp_path / "clone"
    path.mkdir()
    r = Repo(path, env, fingerprint, ssh_key)
    r.git("init", "-q", "-b", "main")
    r.git("config", "gpg.ssh.allowedSignersFile", str(allowed))
    r.git("remote", "add", "origin", "https://user:hf_SECRET@huggingface.co/acme-ai/acme-7b")
    yield r
    # gpg starts an agent per keyring; stop each one the test used, so none outlives it
    for socket in tmp_path.rglob("S.gpg-agent"):
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"],
            env={**env, "GNUPGHOME": str(socket.parent)},
            check=False,
            capture_output=True,
        )


def test_signatures_as_git_reports_them(repo: Repo, tmp_path: Path) -> None:
    unsigned = repo.commit("add config", {"config.json": "{}"})
    gpg = repo.commit("add weights", {"model.safetensors": "w"}, sign="gpg")
    ssh = repo.commit("add card", {"README.md": "# card"}, sign="ssh")
    # A signature that does not match its commit: reuse gpg's signature on other content.
    raw = repo.git("cat-file", "commit", gpg)
    header = raw.split("\n\n", 1)[0]
    forged_raw = header.replace(f"parent {unsigned}", f"parent {ssh}") + "\n\nforged weights\n"
    forged = subprocess.run(
        ["git", "-C", str(repo.path), "hash-object", "-t", "commit", "-w", "--stdin"],
        input=forged_raw, capture_output=True, text=True, env=repo.env, check=True,
    ).stdout.strip()  # fmt: skip
    repo.git("update-ref", "refs/heads/main", forged)
    repo.git("reset", "-q", "--hard", forged)
    # A signature by a key git does not have: sign, then forget the key.
    other = tmp_path / "other-gnupg"
    other.mkdir(mode=0o700)
    other_env = {**repo.env, "GNUPGHOME": str(other)}
    subprocess.run(
        ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
         "--quick-gen-key", "Mallory <mallory@example.org>", "ed25519", "sign", "never"],
        env=other_env, check=True, capture_output=True,
    )  # fmt: skip
    (repo.path / "train.py").write_text("print(1)")
    repo.git("add", "train.py")
    repo.git("-c", "user.signingkey=mallory@example.org", "commit", "-q", "-S", "-m", "add code",
             env={**other_env, "GIT_COMMITTER_EMAIL": "mallory@example.org"})  # fmt: skip
    unknown = repo.git("rev-parse", "HEAD")

    with LadybugStore(tmp_path / "kb") as store:
        report = ingest_git(store, repo.path)
        assert (report.repository, report.label) == ("acme-ai/acme-7b", "Model")
        assert report.commits == report.new == 5
        assert report.signatures == {"none": 1, "good": 2, "bad": 1, "unknown-key": 1}
        c = {sha: store.node("Commit", sha) for sha in (unsigned, gpg, ssh, forged, unknown)}
        assert c[unsigned] is not None and c[unsigned]["verification_reason"] == "none"
        assert c[unsigned]["verified"] is None and c[unsigned]["signature"] is None
        assert c[gpg] is not None and (c[gpg]["signature"], c[gpg]["verified"]) == ("gpg", True)
        assert c[gpg]["signature_key"] == repo.gpg_key
        assert c[ssh] is not None and (c[ssh]["signature"], c[ssh]["verified"]) == ("ssh", True)
        assert c[ssh]["verification_reason"] == "good" and c[ssh]["signer"] == "alice@example.org"
        assert c[forged] is not None and c[forged]["verification_reason"] == "bad"
        assert c[forged]["verified"] is False and c[forged]["signature"] == "gpg"
        assert c[unknown] is not None and c[unknown]["verification_reason"] == "unknown-key"
        assert c[unknown]["committer_email"] == "mallory@example.org"
        assert c[gpg]["kinds"] == ["weights"] and c[ssh]["kinds"] == ["card"]
        assert c[unknown]["kinds"] == ["code"] and c[unknown]["parents"] == [forged]
        # the model exists (as a placeholder until the Hub crawl fills it), with its history
        model = store.node("Model", "acme-ai/acme-7b")
        assert model is not None and model["ingested"] is False
        rows = store.cypher(
            "MATCH (:Model {id: 'acme-ai/acme-7b'})-[:HAS_COMMIT]->(c:Commit) RETURN count(c)"
        ).rows
        assert rows == ((5,),)
        touched = store.cypher(
            "MATCH (c:Commit {id: $c})-[t:TOUCHED]->(f:File) RETURN f.id, t.change, t.kind",
            {"c": gpg},
        ).rows
        assert touched == (("acme-ai/acme-7b/model.safetensors", "A", "weights"),)
        authors = store.cypher(
            "MATCH (a:Actor)-[r:AUTHORED]->(:Commit {id: $c}) RETURN a.name, r.role ORDER BY r.role",
            {"c": unknown},
        ).rows
        assert authors == (
            ("git:alice@example.org", "author"),
            ("git:mallory@example.org", "committer"),
        )
        # the remote's credentials are never stored
        dump = str(store.cypher("MATCH (n) RETURN properties(n)").rows)
        assert "hf_SECRET" not in dump


def test_a_rerun_adds_only_new_commits_and_a_rewritten_history_is_marked(
    repo: Repo, tmp_path: Path
) -> None:
    repo.commit("one", {"a.py": "1"})
    two = repo.commit("two", {"b.py": "2"})
    repo.git("checkout", "-q", "-b", "feature")
    feature = repo.commit("feature work", {"c.py": "3"})
    repo.git("checkout", "-q", "main")
    repo.commit("main work", {"d.md": "4"})
    repo.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    merge = repo.git("rev-parse", "HEAD")
    with LadybugStore(tmp_path / "kb") as store:
        first = ingest_git(store, repo.path)
        assert (first.commits, first.new, first.merges) == (5, 5, 1)
        node = store.node("Commit", merge)
        assert node is not None and len(node["parents"]) == 2 and node["kinds"] == ["code"]
        again = ingest_git(store, repo.path)
        assert (again.commits, again.new) == (5, 0)
        counts = store.counts()
        # rewrite: drop everything after "two", delete the feature branch, commit anew
        repo.git("reset", "-q", "--hard", two)
        repo.git("branch", "-q", "-D", "feature")
        repo.commit("rewritten", {"e.py": "5"})
        third = ingest_git(store, repo.path)
        assert (third.commits, third.new) == (3, 1)
        assert len(third.rewritten) == 3 and feature in third.rewritten
        assert [p.reason for p in third.problems] == ["rewritten-history"]
        gone = store.node("Commit", merge)
        assert gone is not None and gone["rewritten"] is True  # kept, marked
        assert store.counts()["Commit"] == counts["Commit"] + 1


def test_the_repository_is_named_by_its_remote_or_by_the_caller(repo: Repo, tmp_path: Path) -> None:
    repo.commit("one", {"a.py": "1"})
    repo.git("remote", "set-url", "origin", "git@github.com:acme/trainer.git")
    with LadybugStore(tmp_path / "kb") as store:
        report = ingest_git(store, repo.path)
        assert (report.label, report.repository) == ("CodeRepository", "github.com/acme/trainer")
        node = store.node("CodeRepository", "github.com/acme/trainer")
        assert node is not None and node["default_branch"] == "main"
        assert node["url"] == "github.com:acme/trainer.git"
        report = ingest_git(store, repo.path, model="acme-ai/other")
        assert report.repository == "acme-ai/other" and report.new == 1
    repo.git("remote", "remove", "origin")
    with LadybugStore(tmp_path / "kb2") as store, pytest.raises(InputError, match="no remote"):
        ingest_git(store, repo.path)


def test_not_a_clone_is_a_clear_error(tmp_path: Path) -> None:
    with LadybugStore(tmp_path / "kb") as store, pytest.raises(InputError, match="git"):
        ingest_git(store, tmp_path)


def test_urls_and_kinds() -> None:
    assert clean_url("https://u:tok@huggingface.co/a/b") == "https://huggingface.co/a/b"
    assert identify("https://hf.co/a/b.git").id == "a/b"
    assert identify("https://huggingface.co/datasets/a/b").label == "CodeRepository"
    assert identify("ssh://git@gitlab.com:2222/g/p.git").id == "gitlab.com/g/p"
    kinds = {p: file_kind(p) for p in ("w/pytorch_model.bin", "x.gguf", "README.md", "a/b.py",
                                        "tokenizer.json", "config.json", "LICENSE")}  # fmt: skip
    assert kinds == {
        "w/pytorch_model.bin": "weights",
        "x.gguf": "weights",
        "README.md": "card",
        "a/b.py": "code",
        "tokenizer.json": "config",
        "config.json": "config",
        "LICENSE": "other",
    }
