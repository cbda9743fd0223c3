"""The real huggingface_hub client against the local Hub replay (tests/replay/hf.py).

Every call ``mlsc ingest hf`` will make is run with the real client on a real socket:
model_info (plain, files metadata, expand, revision), list_models (filters, fields, Link
pagination past 1,000 children), list_repo_commits, list_repo_tree, hf_hub_download,
organisation and user overviews, and each fault with the exception the client raises for it.
No test needs the internet; the client runs under a temporary HF_HOME without a token.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (
    BadRequestError,
    DisabledRepoError,
    FileMetadataError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils import _http

from tests.replay.hf import CDN, HubServer, Paging, hf_client_env
from tests.replay.hub import (
    DATA,
    RELATIONS,
    Fault,
    Hub,
    HubFile,
    parse_card_data,
    synthetic_hub,
)

WIDE = 1_050
"""Direct children of acme-ai/acme-1b: more than one page of 1,000."""


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hub() -> Hub:
    return synthetic_hub(seed=0, wide_children=WIDE)


@pytest.fixture(scope="module")
def records() -> Hub:
    if not (DATA / "records").is_dir():
        pytest.skip(f"{DATA / 'records'} is missing: the recorded exchanges were not checked out")
    return Hub.from_records(DATA)


@pytest.fixture(autouse=True)
def client_env(tmp_path: Path) -> Iterator[Path]:
    """The client under a temporary HF_HOME: no token, no user cache, online, no telemetry."""
    home = tmp_path / "hf-home"
    with hf_client_env(home):
        yield home


@pytest.fixture
def server(hub: Hub) -> Iterator[HubServer]:
    with HubServer(hub) as srv:
        yield srv
    hub.clear_faults()


@pytest.fixture
def api(server: HubServer) -> HfApi:
    return HfApi(endpoint=server.url, token=False)


class _Clock:
    """Stands in for the ``time`` module inside huggingface_hub's backoff: records sleeps."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(_http, "time", fake)
    return fake


def paged(hub: Hub, **sizes: int) -> HubServer:
    return HubServer(hub, paging=Paging(**sizes))


# ------------------------------------------------------------------------ model_info


def test_model_info_has_the_hub_fields(api: HfApi, hub: Hub) -> None:
    info = api.model_info("alice/acme-7b-chat")
    model = hub.model("alice/acme-7b-chat")
    assert info.id == model.id and info.author == "alice" and info.sha == model.sha
    assert info.created_at is not None and info.last_modified is not None
    assert info.private is False and info.gated is False and info.disabled is False
    assert info.library_name == "transformers" and info.pipeline_tag == "text-generation"
    assert "base_model:finetune:acme-ai/acme-7b" in (info.tags or [])
    assert info.card_data is not None
    assert info.card_data.base_model == "acme-ai/Acme-7B"  # the card still names the old id
    assert info.config == {"architectures": ["AcmeForCausalLM"], "model_type": "llama"}
    assert info.safetensors is not None and info.safetensors.total > 0
    names = [s.rfilename for s in info.siblings or []]
    assert names == [f.path for f in model.files]
    assert all(s.size is None for s in info.siblings or [])  # sizes only with files_metadata


def test_model_info_files_metadata_and_security(api: HfApi, hub: Hub) -> None:
    info = api.model_info("ivan/tiny-base-ft", files_metadata=True, securityStatus=True)
    by_name = {s.rfilename: s for s in info.siblings or []}
    weights = by_name["model.pt"]
    expected = hub.model("ivan/tiny-base-ft").file("model.pt")
    assert expected is not None and expected.lfs is not None
    assert weights.size == expected.size and weights.blob_id == expected.oid
    assert weights.lfs is not None and weights.lfs.sha256 == expected.lfs.sha256
    assert weights.lfs.pointer_size == len(expected.lfs.pointer)
    config = by_name["config.json"]
    assert config.lfs is None and config.size is not None and config.blob_id is not None
    assert info.security_repo_status == {
        "scansDone": True,
        "filesWithIssues": [{"path": "model.pt", "level": "info"}],
    }
    assert info.safetensors is None  # pickle-only


def test_model_info_expand_returns_only_what_was_asked(api: HfApi, server: HubServer) -> None:
    info = api.model_info("acme-ai/acme-1b", expand=["childrenModelCount", "gated", "sha"])
    assert info.children_model_count == WIDE  # the private child is not counted
    assert info.gated is False and info.sha is not None
    assert info.tags is None and info.card_data is None and info.siblings is None
    merge = api.model_info("mergemaster/frankenmerge-3way", expand=["baseModels"])
    base_models: Any = merge.base_models  # typed list[str] by the client; the Hub sends this
    assert base_models == {
        "relation": "merge",
        "models": [
            {"id": "acme-ai/acme-7b"},
            {"id": "alice/acme-7b-chat"},
            {"id": "erin/acme-7b-chat-dpo"},
        ],
    }
    assert server.log[-1].query == "expand=baseModels"
    with pytest.raises(BadRequestError):
        api.model_info("acme-ai/acme-1b", expand=["nonsense"])  # type: ignore[list-item]


