"""A local GitHub REST API on 127.0.0.1 for the real ``PyGithub`` client (2.10.x).

    >>> from github import Auth, Github                                     # doctest: +SKIP
    >>> with GitHubServer(synthetic_github()) as server:                    # doctest: +SKIP
    ...     gh = Github(base_url=server.url, auth=Auth.Token(TOKEN), retry=None,
    ...                 seconds_between_requests=None)
    ...     [c.commit.verification.reason for c in gh.get_repo(VISION).get_commits()]

It serves two things, through one socket:

* **Replayed exchanges** (:class:`Replay`): PyGithub's own recordings of api.github.com
  (``data/github/ReplayData``, LGPL-3.0, see the README there), parsed by
  :func:`parse_replay`. A request is matched by method, path and query (parameters in any
  order; then without ``page=1``/``per_page``; then by path alone when that path was recorded
  with one query only). A path recorded several times answers in recorded order, then repeats
  its last answer. Absolute ``https://api.github.com`` URLs in bodies and in ``Link`` and
  ``Location`` headers are rewritten to this server, so ``url`` fields, lazy completion and
  pagination stay here. ``Content-Length``/``Transfer-Encoding``/``Content-Encoding`` of the
  recording are dropped (the body is served plain).
* **A synthetic GitHub** (:class:`GitHub`, built by :func:`synthetic_github`): users, orgs,
  repositories, commits, branches, protection and collaborators, with the access rules below.

Endpoints of the synthetic GitHub, and the real behaviour each mirrors (shapes checked against
the recordings and the attributes PyGithub 2.10 parses):

``GET /repos/{o}/{r}`` and ``GET /repositories/{id}``
    The full repository: ``id, node_id, name, full_name, private, owner{simple user},
    html_url, description, fork, url``, the ``*_url`` templates, dates, counts, ``license``,
    ``topics``, ``visibility``, ``default_branch``, ``permissions{admin, maintain, push,
    triage, pull}`` of the caller (authenticated callers only) and ``organization`` for
    org-owned repos. Logins and names match case-insensitively, as on GitHub. A private
    repository the caller cannot see is ``404 Not Found`` (GitHub hides it). Sub-resources
    work under both prefixes; ``Link`` headers use ``/repositories/{id}/...`` as GitHub's do.
``GET /repos/{o}/{r}/commits`` (``Repository.get_commits``)
    The default branch's history, newest first; ``sha`` (branch or commit), ``author``
    (login or email), ``since``/``until`` (committer date) and ``path``. Pages of ``per_page``
    (default 30, at most 100) with ``Link: <...?page=2>; rel="next", <...>; rel="last"`` (plus
    ``prev``/``first`` after page 1), exactly GitHub's format. Items: ``sha, node_id,
    commit{author, committer, message, tree, url, comment_count, verification}, url,
    html_url, comments_url, author, committer, parents``. ``author``/``committer`` are the
    GitHub users whose verified (or ``{id}+{login}@users.noreply.github.com``) email is the
    git email, else ``null``.
``GET /repos/{o}/{r}/commits/{ref}`` (``get_commit``) and ``/git/commits/{sha}``
    One commit (full sha, unique 7+ char prefix or branch name) with ``stats`` and ``files``;
    unknown: ``422 No commit found for SHA: x``. ``/git/commits`` is the git object view
    (``sha, node_id, url, html_url, author, committer, tree, message, parents,
    verification``).
``verification``
    ``{verified, reason, signature, payload, verified_at}``: GPG-signed commits carry an
    armored ``-----BEGIN PGP SIGNATURE-----`` block, SSH-signed ones ``-----BEGIN SSH
    SIGNATURE-----``; ``payload`` is the signed git commit object (``tree/parent/author/
    committer`` lines, blank line, message) and the commit sha is the real git hash of that
    object with its ``gpgsig`` header, so ``payload`` is consistent with ``sha``. Unsigned:
    ``verified: false, reason: "unsigned"`` and ``null`` signature, payload and verified_at.
    Bad signatures keep signature and payload with ``verified: false`` and GitHub's reason
    (``bad_email``: the committer email is not an identity of the signing key;
    ``unknown_key``: the key is on no account).
``GET /repos/{o}/{r}/branches[/{b}]``, ``/branches/{b}/protection[/required_signatures]``
    Branch items ``name, commit{sha,url}, protected, protection_url``; one branch adds the
    full commit, ``_links`` and ``protection{enabled, required_status_checks}``. Protection
    needs admin on the repo (else ``404 Not Found``) and is ``404 Branch not protected`` for an
    unprotected branch (PyGithub raises a plain ``GithubException`` for that one: the message
    has no "not found" in it). The protection body has GitHub's shape: ``url,
    required_status_checks{strict, contexts, checks}, required_pull_request_reviews{...},
    required_signatures{enabled}, enforce_admins{enabled}``, ``required_linear_history``,
    ``allow_force_pushes``, ``allow_deletions``, ``block_creations``,
    ``required_conversation_resolution``, ``lock_branch``, ``allow_fork_syncing``.
``GET /repos/{o}/{r}/collaborators`` (``get_collaborators``), ``/collaborators/{u}``,
``/collaborators/{u}/permission`` (``get_collaborator_permission``)
    Need push access: anonymous callers get ``401 Requires authentication``, callers without
    push ``403 Must have push access to view repository collaborators.`` (``... to view
    collaborator permission.`` for the permission endpoint, as recorded). Items are simple
    users plus ``permissions{admin, maintain, push, triage, pull}`` and ``role_name`` (admin,
    maintain, write, triage, read). ``affiliation=direct`` lists the explicit collaborators
    (and a user repo's owner), ``outside`` those who are not org members, ``all`` (default)
    adds org owners (admin) and org members through the org's base permission; ``permission=``
    keeps users having at least that level. ``/permission`` answers ``{permission, role_name,
    user}`` with GitHub's legacy ``permission`` (admin, write, read, none: maintain reads
    ``write``, triage ``read``).
``GET /repos/{o}/{r}/contributors``
    Users with ``contributions`` (commits authored on the default branch), most first;
    authors without an account only with ``anon=1`` (``type: "Anonymous"``).
``GET /orgs/{o}``, ``/orgs/{o}/members``, ``/orgs/{o}/members/{u}``, ``/orgs/{o}/public_members``,
``/orgs/{o}/memberships/{u}``, ``/orgs/{o}/repos``
    Members (``role=all|admin|member``) are all members for an org member, only public members
    for anyone else, as on GitHub. ``members/{u}``: 204 or 404 for members; a non-member asking
    gets ``302`` to ``public_members/{u}`` (PyGithub's ``has_in_members`` follows it).
    Membership: ``{url, state: "active", role: "admin"|"member", organization_url,
    organization, user}``; a caller outside the org gets ``403``, a non-member user ``404``.
``GET /users/{u}``, ``/users/{u}/orgs``, ``/users/{u}/repos``, ``GET /user``,
``/user/memberships/orgs[/{o}]``
    Public user (an org's login answers the org as ``type: "Organization"``); ``/user`` is the
    token's owner with private fields (``401 Requires authentication`` without a token).
``GET /rate_limit``
    ``{resources{core, search, graphql, ...}, rate}`` of the caller; free, as on GitHub.

Every synthetic answer carries GitHub's headers: ``X-RateLimit-Limit/Remaining/Reset/Used/
Resource`` (per identity: 5,000 an hour with a token, 60 without; lower them with
``GitHubServer(rate_limit=...)``), ``X-GitHub-Media-Type``, ``X-GitHub-Api-Version-Selected``,
``X-GitHub-Request-Id``, a weak ``ETag``, and ``X-OAuth-Scopes`` for tokens. An exhausted
budget is GitHub's primary limit: ``403`` with ``X-RateLimit-Remaining: 0`` and ``API rate
limit exceeded for user ID n. ...``. A token the server does not know is ``401 Bad
credentials``. Other methods than GET and HEAD are ``404 Not Found`` unless replayed.

Findings about the real client (PyGithub 2.10.0 on requests 2.34 / urllib3 2.x), pinned by
``test_github.py``:

* Auth: ``Auth.Token(t)`` sends ``Authorization: token <t>`` (so do app installation
  tokens; ``Bearer`` is only for app JWTs, ``Auth.AppAuth``). PyGithub's own DEBUG log line
  of each request (logger ``github.Requester``) masks it as ``token (oauth token removed)``;
  this server keeps the raw header in :attr:`LoggedRequest.headers`.
* ``base_url``: every request goes to ``base_url``'s host and port; absolute URLs from
  responses (``url`` fields, ``Link``) are reduced to their path and query and sent to that
  same connection (``Requester.__makeAbsoluteUrl``), so the rewriting above is for fidelity,
  not a necessity. With ``Github(lazy=False)`` (the default) ``get_repo``,
  ``get_organization`` and ``get_user(login)`` fetch at once (one GET each); ``get_user()``
  (the token's own user) stays lazy until an attribute is read.
* Throttling: ``seconds_between_requests`` defaults to 0.25 s and ``seconds_between_writes``
  to 1 s (``Consts.DEFAULT_SECONDS_BETWEEN_*``): before each request PyGithub sleeps until
  that long after the previous request finished. Pass ``seconds_between_requests=None`` (or 0) and
  ``seconds_between_writes=None`` for tests; 30 requests otherwise cost 7 s.
* Retries: the default is ``Github.default_retry = GithubRetry()``: urllib3 ``Retry`` with
  ``total=10``, ``backoff_factor=0`` (no sleep between 5xx retries), ``status_forcelist``
  500-599 plus 403, ``respect_retry_after_header=True``. A 5xx is retried at once, up to 10
  times, then raises ``requests.exceptions.RetryError`` (not a ``GithubException``). A 403 is
  retried only when its body is a rate-limit message or it has ``Retry-After``: a primary
  limit sleeps until ``X-RateLimit-Reset`` + 1 s, a secondary one ``Retry-After`` seconds or
  ``secondary_rate_wait`` (60 s) without it; 429 with ``Retry-After`` is retried by urllib3
  (sleeping ``Retry-After``), 429 without it is not. ``GithubRetry(max_rate_limit_wait=s)``
  raises ``RateLimitExceededExceedsMaxWait`` (a ``RateLimitExceededException`` with
  ``.wait``) instead of sleeping longer than ``s``. For tests pass ``retry=None`` (requests'
  ``DEFAULT_RETRIES`` = 0: one request, errors raised at once), or
  ``GithubRetry(total=n, secondary_rate_wait=0, backoff_factor=0)`` with faults whose
  ``Retry-After`` is 0 and whose reset is in the past (no sleep at all).
* Exceptions (``Requester.createException``): ``403`` whose message starts with "API rate
  limit exceeded" or "You have exceeded a secondary rate limit" (or ends with "please wait a
  few minutes before you try again.") -> ``RateLimitExceededException`` (its ``.message``
  is None, the text is ``.data["message"]``); the reset time is
  ``int(e.headers["x-ratelimit-reset"])`` (header names are lower-cased) and
  ``Github.rate_limiting_resettime`` after the failed call. ``429`` is a plain
  ``GithubException`` with ``status == 429`` whatever its body. ``404`` whose message contains
  "not found" -> ``UnknownObjectException``; ``401 Bad credentials`` ->
  ``BadCredentialsException``; other statuses -> ``GithubException``. A non-JSON error body
  becomes ``e.data == {"data": body}``; a truncated JSON body (starts with ``{``) raises
  ``json.JSONDecodeError`` from the client, not a ``GithubException``.
* Verification: ``commit.commit.verification`` is a ``github.GitCommitVerification.
  GitCommitVerification`` (not a dict; ``Commit`` has no ``verification`` of its own) with
  ``verified`` (bool), ``reason``, ``signature``, ``payload`` (str or None) and
  ``verified_at`` (datetime or None). It is read from the list item, no extra request.
* Org roles: PyGithub 2.10 has no ``Organization.get_membership``; a member's role is
  ``NamedUser.get_organization_membership(org).role`` (``GET /orgs/{o}/memberships/{u}``) or,
  for the token's own user, ``AuthenticatedUser.get_organization_membership(org)``
  (``GET /user/memberships/orgs/{o}``). ``Organization.get_members(role="admin")`` filters.
* Exact requests: ``get_commits()`` -> ``GET /repos/o/r/commits`` then the ``Link`` URLs
  (path kept, query re-encoded: ``?per_page=50&page=2`` is sent as ``?page=2&per_page=50``);
  ``get_commit(sha)`` -> ``GET /repos/o/r/commits/{sha}?page=1`` (files are paginated);
  ``get_branch(b)`` -> ``GET /repos/o/r/branches/{b}``, then ``get_protection()`` ->
  ``GET {protection_url}`` with ``Accept: application/vnd.github.luke-cage-preview+json``;
  ``Github(per_page=n)`` adds ``per_page=n`` to list requests. Every request carries
  ``User-Agent: PyGithub/Python``.
"""

