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

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlsc.graph import reads_population as rp
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
    def of_column(
        cls, names: pa.ChunkedArray, values: npt.NDArray[np.int64], top: int = 10
    ) -> Distribution:
        """:meth:`of` the names and counts given as columns (names distinct), vectorised."""
        if not len(values):
            return cls(0, 0, 0.0, 0.0, 0.0, 0, 0.0, ())
        ordered = np.sort(values)
        n, mid = len(ordered), len(ordered) // 2
        median = ordered[mid] if n % 2 else (int(ordered[mid - 1]) + int(ordered[mid])) / 2
        # the largest: those at least the top-th largest value, then by name
        least = ordered[max(n - top, 0)]
        keep = np.flatnonzero(values >= least)
        table = pa.table({"n": names.take(pa.array(keep)), "v": values[keep]})
        order = pc.sort_indices(table, sort_keys=[("v", "descending"), ("n", "ascending")])
        biggest = table.take(order.slice(0, top))
        return cls(
            n, int(ordered[0]), float(median), float(ordered[min(n - 1, int(0.9 * n))]),
            float(ordered[min(n - 1, int(0.99 * n))]), int(ordered[-1]),
            round(int(ordered.sum()) / n, 3),
            tuple(zip(biggest.column("n").to_pylist(), biggest.column("v").to_pylist(), strict=True)),
        )  # fmt: skip

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
    """The practice figures over every ingested model (or those ``author`` owns), counted
    by the store; only the owners' models come back, as two columns."""
    scope = rp.Scope(author)
    gating = rp.gating(store, scope)
    if author is None or gating.models:
        orgs = rp.org_verification(store, author)
    else:  # no model in scope, so no owner in scope
        orgs = rp.OrgVerification(0, 0)
    commits = rp.commit_signing(store, scope)
    files = rp.pickle_count(store, scope)
    uses = rp.pinning_count(store, scope)
    pinning = Pinning(uses.references, uses.applications, uses.pinned, uses.known,
                      uses.references - uses.known)  # fmt: skip
    figures = (
        _fig("organisations_verified", "organisations verified", orgs.verified, orgs.known),
        _fig("models_with_signed_commit", "model repositories with a signed commit",
             commits.models_signed, commits.models),
        _fig("commits_signed", "commits signed", commits.signed, commits.commits),
        _fig("signatures_verified", "signatures that verify", commits.verified, commits.signed),
        _fig("models_gated", "models gated", gating.gated, gating.known),
        _fig("models_with_pickle", "models shipping pickle-based weights", files.pickle,
             files.models),
        _fig("application_references_pinned", "application references pinned to a commit",
             pinning.pinned, pinning.known),
    )  # fmt: skip
    per_model, per_writer = _writers(store, scope)
    return Practices(author, gating.models, figures, per_model, per_writer, pinning)


def _writers(store: GraphStore, scope: rp.Scope) -> tuple[Distribution, Distribution]:
    """Writers per model and models per writer: an owner user, or the members of an owner
    organisation (the organisation itself, as one account, when none are known)."""
    members: dict[str, set[str]] = defaultdict(set)
    for member, org in store.membership_edges():
        members[org].add(member)
    owned = rp.owned_models(store, scope)
    owners = pc.value_counts(owned.column("owner")).to_pylist()
    writers = {o["values"]: members.get(o["values"]) or {o["values"]} for o in owners}
    models_per_writer: Counter[str] = Counter()
    for o in owners:
        for writer in writers[o["values"]]:
            models_per_writer[writer] += o["counts"]
    names = pa.array(list(writers), pa.string())
    sizes = np.array([len(w) for w in writers.values()], dtype=np.int64)
    at = pc.index_in(owned.column("owner"), value_set=names).to_numpy(zero_copy_only=False)
    per_model = Distribution.of_column(owned.column("id"), sizes[at.astype(np.int64)])
    return per_model, Distribution.of(dict(models_per_writer))


def _fig(name: str, label: str, numerator: int, denominator: int) -> Figure:
    published, source = PUBLISHED.get(name, (None, None))
    return Figure(name, label, numerator, denominator, published, source)
