"""Ingest the history of a local git clone: commits, who made them, what they touched, and
whether their signatures verify, as git itself reports it.

    >>> from mlsc.graph import open_store
    >>> from mlsc.ingest.git import ingest_git
    >>> with open_store() as store:                                        # doctest: +SKIP
    ...     report = ingest_git(store, "clones/Llama-3.1-8B", model="meta-llama/Llama-3.1-8B")

Hugging Face model repositories and GitHub repositories are git repositories, and a clone
holds the whole truth offline. The repository is the ``Model`` given with ``model`` or the
``CodeRepository`` given with ``repo``, else detected from the ``origin`` remote URL
(huggingface.co/NS/NAME is a model; anything else a code repository named host/path). The
log of every branch and tag is streamed from one ``git log`` process and written in chunks;
commits already stored are skipped, so a re-run adds only new ones. A stored commit that no
branch or tag reaches any more (a rewritten history: a force push, a rebase) is marked
``rewritten``, never deleted.

Signature status comes from ``%G?``: ``good`` (G), ``good-untrusted`` (U: good, key of unknown
validity), ``bad`` (B), ``expired`` (X), ``expired-key`` (Y), ``revoked-key`` (R),
``unknown-key`` (E: cannot be checked, usually a key git does not have), ``none`` (N). GPG,
SSH and X.509 signatures are told apart by the ``gpgsig`` header. SSH signatures verify only
against ``gpg.ssh.allowedSignersFile``: without one git cannot check them (``unknown-key``).
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mlsc.errors import InputError
from mlsc.graph.reads_ingest import RepositoryLabel, stored_commits
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.ingest.git_log import STATUS, GitCommit, git_binary, read_log, run_git, signature_kinds
from mlsc.ingest.interface import MAX_TEXT, Problem, authorship
from mlsc.vocab import file_format, file_kind, is_valid_repo_id, utc_iso, utc_now

SOURCE = "git"
CHUNK = 5_000
"""Commits per write."""


@dataclass(frozen=True)
class RepoIdentity:
    """Which node a clone's history belongs to."""

    label: RepositoryLabel
    """``Model`` or ``CodeRepository``."""
    id: str
    host: str | None
    url: str | None
    """The remote URL without credentials."""


_SCP = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(.+)$")


def clean_url(url: str) -> str:
    """A remote URL with any user, password or token removed."""
    parts = urlsplit(url)
    if parts.scheme and parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        return parts._replace(netloc=f"{parts.hostname}{port}").geturl()
    scp = _SCP.match(url)
    if scp:
        return f"{scp.group(1)}:{scp.group(2)}"
    return url


def identify(url: str) -> RepoIdentity:
    """The model or code repository a remote URL names."""
    parts = urlsplit(url)
    if parts.scheme and parts.hostname:
        host, path = parts.hostname.lower(), parts.path
    elif (scp := _SCP.match(url)) is not None:
        host, path = scp.group(1).lower(), scp.group(2)
    else:
        raise InputError(
            f"cannot tell which repository the remote {clean_url(url)!r} is",
            hint="Pass --model ID or --repo HOST/OWNER/NAME.",
        )
    path = path.strip("/")
    path = path.removesuffix(".git")
    if host in ("huggingface.co", "hf.co", "www.huggingface.co"):
        if path.startswith(("datasets/", "spaces/")):
            return RepoIdentity("CodeRepository", f"huggingface.co/{path}", host, clean_url(url))
        if is_valid_repo_id(path):
            return RepoIdentity("Model", path, host, clean_url(url))
    return RepoIdentity("CodeRepository", f"{host}/{path}", host, clean_url(url))


@dataclass
class GitReport:
    """What an ingestion of a clone did."""

    path: str
    repository: str = ""
    label: str = ""
    commits: int = 0
    """Commits in the history now."""
    new: int = 0
    """Commits written by this run (the others were stored already)."""
    signatures: Counter[str] = field(default_factory=Counter)
    """New commits by signature status."""
    kinds: Counter[str] = field(default_factory=Counter)
    """New commits by kind of file they touched."""
    merges: int = 0
    rewritten: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "repository": self.repository,
            "label": self.label,
            "commits": self.commits,
            "new": self.new,
            "signatures": dict(sorted(self.signatures.items())),
            "kinds": dict(sorted(self.kinds.items())),
            "merges": self.merges,
            "rewritten": sorted(self.rewritten),
            "problems": [p.to_json() for p in self.problems],
        }


def _stored_commits(store: GraphStore, identity: RepoIdentity) -> dict[str, bool]:
    """Commits already stored for this repository -> their ``rewritten`` flag."""
    return stored_commits(store, identity.label, identity.id)