from __future__ import annotations

import ast
import base64
import fnmatch
import hashlib
import json
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from tests.replay.serving import FaultRule, ReplayHandler, ThreadedServer

__all__ = [
    "DATA",
    "GITHUB_API",
    "NOTEBOOKS",
    "PERMISSIONS",
    "PIPELINE",
    "REPLAY_DIR",
    "SECRET",
    "TOKEN",
    "TOKEN_READ_ONLY",
    "VISION",
    "VISION_HEAD",
    "WEIGHTS",
    "Branch",
    "Commit",
    "CommitFile",
    "Exchange",
    "Fault",
    "FaultRule",
    "GitHub",
    "GitHubServer",
    "LoggedRequest",
    "Organization",
    "Person",
    "Protection",
    "Replay",
    "ReplayFormatError",
    "Repository",
    "User",
    "build_commit",
    "load_replay",
    "parse_replay",
    "synthetic_github",
]

GITHUB_API: Final = "https://api.github.com"
"""The host the recordings were made against; rewritten to the local server's URL."""

DATA: Final = Path(__file__).resolve().parent / "data" / "github"
REPLAY_DIR: Final = DATA / "ReplayData"
"""PyGithub's recorded exchanges copied into this repository (LGPL-3.0, see the README)."""

API_VERSION: Final = "2022-11-28"
DOCS: Final = "https://docs.github.com/rest"
RATE_DOCS: Final = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"

PERMISSIONS: Final = ("pull", "triage", "push", "maintain", "admin")
"""Repository permission levels, lowest first (the keys of ``permissions{}``)."""

ROLE_NAMES: Final = {
    "pull": "read",
    "triage": "triage",
    "push": "write",
    "maintain": "maintain",
    "admin": "admin",
}
"""``role_name`` of each level (GitHub's names in the UI)."""

LEGACY_PERMISSION: Final = {
    "pull": "read",
    "triage": "read",
    "push": "write",
    "maintain": "write",
    "admin": "admin",
}
"""``permission`` of ``/collaborators/{u}/permission``: GitHub's older four-level names."""

BASE_PERMISSION: Final = {"none": None, "read": "pull", "write": "push", "admin": "admin"}
"""An org's ``default_repository_permission`` as the level its members get on its repos."""

TOKEN: Final = "ghp_test0000000000000000000000ada0admin0"
"""A classic personal access token of ``ada-admin`` (owner of acme-ml): admin everywhere."""

TOKEN_READ_ONLY: Final = "ghp_test000000000000000000000erin0reader"
"""A token of ``erin-reader``: pull access only, so no collaborators listing (403)."""

MEDIA_TYPE: Final = "github.v3; format=json"
VERBS: Final = frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"})

_EPOCH: Final = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
_HOP_BY_HOP: Final = frozenset(
    {"content-length", "transfer-encoding", "content-encoding", "connection", "server", "date"}
)
_PERSIST_QUERY: Final = frozenset({"page", "per_page"})


def _sha1(*parts: object) -> str:
    return hashlib.sha1("\x00".join(map(str, parts)).encode()).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _node_id(kind: str, ident: int) -> str:
    """GitHub's legacy global node id, e.g. ``MDQ6VXNlcjE=`` for ``04:User1``."""
    raw = f"{len(kind) + 1:02d}:{kind}{ident}"
    return base64.b64encode(raw.encode()).decode()


# =============================================================================== replay


class ReplayFormatError(ValueError):
    """A ReplayData file that does not follow PyGithub's recording format."""


@dataclass(frozen=True)
class Exchange:
    """One recorded request and its response (PyGithub's ``tests/ReplayData`` format).

    ``query`` is the raw query string (no ``?``); ``port`` is None when the recording says
    ``None`` (the scheme's default); ``body`` is the response text as recorded (one line of
    JSON, empty for 204s, or a few lines for streamed downloads).
    """

    scheme: str
    method: str
    host: str
    port: int | None
    path: str
    query: str
    request_headers: Mapping[str, str]
    request_body: str | None
    status: int
    response_headers: tuple[tuple[str, str], ...]
    body: str
    source: str = ""
    index: int = 0

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def header(self, name: str) -> str | None:
        """A response header, matched case-insensitively."""
        return next((v for k, v in self.response_headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        """The response body parsed as JSON (None for an empty body)."""
        return json.loads(self.body) if self.body else None

    def __repr__(self) -> str:
        return f"Exchange({self.source}#{self.index}: {self.method} {self.target} {self.status})"


def _literal(text: str, kind: type, what: str, where: str) -> Any:
    """``ast.literal_eval`` of a repr'd dict or list, tolerating junk before the literal."""
    opener = "{" if kind is dict else "["
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError) as first:
        start = text.find(opener)
        if start < 0:
            message = f"{where}: {what} is not a {kind.__name__}: {text[:80]!r}"
            raise ReplayFormatError(message) from first
        try:
            value = ast.literal_eval(text[start:])
        except (ValueError, SyntaxError) as exc:
            raise ReplayFormatError(f"{where}: cannot read {what}: {text[:80]!r}") from exc
    if not isinstance(value, kind):
        raise ReplayFormatError(f"{where}: {what} is not a {kind.__name__}: {text[:80]!r}")
    return value


def parse_replay(text: str, source: str = "") -> list[Exchange]:
    """The exchanges of one ReplayData file.

    Per exchange, one line each: scheme, method, host, port, path and query, request headers
    (a dict repr), request body (``None`` or text), status, response headers (a list of
    tuples repr), response body; then a blank line. Blank separators may be missing or
    doubled; a body may run over several lines (streamed downloads) up to the next blank line
    followed by a new exchange, or the end.
    """
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    out: list[Exchange] = []

    def starts_exchange(j: int) -> bool:
        return j + 1 < len(lines) and lines[j] in ("http", "https") and lines[j + 1] in VERBS

    i = 0
    while i < len(lines):
        if lines[i] == "":
            i += 1
            continue
        where = f"{source or '<text>'}:{i + 1}"
        if not starts_exchange(i):
            raise ReplayFormatError(f"{where}: expected a scheme and a method: {lines[i][:80]!r}")
        if i + 9 >= len(lines):
            raise ReplayFormatError(f"{where}: truncated exchange")
        scheme, method, host, port_text, url = lines[i : i + 5]
        if port_text != "None" and not port_text.isdigit():
            raise ReplayFormatError(f"{where}: bad port {port_text!r}")
        request_headers = _literal(lines[i + 5], dict, "request headers", where)
        request_body = None if lines[i + 6] == "None" else lines[i + 6]
        try:
            status = int(lines[i + 7])
        except ValueError as exc:
            raise ReplayFormatError(f"{where}: bad status {lines[i + 7]!r}") from exc
        response_headers = _literal(lines[i + 8], list, "response headers", where)
        body = [lines[i + 9]]
        j = i + 10
        while j < len(lines):
            if lines[j] == "":
                k = j
                while k < len(lines) and lines[k] == "":
                    k += 1
                if k >= len(lines) or starts_exchange(k):
                    break
            elif starts_exchange(j):
                break
            body.append(lines[j])
            j += 1
        parts = urlsplit(url)
        out.append(
            Exchange(
                scheme=scheme,
                method=method,
                host=host,
                port=None if port_text == "None" else int(port_text),
                path=parts.path,
                query=parts.query,
                request_headers={str(k): str(v) for k, v in request_headers.items()},
                request_body=request_body,
                status=status,
                response_headers=tuple((str(k), str(v)) for k, v in response_headers),
                body="\n".join(body),
                source=source,
                index=len(out),
            )
        )
        i = j
    return out


def load_replay(path: str | Path) -> list[Exchange]:
    """The exchanges of one ReplayData file (UTF-8)."""
    path = Path(path)
    return parse_replay(path.read_text(encoding="utf-8"), path.name)


def _query_key(query: str, *, loose: bool = False) -> tuple[tuple[str, str], ...]:
    pairs = parse_qsl(query, keep_blank_values=True)
    if loose:
        pairs = [(k, v) for k, v in pairs if k != "per_page" and (k, v) != ("page", "1")]
    return tuple(sorted(pairs))


class Replay:
    """Recorded exchanges, looked up by request. Thread-safe; :meth:`rewind` to start over.

    Lookup order: method + path + query (parameter order ignored); the same ignoring
    ``page=1`` and ``per_page`` (PyGithub versions differ in adding them); method + path
    when the recordings hold that path with one query only. Hosts are ignored (the recordings
    are api.github.com but for a few uploads and enterprise hosts, whose paths differ).
    """

    def __init__(self, exchanges: Iterable[Exchange] = ()) -> None:
        self.exchanges: list[Exchange] = []
        self._exact: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Exchange]] = {}
        self._loose: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Exchange]] = {}
        self._by_path: dict[tuple[str, str], list[Exchange]] = {}
        self._served: Counter[tuple[object, ...]] = Counter()
        self._lock = threading.Lock()
        for ex in exchanges:
            self.add(ex)

    @classmethod
    def from_files(cls, *names: str, directory: Path = REPLAY_DIR) -> Replay:
        """Exchanges of ReplayData files by name (``Commit.setUp`` or ``Commit.setUp.txt``)."""
        replay = cls()
        for name in names:
            filename = name if name.endswith(".txt") else f"{name}.txt"
            for ex in load_replay(directory / filename):
                replay.add(ex)
        return replay

    def add(self, ex: Exchange) -> None:
        path = unquote(ex.path)
        with self._lock:
            self.exchanges.append(ex)
            self._exact.setdefault((ex.method, path, _query_key(ex.query)), []).append(ex)
            loose = (ex.method, path, _query_key(ex.query, loose=True))
            self._loose.setdefault(loose, []).append(ex)
            self._by_path.setdefault((ex.method, path), []).append(ex)

    def rewind(self) -> None:
        with self._lock:
            self._served.clear()

    def _next(self, key: tuple[object, ...], candidates: list[Exchange]) -> Exchange:
        n = self._served[key]
        self._served[key] += 1
        return candidates[min(n, len(candidates) - 1)]

    def match(self, method: str, path: str, query: str) -> tuple[Exchange, str] | None:
        """The exchange answering this request and how it matched (exact, loose, path)."""
        path = unquote(path)
        method = "GET" if method == "HEAD" else method
        with self._lock:
            key = (method, path, _query_key(query))
            if key in self._exact:
                return self._next(("exact", *key), self._exact[key]), "exact"
            key = (method, path, _query_key(query, loose=True))
            if key in self._loose:
                return self._next(("loose", *key), self._loose[key]), "loose"
            candidates = self._by_path.get((method, path), [])
            if candidates and len({_query_key(c.query) for c in candidates}) == 1:
                return self._next(("path", method, path), candidates), "path"
        return None

    def __len__(self) -> int:
        return len(self.exchanges)

    def __repr__(self) -> str:
        sources = sorted({ex.source for ex in self.exchanges})
        return f"Replay({len(self.exchanges)} exchanges from {len(sources)} files)"


# ================================================================================ faults