def test_model_info_at_a_revision(api: HfApi, hub: Hub, tmp_path: Path) -> None:
    model = hub.model("acme-ai/acme-7b")
    oldest = model.commits[-1].id
    assert api.model_info(model.id, revision=oldest).sha == oldest
    assert api.model_info(model.id, revision="main").sha == model.sha
    with pytest.raises(RevisionNotFoundError):
        api.model_info(model.id, revision="no-such-branch")
    readme = api.hf_hub_download(model.id, "README.md", revision=oldest, cache_dir=tmp_path)
    assert f"snapshots/{oldest}/" in readme
    with pytest.raises(RevisionNotFoundError):
        api.hf_hub_download(model.id, "README.md", revision="nope", cache_dir=tmp_path)


# ------------------------------------------------------------------------ list_models


def test_list_models_pages_past_1000_children(api: HfApi, server: HubServer) -> None:
    children = list(api.list_models(filter="base_model:finetune:acme-ai/acme-1b"))
    assert len(children) == WIDE
    assert len({m.id for m in children}) == WIDE
    assert server.requests["list_models"] == 2  # 1,000 then 50, following Link: rel="next"
    first, second = (r for r in server.log if r.kind == "list_models")
    assert "cursor=" not in first.query and "cursor=" in second.query
    assert "filter=base_model%3Afinetune%3Aacme-ai%2Facme-1b" in second.query
    # The plain base_model:<id> tag lists every relation (here all fine-tunes)
    assert sum(1 for _ in api.list_models(filter="base_model:acme-ai/acme-1b")) == WIDE


def test_list_models_small_pages_and_limit(hub: Hub) -> None:
    with paged(hub, models=2) as server:
        api = HfApi(endpoint=server.url, token=False)
        ids = [m.id for m in api.list_models(filter="base_model:acme-ai/acme-7b")]
        expected = [m.id for m in hub if "base_model:acme-ai/acme-7b" in m.tags]
        assert ids == expected and len(ids) >= 5
        assert server.requests["list_models"] == (len(expected) + 1) // 2
        server.reset_counts()
        assert len(list(api.list_models(filter="base_model:acme-ai/acme-7b", limit=3))) == 3
        assert server.requests["list_models"] == 2  # the client stops once it has 3


def test_a_listing_cannot_stand_in_for_model_info(api: HfApi) -> None:
    """What a crawl needs from model_info that no listing carries, as on the Hub: files with
    sizes, git blob ids and LFS hashes (``blobs=true`` is model_info's alone; a listing's
    siblings name files only: huggingface_hub issue #1814) and the security status
    (``securityStatus=true`` is model_info's; it is no ``expand`` property)."""
    everything = ["cardData", "config", "gated", "sha", "siblings", "tags", "safetensors"]
    listed = {m.id: m for m in api.list_models(author="quantbot", expand=everything)}
    for mid, item in listed.items():
        info = api.model_info(mid, files_metadata=True, securityStatus=True)
        assert (item.sha, item.tags, item.gated) == (info.sha, info.tags, info.gated)
        assert item.card_data == info.card_data and item.config == info.config
        assert [s.rfilename for s in item.siblings or []] == [
            s.rfilename for s in info.siblings or []
        ]
        assert all((s.size, s.blob_id, s.lfs) == (None, None, None) for s in item.siblings or [])
        assert all(s.size is not None and s.blob_id for s in info.siblings or [])
        assert getattr(item, "security_repo_status", None) is None
        assert info.security_repo_status is not None
    with pytest.raises(HfHubHTTPError) as unknown:
        list(api.list_models(author="quantbot", expand=["securityRepoStatus"]))  # type: ignore[list-item]
    assert unknown.value.response.status_code == 400


def test_list_models_filters_and_fields(api: HfApi, hub: Hub) -> None:
    quantbot = list(api.list_models(author="quantbot", full=True))
    assert {m.id for m in quantbot} == {m.id for m in hub.models_of("quantbot")}
    assert all(m.sha and m.last_modified and m.siblings for m in quantbot)
    assert [m.id for m in api.list_models(search="gguf")] == ["quantbot/acme-7b-GGUF"]
    both = api.list_models(filter=["gptq", "base_model:quantized:acme-ai/acme-7b"])
    assert [m.id for m in both] == ["quantbot/acme-7b-GPTQ"]
    short = next(iter(api.list_models(author="acme-ai")))
    assert short.tags and short.sha is None and short.siblings is None  # default fields
    expanded = next(iter(api.list_models(author="quantbot", expand=["baseModels"])))
    assert expanded.base_models is not None and expanded.tags is None
    with_cards = next(iter(api.list_models(search="GPTQ", cardData=True, fetch_config=True)))
    assert with_cards.card_data is not None and with_cards.config is not None
    by_downloads = [m.downloads or 0 for m in api.list_models(author="acme-ai", sort="downloads")]
    assert by_downloads == sorted(by_downloads, reverse=True)
    assert "alice/private-experiment" not in {m.id for m in api.list_models(author="alice")}
    gated = api.list_models(author="openweights", gated=True, full=True)
    assert {(m.id, m.gated) for m in gated} == {
        ("openweights/ow-13b", "manual"),
        ("openweights/ow-3b", "auto"),
    }


