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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mlsc.graph import reads
from mlsc.graph import reads_population as rp
from mlsc.graph.reads_ingest import RepositoryLabel
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


def _owner(label: str, repo_id: str, author: str | None) -> str | None:
    if label == "Model":
        return author or (repo_id.split("/", 1)[0] if "/" in repo_id else None)
    parts = repo_id.split("/")
    if len(parts) >= 3 and parts[0] == "github.com":
        return f"github:{parts[1]}"
    return None


def signing_report(store: GraphStore, *, author: str | None = None) -> SigningReport:
    """Signing figures of every repository with commits, and of their organisations
    (``author``: only repositories of that owner). The store counts each repository's
    commits; only the signed ones come back one by one, as columns, for the first."""
    repos: list[tuple[str, str | None, list[int]]] = []  # (id, owner, counts), for output
    labels: tuple[RepositoryLabel, ...] = ("Model", "CodeRepository")
    first: dict[str, tuple[str, str]] = {}
    for label in labels:
        table = rp.commit_signing_by_repository(store, label)
        authors = table.column("author").to_pylist() if label == "Model" else None
        counts = [table.column(c).to_pylist() for c in ("commits", "signed", "verified", "unknown")]
        for i, repo_id in enumerate(table.column("repository").to_pylist()):
            owner = _owner(label, repo_id, authors[i] if authors is not None else None)
            if author is None or owner in (author, f"github:{author}"):
                repos.append((repo_id, owner, [col[i] for col in counts]))
        first.update(_first_signed(rp.signed_commits(store, label)))
    kinds = reads.organisations(store)
    orgs: dict[str, list[Any]] = {}  # commits, signed, verified, unknown, first, repositories
    for repo_id, owner, counts in repos:
        if owner is None or owner not in kinds:
            continue
        tally = orgs.setdefault(owner, [0, 0, 0, 0, None, 0])
        for k in range(4):
            tally[k] += counts[k]
        tally[5] += 1
        mine = first.get(repo_id)
        if mine is not None and (tally[4] is None or mine < tally[4]):
            tally[4] = mine
    return SigningReport(
        _sorted(_row(repo_id, counts, first.get(repo_id), 1) for repo_id, _, counts in repos),
        _sorted(_row(o, t[:4], t[4], t[5]) for o, t in orgs.items()),
    )


def _first_signed(signed: pa.Table) -> dict[str, tuple[str, str]]:
    """Repository -> (time or "", sha) of its earliest signed commit (the smallest sha
    among those of that time)."""
    if not signed.num_rows:
        return {}
    signed = signed.set_column(2, "at", pc.fill_null(signed.column("at"), ""))
    order = pc.sort_indices(
        signed, sort_keys=[("repository", "ascending"), ("at", "ascending"), ("sha", "ascending")]
    )
    signed = signed.take(order)
    repo = signed.column("repository").combine_chunks()
    starts = pc.not_equal(repo.slice(1), repo.slice(0, len(repo) - 1))
    firsts = signed.filter(pa.concat_arrays([pa.array([True]), starts]))
    cols = [firsts.column(c).to_pylist() for c in ("repository", "at", "sha")]
    return {r: (at, sha) for r, at, sha in zip(*cols, strict=True)}


def _row(key: str, counts: list[int], first: tuple[str, str] | None, repos: int) -> SigningRow:
    commits, signed, verified, unknown = counts
    at, sha = first if first is not None else (None, None)
    return SigningRow(key, commits, signed, verified, unknown, at or None, sha, repos)


def _sorted(rows: Iterable[SigningRow]) -> tuple[SigningRow, ...]:
    return tuple(sorted(rows, key=lambda r: (-r.commits, r.id)))
