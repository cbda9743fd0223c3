"""Same graph, fewer requests: a family crawl's whole graph is pinned, node by node.

A crawl that spends fewer requests must still write exactly the same graph: every node and
edge with every property, minus when it was observed (``observed_at``, ``removed_at``). The
synthetic family's graph is kept in ``golden/synthetic-family.jsonl`` (one record a line,
sorted, so a difference reads as a diff); the real Mistral family's (``../shared/data``, test
input only, so not copied here) as a digest and counts in ``golden/mistral-family.json``.
Both were written by the crawl before its requests were cut (commit 1 of perf-crawl).

Regenerate them only for a change that is meant to change the graph:
``MLSC_UPDATE_GOLDEN=1 pytest tests/ingest/hub/test_crawl_graph.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlsc.graph import schema
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.store import GraphStore
from mlsc.ingest.hub.crawl import crawl_hub
from mlsc.ingest.hub.options import CrawlOptions, CrawlReport
from tests.replay.hf import HubServer, LoggedRequest, hf_client_env
from tests.replay.hub import Hub, HubModel, synthetic_hub
from tests.replay.tree import MISTRAL_ROOT, mistral_family

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("MLSC_UPDATE_GOLDEN") == "1"
OBSERVED = "2025-06-01T00:00:00.000Z"
WHEN = frozenset({"observed_at", "removed_at"})
"""Properties that say when, not what: left out of the comparison."""
SYNTHETIC_SEEDS = (
    "acme-ai/acme-7b",
    "acme-ai/acme-1b",
    "openweights/ow-13b",
    "openweights/ow-3b",
    "tinylab/tiny-base",
    "acme-ai/Acme-7B",  # the old id of a renamed base
    "grace/acme-7b-distilled-1b",  # a base named only by the card's prose
    "heidi/ow-13b-pruned-50",
    "judy/broken-card",
)


def _values(column: Any) -> list[Any]:
    return column.to_pylist() if hasattr(column, "to_pylist") else list(column)


def graph_lines(store: GraphStore) -> list[str]:
    """Every node and edge of ``store`` with its properties (but when), one JSON line each."""
    lines: list[str] = []
    for node in schema.NODE_TYPES:
        for table in store.scan_nodes(node.label):
            keys = _values(table.keys)
            cols = {k: _values(v) for k, v in table.columns.items() if k not in WHEN}
            for i, key in enumerate(keys):
                props = {k: v[i] for k, v in sorted(cols.items()) if v[i] is not None}
                lines.append(json.dumps([node.label, key, props], sort_keys=True))
    for edge in schema.EDGE_TYPES:
        for src_label, dst_label in edge.pairs:
            for table in store.scan_edges(edge.type, src_label, dst_label):
                src, dst = _values(table.src), _values(table.dst)
                cols = {k: _values(v) for k, v in table.columns.items() if k not in WHEN}
                for i in range(len(src)):
                    props = {k: v[i] for k, v in sorted(cols.items()) if v[i] is not None}
                    row = [edge.type, src_label, src[i], dst_label, dst[i], props]
                    lines.append(json.dumps(row, sort_keys=True))
    return sorted(lines)


def family_crawl(
    hub: Hub, root: Path, seeds: tuple[str, ...]
) -> tuple[list[str], CrawlReport, Counter[str]]:
    """Crawl ``seeds`` with their ancestors and descendants, all the way, with commits and
    owners (the CLI's defaults); the graph's lines, the report and the server's requests."""
    with HubServer(hub) as server, hf_client_env(root / "hf"), LadybugStore(root / "kb") as store:
        report = crawl_hub(
            store,
            CrawlOptions(
                models=seeds,
                ancestors=True,
                descendants=True,
                endpoint=server.url,
                token=False,
                rate=0.0,
                workers=4,
                observed_at=OBSERVED,
            ),
            sleep=lambda _: None,
        )
        return graph_lines(store), report, server.requests.copy()


@pytest.fixture(scope="module")
def synthetic(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[str], CrawlReport, Counter[str]]:
    hub = synthetic_hub(seed=0, wide_children=5)
    return family_crawl(hub, tmp_path_factory.mktemp("synthetic"), SYNTHETIC_SEEDS)


@pytest.fixture(scope="module")
def mistral(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[str], CrawlReport, Counter[str]]]:
    try:
        hub = mistral_family()
    except FileNotFoundError as exc:
        pytest.skip(f"the real family is test input only, read from ../shared/data: {exc}")
    yield family_crawl(hub, tmp_path_factory.mktemp("mistral"), (MISTRAL_ROOT,))


def test_the_synthetic_family_crawl_writes_the_golden_graph(
    synthetic: tuple[list[str], CrawlReport, Counter[str]],
) -> None:
    lines, report, _ = synthetic
    golden = GOLDEN / "synthetic-family.jsonl"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text("\n".join(lines) + "\n")
    expected = golden.read_text().splitlines()
    assert len(lines) > 300 and report.models > 25  # a family, not a stub
    missing = sorted(set(expected) - set(lines))
    extra = sorted(set(lines) - set(expected))
    assert (missing[:5], extra[:5]) == ([], [])
    assert lines == expected


