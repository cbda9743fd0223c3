"""What ``git`` itself says about a clone: the log of every ref, streamed, and each signed
commit's signature kind.

    >>> for commit in read_log(Path("clones/gpt2")):                      # doctest: +SKIP
    ...     print(commit.sha, STATUS[commit.status], commit.changes[:1])

One ``git log`` process streams every branch, tag and remote ref (``-z``, a random record
boundary, ``LC_ALL=C``); one ``git cat-file --batch`` reads the signed commits' headers.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mlsc.errors import InputError

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

FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%G?", "%GK", "%GF", "%GS", "%s")


def git_binary() -> str:
    git = shutil.which("git")
    if git is None:
        raise InputError("git is not installed", hint="Install git (e.g. apt-get install git).")
    return git


def run_git(path: Path, *args: str) -> str:
    done = subprocess.run(
        [git_binary(), "-C", str(path), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise InputError(
            f"git {args[0]} failed in {path}: {done.stderr.strip()[:300]}",
            hint="Is it a git clone? (git status there)",
        )
    return done.stdout


@dataclass(frozen=True)
class GitCommit:
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


def read_log(path: Path) -> Iterator[GitCommit]:
    """Every commit reachable from a branch, tag or remote ref, newest first, streamed."""
    boundary = f"\x1eMLSC{secrets.token_hex(8)}\x1f".encode()
    fmt = boundary.decode().replace("\x1e", "%x1e").replace("\x1f", "%x1f") + "%x1f".join(FIELDS)
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    with subprocess.Popen(
        [
            git_binary(), "-C", str(path), "-c", "core.quotePath=false", "log", "--branches", "--tags",
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
                    yield parse_entry(piece)
        if buffer:
            yield parse_entry(buffer)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0 and "does not have any commits" not in err:
            raise InputError(f"git log failed in {path}: {err.strip()[:300]}")


def parse_entry(piece: bytes) -> GitCommit:
    header, _, rest = piece.partition(b"\x00")
    fields = header.decode("utf-8", errors="replace").split("\x1f", len(FIELDS) - 1)
    sha, parents, an, ae, ad, cn, ce, cd, status, key, fpr, signer, title = fields
    items = rest.lstrip(b"\n").split(b"\x00")
    changes = tuple(
        (items[i].decode(errors="replace"), items[i + 1].decode("utf-8", errors="replace"))
        for i in range(0, len(items) - 1, 2)
        if items[i]
    )
    return GitCommit(
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


def signature_kinds(path: Path, shas: list[str]) -> dict[str, str]:
    """gpg, ssh or x509 for each signed commit, from its ``gpgsig`` header."""
    if not shas:
        return {}
    done = subprocess.run(
        [git_binary(), "-C", str(path), "cat-file", "--batch"],
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