@dataclass(frozen=True)
class Fault:
    """An HTTP response the server sends instead of the real one.

    ``times``: fail only the first ``times`` requests to each matching path, then answer
    normally (a transient failure); None fails every time. ``after``: let that many requests
    to each path through first (fail page 2 of a listing, whose path is page 1's). Build with
    the class methods, which send GitHub's bodies and headers.
    """

    kind: str
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    times: int | None = None
    after: int = 0
    methods: frozenset[str] = frozenset({"GET", "HEAD"})

    def transient(self, times: int) -> Fault:
        """This fault for the first ``times`` requests to each path, then normal answers."""
        return replace(self, times=times)

    def starting_after(self, requests: int) -> Fault:
        """This fault once ``requests`` requests to each path have been answered normally."""
        return replace(self, after=requests)

    @staticmethod
    def _message(status: int, message: str, documentation_url: str = DOCS) -> bytes:
        data = {"message": message, "documentation_url": documentation_url, "status": str(status)}
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def rate_limited(
        cls,
        reset: int | None = None,
        *,
        status: int = 403,
        limit: int = 5000,
        user_id: int | None = 1,
        resource: str = "core",
        times: int | None = None,
    ) -> Fault:
        """GitHub's primary rate limit: ``X-RateLimit-Remaining: 0`` until ``reset`` (epoch
        seconds; default an hour from now). ``user_id=None``: the anonymous message."""
        reset = int(time.time()) + 3600 if reset is None else reset
        rid = _request_id()
        if user_id is None:
            who = (
                "127.0.0.1. (But here's the good news: Authenticated requests get a higher "
                "rate limit. Check out the documentation for more details.)"
            )
        else:
            who = f"user ID {user_id}."
        message = (
            f"API rate limit exceeded for {who} If you reach out to GitHub Support for help, "
            f"please include the request ID {rid} and timestamp "
            f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M:%S UTC')}."
        )
        headers = (
            ("X-RateLimit-Limit", str(limit)),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", str(reset)),
            ("X-RateLimit-Used", str(limit)),
            ("X-RateLimit-Resource", resource),
        )
        body = cls._message(status, message, RATE_DOCS)
        return Fault("rate_limited", status, headers, body, times=times)

    @classmethod
    def secondary_rate_limited(
        cls, retry_after: int | None = 60, *, status: int = 403, times: int | None = None
    ) -> Fault:
        """GitHub's secondary (abuse) limit: 403 or 429 with ``Retry-After`` seconds; the
        primary budget is untouched (the usual X-RateLimit headers are added)."""
        headers = () if retry_after is None else (("Retry-After", str(retry_after)),)
        message = (
            "You have exceeded a secondary rate limit. Please wait a few minutes before you "
            "try again. If you reach out to GitHub Support for help, please include the "
            f"request ID {_request_id()}."
        )
        body = cls._message(status, message, RATE_DOCS)
        return Fault("secondary_rate_limited", status, headers, body, times=times)

    @classmethod
    def not_found(cls, *, times: int | None = None) -> Fault:
        return Fault("not_found", 404, body=cls._message(404, "Not Found"), times=times)

    @classmethod
    def bad_credentials(cls, *, times: int | None = None) -> Fault:
        return Fault("bad_credentials", 401, body=cls._message(401, "Bad credentials"), times=times)

    @classmethod
    def forbidden(cls, message: str, *, times: int | None = None) -> Fault:
        return Fault("forbidden", 403, body=cls._message(403, message), times=times)

    @classmethod
    def server_error(cls, status: int = 500, *, times: int | None = None) -> Fault:
        """A 5xx with the body of the recorded ones (``{"error": "Server Error"}``); 503 is
        the recorded HTML page of GitHub's load balancer."""
        if status == 503:
            body = (
                b"<html><body><h1>503 Service Unavailable</h1>No server is available to "
                b"handle this request.</body></html>"
            )
            return Fault("server_error", status, body=body, content_type="text/html", times=times)
        return Fault("server_error", status, body=b'{"error": "Server Error"}', times=times)

    @classmethod
    def malformed_json(cls, *, times: int | None = None) -> Fault:
        """200 whose JSON body is cut off mid-way (a truncated response)."""
        body = b'{"id":1296269,"node_id":"MDEwOlJlcG9zaXRvcnkxMjk2MjY5","name":"vision-mo'
        return Fault("malformed_json", 200, body=body, times=times)


def _request_id() -> str:
    h = uuid.uuid4().hex.upper()
    return f"{h[:4]}:{h[4:8]}:{h[8:15]}:{h[15:22]}:{h[22:30]}"


# ========================================================================= synthetic data


@dataclass(frozen=True)
class User:
    """A GitHub account. ``emails``: verified emails commits are linked by (the
    ``{id}+{login}@users.noreply.github.com`` address always links too); ``email``: the
    public one shown on the profile."""

    login: str
    id: int
    name: str | None = None
    email: str | None = None
    emails: tuple[str, ...] = ()
    company: str | None = None
    blog: str = ""
    location: str | None = None
    bio: str | None = None
    type: str = "User"
    site_admin: bool = False
    created_at: str = "2015-03-02T10:00:00Z"
    updated_at: str = "2024-05-01T12:00:00Z"
    followers: int = 0
    following: int = 0

    @property
    def noreply(self) -> str:
        return f"{self.id}+{self.login}@users.noreply.github.com"


@dataclass(frozen=True)
class Organization:
    """An organisation. ``members``: login -> role (``admin`` is an owner, or ``member``);
    ``public_members``: those who made their membership public."""

    login: str
    id: int
    name: str | None = None
    description: str | None = None
    blog: str = ""
    location: str | None = None
    email: str | None = None
    members: Mapping[str, str] = field(default_factory=dict)
    public_members: frozenset[str] = frozenset()
    default_repository_permission: str = "read"
    is_verified: bool = False
    two_factor_requirement_enabled: bool = True
    created_at: str = "2019-06-11T08:30:00Z"
    updated_at: str = "2024-04-02T16:20:00Z"


@dataclass(frozen=True)
class Person:
    """A git identity with a time: the ``author``/``committer`` lines of a commit."""

    name: str
    email: str
    date: str

    @property
    def ident(self) -> str:
        epoch = int(_parse_iso(self.date).timestamp())
        return f"{self.name} <{self.email}> {epoch} +0000"

    def json(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email, "date": self.date}


@dataclass(frozen=True)
class CommitFile:
    filename: str
    status: str = "modified"
    additions: int = 1
    deletions: int = 0

    @property
    def sha(self) -> str:
        return _sha1("blob", self.filename, self.additions, self.deletions)


@dataclass(frozen=True)
class Commit:
    """A commit as GitHub stores it. Build with :func:`build_commit` (which computes the sha
    and the signature); ``verified``/``reason``/``verified_at`` are GitHub's verdict."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    message: str
    signature: str | None = None
    verified: bool = False
    reason: str = "unsigned"
    verified_at: str | None = None
    files: tuple[CommitFile, ...] = ()

    @property
    def signing(self) -> str | None:
        """``gpg``, ``ssh``, ``smime`` or None (unsigned), from the signature's armor."""
        if self.signature is None:
            return None
        if "SSH SIGNATURE" in self.signature:
            return "ssh"
        if "SIGNED MESSAGE" in self.signature:
            return "smime"
        return "gpg"

    @property
    def payload(self) -> str | None:
        """What was signed: the git commit object without its ``gpgsig`` header."""
        if self.signature is None:
            return None
        return _commit_object(self.tree, self.parents, self.author, self.committer, self.message)

    def verification(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "reason": self.reason,
            "signature": self.signature,
            "payload": self.payload,
            "verified_at": self.verified_at,
        }


def _commit_object(
    tree: str,
    parents: Sequence[str],
    author: Person,
    committer: Person,
    message: str,
    signature: str | None = None,
) -> str:
    lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
    lines += [f"author {author.ident}", f"committer {committer.ident}"]
    if signature is not None:
        lines.append("gpgsig " + signature.replace("\n", "\n "))
    return "\n".join(lines) + "\n\n" + message.rstrip("\n") + "\n"


def _armor(kind: str, key_id: str, payload: str) -> str:
    """A deterministic, well-formed (not cryptographically valid) signature block."""
    seed = hashlib.sha512(f"{kind}:{key_id}:{payload}".encode()).digest()
    if kind == "ssh":
        raw = b"SSHSIG\x00\x00\x00\x01" + seed + hashlib.sha256(seed).digest()
        text = base64.b64encode(raw).decode()
        body = "\n".join(text[i : i + 70] for i in range(0, len(text), 70))
        return f"-----BEGIN SSH SIGNATURE-----\n{body}\n-----END SSH SIGNATURE-----"
    raw = bytes.fromhex("88b30400010a001d1621") + key_id.encode() + seed + seed[:40]
    text = base64.b64encode(raw).decode()
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    crc = base64.b64encode(hashlib.md5(raw).digest()[:3]).decode()
    return f"-----BEGIN PGP SIGNATURE-----\n\n{body}\n={crc}\n-----END PGP SIGNATURE-----"


def build_commit(
    *,
    parents: Sequence[str],
    author: Person,
    committer: Person | None = None,
    message: str,
    signing: str | None = None,
    key_id: str = "",
    verified: bool | None = None,
    reason: str | None = None,
    files: Sequence[CommitFile] = (),
) -> Commit:
    """A commit whose sha is the git hash of its object (with ``gpgsig`` when signed).

    ``signing``: None (unsigned), ``gpg`` or ``ssh``. ``verified``/``reason`` default to
    ``True``/``valid`` for signed commits; give ``verified=False, reason="unknown_key"`` (or
    ``bad_email``, ``expired_key``, ...) for a signature GitHub rejects.
    """
    committer = committer or author
    tree = _sha1("tree", message, *(f.filename for f in files), *parents)
    payload = _commit_object(tree, parents, author, committer, message)
    signature = None if signing is None else _armor(signing, key_id, payload)
    obj = _commit_object(tree, parents, author, committer, message, signature).encode()
    sha = hashlib.sha1(b"commit %d\x00" % len(obj) + obj).hexdigest()
    if signing is None:
        is_verified, why = False, "unsigned"
    else:
        is_verified = True if verified is None else verified
        why = reason or ("valid" if is_verified else "invalid")
    verified_at = None
    if is_verified:
        verified_at = _iso(_parse_iso(committer.date) + timedelta(seconds=7))
    return Commit(
        sha=sha,
        tree=tree,
        parents=tuple(parents),
        author=author,
        committer=committer,
        message=message,
        signature=signature,
        verified=is_verified,
        reason=why,
        verified_at=verified_at,
        files=tuple(files),
    )


@dataclass(frozen=True)
class Protection:
    """Branch protection settings (``PUT /repos/{o}/{r}/branches/{b}/protection``'s fields).

    ``required_approving_review_count=None`` means no pull-request review rule.
    """

    required_approving_review_count: int | None = 1
    dismiss_stale_reviews: bool = False
    require_code_owner_reviews: bool = False
    require_last_push_approval: bool = False
    required_status_checks: tuple[str, ...] = ()
    strict: bool = False
    enforce_admins: bool = False
    required_signatures: bool = False
    required_linear_history: bool = False
    allow_force_pushes: bool = False
    allow_deletions: bool = False
    block_creations: bool = False
    required_conversation_resolution: bool = False
    lock_branch: bool = False
    allow_fork_syncing: bool = False


@dataclass(frozen=True)
class Branch:
    name: str
    head: str
    protection: Protection | None = None


