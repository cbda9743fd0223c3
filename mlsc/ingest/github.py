"""Ingest code repositories from GitHub with the real PyGithub client: commits with their
signature verification, contributors, collaborators and their permissions, organisation
members and roles, default-branch protection; with ``code``, the models the code loads
(:mod:`mlsc.ingest.github_code`).

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
waits until the reset when that is within ``max_wait``; beyond it the run stops asking,
names every repository it did not ingest (``rate-limited``) and returns its counts, with
``GitHubReport.stopped_by`` saying when to resume; what was written stays written (writes
are idempotent). Listing
collaborators needs push access: without it access is recorded as unknown
(``access_known = false``), not as "nobody".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from mlsc.errors import InputError
from mlsc.graph.reads_ingest import code_links, latest_commit_time
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.ingest.github_client import (
    GitHubClient,
    GitHubOptions,
    GitHubRateLimited,
    GitHubReport,
    Gone,
)
from mlsc.ingest.interface import MAX_TEXT, authorship
from mlsc.vocab import github_repos_in, is_github_repo, utc_now, utc_stamp

SOURCE = "github"
PERMISSIONS = ("admin", "maintain", "push", "triage", "pull")
"""Strongest first."""


def signature_kind(signature: str | None) -> str | None:
    """gpg, ssh or x509 from a signature's armour."""
    if not signature:
        return None
    if "BEGIN SSH SIGNATURE" in signature:
        return "ssh"
    if "BEGIN SIGNED MESSAGE" in signature or "BEGIN CERTIFICATE" in signature:
        return "x509"
    return "gpg"


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
        for model_id, links in code_links(store):
            for name in github_repos_in(links):
                wanted.setdefault(name, []).append(model_id)
    if not wanted:
        raise InputError(
            "no repositories to ingest",
            hint="Give OWNER/NAME, or --from-models after `mlsc ingest hf` found card links.",
        )
    report = GitHubReport()
    client = GitHubClient(options, report, sleep)
    host = _host(options.base_url)
    stamp = options.observed_at or utc_now()
    prov = {"source": SOURCE, "observed_at": stamp}
    orgs_done: set[str] = set()
    names = list(wanted)
    for at, (name, models) in enumerate(wanted.items()):
        start, tallies = report.requests, report.tallies()
        try:
            batch, repo = _repository(client, store, name, models, host, prov, orgs_done)
        except GitHubRateLimited as limited:  # every later request would be refused too
            report.requests_by_repository[name] = report.requests - start
            report.stop(limited, names[at:], tallies)
            break
        except Gone as gone:
            reason = gone.reason or {404: "missing", 403: "forbidden", 401: "unauthorized"}.get(
                gone.status, f"http-{gone.status}"
            )
            report.add(name, reason, str(gone), "skipped")
            report.requests_by_repository[name] = report.requests - start
            continue
        store.write(batch)
        report.repositories += 1
        if options.code:
            _code(client, store, repo, f"{host}/{repo.full_name}", host, stamp)
        report.requests_by_repository[name] = report.requests - start
    return report


def _code(
    client: GitHubClient, store: GraphStore, repo: Any, rid: str, host: str, stamp: str
) -> None:
    """Read the repository's code; a refusal, no answer or a spent rate limit is reported
    for this repository, and the batch goes on."""
    from mlsc.ingest.github_code import read_github_code

    try:
        client.report.code.append(read_github_code(client, store, repo, rid, host, stamp))
    except Gone as gone:
        client.report.add(rid, f"code-{gone.reason or 'unknown'}", str(gone))
    except GitHubRateLimited as limited:
        client.report.add(rid, "code-rate-limited", f"{limited.message}; {limited.hint}")


def _host(base_url: str | None) -> str:
    if not base_url or "api.github.com" in base_url:
        return "github.com"
    from urllib.parse import urlsplit

    return urlsplit(base_url).hostname or "github.com"


def _repository(
    client: GitHubClient,
    store: GraphStore,
    name: str,
    models: list[str],
    host: str,
    prov: dict[str, Any],
    orgs_done: set[str],
) -> tuple[GraphBatch, Any]:
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
    except Gone as gone:
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
    except Gone as gone:
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
    except Gone as gone:
        report.add(rid, "contributors-unknown", str(gone))
    since = latest_commit_time(store, rid, SOURCE)
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
    except Gone as gone:  # e.g. an empty repository (409), or commits hidden from us
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
        except Gone as gone:
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
    return GraphBatch(nodes, edges), repo


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


__all__ = [
    "SOURCE",
    "GitHubOptions",
    "GitHubRateLimited",
    "GitHubReport",
    "ingest_github",
    "signature_kind",
]
