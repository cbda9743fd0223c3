"""GitHub ingestion with the real PyGithub client against the local GitHub replay server:
signed and unsigned commits, collaborators and permissions, organisation members and roles,
branch protection, a rate limit, a 404, missing push access, and the real recordings."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.records import GraphBatch, NodeRecord
from mlsc.ingest.github import (
    GitHubOptions,
    GitHubRateLimited,
    ingest_github,
    signature_kind,
)
from mlsc.queries import blast_radius
from mlsc.queries.signing import signing_report
from mlsc.vocab import github_repos_in
from tests.graph.builders import PROV
from tests.replay.github import (
    TOKEN,
    TOKEN_READ_ONLY,
    Fault,
    GitHub,
    GitHubServer,
    Replay,
    synthetic_github,
)

VISION = "acme-ml/vision-models"
RID = f"127.0.0.1/{VISION}"  # a GitHub at another base URL is GitHub Enterprise: its own host


@pytest.fixture
def gh() -> GitHub:
    return synthetic_github(seed=0)


@pytest.fixture
def server(gh: GitHub) -> Iterator[GitHubServer]:
    with GitHubServer(gh) as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LadybugStore]:
    with LadybugStore(tmp_path / "kb") as opened:
        yield opened


def options(server: GitHubServer, **kw: object) -> GitHubOptions:
    base = {"base_url": server.url, "token": TOKEN, "throttle": 0.0, "max_commits": None}
    return GitHubOptions(**(base | kw))  # type: ignore[arg-type]


def test_commits_with_verification_collaborators_members_and_protection(
    gh: GitHub, server: GitHubServer, store: LadybugStore
) -> None:
    report = ingest_github(store, options(server, repos=(VISION,)))
    repo = gh.repositories[VISION.lower()]
    expected = Counter(c.reason for c in repo.commits)
    assert report.repositories == 1 and report.commits == len(repo.commits) == 75
    assert report.signatures == expected
    for c in repo.commits[:8]:
        node = store.node("Commit", c.sha)
        assert node is not None, c.sha
        assert node["verification_reason"] == c.reason
        assert node["signature"] == {"smime": "x509"}.get(c.signing or "", c.signing)
        assert node["verified"] == (c.verified if c.signature else None)
    # collaborators with their strongest permission
    rows = store.cypher(
        "MATCH (a:Actor)-[h:HAS_ACCESS]->(:CodeRepository {id: $r}) RETURN a.name, h.permission "
        "ORDER BY a.name",
        {"r": RID},
    ).rows
    assert dict(rows) == {f"github:{u}": p for u, p in {
        "ada-admin": "admin", "bob-builder": "maintain", "carol-ci": "push",
        "dave-dev": "triage", "erin-reader": "pull"}.items()}  # fmt: skip
    node = store.node("CodeRepository", RID)
    assert node is not None and node["protected"] is True and node["access_known"] is True
    assert '"required_signatures":true' in node["protection"]
    assert node["owner"] == "github:acme-ml" and node["default_branch"] == "main"
    # organisation members and roles
    members = store.cypher(
        "MATCH (u:Actor)-[m:MEMBER_OF]->(:Actor {name: 'github:acme-ml'}) RETURN u.name, m.role"
    ).rows
    assert dict(members) == {
        "github:ada-admin": "admin",
        "github:bob-builder": "member",
        "github:carol-ci": "member",
    }
    # an author account reaches what it committed to
    newest = repo.commits[0]
    authored = store.cypher(
        "MATCH (a:Actor)-[r:AUTHORED]->(:Commit {id: $c}) RETURN a.name, r.role ORDER BY r.role",
        {"c": newest.sha},
    ).rows
    assert authored == (("github:ada-admin", "author,committer"),)
    # the signing report agrees with GitHub's verdicts
    row = signing_report(store).to_json()["repositories"][0]
    signed = [c for c in repo.commits if c.signature]
    assert (row["id"], row["commits"], row["signed"]) == (RID, 75, len(signed))
    assert row["verified"] == sum(c.verified for c in signed)
    # a re-run fetches only commits newer than the newest stored: none
    again = ingest_github(store, options(server, repos=(VISION,)))
    assert again.commits <= 1 and store.counts()["Commit"] == 75


def test_without_push_access_collaborators_are_unknown_not_nobody(
    server: GitHubServer, store: LadybugStore
) -> None:
    report = ingest_github(store, options(server, repos=(VISION,), token=TOKEN_READ_ONLY))
    assert report.access_unknown == [RID] and report.collaborators == 0
    node = store.node("CodeRepository", RID)
    assert node is not None and node["access_known"] is False
    assert node["protected"] is None  # the rules are for admins to read: unknown
    assert {p.reason for p in report.problems} >= {"access-unknown", "protection-unknown"}
    assert report.commits == 75  # the rest of the repository still comes in


def test_an_unprotected_branch_and_a_missing_repository(
    server: GitHubServer, store: LadybugStore
) -> None:
    report = ingest_github(
        store, options(server, repos=("acme-ml/data-pipeline", "acme-ml/no-such-repo"))
    )
    assert report.repositories == 1 and report.skipped == {"missing": 1}
    assert [p.record for p in report.problems if p.severity == "skipped"] == [
        "acme-ml/no-such-repo"
    ]
    node = store.node("CodeRepository", "127.0.0.1/acme-ml/data-pipeline")
    assert node is not None and node["protected"] is False and node["default_branch"] == "master"


def test_a_rate_limit_within_max_wait_is_waited_out(
    server: GitHubServer, store: LadybugStore
) -> None:
    reset = int(time.time()) + 30
    server.add_fault("/repos/*/commits", Fault.rate_limited(reset, times=1))
    waits: list[float] = []
    report = ingest_github(store, options(server, repos=(VISION,)), sleep=waits.append)
    assert report.commits == 75 and len(waits) == 1 and 25 <= waits[0] <= 32
    assert report.waited == waits[0]


def test_a_secondary_rate_limit_429_honours_retry_after(
    server: GitHubServer, store: LadybugStore
) -> None:
    server.add_fault("/repos/*/commits", Fault.secondary_rate_limited(7, status=429, times=2))
    waits: list[float] = []
    report = ingest_github(store, options(server, repos=(VISION,)), sleep=waits.append)
    assert waits == [7.0, 7.0] and report.commits == 75


def test_a_rate_limit_beyond_max_wait_stops_naming_what_it_left_out(
    server: GitHubServer, store: LadybugStore
) -> None:
    server.add_fault("/repos/*/commits", Fault.rate_limited(int(time.time()) + 3600))
    repos = (VISION, "acme-ml/does-not-exist", "acme-ml/also-later")
    report = ingest_github(store, options(server, repos=repos, max_wait=60), sleep=lambda s: None)
    limited = report.stopped_by
    assert isinstance(limited, GitHubRateLimited) and "resets at" in limited.message
    assert "GITHUB_TOKEN" in (limited.hint or "")
    assert TOKEN not in limited.message + (limited.hint or "")
    # nothing after the limit is asked for, and every repository left out is named
    assert [(p.record, p.reason) for p in report.problems] == [(r, "rate-limited") for r in repos]
    assert report.repositories == 0 and report.skipped == {"rate-limited": 3}
    assert report.collaborators == report.contributors == report.commits == 0
    assert list(report.requests_by_repository) == [VISION]
    assert report.to_json()["stopped"] == limited.message


def test_transient_server_errors_are_retried(server: GitHubServer, store: LadybugStore) -> None:
    server.add_fault("/repos/*/collaborators", Fault.server_error(502, times=2))
    waits: list[float] = []
    report = ingest_github(store, options(server, repos=(VISION,)), sleep=waits.append)
    assert report.collaborators == 5 and waits == [2.0, 4.0]


def test_repositories_linked_from_model_cards(server: GitHubServer, store: LadybugStore) -> None:
    store.write(
        GraphBatch(
            [
                NodeRecord(
                    "Model",
                    "acme/vit",
                    {"ingested": True, "code_links": ["github.com/acme-ml/vision-models"], **PROV},
                )
            ]
        )
    )
    report = ingest_github(store, options(server, from_models=True))
    assert report.repositories == 1 and report.linked_models == 1
    linked = store.cypher("MATCH (m:Model)-[:CODE_AT]->(r:CodeRepository) RETURN m.id, r.id").rows
    assert linked == (("acme/vit", RID),)


def test_a_token_is_never_stored_and_the_author_blast_radius_works(
    server: GitHubServer, store: LadybugStore
) -> None:
    ingest_github(store, options(server, repos=(VISION,)))
    dump = str(store.cypher("MATCH (n) RETURN properties(n)").rows)
    assert TOKEN not in dump
    assert any(r.authorization == f"token {TOKEN}" for r in server.log)
    br = blast_radius(store, "github:mallory")
    assert br.repositories == (RID,) and br.commits and br.count == 0


def test_helpers() -> None:
    text = "code at https://github.com/acme-ml/vision-models.git and github.com/orgs/x/y, " \
        "see [repo](https://github.com/a/b)."  # fmt: skip
    assert github_repos_in([text]) == ["acme-ml/vision-models", "a/b"]
    assert signature_kind("-----BEGIN SSH SIGNATURE-----") == "ssh"
    assert signature_kind("-----BEGIN PGP SIGNATURE-----") == "gpg"
    assert signature_kind(None) is None


def test_real_recorded_exchanges(store: LadybugStore) -> None:
    """PyGithub's own recordings of api.github.com: the PyGithub/PyGithub repository and its
    collaborators with their permissions; what was not recorded is a 404 here, which the
    ingester records as unknown and goes on."""
    replay = Replay.from_files("Repository.setUp", "Repository.testCollaborators")
    with GitHubServer(replay=replay) as recorded:
        report = ingest_github(
            store,
            GitHubOptions(
                repos=("PyGithub/PyGithub",), base_url=recorded.url, token=TOKEN, throttle=0
            ),
        )
    assert report.repositories == 1
    rid = "127.0.0.1/PyGithub/PyGithub"
    node = store.node("CodeRepository", rid)
    assert node is not None and node["url"] == "https://github.com/PyGithub/PyGithub"
    assert node["default_branch"] == "main" and node["access_known"] is True
    rows = store.cypher(
        "MATCH (a:Actor)-[h:HAS_ACCESS]->(:CodeRepository {id: $r}) RETURN a.name, h.permission",
        {"r": rid},
    ).rows
    assert ("github:jacquev6", "admin") in rows and report.collaborators == len(rows) >= 1
    assert {p.reason for p in report.problems} >= {"commits-unknown"}


def test_a_crawled_card_links_its_code_and_github_follows_it(
    server: GitHubServer, store: LadybugStore, tmp_path: Path
) -> None:
    """The Hub crawl keeps the github.com links of a card; --from-models ingests them."""
    from mlsc.ingest.hub.crawl import crawl_hub
    from mlsc.ingest.hub.options import CrawlOptions
    from tests.replay.hf import HubServer, hf_client_env
    from tests.replay.hub import Commit, Hub, HubFile, HubModel, render_card

    card = render_card(
        {"license": "mit", "repo": "https://github.com/acme-ml/vision-models"},
        "Training code: see [our repo](https://github.com/acme-ml/data-pipeline).\n",
    )
    hub = Hub([
        HubModel("acme-ml/vit-tiny", "0" * 40, "2025-01-01T00:00:00.000Z",
                 "2025-01-02T00:00:00.000Z", author="acme-ml",
                 files=(HubFile.text("README.md", card),),
                 commits=(Commit("0" * 40, "init", "2025-01-02T00:00:00.000Z", ("ada",), ""),),
                 card_data={"license": "mit", "repo": "https://github.com/acme-ml/vision-models"})
    ])  # fmt: skip
    with hf_client_env(tmp_path / "hf"), HubServer(hub) as hf:
        crawl_hub(store, CrawlOptions(models=("acme-ml/vit-tiny",), endpoint=hf.url, token=False,
                                      rate=0, commits=False, owners=False))  # fmt: skip
    node = store.node("Model", "acme-ml/vit-tiny")
    assert node is not None and node["code_links"] == [
        "github.com/acme-ml/vision-models",
        "github.com/acme-ml/data-pipeline",
    ]
    report = ingest_github(store, options(server, from_models=True, members=False))
    assert report.repositories == 2 and report.linked_models == 2
    linked = store.cypher(
        "MATCH (:Model {id: 'acme-ml/vit-tiny'})-[:CODE_AT]->(r:CodeRepository) "
        "RETURN r.id ORDER BY r.id"
    ).rows
    assert linked == (("127.0.0.1/acme-ml/data-pipeline",), (RID,))