def ingest_git(
    store: GraphStore,
    path: str | Path,
    *,
    model: str | None = None,
    repo: str | None = None,
    observed_at: str | None = None,
    chunk: int = CHUNK,
) -> GitReport:
    """Ingest the history of the clone at ``path`` into ``store``."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise InputError(f"{root} is not a directory", hint="Give the path of a git clone.")
    top = Path(run_git(root, "rev-parse", "--show-toplevel").strip())
    report = GitReport(str(top))
    if model is not None and repo is not None:
        raise InputError("give --model or --repo, not both")
    url = remote_url(top)
    if model is not None:
        if not is_valid_repo_id(model):
            raise InputError(f"{model[:120]!r} is not a Hugging Face model id")
        identity = RepoIdentity("Model", model, "huggingface.co", clean_url(url) if url else None)
    elif repo is not None:
        identity = RepoIdentity(
            "CodeRepository",
            repo.strip("/"),
            repo.split("/", 1)[0],
            clean_url(url) if url else None,
        )
    elif url is not None:
        identity = identify(url)
    else:
        raise InputError(
            f"{top} has no remote to tell which repository it is",
            hint="Pass --model ID (a Hugging Face model) or --repo HOST/OWNER/NAME.",
        )
    report.repository, report.label = identity.id, identity.label
    stamp = observed_at or utc_now()
    prov = {"source": SOURCE, "observed_at": stamp}
    branch = run_git(top, "rev-parse", "--abbrev-ref", "HEAD").strip() if _has_head(top) else None
    head_nodes: list[NodeRecord] = []
    if identity.label == "Model":
        head_nodes.append(
            NodeRecord(
                "Model", identity.id, {"hub": "huggingface", "ingested": False, **prov}, True
            )
        )
    else:
        head_nodes.append(
            NodeRecord(
                "CodeRepository",
                identity.id,
                {"host": identity.host, "url": identity.url, "default_branch": branch, **prov},
            )
        )
    store.write(GraphBatch(head_nodes))

    stored = _stored_commits(store, identity)
    present: set[str] = set()
    pending: list[GitCommit] = []
    for commit in read_log(top):
        present.add(commit.sha)
        report.commits += 1
        if commit.sha not in stored or stored[commit.sha]:
            pending.append(commit)
        if len(pending) >= chunk:
            _write(store, top, identity, pending, prov, report)
            pending = []
    if pending:
        _write(store, top, identity, pending, prov, report)
    gone = [sha for sha, rewritten in stored.items() if sha not in present and not rewritten]
    if gone:
        store.write(
            GraphBatch([NodeRecord("Commit", sha, {"rewritten": True, **prov}) for sha in gone])
        )
        report.rewritten = gone
        report.problems.append(
            Problem(
                0,
                identity.id,
                "rewritten-history",
                f"{len(gone)} stored commits are no longer on any branch or tag "
                f"(force push or rebase), e.g. {gone[0][:12]}",
                "warning",
            )
        )
    return report


def remote_url(top: Path) -> str | None:
    """The URL of the clone's first remote (``origin`` in a plain clone), as git has it (it
    may carry credentials: pass it through :func:`clean_url` before keeping it)."""
    remote = (
        run_git(top, "config", "--get-regexp", r"^remote\..*\.url$").split()
        if _has_remote(top)
        else []
    )
    return remote[1] if len(remote) >= 2 else None


def work_tree(path: Path) -> Path | None:
    """The top of the git work tree ``path`` lies in; None when it is in none (or there
    is no git)."""
    import shutil

    if shutil.which("git") is None:
        return None
    done = subprocess.run(
        [git_binary(), "-C", str(path), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def _has_remote(path: Path) -> bool:
    done = subprocess.run(
        [git_binary(), "-C", str(path), "config", "--get-regexp", r"^remote\..*\.url$"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _has_head(path: Path) -> bool:
    done = subprocess.run(
        [git_binary(), "-C", str(path), "rev-parse", "--verify", "-q", "HEAD"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _write(
    store: GraphStore,
    top: Path,
    identity: RepoIdentity,
    commits: list[GitCommit],
    prov: dict[str, str],
    report: GitReport,
) -> None:
    kinds_of = signature_kinds(top, [c.sha for c in commits if c.status != "N"])
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    for c in commits:
        status = STATUS.get(c.status, "unknown")
        kinds = sorted({file_kind(p) for _, p in c.changes})
        an, ae, ad = c.author
        cn, ce, cd = c.committer
        nodes.append(
            NodeRecord(
                "Commit",
                c.sha,
                {
                    "repo": identity.id,
                    "sha": c.sha,
                    "title": c.title[:MAX_TEXT],
                    "authored_at": utc_iso(ad),
                    "committed_at": utc_iso(cd),
                    "author_name": an[:MAX_TEXT],
                    "author_email": ae[:MAX_TEXT],
                    "committer_name": cn[:MAX_TEXT],
                    "committer_email": ce[:MAX_TEXT],
                    "signature": kinds_of.get(c.sha),
                    "signature_key": (c.fingerprint or c.key or None),
                    "verified": status in ("good", "good-untrusted") if status != "none" else None,
                    "verification_reason": status,
                    "signer": c.signer[:MAX_TEXT] or None,
                    "parents": list(c.parents),
                    "kinds": kinds,
                    "rewritten": False,
                    **prov,
                },
            )
        )
        edges.append(EdgeRecord("HAS_COMMIT", identity.label, identity.id, "Commit", c.sha, prov))
        for email, role in authorship(ae[:200].lower() or None, ce[:200].lower() or None):
            actor = f"git:{email}"
            nodes.append(NodeRecord("Actor", actor, {"kind": "git", "hub": "git", **prov}))
            edges.append(
                EdgeRecord("AUTHORED", "Actor", actor, "Commit", c.sha, {"role": role, **prov})
            )
        for change, file_path in c.changes[:2_000]:
            key = f"{identity.id}/{file_path}"
            fmt, pickle = file_format(file_path)
            nodes.append(
                NodeRecord(
                    "File",
                    key,
                    {"repo": identity.id, "path": file_path[:MAX_TEXT], "format": fmt,
                     "pickle": pickle, **prov},
                    create_only=True,
                )
            )  # fmt: skip
            edges.append(
                EdgeRecord(
                    "TOUCHED",
                    "Commit",
                    c.sha,
                    "File",
                    key,
                    {"change": change[:1], "kind": file_kind(file_path), **prov},
                )
            )
        report.new += 1
        report.signatures[status] += 1
        report.kinds.update(kinds)
        report.merges += len(c.parents) > 1
    store.write(GraphBatch(nodes, edges))
