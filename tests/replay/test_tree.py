"""The real Mistral family served to the real client (skipped without ``../shared/data``)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from tests.replay.hf import HubServer, Paging, hf_client_env
from tests.replay.hub import Commit, Hub, HubModel, Organization
from tests.replay.tree import MISTRAL_ROOT, ORGANISATIONS, SHARED_TREE, mistral_family


@pytest.fixture(scope="module")
def family() -> Hub:
    try:
        return mistral_family()
    except FileNotFoundError as exc:
        pytest.skip(f"the real family is test input only, read from ../shared/data: {exc}")


@pytest.fixture
def api(family: Hub, tmp_path: Path) -> Iterator[HfApi]:
    with HubServer(family, paging=Paging(models=10)) as server, hf_client_env(tmp_path / "hf"):
        yield HfApi(endpoint=server.url, token=False)


def recorded_tree() -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    path = sorted(SHARED_TREE.glob("*.csv"))[-1]
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_recorded_model_is_served_as_recorded(family: Hub, api: HfApi) -> None:
    rows = recorded_tree()
    assert len(family) == len(rows) == 67
    for row in rows[:5]:
        recorded = json.loads(row["metadata"])
        info = api.model_info(row["model_id"], files_metadata=True)
        assert info.sha == recorded["sha"] and info.tags == recorded["tags"]
        assert info.author == recorded["author"] and info.gated == recorded["gated"]
        assert len(info.siblings or []) == len(recorded["siblings"])
        assert all(s.size and s.blob_id for s in info.siblings or [])


def test_children_listing_with_counts_pages_like_the_hub(family: Hub, api: HfApi) -> None:
    """One bare ``base_model:<id>`` filter lists every child, whatever the relation, over
    cursor pages (of 10 here); ``childrenModelCount`` counts each child's own children."""
    listed = list(
        api.list_models(
            filter=f"base_model:{MISTRAL_ROOT}", expand=["childrenModelCount", "lastModified"]
        )
    )
    assert sorted(m.id for m in listed) == sorted(family.children(MISTRAL_ROOT))
    assert len(listed) == 22
    counts = {m.id: m.children_model_count for m in listed}
    assert counts == {m.id: len(family.children(m.id)) for m in listed}
    assert counts["mistralai/Mistral-Small-24B-Instruct-2501"] > 0


def test_owners_are_organisations_or_users_and_commits_have_no_organisation_author(
    family: Hub, api: HfApi
) -> None:
    assert api.get_organization_overview("mistralai").is_verified is True
    user = next(m.author for m in family if m.author and m.author not in ORGANISATIONS)
    assert api.get_user_overview(user).username == user
    for m in family:
        (commit,) = api.list_repo_commits(m.id)
        assert commit.commit_id == m.sha
        assert commit.authors == ([] if m.author in ORGANISATIONS else [m.author])


def test_an_organisation_is_never_listed_as_a_commit_author(tmp_path: Path) -> None:
    """A commit made up for a recorded model names its owner; when the owner is an
    organisation of the replayed Hub, the commit list leaves it out, as the Hub would."""
    date = "2025-01-01T00:00:00.000Z"
    commit = Commit("a" * 40, "Upload", date, ("some-org", "bob"))
    hub = Hub([HubModel("some-org/m", "a" * 40, date, date, commits=(commit,))])
    with HubServer(hub) as server, hf_client_env(tmp_path / "hf"):
        api = HfApi(endpoint=server.url, token=False)
        assert [c.authors for c in api.list_repo_commits("some-org/m")] == [["some-org", "bob"]]
        hub.add_organization(Organization("some-org"))
        assert [c.authors for c in api.list_repo_commits("some-org/m")] == [["bob"]]