def test_list_models_lineage_shapes(api: HfApi, hub: Hub) -> None:
    """Each relation the Hub tags, and the shapes it does not tag."""
    for rel in RELATIONS:
        tagged = [m for m in hub if any(t.startswith(f"base_model:{rel}:") for t in m.tags)]
        if rel == "adapter":
            assert tagged == []  # adapters name their parent only in adapter_config.json
        else:
            assert tagged
    adapter = hub.model("bob/acme-7b-lora-sql")
    assert adapter.base_models == () and "base_model" not in (adapter.card_data or {})
    config = adapter.file("adapter_config.json")
    assert config is not None and config.content is not None
    assert json.loads(config.content)["base_model_name_or_path"] == "acme-ai/acme-7b"
    merges = api.list_models(filter="merge", author="mergemaster")
    bases = {m.id: [t for t in m.tags or [] if t.startswith("base_model:merge:")] for m in merges}
    assert {k: len(v) for k, v in bases.items()} == {
        "mergemaster/acme-chat-slerp": 2,
        "mergemaster/frankenmerge-3way": 3,
    }


# ------------------------------------------------------------------- commits and tree


def test_list_repo_commits(api: HfApi, hub: Hub) -> None:
    model = hub.model("acme-ai/acme-7b")
    commits = api.list_repo_commits(model.id)
    assert [c.commit_id for c in commits] == [c.id for c in model.commits]
    assert commits[0].commit_id == model.sha
    assert all(c.authors and c.title and c.created_at for c in commits)
    assert {a for c in commits for a in c.authors} <= {"alice", "bob"}
    formatted = api.list_repo_commits(model.id, formatted=True)
    assert formatted[0].formatted_title is not None


def test_list_repo_commits_pages(hub: Hub) -> None:
    model = max(hub, key=lambda m: len(m.commits))
    assert len(model.commits) >= 2
    with paged(hub, commits=1) as server:
        commits = HfApi(endpoint=server.url, token=False).list_repo_commits(model.id)
        assert [c.commit_id for c in commits] == [c.id for c in model.commits]
        assert server.requests["commits"] == len(model.commits)
        assert server.log[-1].query == f"p={len(model.commits) - 1}"


def test_list_repo_tree(api: HfApi, hub: Hub, server: HubServer) -> None:
    gguf = hub.model("quantbot/acme-7b-GGUF")
    entries = list(api.list_repo_tree(gguf.id, recursive=True))
    assert [e.path for e in entries] == sorted(f.path for f in gguf.files)
    q4 = next(e for e in entries if e.path.endswith("Q4_K_M.gguf"))
    expected = gguf.file(q4.path)
    assert isinstance(q4, RepoFile) and expected is not None and expected.lfs is not None
    assert q4.size == expected.size and q4.blob_id == expected.oid
    assert q4.lfs is not None and q4.lfs.sha256 == expected.lfs.sha256
    assert server.log[-1].query == "recursive=true&expand=false"


def test_list_repo_tree_folders(hub: Hub) -> None:
    base = hub.model("alice/acme-7b-chat")
    nested = replace(
        base,
        id="alice/acme-7b-onnx",
        files=(
            *base.files,
            HubFile.blob("onnx/model.onnx", 1000),
            HubFile.blob("onnx/fp16/model.onnx", 500),
            HubFile.text("onnx/README.md", "# ONNX export\n"),
        ),
    )
    with HubServer(Hub([nested])) as server:
        api = HfApi(endpoint=server.url, token=False)
        top = list(api.list_repo_tree(nested.id))
        assert {(type(e).__name__, e.path) for e in top} >= {
            ("RepoFolder", "onnx"),
            ("RepoFile", "README.md"),
        }
        assert not any("/" in e.path for e in top)
        everything = list(api.list_repo_tree(nested.id, recursive=True))
        assert {e.path for e in everything} == {f.path for f in nested.files} | {
            "onnx",
            "onnx/fp16",
        }
        deep = list(api.list_repo_tree(nested.id, path_in_repo="onnx/fp16", expand=True))
        assert [e.path for e in deep] == ["onnx/fp16/model.onnx"]
        assert isinstance(deep[0], RepoFile)
        assert deep[0].last_commit is not None and deep[0].security is not None
        assert deep[0].last_commit.oid == nested.sha
        assert server.log[-1].path == f"/api/models/{nested.id}/tree/main/onnx%2Ffp16"
        with pytest.raises(RemoteEntryNotFoundError):
            list(api.list_repo_tree(nested.id, path_in_repo="missing"))