def test_the_real_family_crawl_writes_the_same_graph(
    mistral: tuple[list[str], CrawlReport, Counter[str]],
) -> None:
    lines, report, _ = mistral
    golden = GOLDEN / "mistral-family.json"
    counts = Counter(json.loads(line)[0] for line in lines)
    found = {
        "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest(),
        "models": report.models,
        "records": dict(sorted(counts.items())),
    }
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(json.dumps(found, indent=1) + "\n")
    assert report.models == 67
    assert found == json.loads(golden.read_text())


def test_the_real_family_costs_about_three_and_a_half_requests_per_model(
    mistral: tuple[list[str], CrawlReport, Counter[str]],
) -> None:
    """What each request is for: per model its info (files with sizes and LFS hashes, the
    security status), its README (the card's prose) and its commits; the children of the 9
    models that have any (one listing each: the listing that found a model counts its
    children, so leaves are not listed); each organisation's overview once, and its members
    when the overview counts any (the recorded tree says nothing of members, so the replay's
    organisations have none: on the real Hub these 12 have members, 12 requests more). Every
    owner that is a user authored its models' commits, so it is not asked about at all. The
    few more files read are the adapter and mergekit configurations (lineage) and config.json
    where the Hub's info has no config."""
    _, report, requests = mistral
    hub = mistral_family()
    parents = [m.id for m in hub if hub.children(m.id)]
    readmes = sum(1 for m in hub if m.file("README.md"))
    lineage_files = ("adapter_config.json", "mergekit_config.yml")
    configs = sum(1 for m in hub for f in lineage_files if m.file(f))
    configs += sum(1 for m in hub if m.file("config.json") and not m.config)
    assert (len(parents), len(hub.organizations), readmes + configs) == (9, 12, 70)
    assert dict(requests) == {
        "model_info": report.models,
        "resolve": readmes + configs,
        "commits": report.models,
        "list_models": len(parents),
        "org_overview": len(hub.organizations),
    }
    assert not any(org.members for org in hub.organizations.values())
    assert sum(requests.values()) == 225  # 3.36 per model; 237 (3.54) with members, 631 before


def test_the_synthetic_family_lists_each_parent_once_and_asks_no_user(
    synthetic: tuple[list[str], CrawlReport, Counter[str]],
) -> None:
    """The 9 seeds and the 2 fetched descendants that have children are listed, once each
    (not once per relation); one more model_info is the renamed seed's redirect."""
    _, report, requests = synthetic
    assert dict(requests) == {
        "model_info": report.models + 1,
        "resolve": 31,
        "commits": report.models,
        "list_models": 11,
        "org_overview": 3,
        "org_members": 3,
    }
    assert sum(requests.values()) == 107  # 3.69 per model; 263 (9.07) before


def test_a_leaf_whose_stored_child_is_gone_is_still_listed(tmp_path: Path) -> None:
    """A model the listing counts no children of is listed all the same when the knowledge
    base holds children of it: a child gone private must be marked removed, never left."""

    def model(mid: str, base: str | None) -> HubModel:
        tags = (f"base_model:{base}", f"base_model:finetune:{base}") if base else ()
        sha = hashlib.sha1(mid.encode()).hexdigest()
        return HubModel(mid, sha, OBSERVED, OBSERVED, tags=tags)

    hub = Hub([model("org/base", None), model("bob/mid", "org/base"), model("bob/leaf", "bob/mid")])
    options = CrawlOptions(
        models=("org/base",), descendants=True, token=False, rate=0.0, owners=False
    )
    with (
        HubServer(hub) as server,
        hf_client_env(tmp_path / "hf"),
        LadybugStore(tmp_path / "kb") as store,
    ):
        first = crawl_hub(store, replace(options, endpoint=server.url), sleep=lambda _: None)
        assert first.models == 3 and first.removed == []
        hub.add(replace(hub.model("bob/leaf"), private=True))
        server.reset_counts()
        again = crawl_hub(store, replace(options, endpoint=server.url), sleep=lambda _: None)
        assert server.requests["list_models"] == 2  # org/base, and bob/mid (counted 0 now)
        assert again.removed == ["bob/leaf"]
        node = store.node("Model", "bob/leaf")
        assert node is not None and node["removed"] is True


