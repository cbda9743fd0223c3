"""Ingest code repositories from GitHub with the real PyGithub client: commits with their
signature verification, contributors, collaborators and their permissions, organisation
members and roles, default-branch protection.

    >>> from mlsc.graph import open_store
    >>> from mlsc.ingest.github import GitHubOptions, ingest_github
    >>> with open_store() as store:                                        # doctest: +SKIP
    ...     report = ingest_github(store, GitHubOptions(repos=("huggingface/transformers",)))

Repositories come from ``repos`` (OWNER/NAME) and, with ``from_models``, from the github.com
links that Hub crawls found in model cards (``Model.code_links``); those models get a
``CODE_AT`` edge to the repository. GitHub accounts are actors named ``github:<login>`` (so
they never merge with a Hugging Face account of the same name). Commits are keyed by sha like
every other ingester's, so a commit also seen in a clone is one node.

Token from ``GITHUB_TOKEN`` (never printed or logged); without one GitHub allows 60 requests
an hour. A rate limit (403 or 429 with ``X-RateLimit-Remaining: 0``, or ``Retry-After``)
waits until the reset when that is within ``max_wait``, else stops with a message saying
when to resume; what was written stays written (writes are idempotent). Listing
collaborators needs push access: without it access is recorded as unknown
(``access_known = false``), not as "nobody".
"""

from __future__ import annotations

import functools
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson

from mlsc.errors import InputError, MlscError
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.ingest.interface import MAX_TEXT, Problem, authorship
from mlsc.vocab import github_repos_in, is_github_repo, utc_now, utc_stamp

SOURCE = "github"
PER_PAGE = 100
"""Items per page of a listing: GitHub's maximum."""
PERMISSIONS = ("admin", "maintain", "push", "triage", "pull")
"""Strongest first."""

T = TypeVar("T")


def signature_kind(signature: str | None) -> str | None:
    """gpg, ssh or x509 from a signature's armour."""
    if not signature:
        return None
    if "BEGIN SSH SIGNATURE" in signature:
        return "ssh"
    if "BEGIN SIGNED MESSAGE" in signature or "BEGIN CERTIFICATE" in signature:
        return "x509"
    return "gpg"


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
    waited: float = 0.0

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
            "waited_seconds": round(self.waited, 1),
            "problems": [p.to_json() for p in self.problems],
        }


class GitHubRateLimited(MlscError):
    """GitHub's rate limit is spent and resets later than we are willing to wait."""


