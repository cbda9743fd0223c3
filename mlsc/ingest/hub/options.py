"""What to crawl and how politely (:class:`CrawlOptions`), and what the crawl did
(:class:`CrawlReport`).

    >>> CrawlOptions(models=("gpt2",), descendants=True).plan_key() == CrawlOptions(
    ...     models=("gpt2",), descendants=True, workers=16).plan_key()
    True
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from mlsc.ingest.interface import Problem


@dataclass(frozen=True)
class CrawlOptions:
    """What to crawl and how politely."""

    models: tuple[str, ...] = ()
    ancestors: bool = False
    descendants: bool = False
    depth: int | None = None
    """Hops from the seed models for ancestors and descendants (None: no limit)."""
    authors: tuple[str, ...] = ()
    search: str | None = None
    limit: int | None = None
    """At most this many models are fetched in all."""
    since: str | None = None
    """ISO date or ``last`` (the previous complete crawl of the same plan)."""
    workers: int = 4
    rate: float = 10.0
    """Requests per second across all workers; 0 for no limit."""
    retries: int = 5
    max_wait: float = 300.0
    """Longest single wait for Retry-After or backoff, in seconds."""
    timeout: float = 30.0
    commits: bool = True
    owners: bool = True
    endpoint: str | None = None
    """Hub URL; default ``HF_ENDPOINT`` or https://huggingface.co."""
    token: str | bool | None = None
    """None: ``HF_TOKEN`` or the stored login; False: anonymous."""
    journal: Path | None = None
    """Where the resumable crawl state lives; None: no journal."""
    blobs: Path | None = None
    """Where files read from the Hub are kept by git blob id, so that a file whose content
    is unchanged is not downloaded again (:mod:`.blobs`); None: not kept."""
    batch: int = 100
    """Models per write."""
    observed_at: str | None = None

    def plan_key(self) -> str:
        """Identifies the crawl plan (not its politeness) for resuming and ``since last``."""
        plan = [
            sorted(self.models),
            self.ancestors,
            self.descendants,
            self.depth,
            sorted(self.authors),
            self.search,
            self.limit,
            self.endpoint,
        ]
        return hashlib.sha256(orjson.dumps(plan)).hexdigest()[:16]


@dataclass
class CrawlReport:
    """Counts of a crawl. Mutable while it runs; read it at the end."""

    endpoint: str
    models: int = 0
    unchanged: int = 0
    placeholders: int = 0
    edges: Counter[str] = field(default_factory=Counter)
    evidence: Counter[str] = field(default_factory=Counter)
    files: int = 0
    pickle_files: int = 0
    commits: int = 0
    actors: int = 0
    organisations: int = 0
    memberships: int = 0
    datasets: int = 0
    aliases: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    requests: int = 0
    resumed: int = 0
    seconds: float = 0.0
    since: str | None = None

    def add(self, problem: Problem) -> None:
        (self.skipped if problem.severity == "skipped" else self.warnings)[problem.reason] += 1
        if len(self.problems) < 10_000:
            self.problems.append(problem)

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "models": self.models,
            "unchanged": self.unchanged,
            "placeholders": self.placeholders,
            "edges": sum(self.edges.values()),
            "edges_by_relation": dict(sorted(self.edges.items())),
            "evidence": dict(sorted(self.evidence.items())),
            "files": self.files,
            "pickle_files": self.pickle_files,
            "commits": self.commits,
            "actors": self.actors,
            "organisations": self.organisations,
            "memberships": self.memberships,
            "datasets": self.datasets,
            "aliases": dict(sorted(self.aliases.items())),
            "removed": sorted(self.removed),
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
            "warnings_by_reason": dict(sorted(self.warnings.items())),
            "requests": self.requests,
            "requests_per_model": round(self.requests / self.models, 2) if self.models else None,
            "resumed": self.resumed,
            "since": self.since,
            "seconds": round(self.seconds, 3),
            "problems": [p.to_json() for p in self.problems],
        }


def iter_ids(values: Iterable[str]) -> Iterator[str]:
    """Ids from command-line values, split on commas and stripped."""
    for value in values:
        for part in value.split(","):
            if part.strip():
                yield part.strip()
