"""The security practices of a hub, over the ingested population, beside published figures.

    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:                 # doctest: +SKIP
    ...     for f in practices(store).figures:
    ...         print(f.name, f.value, f.published)

Every share is ``numerator / denominator`` over what is *known*: a model whose commits were
never ingested does not count as "unsigned", an organisation whose verification nobody looked
up does not count as "unverified". Both numbers are in the report, so a share over twelve
models is never mistaken for one over a million.

Writers of a model: its owner when a user; the members of its organisation when they are
known (else the organisation itself, as one account). The heavy tail of models per writer is
the maintainer-reach concentration of the npm literature, on a model hub.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from mlsc.graph import reads, reads_code
from mlsc.graph.store import GraphStore
from mlsc.queries.results import JsonFields

PUBLISHED: dict[str, tuple[float, str]] = {
    "organisations_verified": (0.0319, "ICSE 2023 (Jiang et al.), Hugging Face"),
    "models_with_signed_commit": (0.0021, "ICSE 2023 (Jiang et al.), Hugging Face"),
    "commits_signed": (0.001, "IEEE S&P 2024, Hugging Face"),
    "signatures_verified": (0.202, "IEEE S&P 2024, Hugging Face"),
}


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    numerator: int
    denominator: int
    published: float | None = None
    source: str | None = None

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "value": None if self.value is None else round(self.value, 6),
            "numerator": self.numerator,
            "denominator": self.denominator,
            "published": self.published,
            "source": self.source,
        }


@dataclass(frozen=True)
class Distribution:
    count: int
    min: int
    p50: float
    p90: float
    p99: float
    max: int
    mean: float
    top: tuple[tuple[str, int], ...]
    """The largest, with their names: where the tail is."""

    @classmethod
    def of(cls, counts: dict[str, int], top: int = 10) -> Distribution:
        values = sorted(counts.values())
        if not values:
            return cls(0, 0, 0.0, 0.0, 0.0, 0, 0.0, ())

        def pct(q: float) -> float:
            return float(values[min(len(values) - 1, int(q * len(values)))])

        biggest = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        return cls(
            len(values), values[0], float(statistics.median(values)), pct(0.9), pct(0.99),
            values[-1], round(statistics.fmean(values), 3), tuple(biggest),
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "min": self.min,
            "p50": self.p50,
            "p90": self.p90,
            "p99": self.p99,
            "max": self.max,
            "mean": self.mean,
            "top": [{"id": k, "count": v} for k, v in self.top],
        }


@dataclass(frozen=True)
class Pinning:
    """How applications reference models: one per ``USES_MODEL`` edge (application, model)."""

    references: int
    """Every edge."""
    applications: int
    pinned: int
    """Edges whose every reference pins a commit."""
    known: int
    """Edges whose pinning is known (read from code); the share's denominator."""
    unknown: int
    """Edges whose pinning nobody knows (e.g. PeaTMOSS links)."""

    @property
    def share(self) -> float | None:
        return self.pinned / self.known if self.known else None

    def to_json(self) -> dict[str, Any]:
        return {
            "references": self.references,
            "applications": self.applications,
            "pinned": self.pinned,
            "known": self.known,
            "unknown": self.unknown,
            "share": None if self.share is None else round(self.share, 6),
        }


@dataclass(frozen=True)
class Practices(JsonFields):
    scope: str | None
    models: int
    figures: tuple[Figure, ...]
    writers_per_model: Distribution
    models_per_writer: Distribution
    application_pinning: Pinning = Pinning(0, 0, 0, 0, 0)
    """Application references to models (``USES_MODEL``) pinned to a commit."""

    def figure(self, name: str) -> Figure:
        return next(f for f in self.figures if f.name == name)


def practices(store: GraphStore, *, author: str | None = None) -> Practices:
    """The practice figures over every ingested model (or those ``author`` owns)."""
    owners = {
        mid: owner
        for mid, owner, hub in reads.ingested_models(store)
        if hub in (None, "huggingface") and (author is None or owner == author)
    }
    models = set(owners)
    actors = {name: (kind, verified) for name, kind, verified in reads.actors(store)}
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

    # commits: per model, with a known signing status (git or GitHub said signed or not)
    per_model: dict[str, list[tuple[Any, Any, Any]]] = defaultdict(list)
    for mid, signature, verified, reason in reads.commit_signatures(store):
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
        g for mid, g in reads.ingested_gating(store)
        if mid in models and g is not None
    ]  # fmt: skip
    figures.append(
        _fig(
            "models_gated", "models gated", sum(g in ("auto", "manual") for g in gated), len(gated)
        )
    )
    files: dict[str, bool] = {}
    for mid, pickle in reads.file_pickles(store):
        if mid in models:
            files[mid] = files.get(mid, False) or pickle is True
    figures.append(
        _fig(
            "models_with_pickle",
            "models shipping pickle-based weights",
            sum(files.values()),
            len(files),
        )
    )

    # applications: references pinned to a commit, over those whose pinning is known
    uses = [
        (app, pinned)
        for app, mid, pinned in reads_code.pinning(store)
        if author is None or mid in models or mid.split("/", 1)[0] == author
    ]
    known_uses = [p for _, p in uses if p is not None]
    pinning = Pinning(len(uses), len({a for a, _ in uses}), sum(known_uses), len(known_uses),
                      len(uses) - len(known_uses))  # fmt: skip
    figures.append(
        _fig("application_references_pinned", "application references pinned to a commit",
             pinning.pinned, pinning.known)
    )  # fmt: skip

    # writers: owner users, or the members of owner organisations
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


def _fig(name: str, label: str, numerator: int, denominator: int) -> Figure:
    published, source = PUBLISHED.get(name, (None, None))
    return Figure(name, label, numerator, denominator, published, source)
