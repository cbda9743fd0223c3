"""PyGithub with our waits: what to ingest from GitHub (:class:`GitHubOptions`), what it did
(:class:`GitHubReport`), and the client that counts every request, waits out a rate limit
within ``max_wait`` (else :class:`GitHubRateLimited` says when to resume) and retries
transient 5xx answers.

    >>> client = GitHubClient(GitHubOptions(), GitHubReport(), time.sleep)  # doctest: +SKIP
    >>> repo = client.call("huggingface/peft", lambda: client.gh.get_repo("huggingface/peft"))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from mlsc.errors import MlscError
from mlsc.ingest.code import CodeReport
from mlsc.ingest.interface import Problem

PER_PAGE = 100
"""Items per page of a listing: GitHub's maximum."""
T = TypeVar("T")


@dataclass(frozen=True)
class GitHubOptions:
    repos: tuple[str, ...] = ()
    from_models: bool = False
    base_url: str | None = None
    """GitHub's API URL: https://api.github.com, or an Enterprise server's."""
    token: str | None = None
    """None: ``GITHUB_TOKEN``."""
    max_commits: int | None = 1_000
    """Newest commits per repository on a first ingestion (None: all)."""
    members: bool = True
    max_wait: float = 900.0
    retries: int = 3
    throttle: float = 0.25
    """Seconds between requests (PyGithub's own throttle)."""
    timeout: int = 30
    observed_at: str | None = None
    code: bool = False
    """Also read each repository's code for the models it loads (``mlsc ingest code``)."""
    code_files: int = 300
    """Files fetched per repository at most (the rest are reported as cut)."""


@dataclass(frozen=True)
class CodeRead:
    """What reading one repository's code from GitHub did."""

    repository: str
    revision: str
    """The commit the default branch pointed at: the code read is this commit's."""
    branch: str
    files_listed: int
    """Files of the kinds the reader reads, outside vendored and build directories."""
    files_fetched: int
    files_cut: int
    """Files left out by the per-repository cap."""
    tree_truncated: bool
    """GitHub listed only part of the tree: files may be missing."""
    requests: int
    report: CodeReport

    def to_json(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "revision": self.revision,
            "branch": self.branch,
            "files_listed": self.files_listed,
            "files_fetched": self.files_fetched,
            "files_cut": self.files_cut,
            "tree_truncated": self.tree_truncated,
            "requests": self.requests,
            **{k: v for k, v in self.report.to_json().items() if k not in ("path", "problems")},
        }


@dataclass
class GitHubReport:
    repositories: int = 0
    commits: int = 0
    signatures: Counter[str] = field(default_factory=Counter)
    """New commits by verification reason (valid, unsigned, bad_email, unknown_key, ...)."""
    collaborators: int = 0
    access_unknown: list[str] = field(default_factory=list)
    contributors: int = 0
    members: int = 0
    protected: int = 0
    linked_models: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    requests: int = 0
    requests_by_repository: dict[str, int] = field(default_factory=dict)
    waited: float = 0.0
    code: list[CodeRead] = field(default_factory=list)
    stopped_by: GitHubRateLimited | None = None
    """The rate limit that ended the run early: its message says when to resume."""

    def tallies(self) -> GitHubReport:
        """A copy of the counts so far, for :meth:`stop` to return to."""
        return replace(
            self,
            signatures=Counter(self.signatures),
            access_unknown=list(self.access_unknown),
            problems=list(self.problems),
        )

    def stop(
        self, limited: GitHubRateLimited, not_ingested: list[str], tallies: GitHubReport
    ) -> None:
        """End the run on ``limited``, naming each repository it leaves out; the counts go
        back to ``tallies``, since nothing read of the repository it stopped in was written."""
        for name in ("commits", "collaborators", "contributors", "members", "protected"):
            setattr(self, name, getattr(tallies, name))
        self.linked_models = tallies.linked_models
        self.signatures = tallies.signatures
        self.access_unknown = tallies.access_unknown
        self.problems = tallies.problems
        self.stopped_by = limited
        for name in not_ingested:
            self.add(name, "rate-limited", f"not ingested: {limited.message}", "skipped")

    def add(self, record: str | None, reason: str, detail: str, severity: str = "warning") -> None:
        if severity == "skipped":
            self.skipped[reason] += 1
        self.problems.append(Problem(0, record, reason, detail, severity))  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        return {
            "repositories": self.repositories,
            "commits": self.commits,
            "signatures": dict(sorted(self.signatures.items())),
            "collaborators": self.collaborators,
            "access_unknown": sorted(self.access_unknown),
            "contributors": self.contributors,
            "members": self.members,
            "protected": self.protected,
            "linked_models": self.linked_models,
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
            "requests": self.requests,
            "requests_by_repository": dict(self.requests_by_repository),
            "waited_seconds": round(self.waited, 1),
            "code": [c.to_json() for c in self.code],
            "stopped": None if self.stopped_by is None else self.stopped_by.message,
            "problems": [p.to_json() for p in self.problems],
        }


