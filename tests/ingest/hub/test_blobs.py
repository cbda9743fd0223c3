"""The blob cache: files a crawl read are kept by git blob id, and only what hashes to its id
is ever given back; a crawl with it reads a file once while its content is the same.

The crawls run the real huggingface_hub client against the local Hub replay (tests/replay);
file ids are the git blob ids the replay serves as ``blobId`` (git's own hash of the bytes).
"""

from __future__ import annotations

import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.ingest.hub.blobs import BlobCache, git_blob_id
from mlsc.ingest.hub.client import MAX_FILE_BYTES
from mlsc.ingest.hub.crawl import crawl_hub
from mlsc.ingest.hub.options import CrawlOptions, CrawlReport
from tests.replay.hf import HubServer, hf_client_env
from tests.replay.hub import HubFile, synthetic_hub


@pytest.fixture(autouse=True)
def client_env(tmp_path: Path) -> Iterator[None]:
    with hf_client_env(tmp_path / "hf"):
        yield


def crawl(store: LadybugStore, server: HubServer, blobs: Path, *models: str) -> CrawlReport:
    options = CrawlOptions(
        models=models, endpoint=server.url, token=False, rate=0.0, owners=False, blobs=blobs
    )
    return crawl_hub(store, options, sleep=lambda _: None)


def reads(server: HubServer) -> list[str]:
    """The files the crawl asked the Hub for, as ``<repo>/<file>``."""
    return [f"{r.repo_id}/{r.path.rsplit('/', 1)[-1]}" for r in server.log if r.kind == "resolve"]


def test_git_blob_id_is_gits_own() -> None:
    data = b"---\nlicense: mit\n---\n# A card\n"
    git = subprocess.run(
        ["git", "hash-object", "--stdin"], input=data, capture_output=True, check=True
    )
    assert git_blob_id(data) == git.stdout.decode().strip()


def test_only_bytes_that_hash_to_their_id_are_kept_and_given_back(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path / "blobs")
    data, other = b"# a card\n", b"# another card\n"
    assert cache.put(git_blob_id(data), other) is False  # not that blob's content
    assert cache.get(git_blob_id(data)) is None
    assert cache.put(git_blob_id(data), data) is True
    assert cache.get(git_blob_id(data)) == data
    # an entry changed on disk is not that blob any more: not given back
    path = tmp_path / "blobs" / git_blob_id(data)[:2] / git_blob_id(data)
    path.write_bytes(zlib.compress(other))
    assert cache.get(git_blob_id(data)) is None
    path.write_bytes(b"not zlib")
    assert cache.get(git_blob_id(data)) is None
    assert cache.get("../../etc/passwd") is None and cache.put("x" * 40, data) is False


def test_a_crawl_reads_each_file_once_and_a_spoiled_entry_again(tmp_path: Path) -> None:
    hub = synthetic_hub(seed=0, wide_children=1)
    models = ("mergemaster/frankenmerge-3way", "bob/acme-7b-lora-sql")
    blobs = tmp_path / "blobs"
    with HubServer(hub) as server, LadybugStore(tmp_path / "kb") as store:
        first = crawl(store, server, blobs, *models)
        assert sorted(reads(server)) == [
            "bob/acme-7b-lora-sql/README.md",
            "bob/acme-7b-lora-sql/adapter_config.json",
            "mergemaster/frankenmerge-3way/README.md",
            "mergemaster/frankenmerge-3way/mergekit_config.yml",
        ]
        server.reset_counts()
        again = crawl(store, server, blobs, *models)
        assert reads(server) == []
        # the adapter's card spoiled on disk: read from the Hub again, and kept again
        readme = hub.model("bob/acme-7b-lora-sql").file("README.md")
        assert readme is not None
        (blobs / readme.oid[:2] / readme.oid).write_bytes(zlib.compress(b"# not the card\n"))
        server.reset_counts()
        spoiled = crawl(store, server, blobs, *models)
        assert reads(server) == ["bob/acme-7b-lora-sql/README.md"]
        assert BlobCache(blobs).get(readme.oid) == readme.content
    same: dict[str, Any] = {"seconds": 0, "requests": 0, "requests_per_model": 0, "commits": 0}
    assert first.to_json() | same == again.to_json() | same == spoiled.to_json() | same


def test_a_gated_models_files_but_its_card_are_asked_for_each_time(tmp_path: Path) -> None:
    """The Hub refuses a gated model's files but its card (README.md) to who has not accepted
    its conditions: what the crawl writes must say what the Hub serves now, so those files
    are never taken from the cache."""
    hub = synthetic_hub(seed=0, wide_children=1)
    adapter = "carol/ow-13b-qlora"
    blobs = tmp_path / "blobs"
    with HubServer(hub) as server, LadybugStore(tmp_path / "kb") as store:
        crawl(store, server, blobs, adapter)
        assert store.derivation(adapter, "openweights/ow-13b") is not None
        hub.add(replace(hub.model(adapter), gated="manual"))
        server.reset_counts()
        report = crawl(store, server, blobs, adapter)
        assert reads(server) == [f"{adapter}/adapter_config.json"]  # refused: 401 GatedRepo
    assert report.warnings["gated-file"] == 1


def test_a_file_too_large_to_read_is_not_asked_for(tmp_path: Path) -> None:
    """A file larger than the crawl reads (1 MiB) was asked for and dropped after its first
    MiB; its size is in the model's info, so it is not asked for at all. It is not silently
    taken for absent either: a card padded past the limit would hide the bases it names."""
    hub = synthetic_hub(seed=0, wide_children=1)
    model = hub.model("ivan/acme-7b-instruct")
    card = model.file("README.md")
    assert card is not None and card.content is not None
    huge = HubFile.text("README.md", card.content + b"\n" + b"x" * MAX_FILE_BYTES)
    hub.add(replace(model, files=tuple(huge if f.path == "README.md" else f for f in model.files)))
    with HubServer(hub) as server, LadybugStore(tmp_path / "kb") as store:
        report = crawl(store, server, tmp_path / "blobs", model.id)
        assert reads(server) == []
        node = store.node("Model", model.id)
    assert report.models == 1 and report.warnings["invalid-card"] == 0
    assert report.warnings["file-too-large"] == 1
    (problem,) = [p for p in report.problems if p.reason == "file-too-large"]
    assert problem.record == model.id and problem.detail.startswith("README.md is 1,0")
    assert node is not None and node["license"] == "apache-2.0"  # the info's card data
