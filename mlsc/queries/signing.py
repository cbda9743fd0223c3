"""Commit signing, per repository and per organisation: how much of a history is signed,
how much of that verifies, and since when.

    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:                 # doctest: +SKIP
    ...     print(signing_report(store).to_json()["repositories"][:3])

A commit is *signed* when it carries a signature (git saw a ``gpgsig`` header, or GitHub
returned one), *verified* when that signature checked out (git: good; GitHub:
``verification.verified``). Commits whose signing status nobody reported (the Hugging Face
commit list has no such field) are counted as ``unknown``, not as unsigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlsc.graph import reads
from mlsc.graph.store import GraphStore


@dataclass(frozen=True)
class SigningRow:
    """Signing figures of one repository or organisation."""

    id: str
    commits: int
    signed: int
    verified: int
    unknown: int
    first_signed: str | None
    """When the earliest signed commit was made (ISO 8601), or None."""
    first_signed_sha: str | None
    repositories: int = 1

    def to_json(self, *, organisation: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "commits": self.commits,
            "signed": self.signed,
            "verified": self.verified,
            "unknown": self.unknown,
            "first_signed": self.first_signed,
            "first_signed_sha": self.first_signed_sha,
        }
        if organisation:
            data["repositories"] = self.repositories
        return data


@dataclass(frozen=True)
class SigningReport:
    repositories: tuple[SigningRow, ...]
    """Every model or code repository with commits, most commits first."""
    organisations: tuple[SigningRow, ...]
    """Every organisation owning such repositories, most commits first."""

    def to_json(self) -> dict[str, Any]:
        return {
            "repositories": [r.to_json() for r in self.repositories],
            "organisations": [o.to_json(organisation=True) for o in self.organisations],
        }


@dataclass
class _Tally:
    commits: int = 0
    signed: int = 0
    verified: int = 0
    unknown: int = 0
    first: tuple[str, str] | None = None
    repositories: int = 0

    def add(self, sha: str, signature: str | None, verified: Any, reason: Any, at: Any) -> None:
        self.commits += 1
        if signature is not None:
            self.signed += 1
            self.verified += verified is True
            stamp = (at or "", sha)
            if self.first is None or stamp < self.first:
                self.first = stamp
        elif reason is None and verified is None:
            self.unknown += 1

    def merge(self, other: _Tally) -> None:
        self.commits += other.commits
        self.signed += other.signed
        self.verified += other.verified
        self.unknown += other.unknown
        self.repositories += 1
        if other.first is not None and (self.first is None or other.first < self.first):
            self.first = other.first

    def row(self, key: str) -> SigningRow:
        return SigningRow(
            key,
            self.commits,
            self.signed,
            self.verified,
            self.unknown,
            (self.first[0] or None) if self.first else None,
            self.first[1] if self.first else None,
            self.repositories or 1,
        )


def _owner(label: str, repo_id: str, author: str | None) -> str | None:
    if label == "Model":
        return author or (repo_id.split("/", 1)[0] if "/" in repo_id else None)
    parts = repo_id.split("/")
    if len(parts) >= 3 and parts[0] == "github.com":
        return f"github:{parts[1]}"
    return None


def signing_report(store: GraphStore, *, author: str | None = None) -> SigningReport:
    """Signing figures of every repository with commits, and of their organisations
    (``author``: only repositories of that owner)."""
    repos: dict[tuple[str, str], _Tally] = {}
    owner_of: dict[tuple[str, str], str | None] = {}
    labels: tuple[reads.RepositoryLabel, ...] = ("Model", "CodeRepository")
    for label in labels:
        for repo_id, repo_author, sha, signature, verified, reason, at in reads.repository_commits(
            store, label
        ):
            key: tuple[str, str] = (label, repo_id)
            owner_of[key] = _owner(label, repo_id, repo_author)
            repos.setdefault(key, _Tally()).add(sha, signature, verified, reason, at)
    kinds = reads.organisations(store)
    orgs: dict[str, _Tally] = {}
    for key, tally in repos.items():
        owner = owner_of[key]
        if author is not None and owner not in (author, f"github:{author}"):
            continue
        if owner is not None and owner in kinds:
            orgs.setdefault(owner, _Tally()).merge(tally)
    keep = [
        (key, tally)
        for key, tally in repos.items()
        if author is None or owner_of[key] in (author, f"github:{author}")
    ]
    return SigningReport(
        tuple(
            sorted((t.row(repo_id) for (_, repo_id), t in keep), key=lambda r: (-r.commits, r.id))
        ),
        tuple(sorted((t.row(o) for o, t in orgs.items()), key=lambda r: (-r.commits, r.id))),
    )
