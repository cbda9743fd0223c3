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

import os
import re
import secrets
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mlsc.errors import InputError
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.ingest.interface import MAX_TEXT, Problem, authorship
from mlsc.vocab import file_format, file_kind, is_valid_repo_id, utc_iso, utc_now

SOURCE = "git"
CHUNK = 5_000
"""Commits per write."""

STATUS = {
    "G": "good",
    "U": "good-untrusted",
    "B": "bad",
    "X": "expired",
    "Y": "expired-key",
    "R": "revoked-key",
    "E": "unknown-key",
    "N": "none",
}
"""``%G?`` letters as words."""

_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%G?", "%GK", "%GF", "%GS", "%s")


@dataclass(frozen=True)
class RepoIdentity:
    """Which node a clone's history belongs to."""

    label: str
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


def _git() -> str:
    git = shutil.which("git")
    if git is None:
        raise InputError("git is not installed", hint="Install git (e.g. apt-get install git).")
    return git


def _run(path: Path, *args: str) -> str:
    done = subprocess.run(
        [_git(), "-C", str(path), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise InputError(
            f"git {args[0]} failed in {path}: {done.stderr.strip()[:300]}",
            hint="Is it a git clone? (git status there)",
        )
    return done.stdout


@dataclass(frozen=True)
class _Commit:
    sha: str
    parents: tuple[str, ...]
    author: tuple[str, str, str]
    committer: tuple[str, str, str]
    status: str
    key: str
    fingerprint: str
    signer: str
    title: str
    changes: tuple[tuple[str, str], ...]


def _log(path: Path) -> Iterator[_Commit]:
    """Every commit reachable from a branch, tag or remote ref, newest first, streamed."""
    boundary = f"\x1eMLSC{secrets.token_hex(8)}\x1f".encode()
    fmt = boundary.decode().replace("\x1e", "%x1e").replace("\x1f", "%x1f") + "%x1f".join(_FIELDS)
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    with subprocess.Popen(
        [
            _git(), "-C", str(path), "-c", "core.quotePath=false", "log", "--branches", "--tags",
            "--remotes", "-z", f"--format={fmt}", "--name-status", "--no-renames",
            "--diff-merges=first-parent",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None
        buffer = b""
        while chunk := proc.stdout.read(1 << 20):
            buffer += chunk
            pieces = buffer.split(boundary)
            buffer = pieces.pop()
            for piece in pieces:
                if piece:
                    yield _parse(piece)
        if buffer:
            yield _parse(buffer)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0 and "does not have any commits" not in err:
            raise InputError(f"git log failed in {path}: {err.strip()[:300]}")


def _parse(piece: bytes) -> _Commit:
    header, _, rest = piece.partition(b"\x00")
    fields = header.decode("utf-8", errors="replace").split("\x1f", len(_FIELDS) - 1)
    sha, parents, an, ae, ad, cn, ce, cd, status, key, fpr, signer, title = fields
    items = rest.lstrip(b"\n").split(b"\x00")
    changes = tuple(
        (items[i].decode(errors="replace"), items[i + 1].decode("utf-8", errors="replace"))
        for i in range(0, len(items) - 1, 2)
        if items[i]
    )
    return _Commit(
        sha,
        tuple(parents.split()),
        (an, ae, ad),
        (cn, ce, cd),
        status,
        key,
        fpr,
        signer,
        title,
        changes,
    )


def _signature_kinds(path: Path, shas: list[str]) -> dict[str, str]:
    """gpg, ssh or x509 for each signed commit, from its ``gpgsig`` header."""
    if not shas:
        return {}
    done = subprocess.run(
        [_git(), "-C", str(path), "cat-file", "--batch"],
        input="\n".join(shas).encode() + b"\n",
        capture_output=True,
        check=False,
    )
    kinds: dict[str, str] = {}
    data = done.stdout
    pos = 0
    for sha in shas:
        end = data.index(b"\n", pos)
        meta = data[pos:end].split()
        size = int(meta[2]) if len(meta) == 3 else 0
        body = data[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
        head = body.split(b"\n\n", 1)[0]
        if b"BEGIN SSH SIGNATURE" in head:
            kinds[sha] = "ssh"
        elif b"BEGIN SIGNED MESSAGE" in head or b"BEGIN CERTIFICATE" in head:
            kinds[sha] = "x509"
        elif b"gpgsig" in head:
            kinds[sha] = "gpg"
    return kinds


def _stored_commits(store: GraphStore, identity: RepoIdentity) -> dict[str, bool]:
    """Commits already stored for this repository -> their ``rewritten`` flag."""
    rows = store.cypher(
        f"MATCH (r:{identity.label} {{id: $id}})-[:HAS_COMMIT]->(c:Commit) "
        "RETURN c.id, c.rewritten",
        {"id": identity.id},
    ).rows
    return {sha: bool(rewritten) for sha, rewritten in rows}


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
    top = Path(_run(root, "rev-parse", "--show-toplevel").strip())
    report = GitReport(str(top))
    if model is not None and repo is not None:
        raise InputError("give --model or --repo, not both")
    remote = (
        _run(top, "config", "--get-regexp", r"^remote\..*\.url$").split()
        if _has_remote(top)
        else []
    )
    url = remote[1] if len(remote) >= 2 else None
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
    branch = _run(top, "rev-parse", "--abbrev-ref", "HEAD").strip() if _has_head(top) else None
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
    pending: list[_Commit] = []
    for commit in _log(top):
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


def _has_remote(path: Path) -> bool:
    done = subprocess.run(
        [_git(), "-C", str(path), "config", "--get-regexp", r"^remote\..*\.url$"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _has_head(path: Path) -> bool:
    done = subprocess.run(
        [_git(), "-C", str(path), "rev-parse", "--verify", "-q", "HEAD"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _write(
    store: GraphStore,
    top: Path,
    identity: RepoIdentity,
    commits: list[_Commit],
    prov: dict[str, str],
    report: GitReport,
) -> None:
    kinds_of = _signature_kinds(top, [c.sha for c in commits if c.status != "N"])
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