class _Gone(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


class _Client:
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
                    raise _Gone(status, f"{what}: HTTP {status} {message}".strip()) from None
                wait = _reset_wait(headers)
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
                raise _Gone(0, f"{what}: unreadable answer ({type(exc).__name__})") from None

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


def _reset_wait(headers: dict[str, Any]) -> float:
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


def _highest(permissions: Any) -> str | None:
    for name in PERMISSIONS:
        if getattr(permissions, name, False):
            return name
    return None


def ingest_github(
    store: GraphStore,
    options: GitHubOptions,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> GitHubReport:
    """Ingest ``options.repos`` (and with ``from_models`` the repos model cards link)."""
    wanted: dict[str, list[str]] = {}
    for name in options.repos:
        name = name.strip().removeprefix("https://github.com/").strip("/")
        if not is_github_repo(name):
            raise InputError(f"{name[:120]!r} is not OWNER/NAME", hint="e.g. huggingface/peft")
        wanted.setdefault(name, [])
    if options.from_models:
        rows = store.cypher(
            "MATCH (m:Model) WHERE m.code_links IS NOT NULL RETURN m.id, m.code_links"
        ).rows
        for model_id, links in rows:
            for name in github_repos_in(links or []):
                wanted.setdefault(name, []).append(model_id)
    if not wanted:
        raise InputError(
            "no repositories to ingest",
            hint="Give OWNER/NAME, or --from-models after `mlsc ingest hf` found card links.",
        )
    report = GitHubReport()
    client = _Client(options, report, sleep)
    host = _host(options.base_url)
    stamp = options.observed_at or utc_now()
    prov = {"source": SOURCE, "observed_at": stamp}
    orgs_done: set[str] = set()
    for name, models in wanted.items():
        try:
            batch = _repository(client, store, name, models, host, prov, orgs_done)
        except _Gone as gone:
            reason = {404: "missing", 403: "forbidden", 401: "unauthorized"}.get(
                gone.status, f"http-{gone.status}"
            )
            report.add(name, reason, str(gone), "skipped")
            continue
        store.write(batch)
        report.repositories += 1
    return report


def _host(base_url: str | None) -> str:
    if not base_url or "api.github.com" in base_url:
        return "github.com"
    from urllib.parse import urlsplit

    return urlsplit(base_url).hostname or "github.com"


def _repository(
    client: _Client,
    store: GraphStore,
    name: str,
    models: list[str],
    host: str,
    prov: dict[str, Any],
    orgs_done: set[str],
) -> GraphBatch:
    report, options = client.report, client.options
    repo = client.call(name, lambda: client.gh.get_repo(name))
    rid = f"{host}/{repo.full_name}"
    owner = repo.owner
    owner_key = f"github:{owner.login}"
    nodes: list[NodeRecord] = [
        NodeRecord(
            "Actor",
            owner_key,
            {"hub": "github", "kind": "org" if owner.type == "Organization" else "user", **prov},
        )
    ]
    edges: list[EdgeRecord] = []
    branch = repo.default_branch
    protected: bool | None
    protection: str | None = None
    try:
        rules = client.call(f"{name} protection", lambda: repo.get_branch(branch).get_protection())
        protected = True
        protection = orjson.dumps(
            {
                "required_signatures": _flag(rules, "required_signatures"),
                "enforce_admins": _flag(rules, "enforce_admins"),
                "required_reviews": getattr(
                    getattr(rules, "required_pull_request_reviews", None),
                    "required_approving_review_count",
                    None,
                ),
                "allow_force_pushes": _flag(rules, "allow_force_pushes"),
            }
        ).decode()
        report.protected += 1
    except _Gone as gone:
        # "Branch not protected" is a 404; so is a protection the token may not read.
        protected = False if "not protected" in str(gone).lower() else None
        if protected is None:
            report.add(rid, "protection-unknown", str(gone))
    access_known = True
    try:
        for user in client.pages(f"{name} collaborators", repo.get_collaborators()):
            key = f"github:{user.login}"
            nodes.append(NodeRecord("Actor", key, {"hub": "github", "kind": "user", **prov}))
            edges.append(
                EdgeRecord(
                    "HAS_ACCESS",
                    "Actor",
                    key,
                    "CodeRepository",
                    rid,
                    {"permission": _highest(user.permissions), **prov},
                )
            )
            report.collaborators += 1
    except _Gone as gone:
        access_known = False
        report.access_unknown.append(rid)
        report.add(rid, "access-unknown", f"{gone} (listing collaborators needs push access)")
    nodes.append(
        NodeRecord(
            "CodeRepository",
            rid,
            {
                "host": host,
                "url": repo.html_url,
                "default_branch": branch,
                "owner": owner_key,
                "stars": repo.stargazers_count,
                "fork": repo.fork,
                "archived": repo.archived,
                "protected": protected,
                "protection": protection,
                "access_known": access_known,
                **prov,
            },
        )
    )
    try:
        for user in client.pages(f"{name} contributors", repo.get_contributors(), 500):
            key = f"github:{user.login}"
            nodes.append(NodeRecord("Actor", key, {"hub": "github", **prov}))
            edges.append(
                EdgeRecord(
                    "CONTRIBUTED",
                    "Actor",
                    key,
                    "CodeRepository",
                    rid,
                    {"contributions": user.contributions, **prov},
                )
            )
            report.contributors += 1
    except _Gone as gone:
        report.add(rid, "contributors-unknown", str(gone))
    latest = store.cypher(
        "MATCH (:CodeRepository {id: $r})-[:HAS_COMMIT]->(c:Commit) WHERE c.source = $s "
        "RETURN max(c.committed_at)",
        {"r": rid, "s": SOURCE},
    ).rows
    since = latest[0][0] if latest and latest[0][0] else None
    listing = (
        repo.get_commits(sha=branch, since=datetime.fromisoformat(since.replace("Z", "+00:00")))
        if since
        else repo.get_commits(sha=branch)
    )
    limit = None if since else options.max_commits
    try:
        for c in client.pages(f"{name} commits", listing, limit):
            nodes_, edges_ = _commit(c, rid, prov, report)
            nodes += nodes_
            edges += edges_
    except _Gone as gone:  # e.g. an empty repository (409), or commits hidden from us
        report.add(rid, "commits-unknown", str(gone))
    if owner.type == "Organization" and options.members and owner.login not in orgs_done:
        orgs_done.add(owner.login)
        try:
            org = client.call(f"org {owner.login}", lambda: client.gh.get_organization(owner.login))
            admins = {
                u.login
                for u in client.pages(f"{owner.login} admins", org.get_members(role="admin"))
            }
            for user in client.pages(f"{owner.login} members", org.get_members()):
                key = f"github:{user.login}"
                nodes.append(NodeRecord("Actor", key, {"hub": "github", "kind": "user", **prov}))
                role = "admin" if user.login in admins else "member"
                edges.append(
                    EdgeRecord(
                        "MEMBER_OF", "Actor", key, "Actor", owner_key, {"role": role, **prov}
                    )
                )
                report.members += 1
        except _Gone as gone:
            report.add(owner_key, "members-unknown", str(gone))
    for model_id in models:
        if store.node("Model", model_id) is not None:
            edges.append(
                EdgeRecord(
                    "CODE_AT", "Model", model_id, "CodeRepository", rid,
                    {"evidence": ["card:github-link"], **prov},
                )
            )  # fmt: skip
            report.linked_models += 1
    return GraphBatch(nodes, edges)


def _flag(rules: Any, name: str) -> bool | None:
    value = getattr(rules, name, None)
    if isinstance(value, bool) or value is None:
        return value
    return bool(getattr(value, "enabled", value))


def _commit(
    c: Any, rid: str, prov: dict[str, Any], report: GitHubReport
) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    git = c.commit
    verification = git.verification
    verified = getattr(verification, "verified", None)
    reason = getattr(verification, "reason", None)
    signature = getattr(verification, "signature", None)
    author, committer = git.author, git.committer
    nodes = [
        NodeRecord(
            "Commit",
            c.sha,
            {
                "repo": rid,
                "sha": c.sha,
                "title": (git.message or "").split("\n", 1)[0][:MAX_TEXT],
                "authored_at": utc_stamp(getattr(author, "date", None)),
                "committed_at": utc_stamp(getattr(committer, "date", None)),
                "author_name": (getattr(author, "name", None) or "")[:MAX_TEXT] or None,
                "author_email": (getattr(author, "email", None) or "")[:MAX_TEXT] or None,
                "committer_name": (getattr(committer, "name", None) or "")[:MAX_TEXT] or None,
                "committer_email": (getattr(committer, "email", None) or "")[:MAX_TEXT] or None,
                "signature": signature_kind(signature),
                "verified": bool(verified) if signature else None,
                "verification_reason": reason,
                "parents": [p.sha for p in c.parents],
                **prov,
            },
        )
    ]
    edges = [EdgeRecord("HAS_COMMIT", "CodeRepository", rid, "Commit", c.sha, prov)]
    for login, role in authorship(
        getattr(c.author, "login", None), getattr(c.committer, "login", None)
    ):
        key = f"github:{login}"
        nodes.append(NodeRecord("Actor", key, {"hub": "github", **prov}))
        edges.append(EdgeRecord("AUTHORED", "Actor", key, "Commit", c.sha, {"role": role, **prov}))
    report.commits += 1
    report.signatures[reason or "unknown"] += 1
    return nodes, edges