@dataclass
class Repository:
    """A repository. ``commits``: the default branch's history, newest first (``head`` of
    the default branch is ``commits[0]``); ``branches``: every branch including the default
    one; ``collaborators``: direct collaborators, login -> permission (PERMISSIONS)."""

    owner: str
    name: str
    id: int
    description: str | None = None
    homepage: str | None = None
    language: str | None = "Python"
    topics: tuple[str, ...] = ()
    license: str | None = "apache-2.0"
    private: bool = False
    fork: bool = False
    archived: bool = False
    default_branch: str = "main"
    commits: list[Commit] = field(default_factory=list)
    branches: dict[str, Branch] = field(default_factory=dict)
    collaborators: dict[str, str] = field(default_factory=dict)
    stargazers_count: int = 0
    forks_count: int = 0
    open_issues_count: int = 0
    created_at: str = "2021-09-14T12:00:00Z"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def commit(self, ref: str) -> Commit | None:
        """A commit by full sha, unique prefix (7+ chars) or branch name."""
        branch = self.branches.get(ref)
        if branch is not None:
            ref = branch.head
        hits = [c for c in self.commits if c.sha == ref]
        if not hits and len(ref) >= 7:
            hits = [c for c in self.commits if c.sha.startswith(ref.lower())]
        return hits[0] if len(hits) == 1 else None

    def history(self, ref: str | None = None) -> list[Commit] | None:
        """Commits reachable from ``ref`` (default branch head), newest first."""
        if ref is None:
            return list(self.commits)
        head = self.commit(ref)
        if head is None:
            return None
        return self.commits[self.commits.index(head) :]

    @property
    def pushed_at(self) -> str:
        return self.commits[0].committer.date if self.commits else self.created_at


_LICENSES: Final = {
    "apache-2.0": ("Apache License 2.0", "Apache-2.0"),
    "mit": ("MIT License", "MIT"),
    "bsd-3-clause": ('BSD 3-Clause "New" or "Revised" License', "BSD-3-Clause"),
}


class GitHub:
    """Users, organisations, repositories, tokens and faults: what a GitHubServer serves.

    Mutable between requests. Logins and repository names are matched case-insensitively
    (as GitHub does in URLs); answers use the stored spelling. ``tokens``: token -> login of
    its owner; a token not in it is ``401 Bad credentials``.
    """

    def __init__(
        self,
        *,
        users: Iterable[User] = (),
        organizations: Iterable[Organization] = (),
        repositories: Iterable[Repository] = (),
        tokens: Mapping[str, str] | None = None,
    ) -> None:
        self.users: dict[str, User] = {}
        self.organizations: dict[str, Organization] = {}
        self.repositories: dict[str, Repository] = {}
        self.tokens: dict[str, str] = dict(tokens or {})
        self.faults: list[FaultRule] = []
        for u in users:
            self.add_user(u)
        for o in organizations:
            self.add_organization(o)
        for r in repositories:
            self.add_repository(r)

    # -- building
    def add_user(self, user: User) -> User:
        self.users[user.login.lower()] = user
        return user

    def add_organization(self, org: Organization) -> Organization:
        self.organizations[org.login.lower()] = org
        return org

    def add_repository(self, repo: Repository) -> Repository:
        if repo.default_branch not in repo.branches and repo.commits:
            repo.branches[repo.default_branch] = Branch(repo.default_branch, repo.commits[0].sha)
        self.repositories[repo.full_name.lower()] = repo
        return repo

    def add_token(self, token: str, login: str) -> None:
        self.tokens[token] = login

    def add_fault(self, pattern: str, fault: Fault) -> FaultRule:
        """Answer requests whose path matches ``pattern`` with ``fault`` (first rule wins)."""
        rule = FaultRule(pattern, fault)
        self.faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- queries
    def user(self, login: str) -> User | None:
        return self.users.get(login.lower())

    def organization(self, login: str) -> Organization | None:
        return self.organizations.get(login.lower())

    def repository(self, owner: str, name: str) -> Repository | None:
        return self.repositories.get(f"{owner}/{name}".lower())

    def repository_by_id(self, repo_id: int) -> Repository | None:
        return next((r for r in self.repositories.values() if r.id == repo_id), None)

    def user_for_email(self, email: str) -> User | None:
        """The account a commit email links to (a verified email or the noreply address)."""
        email = email.lower()
        for u in self.users.values():
            if email == u.noreply.lower() or email in (e.lower() for e in u.emails):
                return u
        return None

    def permission(self, repo: Repository, login: str | None) -> str | None:
        """The caller's effective permission (PERMISSIONS) on ``repo``, None for no access."""
        levels: list[str] = []
        if not repo.private:
            levels.append("pull")
        if login is not None:
            key = login.lower()
            if repo.owner.lower() == key:
                return "admin"
            org = self.organization(repo.owner)
            if org is not None:
                role = _get_ci(org.members, login)
                if role == "admin":
                    return "admin"
                base = BASE_PERMISSION.get(org.default_repository_permission)
                if role is not None and base is not None:
                    levels.append(base)
            direct = _get_ci(repo.collaborators, login)
            if direct is not None:
                levels.append(direct)
        return max(levels, key=PERMISSIONS.index) if levels else None

    def collaborators(self, repo: Repository, affiliation: str = "all") -> list[tuple[str, str]]:
        """(login, permission) of a repo's collaborators as GitHub lists them, by user id."""
        org = self.organization(repo.owner)
        members = {m.lower() for m in org.members} if org else set()
        found: set[str] = set()
        if org is None and affiliation != "outside":
            found.add(repo.owner.lower())  # a user repo's owner is listed, as admin
        found |= {c.lower() for c in repo.collaborators}
        if affiliation == "outside":
            found -= members
        if affiliation == "all" and org is not None:
            base = BASE_PERMISSION.get(org.default_repository_permission)
            found |= {m.lower() for m, role in org.members.items() if role == "admin" or base}
        out = []
        for key in found:
            user = self.user(key)
            level = self.permission(repo, key)
            if user is not None and level is not None:
                out.append((user.login, level))
        return sorted(out, key=lambda item: self.users[item[0].lower()].id)

    def __repr__(self) -> str:
        return (
            f"GitHub({len(self.users)} users, {len(self.organizations)} orgs, "
            f"{len(self.repositories)} repos)"
        )


def _get_ci(mapping: Mapping[str, str], key: str) -> str | None:
    key = key.lower()
    return next((v for k, v in mapping.items() if k.lower() == key), None)


# ------------------------------------------------------------------------- synthetic_github

VISION: Final = "acme-ml/vision-models"
PIPELINE: Final = "acme-ml/data-pipeline"
SECRET: Final = "acme-ml/secret-sauce"
NOTEBOOKS: Final = "ada-admin/notebooks"
WEIGHTS: Final = "open-weights/tiny-llm"

GITHUB_WEB_FLOW_KEY: Final = "B5690EEEBB952194"
"""The key id of GitHub's web-flow GPG key (commits made in the web UI are signed with it)."""

KEYS: Final = {
    "ada-admin": ("gpg", "4AEE18F83AFDEB23"),
    "bob-builder": ("ssh", "SHA256:bobEd25519kX3QmC0n7mZl4vXyQ"),
    "carol-ci": ("gpg", "3B2C9A7E1F0D4C55"),
    "henry-hf": ("ssh", "SHA256:henryEd25519aP9sQe2rT8uVw"),
}
"""login -> (signing kind, key id) of the keys registered on accounts."""

VISION_HEAD: Final = (
    ("gpg", True, "valid", "ada-admin"),
    ("ssh", True, "valid", "bob-builder"),
    (None, False, "unsigned", "carol-ci"),
    ("gpg", False, "bad_email", "dave-dev"),
    ("ssh", False, "unknown_key", "mallory"),
    ("web-flow", True, "valid", "bob-builder"),
    (None, False, "unsigned", "jane"),
    ("web-flow", True, "valid", "dependabot[bot]"),
)
"""(signing, verified, reason, author) of acme-ml/vision-models' newest 8 commits, newest
first: ``web-flow`` is a commit made on github.com (committer GitHub, GPG key
GITHUB_WEB_FLOW_KEY); ``jane`` has no GitHub account (``author: null``); ``mallory`` signs
with a key on no account; ``dave-dev`` signs with a key whose identity is another email."""