def test_owners_are_asked_as_what_they_are_known_to_be(tmp_path: Path) -> None:
    """Without commits an unknown owner is asked as a user first (most are), and an
    organisation's 404 there sends the lookup on to it; a member of an organisation asked
    earlier is a user without asking; a later crawl asks organisations as organisations and
    users it knows not at all."""
    hub = synthetic_hub(seed=0, wide_children=1)
    models = ("acme-ai/acme-7b", "openweights/ow-3b", "tinylab/tiny-base", "alice/acme-7b-chat")
    options = CrawlOptions(models=models, commits=False, token=False, rate=0.0)
    with (
        HubServer(hub) as server,
        hf_client_env(tmp_path / "hf"),
        LadybugStore(tmp_path / "kb") as store,
    ):
        report = crawl_hub(store, replace(options, endpoint=server.url), sleep=lambda _: None)
        kinds = {name: (store.node("Actor", name) or {}).get("kind") for name in hub.organizations}
        assert kinds == dict.fromkeys(hub.organizations, "org")
        alice = store.node("Actor", "alice")
        assert alice is not None and (alice["kind"], alice["verified"]) == ("user", None)
        assert report.actors == 4 and report.memberships == 5
        # the three organisations: a 404 as users, then overview and members; alice (sorted
        # after acme-ai, whose member she is) is not asked
        owners = {k: server.requests[k] for k in ("user_overview", "org_overview", "org_members")}
        assert owners == {"user_overview": 3, "org_overview": 3, "org_members": 3}
        server.reset_counts()
        crawl_hub(store, replace(options, endpoint=server.url), sleep=lambda _: None)
        assert server.requests["user_overview"] == 0  # alice: a known user, not asked
        assert server.requests["org_overview"] == 3  # known organisations, asked as such


def cached_crawls(
    hub: Hub, root: Path, seeds: tuple[str, ...]
) -> list[tuple[list[str], CrawlReport, Counter[str], list[LoggedRequest]]]:
    """``seeds`` crawled as :func:`family_crawl` does, twice into one store, with a blob cache
    (what the CLI crawls with): each crawl's graph lines, report, requests and their log."""
    runs = []
    with HubServer(hub) as server, hf_client_env(root / "hf"), LadybugStore(root / "kb") as store:
        options = CrawlOptions(
            models=seeds,
            ancestors=True,
            descendants=True,
            endpoint=server.url,
            token=False,
            rate=0.0,
            workers=4,
            observed_at=OBSERVED,
            blobs=root / "blobs",
        )
        for _ in range(2):
            server.reset_counts()
            report = crawl_hub(store, options, sleep=lambda _: None)
            runs.append((graph_lines(store), report, server.requests.copy(), list(server.log)))
    return runs


def test_a_cached_synthetic_family_crawl_and_its_recrawl_write_the_golden_graph(
    tmp_path: Path,
) -> None:
    """Files read from the blob cache give the graph files read from the Hub give: a distilled
    model named only in its card's prose, an invalid card, an adapter's and a merge's configs.
    The re-crawl reads no file again and no commit list."""
    hub = synthetic_hub(seed=0, wide_children=5)
    expected = (GOLDEN / "synthetic-family.jsonl").read_text().splitlines()
    (first, was, asked, _), (again, report, requests, _) = cached_crawls(
        hub, tmp_path, SYNTHETIC_SEEDS
    )
    assert first == expected and again == expected
    # the renamed seed acme-ai/Acme-7B is fetched as acme-ai/acme-7b too: its card once
    assert asked["resolve"] == 31 - 1
    # the re-crawl: the infos, the listings and the organisations; no file (same blobs) and
    # no commit list (same heads). It knows acme-ai/Acme-7B as an old id of acme-ai/acme-7b
    # (an alias in the store), so it fetches and lists that model once, where the first
    # crawl did twice (by each id: a redirect, and its children listed again)
    assert (was.models, report.models) == (29, 28)
    assert requests == Counter(
        {"model_info": report.models, "list_models": 11 - 1, "org_overview": 3, "org_members": 3}
    )


def test_the_real_family_recrawl_costs_info_listings_and_organisations_only(
    tmp_path: Path,
) -> None:
    """The Mistral family crawled with a blob cache writes the golden graph, and so does its
    re-crawl, which spends per model its info only (downloads, likes, gating and the security
    status change without a commit, and a listing cannot carry file sizes, LFS hashes or the
    security status), plus the 9 listings and the 12 organisations' overviews: no file and no
    commit list is read again (same blobs, same heads), and no child is checked for removal
    (the one its base's listing does not name, ConicCat/MistralSmallV3R, a later listing
    names)."""
    try:
        hub = mistral_family()
    except FileNotFoundError as exc:
        pytest.skip(f"the real family is test input only, read from ../shared/data: {exc}")
    golden = json.loads((GOLDEN / "mistral-family.json").read_text())
    runs = cached_crawls(hub, tmp_path, (MISTRAL_ROOT,))
    for lines, report, _, _ in runs:
        assert report.models == 67
        assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == golden["sha256"]
    (_, _, asked, _), (_, _, requests, _) = runs
    # the first crawl: two of the three mergekit configurations are byte for byte the first
    assert asked["resolve"] == 68 and sum(asked.values()) == 223  # 3.33 per model
    assert requests == Counter({"model_info": 67, "list_models": 9, "org_overview": 12})
    assert sum(requests.values()) == 88  # 1.31 per model
