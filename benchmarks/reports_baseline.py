"""The reports as mlsc computed them before they ran on aggregates and columns (main at
fa41727): every row of every model through Python objects. ``benchmarks/reports.py`` times
them beside the current ones, in the same process, and checks the answers are equal.

Kept here, not in mlsc: the reads they made (whole-population row scans) are gone from
:mod:`mlsc.graph.reads`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from mlsc.graph import reads
from mlsc.graph.store import GraphStore
from mlsc.queries import discrepancies as disc
from mlsc.queries.practices import PUBLISHED, Distribution, Figure, Pinning, Practices
from mlsc.queries.signing import SigningReport, SigningRow


def _fig(name: str, label: str, numerator: int, denominator: int) -> Figure:
    published, source = PUBLISHED.get(name, (None, None))
    return Figure(name, label, numerator, denominator, published, source)


class _Tally:
    def __init__(self) -> None:
        self.commits = self.signed = self.verified = self.unknown = self.repositories = 0
        self.first: tuple[str, str] | None = None

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
        first = self.first
        return SigningRow(key, self.commits, self.signed, self.verified, self.unknown,
                          (first[0] or None) if first else None, first[1] if first else None,
                          self.repositories or 1)  # fmt: skip


def _owner(label: str, repo_id: str, author: str | None) -> str | None:
    if label == "Model":
        return author or (repo_id.split("/", 1)[0] if "/" in repo_id else None)
    parts = repo_id.split("/")
    if len(parts) >= 3 and parts[0] == "github.com":
        return f"github:{parts[1]}"
    return None


def practices(store: GraphStore, *, author: str | None = None) -> Practices:
    """``mlsc.queries.practices.practices`` as it was: per-model rows in Python."""
    owners = {
        mid: owner
        for mid, owner, hub in store.read(
            "MATCH (m:Model) WHERE m.ingested = true RETURN m.id, m.author, m.hub"
        )
        if hub in (None, "huggingface") and (author is None or owner == author)
    }
    models = set(owners)
    actors = {
        name: (kind, verified)
        for name, kind, verified in store.read("MATCH (a:Actor) RETURN a.name, a.kind, a.verified")
    }
    in_scope_owners = set(owners.values())
    orgs = [
        n
        for n, (kind, _) in actors.items()
        if kind == "org" and not n.startswith(("github:", "git:"))
        and (author is None or n in in_scope_owners)
    ]  # fmt: skip
    orgs_known = [n for n in orgs if actors[n][1] is not None]
    figures = [
        _fig("organisations_verified", "organisations verified",
             sum(actors[n][1] is True for n in orgs_known), len(orgs_known)),
    ]  # fmt: skip
    per_model: dict[str, list[tuple[Any, Any, Any]]] = defaultdict(list)
    for mid, signature, verified, reason in store.read(
        "MATCH (m:Model)-[:HAS_COMMIT]->(c:Commit) "
        "RETURN m.id, c.signature, c.verified, c.verification_reason"
    ):
        if mid in models:
            per_model[mid].append((signature, verified, reason))
    known = {
        mid: [c for c in commits if c[0] is not None or c[2] is not None]
        for mid, commits in per_model.items()
    }
    known = {mid: commits for mid, commits in known.items() if commits}
    commits = [c for cs in known.values() for c in cs]
    signed = [c for c in commits if c[0] is not None]
    figures += [
        _fig("models_with_signed_commit", "model repositories with a signed commit",
             sum(any(c[0] is not None for c in cs) for cs in known.values()), len(known)),
        _fig("commits_signed", "commits signed", len(signed), len(commits)),
        _fig("signatures_verified", "signatures that verify",
             sum(c[1] is True for c in signed), len(signed)),
    ]  # fmt: skip
    gated = [
        g
        for mid, g in store.read("MATCH (m:Model) WHERE m.ingested = true RETURN m.id, m.gated")
        if mid in models and g is not None
    ]
    figures.append(
        _fig(
            "models_gated", "models gated", sum(g in ("auto", "manual") for g in gated), len(gated)
        )
    )
    files: dict[str, bool] = {}
    for mid, pickle in store.read("MATCH (m:Model)-[:HAS_FILE]->(f:File) RETURN m.id, f.pickle"):
        if mid in models:
            files[mid] = files.get(mid, False) or pickle is True
    figures.append(
        _fig("models_with_pickle", "models shipping pickle-based weights",
             sum(files.values()), len(files))
    )  # fmt: skip
    uses = [
        (app, pinned)
        for app, mid, pinned in store.read(
            "MATCH (r:CodeRepository)-[u:USES_MODEL]->(m:Model) RETURN r.id, m.id, u.pinned"
        )
        if author is None or mid in models or mid.split("/", 1)[0] == author
    ]
    known_uses = [p for _, p in uses if p is not None]
    pinning = Pinning(len(uses), len({a for a, _ in uses}), sum(known_uses), len(known_uses),
                      len(uses) - len(known_uses))  # fmt: skip
    figures.append(
        _fig("application_references_pinned", "application references pinned to a commit",
             pinning.pinned, pinning.known)
    )  # fmt: skip
    members: dict[str, set[str]] = defaultdict(set)
    for member, org in store.membership_edges():
        members[org].add(member)
    writers_per_model: dict[str, int] = {}
    models_per_writer: Counter[str] = Counter()
    for mid, owner in owners.items():
        if owner is None:
            continue
        writers = members.get(owner) or {owner}
        writers_per_model[mid] = len(writers)
        models_per_writer.update(writers)
    return Practices(
        author,
        len(models),
        tuple(figures),
        Distribution.of(writers_per_model),
        Distribution.of(dict(models_per_writer)),
        pinning,
    )


def signing_report(store: GraphStore, *, author: str | None = None) -> SigningReport:
    """``mlsc.queries.signing.signing_report`` as it was: a Python tally per commit row."""
    repos: dict[tuple[str, str], _Tally] = {}
    owner_of: dict[tuple[str, str], str | None] = {}
    for label in ("Model", "CodeRepository"):
        who = "r.author" if label == "Model" else "NULL"
        for repo_id, repo_author, sha, signature, verified, reason, at in store.read(
            f"MATCH (r:{label})-[:HAS_COMMIT]->(c:Commit) RETURN r.id, {who}, c.id, "
            "c.signature, c.verified, c.verification_reason, "
            "coalesce(c.committed_at, c.authored_at)"
        ):
            key = (label, repo_id)
            owner_of[key] = _owner(label, repo_id, repo_author)
            repos.setdefault(key, _Tally()).add(sha, signature, verified, reason, at)
    kinds = {r[0] for r in store.read("MATCH (a:Actor) WHERE a.kind = 'org' RETURN a.name")}
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


def discrepancies(store: GraphStore) -> disc.Discrepancies:
    """``mlsc.queries.discrepancies.discrepancies`` over the whole knowledge base as it was:
    every derivation edge, file format and chat template read as rows, every edge through
    the exact checks."""
    rows = [
        reads.Derivation(*r)
        for r in store.read(
            "MATCH (c:Model)-[r:DERIVED_FROM]->(p:Model) RETURN c.id, p.id, r.relation, "
            "r.evidence, r.confidence, c.model_type, c.architectures, p.model_type, "
            "p.architectures, c.created_at, p.created_at, p.ingested, p.removed, p.aliases"
        )
    ]
    formats: dict[str, set[str]] = defaultdict(set)
    for mid, fmt in store.read(
        "MATCH (m:Model)-[:HAS_FILE]->(f:File) WHERE f.format IS NOT NULL RETURN m.id, f.format"
    ):
        formats[mid].add(fmt)
    templates: dict[str, dict[str, tuple[str, bool]]] = defaultdict(dict)
    for mid, path, digest, flagged in store.read(
        "MATCH (m:Model)-[:HAS_FILE]->(f:File) WHERE f.chat_template_sha256 IS NOT NULL "
        "RETURN m.id, f.path, f.chat_template_sha256, f.scan_findings"
    ):
        bad = any(str(x).startswith("critical template_") for x in flagged or [])
        templates[mid][path] = (digest, bad)
    return disc.check(rows, formats, templates, store.derivation_cycles(), None)