def synthetic_github(seed: int = 0, *, commits: int = 75) -> GitHub:
    """A small, realistic GitHub (deterministic for a seed).

    Users: ``ada-admin`` (owner of acme-ml, member of open-weights), ``bob-builder``,
    ``carol-ci`` (acme-ml members), ``dave-dev``, ``erin-reader``, ``mallory`` (no org),
    ``henry-hf`` (open-weights owner), ``web-flow`` and ``dependabot[bot]``.
    Orgs: ``acme-ml`` (ada admin; bob, carol members; base permission read; public members ada
    and bob) and ``open-weights`` (henry admin, ada member; base permission none).

    Repositories:

    * ``acme-ml/vision-models`` (id 700001): ``commits`` commits on ``main`` (3 pages of 30 by
      default), the newest 8 as in VISION_HEAD, then a seeded mix of unsigned (50%), GPG (20%)
      and SSH (15%) valid signatures, and bad ones (15%: bad_email, unknown_key,
      expired_key); ``main`` protected (2 approving reviews, code owners, status checks
      ``ci/build`` and ``ci/test`` strict, signed commits, admins enforced, linear history),
      ``dev`` unprotected. Collaborators: bob maintain, carol push, dave triage, erin pull
      (plus ada admin and carol/bob through the org).
    * ``acme-ml/data-pipeline`` (700002): branch ``master``, 5 unsigned commits, no
      protection; carol admin.
    * ``acme-ml/secret-sauce`` (700003): private; bob push. Invisible to erin (404).
    * ``ada-admin/notebooks`` (700004): a user repo; bob push; 3 GPG-signed commits by ada.
    * ``open-weights/tiny-llm`` (700005): ``main`` protected without reviews (required
      signatures only); 4 SSH-signed commits by henry; ada triage.

    Tokens: TOKEN (ada-admin) and TOKEN_READ_ONLY (erin-reader).
    """
    rng = random.Random(seed)
    users = [
        User(
            "ada-admin",
            1001,
            "Ada Lovelace",
            "ada@acme-ml.example",
            ("ada@acme-ml.example",),
            company="@acme-ml",
            location="London",
            bio="Analytical engines.",
            followers=120,
            following=3,
        ),
        User("bob-builder", 1002, "Bob Builder", None, (), company="Acme ML", followers=14),
        User("carol-ci", 1003, "Carol Chen", "carol@acme-ml.example", ("carol@acme-ml.example",)),
        User("dave-dev", 1004, "Dave Devlin", None, ("dave@dev.example",), location="Berlin"),
        User("erin-reader", 1005, "Erin Reader", None, ("erin@reader.example",)),
        User("mallory", 1006, "Mallory", None, ("mallory@evil.example",)),
        User(
            "henry-hf", 1007, "Henry Hugging", "henry@open-weights.example", ("henry@ow.example",)
        ),
        User("web-flow", 19864447, "GitHub Web Flow", None, ("noreply@github.com",)),
        User(
            "dependabot[bot]",
            49699333,
            None,
            None,
            (),
            type="Bot",
            created_at="2019-04-16T22:34:25Z",
        ),
    ]
    orgs = [
        Organization(
            "acme-ml",
            2001,
            "Acme Machine Learning",
            "Models and data for the Acme products.",
            blog="https://acme-ml.example",
            location="Remote",
            email="oss@acme-ml.example",
            members={"ada-admin": "admin", "bob-builder": "member", "carol-ci": "member"},
            public_members=frozenset({"ada-admin", "bob-builder"}),
            default_repository_permission="read",
            is_verified=True,
        ),
        Organization(
            "open-weights",
            2002,
            "Open Weights",
            "Small open models.",
            members={"henry-hf": "admin", "ada-admin": "member"},
            public_members=frozenset({"henry-hf"}),
            default_repository_permission="none",
        ),
    ]
    gh = GitHub(users=users, organizations=orgs, tokens={TOKEN: "ada-admin"})
    gh.add_token(TOKEN_READ_ONLY, "erin-reader")
    people = {u.login: u for u in users}

    def who(login: str) -> tuple[str, str]:
        if login == "jane":
            return "Jane Contractor", "jane@contractor.example"
        u = people[login]
        if login == "dependabot[bot]":
            return "dependabot[bot]", u.noreply
        email = u.emails[0] if u.emails else u.noreply
        return u.name or login, email

    pool = [
        "src/models/resnet.py",
        "src/models/vit.py",
        "src/train.py",
        "configs/vit-base.yaml",
        "requirements.txt",
        "README.md",
        ".github/workflows/ci.yml",
        "tests/test_models.py",
    ]
    subjects = [
        "Fix learning-rate warmup",
        "Add ViT-B/16 config",
        "Bump torch to 2.3",
        "Refactor data loaders",
        "Pin CUDA wheels",
        "Document evaluation protocol",
        "Speed up augmentation",
        "Add model card template",
        "Fix flaky test",
        "Export to safetensors",
    ]

    def history(
        n: int, plan: Sequence[tuple[str | None, bool, str, str]], start: datetime
    ) -> list[Commit]:
        """``n`` commits oldest first; ``plan`` gives the newest ones, newest first."""
        newest = list(plan)
        older = n - len(newest)
        out: list[Commit] = []
        moment = start
        parent: list[str] = []
        for i in range(n):
            moment += timedelta(hours=rng.randint(2, 40), minutes=rng.randint(0, 59))
            if i < older:
                signing, verified, reason, author = _random_signing(rng)
            else:
                signing, verified, reason, author = newest[n - 1 - i]
            name, email = who(author)
            author_p = Person(name, email, _iso(moment))
            kind: str | None = signing
            if signing == "web-flow":
                committer = Person("GitHub", "noreply@github.com", _iso(moment))
                kind, key_id = "gpg", GITHUB_WEB_FLOW_KEY
            else:
                committer = author_p
                registered = KEYS.get(author)
                key_id = registered[1] if registered else f"UNREGISTERED-{author}"
            subject = subjects[rng.randrange(len(subjects))]
            if author == "dependabot[bot]":
                subject = "Bump numpy from 1.26.4 to 2.0.0"
            if signing == "web-flow":
                subject = f"{subject} (#{100 + i})"
            files = tuple(
                CommitFile(f, "modified", rng.randint(1, 40), rng.randint(0, 15))
                for f in rng.sample(pool, rng.randint(1, 3))
            )
            c = build_commit(
                parents=parent,
                author=author_p,
                committer=committer,
                message=f"{subject}\n\nSigned-off-by: {name} <{email}>",
                signing=kind,
                key_id=key_id,
                verified=verified,
                reason=reason,
                files=files,
            )
            out.append(c)
            parent = [c.sha]
        return out

    vision_commits = list(reversed(history(commits, VISION_HEAD, _EPOCH)))
    vision = Repository(
        "acme-ml",
        "vision-models",
        700001,
        "Image classification models and training code.",
        homepage="https://acme-ml.example/vision",
        topics=("computer-vision", "pytorch", "vit"),
        commits=vision_commits,
        collaborators={
            "bob-builder": "maintain",
            "carol-ci": "push",
            "dave-dev": "triage",
            "erin-reader": "pull",
        },
        stargazers_count=1834,
        forks_count=212,
        open_issues_count=17,
    )
    vision.branches = {
        "main": Branch(
            "main",
            vision_commits[0].sha,
            Protection(
                required_approving_review_count=2,
                dismiss_stale_reviews=True,
                require_code_owner_reviews=True,
                required_status_checks=("ci/build", "ci/test"),
                strict=True,
                enforce_admins=True,
                required_signatures=True,
                required_linear_history=True,
                required_conversation_resolution=True,
            ),
        ),
        "dev": Branch("dev", vision_commits[3].sha),
    }
    gh.add_repository(vision)

    pipeline_plan = [(None, False, "unsigned", a) for a in ("carol-ci", "bob-builder") * 2]
    pipeline_plan.append((None, False, "unsigned", "carol-ci"))
    pipeline_commits = list(reversed(history(5, pipeline_plan, _EPOCH + timedelta(days=3))))
    gh.add_repository(
        Repository(
            "acme-ml",
            "data-pipeline",
            700002,
            "ETL for training data.",
            license="mit",
            default_branch="master",
            commits=pipeline_commits,
            collaborators={"carol-ci": "admin"},
            stargazers_count=41,
        )
    )
    secret_plan = [(None, False, "unsigned", "bob-builder")] * 2
    gh.add_repository(
        Repository(
            "acme-ml",
            "secret-sauce",
            700003,
            "Internal.",
            private=True,
            license=None,
            commits=list(reversed(history(2, secret_plan, _EPOCH + timedelta(days=5)))),
            collaborators={"bob-builder": "push"},
        )
    )
    notebook_plan = [("gpg", True, "valid", "ada-admin")] * 3
    gh.add_repository(
        Repository(
            "ada-admin",
            "notebooks",
            700004,
            "Scratch notebooks.",
            language="Jupyter Notebook",
            license=None,
            commits=list(reversed(history(3, notebook_plan, _EPOCH + timedelta(days=1)))),
            collaborators={"bob-builder": "push"},
        )
    )
    weights_plan = [("ssh", True, "valid", "henry-hf")] * 4
    weights_commits = list(reversed(history(4, weights_plan, _EPOCH + timedelta(days=2))))
    weights = Repository(
        "open-weights",
        "tiny-llm",
        700005,
        "A 100M-parameter language model.",
        topics=("llm", "transformers"),
        commits=weights_commits,
        collaborators={"ada-admin": "triage"},
        stargazers_count=9001,
    )
    weights.branches = {
        "main": Branch(
            "main",
            weights_commits[0].sha,
            Protection(required_approving_review_count=None, required_signatures=True),
        )
    }
    gh.add_repository(weights)
    return gh


def _random_signing(rng: random.Random) -> tuple[str | None, bool, str, str]:
    author = rng.choice(["ada-admin", "bob-builder", "carol-ci", "carol-ci", "dave-dev"])
    roll = rng.random()
    if roll < 0.50:
        return None, False, "unsigned", author
    if roll < 0.70:
        return "gpg", True, "valid", rng.choice(["ada-admin", "carol-ci"])
    if roll < 0.85:
        return "ssh", True, "valid", "bob-builder"
    reason = rng.choice(["bad_email", "unknown_key", "expired_key"])
    return "gpg", False, reason, author


# ============================================================================ rendering


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server answered.

    ``kind``: the endpoint (``repo``, ``commits``, ``commit``, ``collaborators``,
    ``org_members``, ``org_membership``, ``protection``, ``rate_limit``, ... or ``replay`` for
    a recorded answer, ``unknown`` for a 404 route). ``source``: ``synthetic``,
    ``replay:exact|loose|path`` or ``fault``. ``login``: the token's owner, if any.
    ``headers``: the request headers as sent (Authorization included).
    """

    method: str
    path: str
    query: str
    kind: str
    status: int
    source: str
    login: str | None = None
    fault: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        """A request header, matched case-insensitively."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def authorization(self) -> str | None:
        return self.header("Authorization")


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = "application/json; charset=utf-8"
    fault: str | None = None


def _json(data: Any, status: int = 200, headers: Sequence[tuple[str, str]] = ()) -> _Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    etag = f'W/"{hashlib.sha256(body).hexdigest()}"'
    return _Response(status, body, [("ETag", etag), *headers])


def _error(status: int, message: str, doc: str = DOCS) -> _Response:
    return _json({"message": message, "documentation_url": doc, "status": str(status)}, status)


def _not_found(doc: str = DOCS) -> _Response:
    return _error(404, "Not Found", doc)


def _fault_response(fault: Fault) -> _Response:
    return _Response(fault.status, fault.body, list(fault.headers), fault.content_type, fault.kind)


_ROUTES: Final = [
    (re.compile(p), kind)
    for p, kind in (
        (r"/rate_limit", "rate_limit"),
        (r"/user", "authenticated_user"),
        (r"/user/memberships/orgs", "user_memberships"),
        (r"/user/memberships/orgs/(?P<org>[^/]+)", "user_membership"),
        (r"/users/(?P<user>[^/]+)", "user"),
        (r"/users/(?P<user>[^/]+)/orgs", "user_orgs"),
        (r"/users/(?P<user>[^/]+)/repos", "user_repos"),
        (r"/orgs/(?P<org>[^/]+)", "org"),
        (r"/orgs/(?P<org>[^/]+)/members", "org_members"),
        (r"/orgs/(?P<org>[^/]+)/members/(?P<user>[^/]+)", "org_member"),
        (r"/orgs/(?P<org>[^/]+)/public_members", "org_public_members"),
        (r"/orgs/(?P<org>[^/]+)/public_members/(?P<user>[^/]+)", "org_public_member"),
        (r"/orgs/(?P<org>[^/]+)/memberships/(?P<user>[^/]+)", "org_membership"),
        (r"/orgs/(?P<org>[^/]+)/repos", "org_repos"),
        (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)(?P<rest>/.*)?", "repo"),
        (r"/repositories/(?P<id>\d+)(?P<rest>/.*)?", "repo"),
    )
]
_REPO_ROUTES: Final = [
    (re.compile(p), kind)
    for p, kind in (
        (r"", "repo"),
        (r"/commits", "commits"),
        (r"/commits/(?P<ref>.+)", "commit"),
        (r"/git/commits/(?P<sha>[0-9a-fA-F]+)", "git_commit"),
        (r"/branches", "branches"),
        (r"/branches/(?P<branch>.+)/protection/required_signatures", "required_signatures"),
        (r"/branches/(?P<branch>.+)/protection", "protection"),
        (r"/branches/(?P<branch>.+)", "branch"),
        (r"/collaborators", "collaborators"),
        (r"/collaborators/(?P<user>[^/]+)/permission", "collaborator_permission"),
        (r"/collaborators/(?P<user>[^/]+)", "collaborator"),
        (r"/contributors", "contributors"),
    )
]
_PUSH_KINDS: Final = frozenset({"collaborators", "collaborator", "collaborator_permission"})
_ADMIN_KINDS: Final = frozenset({"protection", "required_signatures"})
_DOC: Final = {
    "repo": "https://docs.github.com/rest/repos/repos#get-a-repository",
    "commit": "https://docs.github.com/rest/commits/commits#get-a-commit",
    "collaborators": (
        "https://docs.github.com/rest/collaborators/collaborators#list-repository-collaborators"
    ),
    "collaborator_permission": (
        "https://docs.github.com/rest/collaborators/collaborators"
        "#get-repository-permissions-for-a-user"
    ),
    "protection": "https://docs.github.com/rest/branches/branch-protection#get-branch-protection",
    "org_membership": (
        "https://docs.github.com/rest/orgs/members#get-organization-membership-for-a-user"
    ),
    "user": "https://docs.github.com/rest/users/users#get-a-user",
    "org": "https://docs.github.com/rest/orgs/orgs#get-an-organization",
}


@dataclass(frozen=True)
class _Caller:
    login: str | None
    user: User | None
    bad_token: bool = False

    @property
    def identity(self) -> str:
        return self.login.lower() if self.login else "anonymous"


class _RateLimiter:
    """GitHub's primary limit: a budget per identity per hour from its first request."""

    def __init__(self, limit: int, anonymous_limit: int) -> None:
        self.limit = limit
        self.anonymous_limit = anonymous_limit
        self._used: dict[str, tuple[int, int]] = {}  # identity -> (used, reset epoch)
        self._lock = threading.Lock()

    def budget(self, caller: _Caller) -> int:
        return self.limit if caller.login else self.anonymous_limit

    def state(self, caller: _Caller) -> tuple[int, int, int]:
        """(limit, used, reset) without spending."""
        now = int(time.time())
        with self._lock:
            used, reset = self._used.get(caller.identity, (0, now + 3600))
            if now >= reset:
                used, reset = 0, now + 3600
            return self.budget(caller), used, reset

    def spend(self, caller: _Caller) -> tuple[bool, int, int, int]:
        """(allowed, limit, used, reset) after counting one request."""
        now = int(time.time())
        limit = self.budget(caller)
        with self._lock:
            used, reset = self._used.get(caller.identity, (0, now + 3600))
            if now >= reset:
                used, reset = 0, now + 3600
            if used >= limit:
                self._used[caller.identity] = (used, reset)
                return False, limit, used, reset
            used += 1
            self._used[caller.identity] = (used, reset)
            return True, limit, used, reset


