"""The real PyGithub client against the local GitHub replay (tests/replay/github.py).

Every call the GitHub ingest will make runs with the real client on a real socket: the
repository, commits over several pages with their signature verification (GPG, SSH,
unsigned, rejected), commit authors linked to users, collaborators and their permissions
(and the 403 without push access), organisation members and roles, branch protection (and
its 404), the rate limits (primary, secondary, 429) with the exception PyGithub raises for
each, 404s, server errors under PyGithub's retry settings, and PyGithub's own recordings of
api.github.com replayed. No test needs the internet.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GitCommitVerification import GitCommitVerification
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededExceedsMaxWait,
    RateLimitExceededException,
    UnknownObjectException,
)

from tests.replay.github import (
    GITHUB_API,
    REPLAY_DIR,
    TOKEN,
    TOKEN_READ_ONLY,
    VISION,
    VISION_HEAD,
    Exchange,
    Fault,
    GitHub,
    GitHubServer,
    Person,
    Replay,
    ReplayFormatError,
    build_commit,
    load_replay,
    parse_replay,
    synthetic_github,
)

Client = Callable[..., Github]

# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def gh() -> GitHub:
    return synthetic_github(seed=0)


@pytest.fixture
def server(gh: GitHub) -> Iterator[GitHubServer]:
    with GitHubServer(gh) as s:
        yield s


def github_client(url: str, token: str | None = TOKEN, **kwargs: Any) -> Github:
    """A Github client on ``url`` for tests: no retries and no throttling unless asked."""
    kwargs.setdefault("retry", None)
    kwargs.setdefault("seconds_between_requests", None)
    kwargs.setdefault("seconds_between_writes", None)
    auth = None if token is None else Auth.Token(token)
    return Github(base_url=url, auth=auth, **kwargs)


@pytest.fixture
def client(server: GitHubServer) -> Iterator[Client]:
    """``github_client`` on ``server``, closed after the test."""
    made: list[Github] = []

    def make(token: str | None = TOKEN, **kwargs: Any) -> Github:
        g = github_client(server.url, token, **kwargs)
        made.append(g)
        return g

    yield make
    for g in made:
        g.close()


def replay_server(*files: str) -> GitHubServer:
    return GitHubServer(replay=Replay.from_files(*files))


# ------------------------------------------------------------------------ auth, repo


def test_token_is_sent_as_authorization_token(server: GitHubServer, client: Client) -> None:
    client().get_repo(VISION)
    (entry,) = server.log
    assert entry.authorization == f"token {TOKEN}"  # Auth.Token uses "token", not "Bearer"
    assert entry.header("User-Agent") == "PyGithub/Python"
    assert entry.login == "ada-admin"
    assert server.authorizations() == [f"token {TOKEN}"]


def test_get_repo(server: GitHubServer, client: Client) -> None:
    repo = client().get_repo(VISION)
    assert server.count() == 1  # Github(lazy=False): fetched at once
    assert (repo.id, repo.full_name, repo.default_branch) == (700001, VISION, "main")
    assert repo.owner.login == "acme-ml" and repo.owner.type == "Organization"
    assert repo.organization.login == "acme-ml"
    assert repo.private is False and repo.license.spdx_id == "Apache-2.0"
    assert repo.topics == ["computer-vision", "pytorch", "vit"]
    assert repo.permissions.admin is True
    assert repo.url == f"{server.url}/repos/{VISION}"
    assert client(TOKEN_READ_ONLY).get_repo(VISION.upper()).permissions.push is False
    assert client(None).get_repo(VISION).permissions is None  # anonymous: no permissions


def test_private_repo_is_404_without_access(client: Client) -> None:
    assert client().get_repo("acme-ml/secret-sauce").private is True
    with pytest.raises(UnknownObjectException) as err:
        client(TOKEN_READ_ONLY).get_repo("acme-ml/secret-sauce")
    assert err.value.status == 404 and err.value.data["message"] == "Not Found"


def test_unknown_objects_are_404(client: Client) -> None:
    g = client()
    with pytest.raises(UnknownObjectException):
        g.get_repo("acme-ml/nope")
    with pytest.raises(UnknownObjectException):
        g.get_user("nobody-here")
    with pytest.raises(UnknownObjectException):
        g.get_organization("no-such-org")  # fetched at once with Github(lazy=False)


def test_unknown_token_is_bad_credentials(server: GitHubServer, client: Client) -> None:
    with pytest.raises(BadCredentialsException) as err:
        client("ghp_test_not_a_known_token_0000000000000").get_repo(VISION)
    assert err.value.status == 401


# ------------------------------------------------------------------------- commits


def test_get_commits_pages_through_link(server: GitHubServer, client: Client, gh: GitHub) -> None:
    repo = client().get_repo(VISION)
    server.reset_counts()
    shas = [c.sha for c in repo.get_commits()]
    assert shas == [c.sha for c in gh.repositories[VISION].commits]
    assert len(shas) == 75
    pages = [(r.path, r.query) for r in server.log]
    assert pages == [
        (f"/repos/{VISION}/commits", ""),
        ("/repositories/700001/commits", "page=2"),
        ("/repositories/700001/commits", "page=3"),
    ]
    server.reset_counts()
    assert repo.get_commits().totalCount == 75  # per_page=1 and the "last" link
    big = client(per_page=50).get_repo(VISION)
    assert len(list(big.get_commits())) == 75
    assert sorted(server.log[-1].query.split("&")) == ["page=2", "per_page=50"]


def test_commit_verification_fields(server: GitHubServer, client: Client) -> None:
    commits = list(client().get_repo(VISION).get_commits())[: len(VISION_HEAD)]
    for c, (signing, verified, reason, _author) in zip(commits, VISION_HEAD, strict=True):
        v = c.commit.verification
        assert isinstance(v, GitCommitVerification)
        assert (v.verified, v.reason) == (verified, reason)
        if signing is None:
            assert v.signature is None and v.payload is None and v.verified_at is None
            continue
        armor = "SSH SIGNATURE" if signing == "ssh" else "PGP SIGNATURE"
        assert v.signature.startswith(f"-----BEGIN {armor}-----")
        assert v.signature.endswith(f"-----END {armor}-----")
        assert v.payload.startswith(f"tree {c.commit.tree.sha}\nparent {c.parents[0].sha}\n")
        assert v.payload.endswith(c.commit.message + "\n")
        assert isinstance(v.verified_at, datetime) if verified else v.verified_at is None
        # the sha is git's hash of the payload with the signature as its gpgsig header
        head, _, message = v.payload.partition("\n\n")
        gpgsig = "gpgsig " + v.signature.replace("\n", "\n ")
        obj = f"{head}\n{gpgsig}\n\n{message}".encode()
        assert hashlib.sha1(b"commit %d\x00" % len(obj) + obj).hexdigest() == c.sha
    assert server.count("commit") == 0  # verification comes with the list, no completion


def test_commit_authors_link_to_users(client: Client) -> None:
    commits = list(client().get_repo(VISION).get_commits())[: len(VISION_HEAD)]
    logins = [(c.author.login if c.author else None) for c in commits]
    assert logins == [a if a != "jane" else None for *_, a in VISION_HEAD]
    jane = commits[6]
    assert jane.author is None and jane.commit.author.email == "jane@contractor.example"
    web = commits[5]  # made on github.com: committed and signed by GitHub
    assert web.committer.login == "web-flow" and web.commit.committer.name == "GitHub"
    assert commits[7].author.type == "Bot"
    assert commits[1].commit.author.email == "1002+bob-builder@users.noreply.github.com"


def test_get_commit(server: GitHubServer, client: Client, gh: GitHub) -> None:
    repo = client().get_repo(VISION)
    head = gh.repositories[VISION].commits[0]
    server.reset_counts()
    c = repo.get_commit(head.sha[:10])
    assert c.sha == head.sha
    assert (server.log[0].path, server.log[0].query) == (
        f"/repos/{VISION}/commits/{head.sha[:10]}",
        "page=1",
    )
    assert [f.filename for f in c.files] == [f.filename for f in head.files]
    assert c.stats.total == sum(f.additions + f.deletions for f in head.files)
    assert repo.get_commit("main").sha == head.sha
    assert repo.get_commit("dev").sha == gh.repositories[VISION].commits[3].sha
    with pytest.raises(GithubException) as err:
        repo.get_commit("0" * 40).sha  # noqa: B018
    assert err.value.status == 422
    git = repo.get_git_commit(head.sha)  # the git object view: same verification
    assert git.verification.payload == head.payload and git.tree.sha == head.tree


def test_commit_filters(client: Client, gh: GitHub) -> None:
    repo = client().get_repo(VISION)
    history = gh.repositories[VISION].commits
    bobs = list(repo.get_commits(author="bob-builder"))
    assert bobs and all(c.author.login == "bob-builder" for c in bobs)
    assert [c.sha for c in repo.get_commits(sha="dev")] == [c.sha for c in history[3:]]
    since = datetime.fromisoformat(history[9].committer.date.replace("Z", "+00:00"))
    assert len(list(repo.get_commits(since=since))) == 10
    contributors = {u.login: u.contributions for u in repo.get_contributors()}
    assert sum(contributors.values()) == 74  # jane has no account
    assert "jane" not in contributors


# ------------------------------------------------------------------- collaborators


def test_collaborators_with_permissions(client: Client) -> None:
    repo = client().get_repo(VISION)
    found = {u.login: (u.role_name, u.permissions) for u in repo.get_collaborators()}
    assert {k: v[0] for k, v in found.items()} == {
        "ada-admin": "admin",
        "bob-builder": "maintain",
        "carol-ci": "write",
        "dave-dev": "triage",
        "erin-reader": "read",
    }
    bob = found["bob-builder"][1]
    assert (bob.admin, bob.maintain, bob.push, bob.triage, bob.pull) == (
        False,
        True,
        True,
        True,
        True,
    )
    outside = [u.login for u in repo.get_collaborators(affiliation="outside")]
    assert outside == ["dave-dev", "erin-reader"]
    pushers = [u.login for u in repo.get_collaborators(permission="push")]
    assert pushers == ["ada-admin", "bob-builder", "carol-ci"]
    assert repo.get_collaborator_permission("bob-builder") == "write"  # legacy name of maintain
    assert repo.get_collaborator_role_name("bob-builder") == "maintain"
    assert repo.get_collaborator_permission("dave-dev") == "read"  # triage
    assert repo.get_collaborator_permission("mallory") == "none"
    assert repo.has_in_collaborators("carol-ci") and not repo.has_in_collaborators("mallory")
    notebooks = client().get_repo("ada-admin/notebooks")
    assert [u.login for u in notebooks.get_collaborators(affiliation="direct")] == [
        "ada-admin",
        "bob-builder",
    ]


def test_collaborators_need_push_access(server: GitHubServer, client: Client) -> None:
    repo = client(TOKEN_READ_ONLY).get_repo(VISION)
    with pytest.raises(GithubException) as err:
        list(repo.get_collaborators())
    assert err.value.status == 403
    assert err.value.message == "Must have push access to view repository collaborators."
    with pytest.raises(GithubException) as err:
        repo.get_collaborator_permission("bob-builder")
    assert err.value.data["message"] == "Must have push access to view collaborator permission."
    with pytest.raises(GithubException) as err:
        list(client(None).get_repo(VISION).get_collaborators())
    assert err.value.status == 401


# --------------------------------------------------------------------- organisations


def test_org_members_and_roles(server: GitHubServer, client: Client) -> None:
    g = client()
    org = g.get_organization("acme-ml")
    assert org.name == "Acme Machine Learning" and org.default_repository_permission == "read"
    assert [m.login for m in org.get_members()] == ["ada-admin", "bob-builder", "carol-ci"]
    assert [m.login for m in org.get_members(role="admin")] == ["ada-admin"]
    assert [m.login for m in org.get_public_members()] == ["ada-admin", "bob-builder"]
    roles = {m.login: m.get_organization_membership("acme-ml").role for m in org.get_members()}
    assert roles == {"ada-admin": "admin", "bob-builder": "member", "carol-ci": "member"}
    me = g.get_user().get_organization_membership("acme-ml")
    assert (me.role, me.state, me.organization.login) == ("admin", "active", "acme-ml")
    assert server.log[-1].path == "/user/memberships/orgs/acme-ml"
    with pytest.raises(UnknownObjectException):
        g.get_user("dave-dev").get_organization_membership("acme-ml")
    # outsiders see public members only, and no roles
    outsider = client(TOKEN_READ_ONLY).get_organization("acme-ml")
    assert [m.login for m in outsider.get_members()] == ["ada-admin", "bob-builder"]
    with pytest.raises(GithubException) as err:
        client(TOKEN_READ_ONLY).get_user("bob-builder").get_organization_membership("acme-ml")
    assert err.value.status == 403


def test_has_in_members_follows_302_for_outsiders(server: GitHubServer, client: Client) -> None:
    g = client()
    org = g.get_organization("acme-ml")
    carol = g.get_user("carol-ci")
    assert org.has_in_members(carol) and not org.has_in_members(g.get_user("dave-dev"))
    outsider = client(TOKEN_READ_ONLY).get_organization("acme-ml")
    server.reset_counts()
    assert outsider.has_in_members(g.get_user("bob-builder")) is True  # public member
    assert outsider.has_in_members(carol) is False  # private membership
    assert [r.status for r in server.log if r.kind.startswith("org_")][:2] == [302, 204]


# ------------------------------------------------------------------ branch protection


def test_branch_protection(server: GitHubServer, client: Client, gh: GitHub) -> None:
    repo = client().get_repo(VISION)
    main = repo.get_branch("main")
    assert main.protected is True
    p = main.get_protection()
    assert p.required_signatures is True and p.enforce_admins is True
    assert p.required_linear_history is True and p.allow_force_pushes is False
    assert p.required_status_checks.contexts == ["ci/build", "ci/test"]
    assert p.required_status_checks.strict is True
    reviews = p.required_pull_request_reviews
    assert reviews.required_approving_review_count == 2
    assert reviews.require_code_owner_reviews is True
    assert server.log[-1].header("Accept") == "application/vnd.github.luke-cage-preview+json"
    assert main.get_required_signatures() is True
    dev = repo.get_branch("dev")
    assert dev.protected is False
    with pytest.raises(GithubException) as err:
        dev.get_protection()
    assert type(err.value) is GithubException  # "Branch not protected" has no "not found"
    assert (err.value.status, err.value.message) == (404, "Branch not protected")
    henry = "ghp_test000000000000000000000henry0owner"
    gh.add_token(henry, "henry-hf")  # ada is only a triager on open-weights/tiny-llm
    tiny = client(henry).get_repo("open-weights/tiny-llm").get_branch("main").get_protection()
    assert tiny.required_signatures is True and tiny.required_pull_request_reviews is None
    with pytest.raises(UnknownObjectException):  # protection is admin-only
        client(TOKEN_READ_ONLY).get_repo(VISION).get_branch("main").get_protection()


# ------------------------------------------------------------------------ rate limits


def test_rate_limit_endpoint_and_headers(server: GitHubServer, client: Client) -> None:
    g = client()
    g.get_repo(VISION)
    rl = g.get_rate_limit()
    assert (rl.resources.core.limit, rl.resources.core.remaining) == (5000, 4999)
    assert rl.rate.remaining == 4999
    assert g.get_rate_limit().resources.core.remaining == 4999  # /rate_limit is free
    assert g.rate_limiting == (4999, 5000)
    anonymous = client(None)
    anonymous.get_repo(VISION)
    assert anonymous.rate_limiting == (59, 60)


def test_primary_rate_limit(server: GitHubServer, client: Client) -> None:
    reset = int(time.time()) + 1800
    server.add_fault("/repos/acme-ml/*", Fault.rate_limited(reset, user_id=1001))
    g = client()
    with pytest.raises(RateLimitExceededException) as err:
        g.get_repo(VISION)
    e = err.value
    assert e.headers is not None
    assert e.message is None  # RateLimitExceededException keeps the message in .data only
    assert e.status == 403 and e.data["message"].startswith(
        "API rate limit exceeded for user ID 1001."
    )
    assert e.headers["x-ratelimit-remaining"] == "0"
    assert int(e.headers["x-ratelimit-reset"]) == reset
    assert g.rate_limiting_resettime == reset and g.rate_limiting == (0, 5000)
    assert server.log[-1].fault == "rate_limited"
    server.clear_faults()
    server.add_fault("/repos/acme-ml/*", Fault.rate_limited(reset, status=429))
    with pytest.raises(GithubException) as err429:
        g.get_repo(VISION)
    assert type(err429.value) is GithubException and err429.value.status == 429  # not mapped


def test_budget_runs_out(gh: GitHub) -> None:
    with GitHubServer(gh, rate_limit=3) as server:
        g = github_client(server.url)
        for _ in range(3):
            g.get_repo(VISION)
        with pytest.raises(RateLimitExceededException) as err:
            g.get_repo(VISION)
        assert (err.value.headers or {})["x-ratelimit-remaining"] == "0"
        assert [r.status for r in server.log] == [200, 200, 200, 403]
        g.close()


def test_secondary_rate_limit(server: GitHubServer, client: Client) -> None:
    server.add_fault("/repos/acme-ml/*", Fault.secondary_rate_limited(30))
    with pytest.raises(RateLimitExceededException) as err:
        client().get_repo(VISION)
    assert (err.value.headers or {})["retry-after"] == "30"
    assert err.value.data["message"].startswith("You have exceeded a secondary rate limit")
    server.clear_faults()
    server.add_fault("/repos/acme-ml/*", Fault.secondary_rate_limited(30, status=429))
    with pytest.raises(GithubException) as err429:
        client().get_repo(VISION)
    assert err429.value.status == 429


def test_github_retry_waits_out_rate_limits(server: GitHubServer, client: Client) -> None:
    """GithubRetry retries rate limits; Retry-After 0 and a past reset make it not sleep."""
    retry = GithubRetry(total=3, secondary_rate_wait=0, backoff_factor=0)
    started = time.monotonic()
    server.add_fault(f"/repos/{VISION}", Fault.secondary_rate_limited(0, times=1))
    server.add_fault(
        "/repos/acme-ml/data-pipeline", Fault.rate_limited(int(time.time()) - 5, times=1)
    )
    server.add_fault("/repos/ada-admin/*", Fault.secondary_rate_limited(0, status=429, times=1))
    g = client(retry=retry)
    assert g.get_repo(VISION).name == "vision-models"
    assert g.get_repo("acme-ml/data-pipeline").name == "data-pipeline"
    assert g.get_repo("ada-admin/notebooks").name == "notebooks"
    assert [r.status for r in server.log] == [403, 200, 403, 200, 429, 200]
    assert time.monotonic() - started < 2
    server.clear_faults()
    server.add_fault("/repos/acme-ml/*", Fault.rate_limited(int(time.time()) + 600))
    with pytest.raises(RateLimitExceededExceedsMaxWait) as err:
        client(retry=GithubRetry(total=3, max_rate_limit_wait=5)).get_repo(VISION)
    assert err.value.wait is not None and err.value.wait > 500


# --------------------------------------------------------------- errors and retries


def test_server_errors_and_default_retry(server: GitHubServer, client: Client) -> None:
    server.add_fault("/repos/acme-ml/*", Fault.server_error(500, times=2))
    with pytest.raises(GithubException) as err:
        client().get_repo(VISION)  # retry=None: one request
    assert err.value.status == 500 and server.count() == 1
    server.clear_faults()
    server.reset_counts()
    default = client(retry=Github.default_retry)  # GithubRetry(): total 10, no backoff
    server.add_fault("/repos/acme-ml/*", Fault.server_error(502, times=2))
    assert default.get_repo(VISION).name == "vision-models"
    assert [r.status for r in server.log] == [502, 502, 200]
    server.clear_faults()
    server.reset_counts()
    server.add_fault("/repos/acme-ml/*", Fault.server_error(502))
    with pytest.raises(requests.exceptions.RetryError):  # not a GithubException
        default.get_repo(VISION)
    assert server.count() == 11
    server.clear_faults()
    server.add_fault("/repos/acme-ml/*", Fault.server_error(503))
    with pytest.raises(GithubException) as err:
        client().get_repo(VISION)
    assert err.value.status == 503 and err.value.data["data"].startswith("<html>")


def test_fault_on_second_page(server: GitHubServer, client: Client) -> None:
    server.add_fault("/repositories/700001/commits", Fault.not_found())
    repo = client().get_repo(VISION)
    commits = repo.get_commits()
    assert commits[0].sha  # page 1 is fine
    with pytest.raises(UnknownObjectException):
        list(commits)


def test_malformed_json(server: GitHubServer, client: Client) -> None:
    server.add_fault(f"/repos/{VISION}", Fault.malformed_json(times=1))
    g = client()
    with pytest.raises(json.JSONDecodeError):  # raw, not a GithubException
        g.get_repo(VISION)
    assert g.get_repo(VISION).name == "vision-models"


def test_throttle_defaults_to_a_quarter_second(server: GitHubServer, client: Client) -> None:
    throttled = client(seconds_between_requests=0.25)  # PyGithub's default
    started = time.monotonic()
    for _ in range(3):
        throttled.get_rate_limit()
    assert time.monotonic() - started >= 0.5
    fast = client()  # seconds_between_requests=None
    started = time.monotonic()
    for _ in range(10):
        fast.get_rate_limit()
    assert time.monotonic() - started < 0.5


# --------------------------------------------------------------------- synthetic data


def test_synthetic_github_is_deterministic() -> None:
    a, b = synthetic_github(seed=0), synthetic_github(seed=0)
    heads = [c.sha for c in a.repositories[VISION].commits]
    assert heads == [c.sha for c in b.repositories[VISION].commits]
    assert heads != [c.sha for c in synthetic_github(seed=1).repositories[VISION].commits]
    reasons = {c.reason for c in a.repositories[VISION].commits}
    assert {"valid", "unsigned", "bad_email", "unknown_key"} <= reasons


def test_build_commit() -> None:
    ada = Person("Ada Lovelace", "ada@acme-ml.example", "2024-01-08T09:00:00Z")
    unsigned = build_commit(parents=[], author=ada, message="Initial commit")
    assert (unsigned.signing, unsigned.verified, unsigned.reason) == (None, False, "unsigned")
    assert unsigned.payload is None and unsigned.verification()["signature"] is None
    signed = build_commit(parents=[unsigned.sha], author=ada, message="Two", signing="ssh")
    assert (signed.signing, signed.verified, signed.reason) == ("ssh", True, "valid")
    assert signed.payload is not None and f"parent {unsigned.sha}\n" in signed.payload
    bad = build_commit(
        parents=[], author=ada, message="x", signing="gpg", verified=False, reason="bad_email"
    )
    assert bad.verification()["verified_at"] is None and bad.signature is not None


# --------------------------------------------------------------------------- replay


def test_parse_replay_format() -> None:
    text = (
        "https\nGET\napi.github.com\nNone\n/users/a?x=1\n{'Authorization': 'token t'}\nNone\n"
        "200\n[('Content-Type', 'application/json'), ('Link', '<https://api.github.com/x>')]\n"
        '{"login":"a"}\n'
        # no blank separator, junk before the headers dict, a body over two lines
        "https\nPUT\napi.github.com\n443\n/x\napi v3 {'A': 'b'}\n{\"k\": 1}\n204\n[]\n\n\n"
        "https\nGET\nobjects.githubusercontent.com\nNone\n/blob\n{}\nNone\n200\n[]\nline 1\n"
        "line 2\n\n"
    )
    first, second, third = parse_replay(text, "t.txt")
    assert (first.method, first.path, first.query, first.port) == ("GET", "/users/a", "x=1", None)
    assert first.request_headers == {"Authorization": "token t"}
    assert first.json() == {"login": "a"} and first.header("link") == "<https://api.github.com/x>"
    assert (second.method, second.port, second.status, second.body) == ("PUT", 443, 204, "")
    assert second.request_headers == {"A": "b"} and second.request_body == '{"k": 1}'
    assert third.body == "line 1\nline 2" and third.index == 2
    with pytest.raises(ReplayFormatError):
        parse_replay("https\nGET\nhost\nNone\n/x\nnot a dict\nNone\n200\n[]\n{}\n")


def test_replay_matching_and_sequencing() -> None:
    def ex(method: str, target: str, status: int, body: str = "") -> Exchange:
        path, _, query = target.partition("?")
        host = "api.github.com"
        return Exchange("https", method, host, None, path, query, {}, None, status, (), body)

    replay = Replay(
        [
            ex("GET", "/a?x=1&y=2", 200, "first"),
            ex("GET", "/a?y=2&x=1", 201, "second"),
            ex("GET", "/c?page=1", 200, "c"),
            ex("GET", "/d?since=2020", 200, "d"),
            ex("GET", "/e?q=1", 200),
            ex("GET", "/e?q=2", 200),
            ex("DELETE", "/a", 204),
        ]
    )

    def served(method: str, path: str, query: str = "") -> tuple[str, int, str]:
        hit = replay.match(method, path, query)
        assert hit is not None
        return hit[0].body, hit[0].status, hit[1]

    assert served("GET", "/a", "y=2&x=1") == ("first", 200, "exact")  # any parameter order
    assert [served("GET", "/a", "x=1&y=2")[1] for _ in range(3)] == [201, 201, 201]  # last
    assert served("GET", "/c", "per_page=30") == ("c", 200, "loose")  # page=1/per_page ignored
    assert served("HEAD", "/d", "since=2021") == ("d", 200, "path")  # one recorded query
    assert served("DELETE", "/a")[1] == 204
    assert replay.match("GET", "/e", "q=3") is None  # two recorded queries: no guessing
    assert replay.match("GET", "/b", "") is None
    replay.rewind()
    assert served("GET", "/a", "x=1&y=2")[0] == "first"


def test_every_copied_recording_parses() -> None:
    files = sorted(REPLAY_DIR.glob("*.txt"))
    assert len(files) == 18  # PyGithub's 17, and ours for code (tests/replay/github_code.py)
    exchanges = [ex for f in files for ex in load_replay(f)]
    assert all(ex.host == "api.github.com" for ex in exchanges)
    assert sum(ex.status == 200 for ex in exchanges) > 20


def test_replayed_verified_and_unsigned_commits() -> None:
    with replay_server("Repository.setUp", "GitCommitVerification.setUp", "Commit.setUp") as s:
        g = github_client(s.url, "ghp_test_replay")
        commit = g.get_repo("PyGithub/PyGithub").get_commit(
            "801d64a4c5c0fcb63f695e0f6799117e76e5fe67"
        )
        v = commit.commit.verification
        assert (v.verified, v.reason) == (True, "valid")
        assert v.signature.startswith("-----BEGIN PGP SIGNATURE-----\n\niMgEAAEKADIWIQRbWfY9")
        assert v.payload.startswith("tree 4f502b4c4e5f0bdc7ee611f914bbdef51aef5efa\nparent 8508")
        assert commit.author.login == "timgates42"
        assert commit.commit.url.startswith(s.url)  # absolute URLs point here
        old = g.get_repo("jacquev6/PyGithub").get_commit("1292bf0e22c796e91cc3d6e24b544aece8c21f2a")
        v = old.commit.verification
        assert (v.verified, v.reason) == (False, "unsigned")
        assert v.signature is None and v.payload is None
        assert {r.source for r in s.log} == {"replay:exact"}
        g.close()


def test_replayed_collaborators() -> None:
    files = (
        "Repository.setUp",
        "Repository.testCollaborators",
        "Repository.testCollaboratorPermission",
        "Repository.testCollaboratorPermissionNoPushAccess",
        "Issue937.testCollaboratorsAffiliation",
    )
    with replay_server(*files) as s:
        g = github_client(s.url, "ghp_test_replay")
        repo = g.get_repo("PyGithub/PyGithub")
        lyloa = g.get_user("Lyloa")
        assert repo.has_in_collaborators(lyloa) is False  # recorded 404 ...
        repo.add_to_collaborators(lyloa)  # ... PUT 204 ...
        assert repo.has_in_collaborators(lyloa) is True  # ... then 204 on the same path
        assert [u.login for u in repo.get_collaborators()] == ["jacquev6", "Lyloa"]
        repo.remove_from_collaborators(lyloa)
        assert repo.has_in_collaborators(lyloa) is False
        assert repo.get_collaborator_permission("jacquev6") == "admin"
        with pytest.raises(GithubException) as err:
            repo.get_collaborator_permission("lyloa")
        assert err.value.status == 403
        assert err.value.message == "Must have push access to view collaborator permission."
        other = github_client(s.url, None, lazy=True).get_repo("hegde5/PyGithub")
        (owner,) = other.get_collaborators(affiliation="direct")
        assert owner.login == "hegde5" and owner.permissions.admin is True
        g.close()


def test_replayed_org_members_and_membership() -> None:
    files = (
        "Organization.setUp",
        "Organization.testGetMembers",
        "NamedUser.setUp",
        "NamedUser.testGetOrganizationMembership",
    )
    with replay_server(*files) as s:
        g = github_client(s.url, "ghp_test_replay")
        org = g.get_organization("BeaverSoftware")
        assert [m.login for m in org.get_members()] == ["cjuniet", "jacquev6", "Lyloa"]
        user = g.get_user("jacquev6")
        assert [o.login for o in user.get_orgs()] == ["BeaverSoftware"]
        membership = user.get_organization_membership("BeaverSoftware")
        assert (membership.role, membership.state) == ("member", "active")
        assert membership.url == f"{s.url}/orgs/BeaverSoftware/memberships/jacquev6"
        g.close()
    with replay_server("NamedUser.setUp", "NamedUser.testGetOrganizationMembershipNotMember") as s:
        g = github_client(s.url, None)
        with pytest.raises(UnknownObjectException):
            g.get_user("jacquev6").get_organization_membership("BeaverSoftware")
        g.close()


def test_replayed_rate_limit_404_and_protection() -> None:
    files = (
        "RateLimiting.testRateLimiting",
        "Exceptions.testUnknownObject",
        "BranchProtection.setUp",
    )
    with replay_server(*files) as s:
        g = github_client(s.url, "ghp_test_replay")
        core = g.get_rate_limit().resources.core
        assert (core.limit, core.used, core.remaining) == (5000, 96, 4904)
        assert int(core.reset.timestamp()) == 1684195041
        with pytest.raises(UnknownObjectException):
            g.get_repo("jacquev6/Xxx")
        branch = g.get_repo("curvewise-forks/PyGithub").get_branch("master")
        protection = branch.get_protection()
        assert protection.required_status_checks.contexts == ["build (3.10)"]
        assert protection.enforce_admins is True and protection.required_linear_history is True
        assert branch.commit.commit.verification.reason == "valid"
        g.close()


def test_replayed_pagination_follows_rewritten_links() -> None:
    with replay_server("PaginatedList.testCustomPerPageIteration") as s:
        g = github_client(s.url, None, per_page=3)
        comments = list(g.get_repo("PyGithub/PyGithub").get_issue(1136).get_comments())
        assert len(comments) == 7
        pages = [(r.path, r.query) for r in s.log if r.path.endswith("/comments")]
        assert pages == [
            ("/repos/PyGithub/PyGithub/issues/1136/comments", "per_page=3"),
            ("/repositories/3544490/issues/1136/comments", "page=2&per_page=3"),
            ("/repositories/3544490/issues/1136/comments", "page=3&per_page=3"),
        ]
        raw = requests.get(f"{s.url}/repos/PyGithub/PyGithub/issues/1136/comments?per_page=3")
        assert GITHUB_API not in raw.headers["Link"] and s.url in raw.headers["Link"]
        assert GITHUB_API not in raw.text
        g.close()


def test_replayed_server_errors_with_github_retry() -> None:
    with replay_server("Retry.testReturnsRepoAfter3Retries") as s:
        retry = GithubRetry(total=3, backoff_factor=0)
        g = github_client(s.url, None, retry=retry)
        assert g.get_repo("PyGithub/PyGithub").full_name == "PyGithub/PyGithub"
        assert [r.status for r in s.log] == [502, 502, 502, 200]
        g.close()


def test_replay_and_synthetic_together(gh: GitHub) -> None:
    with GitHubServer(gh, replay=Replay.from_files("Repository.setUp")) as s:
        g = github_client(s.url)
        assert g.get_repo("PyGithub/PyGithub").id == 3544490
        assert g.get_repo(VISION).id == 700001
        assert [r.source for r in s.log] == ["replay:exact", "synthetic"]
        g.close()