def test_list_repo_tree_pages_with_expand(hub: Hub) -> None:
    model = hub.model("alice/acme-7b-chat")
    with paged(hub, tree_expand=2) as server:
        api = HfApi(endpoint=server.url, token=False)
        entries = list(api.list_repo_tree(model.id, recursive=True, expand=True))
        assert len(entries) == len(model.files)
        assert server.requests["tree"] == (len(model.files) + 1) // 2
        assert len(list(api.list_repo_tree(model.id, recursive=True))) == len(model.files)


# ------------------------------------------------------------------------ downloads


@pytest.mark.parametrize(
    ("repo_id", "filename"),
    [
        ("alice/acme-7b-chat", "README.md"),
        ("alice/acme-7b-chat", "config.json"),
        ("bob/acme-7b-lora-sql", "adapter_config.json"),
        ("mergemaster/frankenmerge-3way", "mergekit_config.yml"),
    ],
)
def test_hf_hub_download(
    server: HubServer, hub: Hub, tmp_path: Path, repo_id: str, filename: str
) -> None:
    cache = tmp_path / "cache"
    path = hf_hub_download(repo_id, filename, endpoint=server.url, token=False, cache_dir=cache)
    expected = hub.model(repo_id).file(filename)
    assert expected is not None and Path(path).read_bytes() == expected.content
    assert hub.model(repo_id).sha in path  # stored under snapshots/<X-Repo-Commit>
    assert [(r.method, r.status) for r in server.log] == [("HEAD", 200), ("GET", 200)]
    again = hf_hub_download(repo_id, filename, endpoint=server.url, token=False, cache_dir=cache)
    assert again == path
    assert [r.method for r in server.log] == ["HEAD", "GET", "HEAD"]  # cached: HEAD only


def test_hf_hub_download_through_hfapi_and_parse_merge(api: HfApi, tmp_path: Path) -> None:
    import yaml  # type: ignore[import-untyped]

    path = api.hf_hub_download(
        "mergemaster/acme-chat-slerp", "mergekit_config.yml", cache_dir=tmp_path
    )
    config = yaml.safe_load(Path(path).read_text())
    assert [m["model"] for m in config["models"]] == ["acme-ai/acme-7b", "alice/acme-7b-chat"]


def test_lfs_weights_metadata_redirects_off_host(server: HubServer, hub: Hub) -> None:
    url = hf_hub_url("alice/acme-7b-chat", "model.safetensors", endpoint=server.url)
    meta = get_hf_file_metadata(url, token=False, endpoint=server.url)
    weights = hub.model("alice/acme-7b-chat").file("model.safetensors")
    assert weights is not None and weights.lfs is not None
    assert meta.size == weights.size and meta.etag == weights.lfs.sha256
    assert meta.commit_hash == hub.model("alice/acme-7b-chat").sha
    assert meta.location.startswith(CDN)
    assert [(r.method, r.status) for r in server.log] == [("HEAD", 302)]