class _Router:
    """Maps a request to a response. No sockets: GitHubServer feeds it."""

    def __init__(
        self, github: GitHub, replay: Replay | None, base_url: str, limiter: _RateLimiter
    ) -> None:
        self.gh = github
        self.replay = replay
        self.base = base_url
        self.limiter = limiter

    # -- urls
    def api(self, path: str) -> str:
        return f"{self.base}{path}"

    def rewrite(self, text: str) -> str:
        return text.replace(GITHUB_API, self.base).replace("http://api.github.com", self.base)

    # -- entry point
    def respond(
        self, method: str, target: str, headers: Message
    ) -> tuple[_Response, str, str, str | None]:
        """(response, kind, source, caller login)."""
        parts = urlsplit(target)
        path, raw_query = parts.path, parts.query
        caller = self.caller(headers)
        kind, params = self.classify(path)
        for rule in self.gh.faults:
            fault = rule.fire(method, path)
            if fault is not None:
                resp = _fault_response(fault)
                own_rate = any(k.lower() == "x-ratelimit-remaining" for k, _ in resp.headers)
                if not own_rate and not caller.bad_token:
                    resp.headers += self.rate_headers(caller, *self.limiter.state(caller))
                return resp, kind, "fault", caller.login
        if self.replay is not None:
            hit = self.replay.match(method, path, raw_query)
            if hit is not None:
                ex, how = hit
                return self.replayed(ex), "replay", f"replay:{how}", caller.login
        try:
            resp = self.synthetic(method, kind, params, raw_query, headers, caller)
        except Exception as exc:  # a bug here must reach the test as a 500, not a reset
            resp = _error(500, f"replay server error: {exc!r}")
        return resp, kind, "synthetic", caller.login

    def replayed(self, ex: Exchange) -> _Response:
        headers: list[tuple[str, str]] = []
        content_type: str | None = None
        for k, v in ex.response_headers:
            low = k.lower()
            if low in _HOP_BY_HOP:
                continue
            if low == "content-type":
                content_type = v
                continue
            if low in ("link", "location"):
                v = self.rewrite(v)
            headers.append((k, v))
        body = self.rewrite(ex.body).encode() if ex.body else b""
        return _Response(ex.status, body, headers, content_type)

    def caller(self, headers: Message) -> _Caller:
        auth = headers.get("Authorization") or ""
        if not auth:
            return _Caller(None, None)
        scheme, _, token = auth.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not token:
            return _Caller(None, None, bad_token=True)
        login = self.gh.tokens.get(token.strip())
        if login is None:
            return _Caller(None, None, bad_token=True)
        return _Caller(login, self.gh.user(login))

    def classify(self, path: str) -> tuple[str, dict[str, str]]:
        for pattern, kind in _ROUTES:
            m = pattern.fullmatch(path.rstrip("/") or "/")
            if m is None:
                continue
            params = {k: unquote(v) for k, v in m.groupdict().items() if v is not None}
            if kind == "repo":
                rest = params.pop("rest", "")
                for sub, sub_kind in _REPO_ROUTES:
                    sm = sub.fullmatch(rest)
                    if sm is not None:
                        params.update({k: unquote(v) for k, v in sm.groupdict().items()})
                        return sub_kind, params
                return "unknown", params
            return kind, params
        return "unknown", {}

    # -- headers
    def rate_headers(
        self, caller: _Caller, limit: int, used: int, reset: int
    ) -> list[tuple[str, str]]:
        return [
            ("X-RateLimit-Limit", str(limit)),
            ("X-RateLimit-Remaining", str(max(limit - used, 0))),
            ("X-RateLimit-Reset", str(reset)),
            ("X-RateLimit-Used", str(used)),
            ("X-RateLimit-Resource", "core"),
        ]

    def synthetic(
        self,
        method: str,
        kind: str,
        params: dict[str, str],
        raw_query: str,
        headers: Message,
        caller: _Caller,
    ) -> _Response:
        if caller.bad_token:
            return _error(401, "Bad credentials")
        if kind == "rate_limit":
            limit, used, reset = self.limiter.state(caller)
            resp = self.rate_limit(limit, used, reset)
            resp.headers += self.rate_headers(caller, limit, used, reset)
            return resp
        allowed, limit, used, reset = self.limiter.spend(caller)
        if not allowed:
            fault = Fault.rate_limited(
                reset, limit=limit, user_id=caller.user.id if caller.user else None
            )
            return _fault_response(fault)
        rate = self.rate_headers(caller, limit, used, reset)
        if method not in ("GET", "HEAD") or kind == "unknown":
            resp = _not_found()
        else:
            query = parse_qsl(raw_query, keep_blank_values=True)
            resp = self.dispatch(kind, params, query, caller)
        resp.headers += rate
        if caller.login:
            resp.headers += [
                ("X-OAuth-Scopes", "read:org, repo"),
                ("X-Accepted-OAuth-Scopes", "repo" if "owner" in params else ""),
            ]
        return resp

    # -- dispatch
    def dispatch(
        self,
        kind: str,
        params: dict[str, str],
        query: list[tuple[str, str]],
        caller: _Caller,
    ) -> _Response:
        q = dict(query)
        if "owner" in params or "id" in params:
            if "id" in params:
                repo = self.gh.repository_by_id(int(params["id"]))
            else:
                repo = self.gh.repository(params["owner"], params["repo"])
            level = None if repo is None else self.gh.permission(repo, caller.login)
            if repo is None or level is None:
                return _not_found(_DOC["repo"])
            return self.repo_endpoint(kind, repo, level, params, query, caller)
        match kind:
            case "authenticated_user":
                if caller.user is None:
                    return _error(401, "Requires authentication")
                return _json(self.user_json(caller.user, private=True))
            case "user_memberships" | "user_membership":
                if caller.user is None:
                    return _error(401, "Requires authentication")
                orgs = [o for o in self.gh.organizations.values() if _in(o.members, caller.login)]
                if kind == "user_membership":
                    org = self.gh.organization(params["org"])
                    if org is None or org not in orgs:
                        return _not_found()
                    return _json(self.membership_json(org, caller.user, me=True))
                return _json([self.membership_json(o, caller.user, me=True) for o in orgs])
            case "user":
                user = self.gh.user(params["user"])
                if user is not None:
                    return _json(self.user_json(user))
                org = self.gh.organization(params["user"])
                if org is not None:
                    return _json(self.org_as_user_json(org))
                return _not_found(_DOC["user"])
            case "user_orgs":
                user = self.gh.user(params["user"])
                if user is None:
                    return _not_found()
                orgs = [
                    o
                    for o in self.gh.organizations.values()
                    if user.login.lower() in _lower(o.public_members)
                ]
                return self.page([self.org_simple(o) for o in orgs], q, f"/users/{user.login}/orgs")
            case "user_repos" | "org_repos":
                owner = params.get("user") or params["org"]
                account = self.gh.user(owner) or self.gh.organization(owner)
                if account is None:
                    return _not_found()
                repos = [
                    r
                    for r in self.gh.repositories.values()
                    if r.owner.lower() == account.login.lower()
                    and self.gh.permission(r, caller.login) is not None
                ]
                repos.sort(key=lambda r: r.full_name.lower())
                items = [self.repo_json(r, caller) for r in repos]
                prefix = "users" if kind == "user_repos" else "orgs"
                return self.page(items, q, f"/{prefix}/{account.login}/repos", query)
        org = self.gh.organization(params.get("org", ""))
        if org is None:
            return _not_found(_DOC["org"])
        return self.org_endpoint(kind, org, params, query, caller)

    # -- organisations
    def org_endpoint(
        self,
        kind: str,
        org: Organization,
        params: dict[str, str],
        query: list[tuple[str, str]],
        caller: _Caller,
    ) -> _Response:
        q = dict(query)
        is_member = caller.login is not None and _in(org.members, caller.login)
        match kind:
            case "org":
                return _json(self.org_json(org, full=is_member))
            case "org_members" | "org_public_members":
                visible = [
                    (login, role)
                    for login, role in org.members.items()
                    if (is_member and kind == "org_members") or login in org.public_members
                ]
                role = q.get("role", "all")
                if role not in ("all", "admin", "member"):
                    return _error(422, "Validation Failed")
                if role != "all":
                    visible = [(lg, r) for lg, r in visible if r == role]
                users = sorted(
                    (u for u in (self.gh.user(lg) for lg, _ in visible) if u), key=lambda u: u.id
                )
                items = [self.user_simple(u) for u in users]
                return self.page(items, q, f"/orgs/{org.login}/{kind[4:]}", query)
            case "org_member":
                if not is_member:
                    location = self.api(f"/orgs/{org.login}/public_members/{params['user']}")
                    return _Response(302, b"", [("Location", location)], None)
                return self.no_content(_in(org.members, params["user"]))
            case "org_public_member":
                return self.no_content(params["user"].lower() in _lower(org.public_members))
            case "org_membership":
                user = self.gh.user(params["user"])
                self_lookup = caller.login is not None and caller.login.lower() == (
                    params["user"].lower()
                )
                if not is_member and not self_lookup:
                    if caller.login is None:
                        return _error(401, "Requires authentication")
                    return _error(
                        403,
                        f"You must be a member of {org.login} to see membership information "
                        f"for {params['user']}.",
                        _DOC["org_membership"],
                    )
                if user is None or not _in(org.members, user.login):
                    return _not_found(_DOC["org_membership"])
                return _json(self.membership_json(org, user))
        return _not_found()

    def no_content(self, yes: bool) -> _Response:
        return _Response(204, b"", [], None) if yes else _not_found()

    # -- repositories
    def repo_endpoint(
        self,
        kind: str,
        repo: Repository,
        level: str,
        params: dict[str, str],
        query: list[tuple[str, str]],
        caller: _Caller,
    ) -> _Response:
        q = dict(query)
        base = f"/repositories/{repo.id}"
        if kind in _PUSH_KINDS and PERMISSIONS.index(level) < PERMISSIONS.index("push"):
            if caller.login is None:
                return _error(401, "Requires authentication", _DOC["collaborators"])
            if kind == "collaborator_permission":
                message = "Must have push access to view collaborator permission."
                return _error(403, message, _DOC["collaborator_permission"])
            message = "Must have push access to view repository collaborators."
            return _error(403, message, _DOC["collaborators"])
        if kind in _ADMIN_KINDS and level != "admin":
            return _not_found(_DOC["protection"])
        match kind:
            case "repo":
                return _json(self.repo_json(repo, caller, full=True))
            case "commits":
                commits = repo.history(q.get("sha") or None)
                if commits is None:
                    return _error(404, f"No commit found for SHA: {q.get('sha')}")
                commits = self.filter_commits(commits, q)
                items = [self.commit_json(repo, c) for c in commits]
                return self.page(items, q, f"{base}/commits", query)
            case "commit":
                commit = repo.commit(params["ref"])
                if commit is None:
                    return _error(422, f"No commit found for SHA: {params['ref']}", _DOC["commit"])
                return _json(self.commit_json(repo, commit, full=True))
            case "git_commit":
                commit = repo.commit(params["sha"])
                if commit is None or not commit.sha.startswith(params["sha"].lower()):
                    return _not_found()
                return _json(self.git_commit_json(repo, commit))
            case "branches":
                branches = sorted(repo.branches.values(), key=lambda b: b.name)
                if "protected" in q:
                    want = q["protected"].lower() in ("true", "1")
                    branches = [b for b in branches if (b.protection is not None) == want]
                items = [self.branch_simple(repo, b) for b in branches]
                return self.page(items, q, f"{base}/branches", query)
            case "branch":
                branch = repo.branches.get(params["branch"])
                if branch is None:
                    return _error(404, "Branch not found")
                return _json(self.branch_json(repo, branch))
            case "protection" | "required_signatures":
                branch = repo.branches.get(params["branch"])
                if branch is None:
                    return _error(404, "Branch not found")
                if branch.protection is None:
                    return _error(404, "Branch not protected", _DOC["protection"])
                purl = self.api(f"/repos/{repo.full_name}/branches/{branch.name}/protection")
                if kind == "required_signatures":
                    enabled = branch.protection.required_signatures
                    return _json({"url": f"{purl}/required_signatures", "enabled": enabled})
                return _json(self.protection_json(purl, branch.protection))
            case "collaborators":
                affiliation = q.get("affiliation", "all")
                if affiliation not in ("all", "direct", "outside"):
                    return _error(422, "Validation Failed")
                found = self.gh.collaborators(repo, affiliation)
                if "permission" in q:
                    if q["permission"] not in PERMISSIONS:
                        return _error(422, "Validation Failed")
                    floor = PERMISSIONS.index(q["permission"])
                    found = [(lg, p) for lg, p in found if PERMISSIONS.index(p) >= floor]
                items = [self.collaborator_json(lg, p) for lg, p in found]
                return self.page(items, q, f"{base}/collaborators", query)
            case "collaborator":
                logins = {lg.lower() for lg, _ in self.gh.collaborators(repo)}
                return self.no_content(params["user"].lower() in logins)
            case "collaborator_permission":
                user = self.gh.user(params["user"])
                if user is None:
                    return _not_found(_DOC["collaborator_permission"])
                listed = {lg.lower(): p for lg, p in self.gh.collaborators(repo)}
                perm = listed.get(user.login.lower())
                item = self.collaborator_json(user.login, perm) if perm else self.user_simple(user)
                return _json(
                    {
                        "permission": LEGACY_PERMISSION[perm] if perm else "none",
                        "role_name": ROLE_NAMES[perm] if perm else "none",
                        "user": item,
                    }
                )
            case "contributors":
                return self.contributors(repo, q, query, base)
        return _not_found()

    def filter_commits(self, commits: list[Commit], q: Mapping[str, str]) -> list[Commit]:
        out = commits
        if q.get("author"):
            who = q["author"].lower()
            out = [
                c
                for c in out
                if c.author.email.lower() == who
                or ((u := self.gh.user_for_email(c.author.email)) and u.login.lower() == who)
            ]
        if q.get("committer"):
            who = q["committer"].lower()
            out = [
                c
                for c in out
                if c.committer.email.lower() == who
                or ((u := self.gh.user_for_email(c.committer.email)) and u.login.lower() == who)
            ]
        if q.get("since"):
            since = _parse_iso(q["since"])
            out = [c for c in out if _parse_iso(c.committer.date) >= since]
        if q.get("until"):
            until = _parse_iso(q["until"])
            out = [c for c in out if _parse_iso(c.committer.date) <= until]
        if q.get("path"):
            p = q["path"].strip("/")
            out = [
                c
                for c in out
                if any(f.filename == p or f.filename.startswith(p + "/") for f in c.files)
            ]
        return out

    def contributors(
        self, repo: Repository, q: Mapping[str, str], query: list[tuple[str, str]], base: str
    ) -> _Response:
        counts: Counter[str] = Counter()
        anon: Counter[tuple[str, str]] = Counter()
        for c in repo.commits:
            user = self.gh.user_for_email(c.author.email)
            if user is not None:
                counts[user.login] += 1
            else:
                anon[(c.author.name, c.author.email)] += 1
        items: list[dict[str, Any]] = []
        for login, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            user = self.gh.user(login)
            assert user is not None
            items.append({**self.user_simple(user), "contributions": n})
        if q.get("anon", "").lower() in ("1", "true"):
            for (name, email), n in sorted(anon.items(), key=lambda kv: -kv[1]):
                items.append(
                    {"email": email, "name": name, "type": "Anonymous", "contributions": n}
                )
        return self.page(items, q, f"{base}/contributors", query)

    # -- paging
    def page(
        self,
        items: list[Any],
        q: Mapping[str, str],
        path: str,
        query: Sequence[tuple[str, str]] = (),
    ) -> _Response:
        """One page of ``items`` with GitHub's ``Link`` header (prev, next, last, first)."""
        try:
            per_page = min(max(int(q.get("per_page", 30)), 1), 100)
            page = max(int(q.get("page", 1)), 1)
        except ValueError:
            per_page, page = 30, 1
        pages = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        kept = [(k, v) for k, v in query if k not in _PERSIST_QUERY]
        if "per_page" in q:
            kept.append(("per_page", str(per_page)))

        def url(n: int) -> str:
            return f"<{self.api(path)}?{urlencode([*kept, ('page', str(n))])}>"

        links = []
        if page > 1:
            links.append(f'{url(min(page - 1, pages))}; rel="prev"')
        if page < pages:
            links += [f'{url(page + 1)}; rel="next"', f'{url(pages)}; rel="last"']
        if page > 1:
            links.append(f'{url(1)}; rel="first"')
        headers = [("Link", ", ".join(links))] if links else []
        return _json(chunk, headers=headers)

    # -- json: accounts
    def user_simple(self, user: User) -> dict[str, Any]:
        u = self.api(f"/users/{quote(user.login)}")
        return {
            "login": user.login,
            "id": user.id,
            "node_id": _node_id("User", user.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": u,
            "html_url": f"https://github.com/{user.login}",
            "followers_url": f"{u}/followers",
            "following_url": f"{u}/following{{/other_user}}",
            "gists_url": f"{u}/gists{{/gist_id}}",
            "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{u}/subscriptions",
            "organizations_url": f"{u}/orgs",
            "repos_url": f"{u}/repos",
            "events_url": f"{u}/events{{/privacy}}",
            "received_events_url": f"{u}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": user.site_admin,
        }

    def user_json(self, user: User, *, private: bool = False) -> dict[str, Any]:
        repos = [
            r
            for r in self.gh.repositories.values()
            if r.owner.lower() == user.login.lower() and not r.private
        ]
        data = {
            **self.user_simple(user),
            "name": user.name,
            "company": user.company,
            "blog": user.blog,
            "location": user.location,
            "email": user.email,
            "hireable": None,
            "bio": user.bio,
            "twitter_username": None,
            "public_repos": len(repos),
            "public_gists": 0,
            "followers": user.followers,
            "following": user.following,
            "created_at": user.created_at,
            "updated_at": user.updated_at,
        }
        if private:
            owned = [r for r in self.gh.repositories.values() if r.owner == user.login]
            data.update(
                {
                    "private_gists": 0,
                    "total_private_repos": sum(r.private for r in owned),
                    "owned_private_repos": sum(r.private for r in owned),
                    "disk_usage": 1024 * len(owned),
                    "collaborators": 0,
                    "two_factor_authentication": True,
                    "plan": {
                        "name": "pro",
                        "space": 976562499,
                        "collaborators": 0,
                        "private_repos": 9999,
                    },
                }
            )
        return data

    def org_simple(self, org: Organization) -> dict[str, Any]:
        u = self.api(f"/orgs/{org.login}")
        return {
            "login": org.login,
            "id": org.id,
            "node_id": _node_id("Organization", org.id),
            "url": u,
            "repos_url": f"{u}/repos",
            "events_url": f"{u}/events",
            "hooks_url": f"{u}/hooks",
            "issues_url": f"{u}/issues",
            "members_url": f"{u}/members{{/member}}",
            "public_members_url": f"{u}/public_members{{/member}}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{org.id}?v=4",
            "description": org.description,
        }

    def org_counts(self, org: Organization) -> tuple[int, int]:
        repos = [r for r in self.gh.repositories.values() if r.owner.lower() == org.login.lower()]
        return sum(not r.private for r in repos), sum(r.private for r in repos)

    def org_json(self, org: Organization, *, full: bool = False) -> dict[str, Any]:
        public, private = self.org_counts(org)
        data = {
            **self.org_simple(org),
            "name": org.name,
            "company": None,
            "blog": org.blog,
            "location": org.location,
            "email": org.email,
            "twitter_username": None,
            "is_verified": org.is_verified,
            "has_organization_projects": True,
            "has_repository_projects": True,
            "public_repos": public,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "html_url": f"https://github.com/{org.login}",
            "created_at": org.created_at,
            "updated_at": org.updated_at,
            "archived_at": None,
            "type": "Organization",
        }
        if full:
            data.update(
                {
                    "total_private_repos": private,
                    "owned_private_repos": private,
                    "private_gists": None,
                    "disk_usage": None,
                    "collaborators": None,
                    "default_repository_permission": org.default_repository_permission,
                    "members_can_create_repositories": False,
                    "two_factor_requirement_enabled": org.two_factor_requirement_enabled,
                    "members_allowed_repository_creation_type": "none",
                    "web_commit_signoff_required": False,
                }
            )
        return data

    def org_as_user_json(self, org: Organization) -> dict[str, Any]:
        """``GET /users/{org}``: the org in the user shape, ``type: "Organization"``."""
        public, _ = self.org_counts(org)
        fake = User(org.login, org.id, org.name, org.email, type="Organization")
        data = self.user_json(fake)
        data["public_repos"] = public
        data["blog"] = org.blog
        data["location"] = org.location
        data["created_at"], data["updated_at"] = org.created_at, org.updated_at
        return data

    def membership_json(self, org: Organization, user: User, *, me: bool = False) -> dict[str, Any]:
        role = _get_ci(org.members, user.login) or "member"
        url = (
            self.api(f"/user/memberships/orgs/{org.login}")
            if me
            else self.api(f"/orgs/{org.login}/memberships/{user.login}")
        )
        return {
            "url": url,
            "state": "active",
            "role": role,
            "organization_url": self.api(f"/orgs/{org.login}"),
            "organization": self.org_simple(org),
            "user": self.user_simple(user),
        }

    def collaborator_json(self, login: str, permission: str) -> dict[str, Any]:
        user = self.gh.user(login)
        assert user is not None
        level = PERMISSIONS.index(permission)
        return {
            **self.user_simple(user),
            "permissions": {p: level >= PERMISSIONS.index(p) for p in reversed(PERMISSIONS)},
            "role_name": ROLE_NAMES[permission],
        }

    # -- json: repositories
    def owner_json(self, login: str) -> dict[str, Any]:
        user = self.gh.user(login)
        if user is not None:
            return self.user_simple(user)
        org = self.gh.organization(login)
        assert org is not None, login
        return self.user_simple(User(org.login, org.id, type="Organization"))

    def repo_json(self, repo: Repository, caller: _Caller, *, full: bool = False) -> dict[str, Any]:
        u = self.api(f"/repos/{repo.full_name}")
        html = f"https://github.com/{repo.full_name}"
        lic = None
        if repo.license is not None:
            name, spdx = _LICENSES.get(repo.license, (repo.license, repo.license.upper()))
            lic = {
                "key": repo.license,
                "name": name,
                "spdx_id": spdx,
                "url": self.api(f"/licenses/{repo.license}"),
                "node_id": "MDc6TGljZW5zZTI=",
            }
        data: dict[str, Any] = {
            "id": repo.id,
            "node_id": _node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self.owner_json(repo.owner),
            "html_url": html,
            "description": repo.description,
            "fork": repo.fork,
            "url": u,
        }
        for name, suffix in (
            ("forks_url", "/forks"),
            ("keys_url", "/keys{/key_id}"),
            ("collaborators_url", "/collaborators{/collaborator}"),
            ("teams_url", "/teams"),
            ("hooks_url", "/hooks"),
            ("events_url", "/events"),
            ("branches_url", "/branches{/branch}"),
            ("tags_url", "/tags"),
            ("git_commits_url", "/git/commits{/sha}"),
            ("commits_url", "/commits{/sha}"),
            ("contributors_url", "/contributors"),
            ("languages_url", "/languages"),
            ("contents_url", "/contents/{+path}"),
            ("issues_url", "/issues{/number}"),
            ("pulls_url", "/pulls{/number}"),
            ("releases_url", "/releases{/id}"),
        ):
            data[name] = u + suffix
        data.update(
            {
                "created_at": repo.created_at,
                "updated_at": repo.pushed_at,
                "pushed_at": repo.pushed_at,
                "git_url": f"git://github.com/{repo.full_name}.git",
                "ssh_url": f"git@github.com:{repo.full_name}.git",
                "clone_url": f"{html}.git",
                "svn_url": html,
                "homepage": repo.homepage,
                "size": 100 * len(repo.commits),
                "stargazers_count": repo.stargazers_count,
                "watchers_count": repo.stargazers_count,
                "language": repo.language,
                "has_issues": True,
                "has_projects": True,
                "has_downloads": True,
                "has_wiki": False,
                "has_pages": False,
                "has_discussions": False,
                "forks_count": repo.forks_count,
                "mirror_url": None,
                "archived": repo.archived,
                "disabled": False,
                "open_issues_count": repo.open_issues_count,
                "license": lic,
                "allow_forking": True,
                "is_template": False,
                "web_commit_signoff_required": False,
                "topics": list(repo.topics),
                "visibility": "private" if repo.private else "public",
                "forks": repo.forks_count,
                "open_issues": repo.open_issues_count,
                "watchers": repo.stargazers_count,
                "default_branch": repo.default_branch,
            }
        )
        if caller.login is not None:
            level = self.gh.permission(repo, caller.login)
            rank = -1 if level is None else PERMISSIONS.index(level)
            data["permissions"] = {p: rank >= PERMISSIONS.index(p) for p in reversed(PERMISSIONS)}
        if full:
            org = self.gh.organization(repo.owner)
            if org is not None:
                data["organization"] = self.owner_json(org.login)
            data["network_count"] = repo.forks_count
            data["subscribers_count"] = max(repo.stargazers_count // 20, 1)
        return data

    # -- json: commits
    def person_user(self, person: Person) -> dict[str, Any] | None:
        user = self.gh.user_for_email(person.email)
        return None if user is None else self.user_simple(user)

    def git_commit_inner(self, repo: Repository, c: Commit) -> dict[str, Any]:
        return {
            "author": c.author.json(),
            "committer": c.committer.json(),
            "message": c.message,
            "tree": {"sha": c.tree, "url": self.api(f"/repos/{repo.full_name}/git/trees/{c.tree}")},
            "url": self.api(f"/repos/{repo.full_name}/git/commits/{c.sha}"),
            "comment_count": 0,
            "verification": c.verification(),
        }

    def commit_json(self, repo: Repository, c: Commit, *, full: bool = False) -> dict[str, Any]:
        u = self.api(f"/repos/{repo.full_name}/commits/{c.sha}")
        html = f"https://github.com/{repo.full_name}/commit/{c.sha}"
        data: dict[str, Any] = {
            "sha": c.sha,
            "node_id": "C_kwDO" + base64.b64encode(bytes.fromhex(c.sha)[:12]).decode(),
            "commit": self.git_commit_inner(repo, c),
            "url": u,
            "html_url": html,
            "comments_url": f"{u}/comments",
            "author": self.person_user(c.author),
            "committer": self.person_user(c.committer),
            "parents": [
                {
                    "sha": p,
                    "url": self.api(f"/repos/{repo.full_name}/commits/{p}"),
                    "html_url": f"https://github.com/{repo.full_name}/commit/{p}",
                }
                for p in c.parents
            ],
        }
        if full:
            additions = sum(f.additions for f in c.files)
            deletions = sum(f.deletions for f in c.files)
            data["stats"] = {
                "total": additions + deletions,
                "additions": additions,
                "deletions": deletions,
            }
            data["files"] = [
                {
                    "sha": f.sha,
                    "filename": f.filename,
                    "status": f.status,
                    "additions": f.additions,
                    "deletions": f.deletions,
                    "changes": f.additions + f.deletions,
                    "blob_url": f"https://github.com/{repo.full_name}/blob/{c.sha}/{f.filename}",
                    "raw_url": f"https://github.com/{repo.full_name}/raw/{c.sha}/{f.filename}",
                    "contents_url": self.api(
                        f"/repos/{repo.full_name}/contents/{quote(f.filename, safe='')}?ref={c.sha}"
                    ),
                    "patch": f"@@ -1,{f.deletions} +1,{f.additions} @@",
                }
                for f in c.files
            ]
        return data

    def git_commit_json(self, repo: Repository, c: Commit) -> dict[str, Any]:
        inner = self.git_commit_inner(repo, c)
        del inner["comment_count"]
        return {
            "sha": c.sha,
            "node_id": "C_kwDO" + base64.b64encode(bytes.fromhex(c.sha)[:12]).decode(),
            **inner,
            "html_url": f"https://github.com/{repo.full_name}/commit/{c.sha}",
            "parents": [
                {
                    "sha": p,
                    "url": self.api(f"/repos/{repo.full_name}/git/commits/{p}"),
                    "html_url": f"https://github.com/{repo.full_name}/commit/{p}",
                }
                for p in c.parents
            ],
        }

    # -- json: branches
    def branch_simple(self, repo: Repository, b: Branch) -> dict[str, Any]:
        return {
            "name": b.name,
            "commit": {"sha": b.head, "url": self.api(f"/repos/{repo.full_name}/commits/{b.head}")},
            "protected": b.protection is not None,
            "protection_url": self.api(f"/repos/{repo.full_name}/branches/{b.name}/protection"),
        }

    def branch_json(self, repo: Repository, b: Branch) -> dict[str, Any]:
        head = repo.commit(b.head)
        assert head is not None
        p = b.protection
        protection: dict[str, Any] = {
            "enabled": p is not None,
            "required_status_checks": {
                "enforcement_level": "off"
                if p is None or not p.required_status_checks
                else ("everyone" if p.enforce_admins else "non_admins"),
                "contexts": list(p.required_status_checks) if p else [],
                "checks": [
                    {"context": ctx, "app_id": 15368}
                    for ctx in (p.required_status_checks if p else ())
                ],
            },
        }
        return {
            "name": b.name,
            "commit": self.commit_json(repo, head),
            "_links": {
                "self": self.api(f"/repos/{repo.full_name}/branches/{b.name}"),
                "html": f"https://github.com/{repo.full_name}/tree/{b.name}",
            },
            "protected": p is not None,
            "protection": protection,
            "protection_url": self.api(f"/repos/{repo.full_name}/branches/{b.name}/protection"),
        }

    def protection_json(self, url: str, p: Protection) -> dict[str, Any]:
        data: dict[str, Any] = {"url": url}
        if p.required_status_checks:
            data["required_status_checks"] = {
                "url": f"{url}/required_status_checks",
                "strict": p.strict,
                "contexts": list(p.required_status_checks),
                "contexts_url": f"{url}/required_status_checks/contexts",
                "checks": [{"context": c, "app_id": 15368} for c in p.required_status_checks],
            }
        if p.required_approving_review_count is not None:
            data["required_pull_request_reviews"] = {
                "url": f"{url}/required_pull_request_reviews",
                "dismiss_stale_reviews": p.dismiss_stale_reviews,
                "require_code_owner_reviews": p.require_code_owner_reviews,
                "require_last_push_approval": p.require_last_push_approval,
                "required_approving_review_count": p.required_approving_review_count,
            }
        data["required_signatures"] = {
            "url": f"{url}/required_signatures",
            "enabled": p.required_signatures,
        }
        data["enforce_admins"] = {"url": f"{url}/enforce_admins", "enabled": p.enforce_admins}
        for name in (
            "required_linear_history",
            "allow_force_pushes",
            "allow_deletions",
            "block_creations",
            "required_conversation_resolution",
            "lock_branch",
            "allow_fork_syncing",
        ):
            data[name] = {"enabled": getattr(p, name)}
        return data

    # -- json: rate limit
    def rate_limit(self, limit: int, used: int, reset: int) -> _Response:
        core = {"limit": limit, "used": used, "remaining": max(limit - used, 0), "reset": reset}

        def other(n: int) -> dict[str, int]:
            return {"limit": n, "used": 0, "remaining": n, "reset": reset}

        resources = {
            "core": core,
            "search": other(30),
            "graphql": other(5000),
            "integration_manifest": other(5000),
            "source_import": other(100),
            "code_scanning_upload": other(1000),
            "actions_runner_registration": other(10000),
            "scim": other(15000),
            "dependency_snapshots": other(100),
            "code_search": other(10),
        }
        return _json({"resources": resources, "rate": core})


def _in(members: Mapping[str, str], login: str | None) -> bool:
    return login is not None and _get_ci(members, login) is not None


def _lower(items: Iterable[str]) -> set[str]:
    return {i.lower() for i in items}


# ================================================================================ server


class _Handler(ReplayHandler):
    server_version = "github.com"
    sys_version = ""
    timeout = 10  # idle keep-alive connections close after this many seconds
    server: _HTTPServer

    def version_string(self) -> str:
        return self.server_version

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        resp = self.server.owner._handle(method, self.path, self.headers)
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        names = {k.lower() for k, _ in resp.headers}
        if "x-github-request-id" not in names:
            self.send_header("X-GitHub-Request-Id", _request_id())
        if "x-github-media-type" not in names:
            self.send_header("X-GitHub-Media-Type", MEDIA_TYPE)
            self.send_header("X-GitHub-Api-Version-Selected", API_VERSION)
        for key, value in resp.headers:
            self.send_header(key, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(resp.body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], owner: GitHubServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class GitHubServer(ThreadedServer):
    """A threaded GitHub REST API on ``host:port`` (port 0: a free one).

    ``github``: the synthetic GitHub (an empty one if None); ``replay``: recorded exchanges
    answered first (a :class:`Replay` or any iterable of :class:`Exchange`). ``rate_limit``
    and ``anonymous_rate_limit``: requests per hour per token / without one (GitHub's 5,000
    and 60); ``latency``: seconds each answer waits first.

    Use as a context manager (or ``start()``/``stop()``). Counters: ``requests`` (Counter by
    kind), ``log`` (every :class:`LoggedRequest`, in arrival order).
    """

    thread_name = "github-replay"

    def __init__(
        self,
        github: GitHub | None = None,
        *,
        replay: Replay | Iterable[Exchange] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        rate_limit: int = 5000,
        anonymous_rate_limit: int = 60,
    ) -> None:
        self.github = github if github is not None else GitHub()
        if replay is not None and not isinstance(replay, Replay):
            replay = Replay(replay)
        self.replay: Replay | None = replay
        self.latency = latency
        self.requests: Counter[str] = Counter()
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd = _HTTPServer((host, port), self)
        self.host: str = host
        self.port: int = self._httpd.server_port
        self.url = f"http://{self.host}:{self.port}"
        self.limiter = _RateLimiter(rate_limit, anonymous_rate_limit)
        self._router = _Router(self.github, self.replay, self.url, self.limiter)
        self._thread: threading.Thread | None = None

    # -- faults
    def add_fault(self, pattern: str, fault: Fault) -> FaultRule:
        """Answer requests whose path matches the glob ``pattern`` with ``fault``."""
        return self.github.add_fault(pattern, fault)

    def clear_faults(self) -> None:
        self.github.clear_faults()

    # -- counters
    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.log.clear()

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def count(self, kind: str | None = None, path: str | None = None) -> int:
        """Requests of one kind and/or to one path (glob)."""
        with self._lock:
            return sum(
                1
                for r in self.log
                if (kind is None or r.kind == kind)
                and (path is None or fnmatch.fnmatchcase(r.path, path))
            )

    def authorizations(self) -> list[str | None]:
        """The ``Authorization`` header of every request, in order (None when absent)."""
        with self._lock:
            return [r.authorization for r in self.log]

    def _handle(self, method: str, target: str, headers: Message) -> _Response:
        if self.latency:
            time.sleep(self.latency)
        resp, kind, source, login = self._router.respond(method, target, headers)
        parts = urlsplit(target)
        entry = LoggedRequest(
            method,
            parts.path,
            parts.query,
            kind,
            resp.status,
            source,
            login,
            resp.fault,
            tuple(headers.items()),
        )
        with self._lock:
            self.requests[kind] += 1
            self.log.append(entry)
        return resp

    def __repr__(self) -> str:
        state = "running" if self._thread else "stopped"
        return f"GitHubServer({self.url}, {state}, {self.total} requests, {self.github!r})"