class GitHubRateLimited(MlscError):
    """GitHub's rate limit is spent and resets later than we are willing to wait."""


class Gone(Exception):
    """GitHub answered no (``status``), or not at all (``status`` 0, ``reason`` says why)."""

    def __init__(self, status: int, detail: str, reason: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason


class GitHubClient:
    def __init__(
        self, options: GitHubOptions, report: GitHubReport, sleep: Callable[[float], None]
    ) -> None:
        from github import Auth, Github

        token = options.token if options.token is not None else os.environ.get("GITHUB_TOKEN")
        self.gh = Github(
            base_url=(options.base_url or "https://api.github.com").rstrip("/"),
            auth=Auth.Token(token) if token else None,
            timeout=options.timeout,
            per_page=PER_PAGE,
            retry=None,  # ours below: counted, testable, and honest about waits
            seconds_between_requests=options.throttle or None,
        )
        self.options, self.report, self._sleep = options, report, sleep

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """One request (or one page walk) with rate-limit waits and transient retries."""
        from github import GithubException, RateLimitExceededException
        from requests import RequestException

        attempt = 0
        while True:
            self.report.requests += 1
            try:
                return fn()
            except GithubException as exc:
                headers = {str(k).lower(): v for k, v in (exc.headers or {}).items()}
                limited = isinstance(exc, RateLimitExceededException) or (
                    exc.status in (403, 429)
                    and ("retry-after" in headers or headers.get("x-ratelimit-remaining") == "0")
                )
                if not limited:
                    status = exc.status or 0
                    if status in (500, 502, 503, 504) and attempt < self.options.retries:
                        attempt += 1
                        self._sleep(min(2.0**attempt, 30.0))
                        continue
                    data = exc.data if isinstance(exc.data, dict) else {}
                    message = data.get("message") or ""
                    raise Gone(status, f"{what}: HTTP {status} {message}".strip()) from None
                wait = reset_wait(headers)
                if wait > self.options.max_wait:
                    at = datetime.now(UTC).timestamp() + wait
                    raise GitHubRateLimited(
                        f"GitHub's rate limit is spent ({what}); it resets at "
                        f"{datetime.fromtimestamp(at, UTC):%H:%M} UTC, in {wait / 60:.0f} min",
                        hint="Rerun then (what was written stays); set GITHUB_TOKEN for a "
                        "higher limit, or raise --max-wait.",
                    ) from None
                self.report.waited += wait
                self._sleep(wait)
            except (ValueError, TypeError) as exc:  # a malformed answer
                raise Gone(0, f"{what}: unreadable answer ({type(exc).__name__})") from None
            except RequestException as exc:  # refused, reset, timed out: no answer at all
                if attempt < self.options.retries:
                    attempt += 1
                    self._sleep(min(2.0**attempt, 30.0))
                    continue
                raise Gone(
                    0, f"{what}: no answer from GitHub ({type(exc).__name__})", "unreachable"
                ) from None

    def pages(self, what: str, paginated: Any, limit: int | None = None) -> Iterator[Any]:
        """Items of a PaginatedList, page by page, each page through ``call``."""
        page = 0
        seen = 0
        while True:
            items = self.call(
                f"{what} page {page + 1}", functools.partial(paginated.get_page, page)
            )
            for item in items:
                yield item
                seen += 1
                if limit is not None and seen >= limit:
                    return
            if len(items) < PER_PAGE:  # a short (or empty) page is the last one
                return
            page += 1


def reset_wait(headers: dict[str, Any]) -> float:
    lowered = {str(k).lower(): v for k, v in headers.items()}
    if lowered.get("retry-after"):
        try:
            return max(float(lowered["retry-after"]), 1.0)
        except ValueError:
            pass
    if lowered.get("x-ratelimit-reset"):
        try:
            return max(float(lowered["x-ratelimit-reset"]) - time.time(), 0.0) + 1.0
        except ValueError:
            pass
    return 60.0