def test_resolve_serves_byte_ranges(server: HubServer, hub: Hub) -> None:
    url = f"{server.url}/alice/acme-7b-chat/resolve/main/config.json"
    request = urllib.request.Request(url, headers={"Range": "bytes=2-9"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 206
        body = response.read()
        content_range = response.headers["Content-Range"]
    config = hub.model("alice/acme-7b-chat").file("config.json")
    assert config is not None and config.content is not None
    assert body == config.content[2:10]
    assert content_range == f"bytes 2-9/{config.size}"


# ------------------------------------------------------------ organisations and users


def test_organization_members_and_overview(hub: Hub) -> None:
    with paged(hub, members=1) as server:
        api = HfApi(endpoint=server.url, token=False)
        members = list(api.list_organization_members("acme-ai"))
        assert [m.username for m in members] == ["alice", "bob"]
        assert all(m.fullname and m.user_type == "user" for m in members)
        assert server.requests["org_members"] == 2  # one member per page
        acme = api.get_organization_overview("acme-ai")
        assert acme.name == "acme-ai" and acme.is_verified is True
        assert acme.num_models == len(hub.models_of("acme-ai")) and acme.num_users == 2
        assert api.get_organization_overview("tinylab").is_verified is False
        alice = api.get_user_overview("alice")
        assert alice.username == "alice" and [o.name for o in alice.orgs] == ["acme-ai"]
        assert alice.num_models == sum(1 for m in hub.models_of("alice") if not m.private)
        with pytest.raises(HfHubHTTPError) as missing:
            api.get_organization_overview("no-such-org")
        assert missing.value.response.status_code == 404
        with pytest.raises(HfHubHTTPError):
            api.get_user_overview("nobody-at-all")


# --------------------------------------------------------------------------- faults


def test_renamed_repo_is_followed_by_model_info(api: HfApi, server: HubServer) -> None:
    info = api.model_info("acme-ai/Acme-7B")
    assert info.id == "acme-ai/acme-7b"
    old, new = server.log
    assert (old.path, old.status, old.fault) == ("/api/models/acme-ai/Acme-7B", 307, "redirect")
    assert (new.path, new.status) == ("/api/models/acme-ai/acme-7b", 200)
    commits = api.list_repo_commits("acme-ai/Acme-7B")
    assert commits[0].commit_id == info.sha


def test_renamed_repo_download(server: HubServer, tmp_path: Path) -> None:
    path = hf_hub_download(
        "acme-ai/Acme-7B", "config.json", endpoint=server.url, token=False, cache_dir=tmp_path
    )
    assert json.loads(Path(path).read_text())["architectures"] == ["AcmeForCausalLM"]
    assert [(r.method, r.path, r.status) for r in server.log] == [
        ("HEAD", "/acme-ai/Acme-7B/resolve/main/config.json", 307),
        ("HEAD", "/acme-ai/acme-7b/resolve/main/config.json", 200),
        ("GET", "/acme-ai/acme-7b/resolve/main/config.json", 200),
    ]


def test_injected_redirect_keeps_the_query(api: HfApi, server: HubServer) -> None:
    server.add_fault(
        "/api/models/somebody/old-name",
        Fault.redirect("/api/models/alice/acme-7b-chat?expand=sha"),
    )
    assert api.model_info("somebody/old-name").id == "alice/acme-7b-chat"
    assert server.log[-1].query == "expand=sha"


def test_gated_repo_files(api: HfApi, server: HubServer, tmp_path: Path) -> None:
    info = api.model_info("openweights/ow-13b")  # metadata stays public
    assert info.gated == "manual"
    assert api.model_info("openweights/ow-3b").gated == "auto"
    with pytest.raises(GatedRepoError) as anonymous:
        hf_hub_download(
            "openweights/ow-13b",
            "config.json",
            endpoint=server.url,
            token=False,
            cache_dir=tmp_path,
        )
    assert anonymous.value.response.status_code == 401
    assert anonymous.value.response.headers["X-Error-Code"] == "GatedRepo"
    with pytest.raises(GatedRepoError) as with_token:
        hf_hub_download(
            "openweights/ow-13b",
            "config.json",
            endpoint=server.url,
            token="hf_replay_not_a_token",
            cache_dir=tmp_path,
        )
    assert with_token.value.response.status_code == 403
    readme = hf_hub_download(
        "openweights/ow-13b", "README.md", endpoint=server.url, token=False, cache_dir=tmp_path
    )
    assert "extra_gated_prompt" in Path(readme).read_text()


def test_injected_gated_on_model_info(api: HfApi, server: HubServer) -> None:
    server.add_fault("/api/models/alice/acme-7b-chat", Fault.gated("alice/acme-7b-chat"))
    with pytest.raises(GatedRepoError):
        api.model_info("alice/acme-7b-chat")


def test_repo_not_found(api: HfApi, server: HubServer) -> None:
    with pytest.raises(RepositoryNotFoundError) as anonymous:
        api.model_info("nobody/nothing")
    assert anonymous.value.response.status_code == 401  # as the Hub answers anonymous calls
    assert not isinstance(anonymous.value, GatedRepoError)
    with pytest.raises(RepositoryNotFoundError) as with_token:
        HfApi(endpoint=server.url, token="hf_replay_not_a_token").model_info("nobody/nothing")
    assert with_token.value.response.status_code == 404
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("alice/private-experiment")
    server.add_fault("/api/models/alice/acme-7b-chat", Fault.repo_not_found())
    with pytest.raises(RepositoryNotFoundError) as injected:
        api.model_info("alice/acme-7b-chat")
    assert injected.value.response.status_code == 404
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download("alice/acme-7b-chat", "x.json", endpoint=server.url, token=False)


def test_disabled_repo(api: HfApi, server: HubServer) -> None:
    server.add_fault("/api/models/alice/acme-7b-chat", Fault.disabled())
    with pytest.raises(DisabledRepoError):
        api.model_info("alice/acme-7b-chat")


def test_429_on_model_info_is_not_retried(api: HfApi, server: HubServer, clock: _Clock) -> None:
    server.add_fault("/api/models/alice/acme-7b-chat", Fault.rate_limited(retry_after=7))
    with pytest.raises(HfHubHTTPError) as error:
        api.model_info("alice/acme-7b-chat")
    assert error.value.response.status_code == 429
    assert error.value.response.headers["Retry-After"] == "7"
    assert server.requests["model_info"] == 1 and clock.sleeps == []


def test_429_on_list_models_waits_retry_after(api: HfApi, server: HubServer, clock: _Clock) -> None:
    server.add_fault("/api/models", Fault.rate_limited(retry_after=3, times=2))
    assert len(list(api.list_models(author="quantbot"))) == 3
    assert server.requests["list_models"] == 3
    assert clock.sleeps == [4.0, 4.0]  # Retry-After + 1 s, each time
    server.reset_counts()
    server.hub.clear_faults()
    server.add_fault("/api/models", Fault.rate_limited(retry_after=9, ratelimit=True, times=1))
    assert len(list(api.list_models(author="quantbot"))) == 3
    assert clock.sleeps[-1] == 10.0  # the RateLimit reset (t=9) + 1 s


def test_503_on_list_models_gives_up_after_5_retries(
    api: HfApi, server: HubServer, clock: _Clock
) -> None:
    server.add_fault("/api/models", Fault.unavailable())
    with pytest.raises(HfHubHTTPError) as error:
        list(api.list_models(author="quantbot"))
    assert error.value.response.status_code == 503
    assert server.requests["list_models"] == 6
    assert clock.sleeps == [1, 2, 4, 8, 8]


def test_transient_failures_per_path(api: HfApi, server: HubServer) -> None:
    rule = server.add_fault("/api/models/*/acme-7b-*", Fault.unavailable(times=2))
    for _ in range(2):
        with pytest.raises(HfHubHTTPError):
            api.model_info("alice/acme-7b-chat")
    assert api.model_info("alice/acme-7b-chat").id == "alice/acme-7b-chat"
    with pytest.raises(HfHubHTTPError):  # another path has its own count
        api.model_info("bob/acme-7b-lora-sql")
    assert rule.hits == 3
    assert [r.status for r in server.log] == [503, 503, 200, 503]


def test_transient_failure_on_download_head(
    server: HubServer, clock: _Clock, tmp_path: Path
) -> None:
    server.add_fault("/*/resolve/*", Fault.unavailable(times=2))
    path = hf_hub_download(
        "alice/acme-7b-chat", "config.json", endpoint=server.url, token=False, cache_dir=tmp_path
    )
    assert Path(path).is_file()
    assert [(r.method, r.status) for r in server.log] == [
        ("HEAD", 503),  # no retry: the client looks in its cache first
        ("HEAD", 503),  # then retries with backoff
        ("HEAD", 200),
        ("GET", 200),
    ]
    assert clock.sleeps == [1]


def test_transient_503_in_the_middle_of_pagination(hub: Hub, clock: _Clock) -> None:
    with paged(hub, models=400) as server:
        api = HfApi(endpoint=server.url, token=False)
        server.add_fault("/api/models", Fault.unavailable(times=2).starting_after(1))
        ids = [m.id for m in api.list_models(filter="base_model:finetune:acme-ai/acme-1b")]
        assert len(ids) == WIDE and len(set(ids)) == WIDE
        assert [r.status for r in server.log] == [200, 503, 503, 200, 200]
        assert "cursor=" in server.log[1].query and server.log[1].query == server.log[3].query
        assert clock.sleeps == [1, 2]
    hub.clear_faults()


def test_malformed_json(api: HfApi, server: HubServer) -> None:
    server.add_fault("/api/models/alice/*", Fault.malformed_json(times=1))
    with pytest.raises(json.JSONDecodeError):
        api.model_info("alice/acme-7b-chat")
    assert api.model_info("alice/acme-7b-chat").id == "alice/acme-7b-chat"


def test_download_needs_x_repo_commit(server: HubServer, tmp_path: Path) -> None:
    """A HEAD without X-Repo-Commit (not a Hub) fails the download: no cache to fall back on."""
    server.add_fault("/*/resolve/*", Fault("bare", 200, body=b"{}"))
    with pytest.raises(LocalEntryNotFoundError) as error:
        hf_hub_download(
            "alice/acme-7b-chat",
            "config.json",
            endpoint=server.url,
            token=False,
            cache_dir=tmp_path,
        )
    assert isinstance(error.value.__cause__, FileMetadataError)
    assert "X-Repo-Commit" in str(error.value)
    assert [(r.method, r.status) for r in server.log] == [("HEAD", 200)]


def test_hf_endpoint_works_when_set_before_import(server: HubServer, tmp_path: Path) -> None:
    """HF_ENDPOINT is read once, when huggingface_hub is imported: a fresh process sees it."""
    script = (
        "from huggingface_hub import HfApi, hf_hub_download\n"
        "print(HfApi(token=False).model_info('alice/acme-7b-chat').sha)\n"
        "print(hf_hub_download('alice/acme-7b-chat', 'README.md', token=False,"
        f" cache_dir={str(tmp_path)!r}))\n"
    )
    env = {**os.environ, "HF_ENDPOINT": server.url}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    sha, path = done.stdout.split()
    assert sha == server.hub.model("alice/acme-7b-chat").sha and Path(path).is_file()
    assert [r.kind for r in server.log] == ["model_info", "resolve", "resolve"]


# -------------------------------------------------------------------- request counts


def test_request_counting(api: HfApi, server: HubServer, tmp_path: Path) -> None:
    for repo_id in ("alice/acme-7b-chat", "quantbot/acme-7b-GGUF"):
        api.model_info(repo_id)
        api.list_repo_commits(repo_id)
        api.hf_hub_download(repo_id, "README.md", cache_dir=tmp_path)
    list(api.list_models(author="mergemaster"))
    assert server.requests == {"model_info": 2, "commits": 2, "resolve": 4, "list_models": 1}
    assert server.repo_requests == {"alice/acme-7b-chat": 4, "quantbot/acme-7b-GGUF": 4}
    assert server.requests_per_model() == 4.0
    assert server.count("resolve", "alice/acme-7b-chat") == 2
    assert server.total == len(server.log) == 9
    server.reset_counts()
    assert server.total == 0 and server.log == [] and server.requests_per_model() == 0.0


def test_unknown_routes_and_bad_parameters(api: HfApi, server: HubServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{server.url}/api/spaces/x/y")
    assert error.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{server.url}/api/models/alice/acme-7b-chat/discussions")
    assert error.value.code == 404
    assert server.requests["unknown"] == 2
    assert server.repo_requests == {"alice/acme-7b-chat": 1}
    with pytest.raises(BadRequestError):
        list(api.list_models(sort="nonsense"))  # type: ignore[arg-type]


def test_client_request_headers(api: HfApi, server: HubServer, tmp_path: Path) -> None:
    api.model_info("alice/acme-7b-chat")
    api.hf_hub_download("alice/acme-7b-chat", "config.json", cache_dir=tmp_path)
    info, head, get = server.log
    for request in server.log:
        assert request.header("X-Amzn-Trace-Id") and request.header("user-agent")
        assert request.header("authorization") is None  # token=False, no implicit token
    assert info.header("X-HF-Download-Counter") is None
    assert head.header("accept-encoding") == "identity"
    assert head.header("X-HF-Download-Counter") == get.header("X-HF-Download-Counter") == "1"


# -------------------------------------------------------------------- real records


def test_records_hub(records: Hub) -> None:
    llama = records.model("meta-llama/Llama-3.1-8B-Instruct")
    assert llama.gated == "manual"
    assert llama.card_data is not None
    assert llama.card_data["base_model"] == "meta-llama/Meta-Llama-3.1-8B"  # the old id
    assert llama.base_models == ("meta-llama/Llama-3.1-8B",)  # the tags carry the new one
    assert "inferenceProviderMapping" in llama.extra  # from the expand record
    assert records.aliases == {
        "bert-base-uncased": "google-bert/bert-base-uncased",
        "meta-llama/Meta-Llama-3.1-8B-Instruct": "meta-llama/Llama-3.1-8B-Instruct",
        "t5-small": "google-t5/t5-small",
    }
    assert records.model("deepset/roberta-base-squad2").base_relation == "finetune"
    assert records.model("card-samples/sample-invalid-card-data").card_data is None
    assert records.model("card-samples/sample-no-metadata").card_data is None
    crlf = records.model("card-samples/sample-windows-line-breaks")
    assert crlf.card is not None and "\r\n" in crlf.card
    assert crlf.card_data is not None and crlf.card_data["license"] == "mit"
    assert sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file()) < 1_000_000


def test_records_through_the_client(records: Hub, tmp_path: Path) -> None:
    with HubServer(records) as server:
        api = HfApi(endpoint=server.url, token=False)
        bert = api.model_info("bert-base-uncased")
        assert bert.id == "google-bert/bert-base-uncased"
        assert bert.sha == "86b5e0934494bd15c9632b12f734a8a67f723594"
        assert [r.status for r in server.log] == [307, 200]
        llama = api.model_info(
            "meta-llama/Meta-Llama-3.1-8B-Instruct", expand=["inferenceProviderMapping"]
        )
        assert llama.id == "meta-llama/Llama-3.1-8B-Instruct"
        assert llama.inference_provider_mapping
        assert server.log[-1].query == "expand=inferenceProviderMapping"  # kept across the 307
        full = api.model_info("meta-llama/Llama-3.1-8B-Instruct")
        assert full.card_data is not None and full.transformers_info is not None
        assert "base_model:finetune:meta-llama/Llama-3.1-8B" in (full.tags or [])
        readme = hf_hub_download(
            "meta-llama/Llama-3.1-8B-Instruct",
            "README.md",
            endpoint=server.url,
            token=False,
            cache_dir=tmp_path,
        )
        card_data = parse_card_data(Path(readme).read_text())
        assert card_data == records.model("meta-llama/Llama-3.1-8B-Instruct").card_data
        assert full.card_data.base_model == "meta-llama/Meta-Llama-3.1-8B"
        with pytest.raises(GatedRepoError):
            hf_hub_download(
                "meta-llama/Llama-3.1-8B-Instruct",
                "config.json",
                endpoint=server.url,
                token=False,
                cache_dir=tmp_path,
            )
        card = hf_hub_download(
            "card-samples/sample-windows-line-breaks",
            "README.md",
            endpoint=server.url,
            token=False,
            cache_dir=tmp_path,
        )
        assert b"\r\n" in Path(card).read_bytes()


@pytest.mark.parametrize(
    "record", sorted(p.name for p in (DATA / "records").glob("*.json")), ids=lambda n: n[:40]
)
def test_replay_matches_the_recorded_exchange(records: Hub, record: str) -> None:
    """Ask the server what was asked of the Hub: same status, Location and body."""
    rec = json.loads((DATA / "records" / record).read_text())
    target = rec["uri"].removeprefix("https://huggingface.co")
    with HubServer(records) as server:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        connection.request("GET", target)
        response = connection.getresponse()
        body = response.read()
        connection.close()
    assert response.status == rec["status"]
    if rec["status"] == 307:
        assert response.headers["Location"] == rec["response_headers"]["Location"][0]
        assert response.headers["Content-Type"] == rec["response_headers"]["Content-Type"][0]
        assert body.decode() == rec["body_text"]
        return
    served, recorded = json.loads(body), rec["body_json"]
    assert {k: served.get(k) for k in recorded} == recorded
    assert set(served) - set(recorded) <= {"inferenceProviderMapping"}  # from another record


@pytest.mark.shared_data
def test_all_shared_records_load(shared_data: Path) -> None:
    hub = Hub.from_records(shared_data / "hf-api")
    assert len(hub) >= 40
    assert hub.canonical_id("t5-small") == "google-t5/t5-small"
    assert hub.model("meta-llama/Meta-Llama-3-70B-Instruct").gated == "manual"


def test_records_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Hub.from_records(tmp_path)


# ------------------------------------------------------------------ synthetic hub


def test_synthetic_hub_is_deterministic() -> None:
    one, two = synthetic_hub(seed=3, wide_children=3), synthetic_hub(seed=3, wide_children=3)
    assert list(one.models) == list(two.models)
    assert [m.sha for m in one] == [m.sha for m in two]
    assert [m.downloads for m in one] == [m.downloads for m in two]
    other = synthetic_hub(seed=4, wide_children=3)
    assert list(other.models) == list(one.models)
    assert [m.sha for m in other] != [m.sha for m in one]


def test_synthetic_hub_shapes(hub: Hub) -> None:
    for m in hub:
        for tag in m.tags:
            if tag.startswith("base_model:"):
                parts = tag.split(":")
                assert len(parts) in (2, 3) and (len(parts) == 2 or parts[1] in RELATIONS)
                assert parts[-1] in hub.models, tag
        assert m.commits and m.commits[0].id == m.sha and all(c.authors for c in m.commits)
        assert m.card is not None
    assert len(hub.children("acme-ai/acme-1b")) == WIDE
    assert hub.canonical_id("acme-ai/Acme-7B") == "acme-ai/acme-7b"
    assert hub.organizations["acme-ai"].verified and not hub.organizations["tinylab"].verified
    broken = hub.model("judy/broken-card")
    assert broken.card_data is None and broken.card is not None
    assert broken.card.startswith("---\n") and broken.base_models == ()
    assert parse_card_data(broken.card) is None
    gguf = hub.model("quantbot/acme-7b-GGUF")
    assert gguf.base_relation == "quantized" and gguf.extra["gguf"]["context_length"] == 4096
    assert all(f.lfs is not None for f in gguf.files if f.path.endswith(".gguf"))
    gptq = hub.model("quantbot/acme-7b-GPTQ")
    assert gptq.config is not None and gptq.config["quantization_config"]["quant_method"] == "gptq"
    awq = hub.model("quantbot/ow-13b-AWQ")
    assert awq.config is not None and awq.config["quantization_config"]["quant_method"] == "awq"
    for name in ("grace/acme-7b-distilled-1b", "heidi/ow-13b-pruned-50"):
        text = hub.model(name).card
        assert hub.model(name).base_models == () and text is not None
        assert "acme-ai/acme-7b" in text or "openweights/ow-13b" in text
    for name in ("tinylab/tiny-base", "ivan/tiny-base-ft"):
        weights = [f for f in hub.model(name).files if f.lfs is not None]
        assert weights and all(f.is_pickle for f in weights)
    assert {m.gated for m in hub} == {False, "manual", "auto"}
    assert hub.model("alice/private-experiment").private
