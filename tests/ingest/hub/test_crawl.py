"""``crawl_hub`` end to end: the real huggingface_hub client, the local Hub replay on a real
socket (tests/replay), and a fresh embedded store per test.

Expected values come from the replayed Hub's own definition (``synthetic_hub``'s models,
tags, files, commits and organisations, or the recorded responses), never from what the
crawler wrote. Waits are injected (``sleep=``) and recorded, so no test sleeps for real.
"""

from __future__ import annotations

import itertools
import json
import logging
import shutil
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import yaml  # type: ignore[import-untyped]
from huggingface_hub.utils import _http

from mlsc.errors import InputError, MlscError
from mlsc.graph import schema
from mlsc.graph.ladybug import LadybugStore
from mlsc.ingest.hub.client import HubClient, HubUnreachable
from mlsc.ingest.hub.crawl import crawl_hub
from mlsc.ingest.hub.fetch import fetch_model
from mlsc.ingest.hub.options import CrawlOptions, CrawlReport
from tests.replay.hf import HubServer, LoggedRequest, Paging, hf_client_env
from tests.replay.hub import DATA, Fault, Hub, HubFile, HubModel, Organization, synthetic_hub

WIDE = 1_050
"""Direct children of acme-ai/acme-1b in the wide hub: more than one page of 1,000."""
SMALL_WIDE = 40
"""Direct children of acme-ai/acme-1b in the hub most tests use: enough for several levels."""
PAGE = 200
"""The small listing page of the wide crawl: every listing of the wide base spans pages."""
OBSERVED = "2025-03-01T00:00:00.000Z"
"""After every lastModified of the synthetic hubs (they are dated 2024)."""
TOKEN = "hf_SECRETSECRETSECRETSECRET0123456789"
OWNER_KINDS = ("org_overview", "org_members", "user_overview")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hub() -> Hub:
    return synthetic_hub(seed=0, wide_children=SMALL_WIDE)


@pytest.fixture(scope="module")
def module_server(hub: Hub) -> Iterator[HubServer]:
    with HubServer(hub) as srv:
        yield srv


@pytest.fixture
def server(module_server: HubServer, hub: Hub) -> Iterator[HubServer]:
    """The module's server with fresh counters and no faults left from another test."""
    hub.clear_faults()
    module_server.reset_counts()
    yield module_server
    hub.clear_faults()


@pytest.fixture(autouse=True)
def client_env(tmp_path: Path) -> Iterator[Path]:
    """The client under a temporary HF_HOME: no user token or cache, online."""
    home = tmp_path / "hf"
    with hf_client_env(home):
        yield home


@pytest.fixture
def new_store(tmp_path: Path) -> Iterator[Callable[[str], LadybugStore]]:
    """Fresh embedded stores, closed after the test."""
    opened: list[LadybugStore] = []

    def make(name: str = "kb") -> LadybugStore:
        store = LadybugStore(tmp_path / name)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(new_store: Callable[[str], LadybugStore]) -> LadybugStore:
    return new_store("kb")


@pytest.fixture
def sleeps() -> list[float]:
    """The crawler's waits, recorded instead of slept."""
    return []


def crawl(
    store: LadybugStore,
    endpoint: HubServer | str,
    *models: str,
    sleeps: list[float] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    **options: Any,
) -> CrawlReport:
    """One crawl with test defaults: no token, no rate limit, recorded waits."""
    url = endpoint.url if isinstance(endpoint, HubServer) else endpoint
    settings: dict[str, Any] = {"token": False, "rate": 0.0, "workers": 4, **options}
    waits = sleeps if sleeps is not None else []
    return crawl_hub(
        store,
        CrawlOptions(models=models, endpoint=url, **settings),
        progress=progress,
        sleep=waits.append,
    )


class _Clock:
    """Stands in for ``time`` inside huggingface_hub's own backoff: records its sleeps."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def client_clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    """Any sleep inside huggingface_hub (not the crawler's) is recorded, not slept."""
    fake = _Clock()
    monkeypatch.setattr(_http, "time", fake)
    return fake


# ------------------------------------------------------------- expectations from the hub


def tag_parents(model: HubModel) -> dict[str, str]:
    """Parent -> relation, from the Hub's ``base_model:<relation>:<id>`` tags."""
    out: dict[str, str] = {}
    for tag in model.tags:
        parts = tag.split(":", 2)
        if len(parts) == 3 and parts[0] == "base_model":
            out[parts[2]] = parts[1]
    return out


def card_bases(model: HubModel) -> list[str]:
    raw = (model.card_data or {}).get("base_model")
    return [raw] if isinstance(raw, str) else list(raw or [])


def tag_ancestors(hub: Hub, model_id: str) -> set[str]:
    """Every model reachable upwards by the Hub's lineage tags."""
    found: set[str] = set()
    todo = [model_id]
    while todo:
        for parent in hub.model(todo.pop()).base_models:
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return found


def listing_pages(hub: Hub, parent: str, page: int) -> int:
    """Requests to list the children of ``parent``: the pages of one ``base_model:<id>``
    listing (every child carries the bare tag, whatever its relation)."""
    hits = sum(1 for m in hub if f"base_model:{parent}" in m.tags and not m.private)
    return max(1, -(-hits // page))


def file_format(path: str) -> tuple[str | None, bool]:
    """(format, pickle) the knowledge base should record for the synthetic hub's files."""
    for suffix, fmt in (
        (".safetensors", "safetensors"),
        (".gguf", "gguf"),
        (".bin", "pickle"),
        (".pt", "pickle"),
    ):
        if path.endswith(suffix):
            return fmt, fmt == "pickle"
    return None, False


def ingested(store: LadybugStore) -> set[str]:
    rows = store.cypher("MATCH (m:Model) WHERE m.ingested = true RETURN m.id").rows
    return {r[0] for r in rows}


def edges(store: LadybugStore, etype: str) -> set[tuple[str, str]]:
    (src, dst), *_ = schema.EDGES[etype].pairs
    skey, dkey = schema.NODES[src].key, schema.NODES[dst].key
    rows = store.cypher(f"MATCH (a:{src})-[:{etype}]->(b:{dst}) RETURN a.{skey}, b.{dkey}").rows
    return {(a, b) for a, b in rows}


def dump(store: LadybugStore) -> dict[str, Any]:
    """Every node and edge with every property: two graphs are equal when dumps are."""
    out: dict[str, Any] = {}
    for label, ntype in schema.NODES.items():
        cols = ", ".join(f"n.{c}" for c in ntype.columns)
        rows = store.cypher(f"MATCH (n:{label}) RETURN {cols}").rows
        out[label] = sorted((tuple(map(_hashable, r)) for r in rows), key=repr)
    for etype, edge in schema.EDGES.items():
        for src, dst in edge.pairs:
            skey, dkey = schema.NODES[src].key, schema.NODES[dst].key
            props = "".join(f", r.{p}" for p, _ in edge.properties)
            rows = store.cypher(
                f"MATCH (a:{src})-[r:{etype}]->(b:{dst}) RETURN a.{skey}, b.{dkey}{props}"
            ).rows
            out[f"{etype}:{src}->{dst}"] = sorted(
                (tuple(map(_hashable, r)) for r in rows), key=repr
            )
    return out


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def problems(report: CrawlReport, reason: str) -> list[tuple[str | None, str, str]]:
    return [(p.record, p.severity, p.detail) for p in report.problems if p.reason == reason]


def requested(log: list[LoggedRequest], kind: str) -> Counter[str | None]:
    return Counter(r.repo_id for r in log if r.kind == kind)


def listed_parents(log: list[LoggedRequest]) -> set[str]:
    """Parents whose children were listed (from the ``filter=base_model:...`` queries)."""
    found = set()
    for r in log:
        if r.kind == "list_models":
            for value in parse_qs(r.query).get("filter", []):
                found.add(value.rsplit(":", 1)[-1])
    return found


def owner_requests(server: HubServer) -> int:
    return sum(server.requests[k] for k in OWNER_KINDS)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# ------------------------------------------------------- descendants of the wide base


@dataclass(frozen=True)
class WideCrawl:
    hub: Hub
    report: CrawlReport
    requests: Counter[str]
    log: list[LoggedRequest]
    db: Path
    journal: Path


@pytest.fixture(scope="module")
def wide_hub() -> Hub:
    return synthetic_hub(seed=0, wide_children=WIDE)


@pytest.fixture(scope="module")
def wide(wide_hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> WideCrawl:
    """``--model acme-ai/acme-1b --descendants --depth 1`` with listing pages of 200, once."""
    root = tmp_path_factory.mktemp("wide")
    journal = root / "journal.json"
    with HubServer(wide_hub, paging=Paging(models=PAGE)) as server, hf_client_env(root / "hf"):
        store = LadybugStore(root / "kb")
        try:
            report = crawl(
                store,
                server,
                "acme-ai/acme-1b",
                descendants=True,
                depth=1,
                commits=False,
                workers=8,
                batch=500,
                journal=journal,
                observed_at=OBSERVED,
            )
        finally:
            store.close()
        return WideCrawl(
            wide_hub, report, server.requests.copy(), list(server.log), root / "kb", journal
        )


def test_descendants_of_the_wide_base_across_listing_pages(wide: WideCrawl) -> None:
    hub, report = wide.hub, wide.report
    children = set(hub.children("acme-ai/acme-1b"))
    assert len(children) == WIDE
    assert report.models == WIDE + 1 and report.skipped == Counter()
    with LadybugStore(wide.db, read_only=True) as store:
        assert ingested(store) == children | {"acme-ai/acme-1b"}
        derived = edges(store, "DERIVED_FROM")
        assert derived == {(c, "acme-ai/acme-1b") for c in children}
        for child in ("alice/acme-1b-ft-0000", "judy/acme-1b-ft-1049"):
            model = hub.model(child)
            relation = tag_parents(model)["acme-ai/acme-1b"]
            assert card_bases(model) == ["acme-ai/acme-1b"]
            edge = store.derivation(child, "acme-ai/acme-1b")
            assert edge is not None
            assert edge["relation"] == relation == "finetune"
            assert edge["evidence"] == [f"tag:base_model:{relation}", "card:base_model"]
            assert edge["source"] == "hf-crawl" and edge["observed_at"] == OBSERVED
    assert report.edges == Counter({"finetune": WIDE})
    assert report.evidence == Counter({"tag:base_model:finetune": WIDE, "card:base_model": WIDE})
    # The one listing of the base (the bare base_model:<id> tag) walked all its pages
    assert wide.requests["list_models"] == listing_pages(hub, "acme-ai/acme-1b", PAGE) == 6
    cursors = [r for r in wide.log if r.kind == "list_models" and "cursor=" in r.query]
    assert len(cursors) == -(-WIDE // PAGE) - 1


def test_request_counts_of_a_crawl_match_the_server(wide: WideCrawl) -> None:
    report = wide.report
    models = WIDE + 1
    # One model_info and one README.md per model (no commits asked), nothing fetched twice
    assert wide.requests["model_info"] == models
    assert requested(wide.log, "model_info") == Counter({m: 1 for m in ingested_ids(wide)})
    assert wide.requests["resolve"] == models
    assert wide.requests["commits"] == 0
    total = sum(wide.requests.values())
    assert report.requests == total
    summary = report.to_json()
    assert summary["requests"] == total
    assert summary["requests_per_model"] == round(total / models, 2)


def ingested_ids(wide: WideCrawl) -> set[str]:
    return {"acme-ai/acme-1b", *wide.hub.children("acme-ai/acme-1b")}


def test_since_lists_pages_of_1000_and_fetches_nothing_unchanged(
    wide: WideCrawl, wide_hub: Hub, tmp_path: Path
) -> None:
    """Default pages (1,000, the Hub's): two for the listing of the wide base. Nothing changed
    since the first crawl, so only the seed itself is fetched again."""
    db = tmp_path / "kb"
    shutil.copytree(wide.db, db)
    with HubServer(wide_hub) as server, LadybugStore(db) as store:
        before = dump(store)
        report = crawl(
            store,
            server,
            "acme-ai/acme-1b",
            descendants=True,
            depth=1,
            commits=False,
            since="2025-01-01",
            observed_at=OBSERVED,
        )
        assert report.since == "2025-01-01T00:00:00.000Z"
        assert report.unchanged == WIDE and report.models == 1
        assert server.requests["list_models"] == listing_pages(wide_hub, "acme-ai/acme-1b", 1000)
        assert server.requests["list_models"] == 2
        assert server.requests["model_info"] == 1  # the seed: --model is always fetched
        assert dump(store) == before


# -------------------------------------------------------------- ancestors and depth


def test_ancestors_from_a_deep_merge_up_to_the_roots(
    server: HubServer, hub: Hub, store: LadybugStore
) -> None:
    seed = "mergemaster/frankenmerge-3way"
    expected = tag_ancestors(hub, seed)
    assert expected == {"acme-ai/acme-7b", "alice/acme-7b-chat", "erin/acme-7b-chat-dpo"}
    report = crawl(store, server, seed, ancestors=True)
    assert ingested(store) == expected | {seed}
    want = {(m, p) for m in expected | {seed} for p in hub.model(m).base_models}
    assert edges(store, "DERIVED_FROM") == want
    roots = {m for m in expected if not hub.model(m).base_models}
    assert roots == {"acme-ai/acme-7b"}
    assert store.cypher("MATCH (m:Model) WHERE m.ingested = false RETURN m.id").rows == ()
    assert report.models == 4 and report.skipped == Counter()
    assert server.requests["model_info"] == 4 + 0  # each once (no descendants were asked)
    assert server.requests["list_models"] == 0


@pytest.mark.parametrize(("depth", "fetched"), [(0, 1), (1, 2), (2, 3), (None, 3)])
def test_depth_limits_the_hops(
    server: HubServer,
    hub: Hub,
    new_store: Callable[[str], LadybugStore],
    depth: int | None,
    fetched: int,
) -> None:
    chain = ["erin/acme-7b-chat-dpo", "alice/acme-7b-chat", "acme-ai/acme-7b"]
    for child, parent in itertools.pairwise(chain):
        assert hub.model(child).base_models == (parent,)
    store = new_store("kb")
    report = crawl(store, server, chain[0], ancestors=True, depth=depth)
    assert report.models == fetched
    assert ingested(store) == set(chain[:fetched])
    # The base one hop beyond the limit is known by name only (a placeholder)
    beyond = chain[fetched] if fetched < len(chain) else None
    if beyond is not None:
        node = store.node("Model", beyond)
        assert node is not None and node["ingested"] is False
    assert report.placeholders == (beyond is not None)
    assert server.requests["model_info"] == fetched


def test_descendants_depth_one_are_the_direct_children(
    server: HubServer, hub: Hub, store: LadybugStore
) -> None:
    direct = set(hub.children("acme-ai/acme-7b"))
    assert "erin/acme-7b-chat-dpo" not in direct  # a grandchild
    report = crawl(store, server, "acme-ai/acme-7b", descendants=True, depth=1)
    assert ingested(store) == direct | {"acme-ai/acme-7b"}
    assert report.models == len(direct) + 1
    # only the seed's children are listed at depth 1
    assert listed_parents(server.log) == {"acme-ai/acme-7b"}
    assert server.requests["list_models"] == listing_pages(hub, "acme-ai/acme-7b", 1000)


# ---------------------------------------------------------------------- renames


def test_renamed_repository(server: HubServer, hub: Hub, store: LadybugStore) -> None:
    assert hub.canonical_id("acme-ai/Acme-7B") == "acme-ai/acme-7b"
    chat = hub.model("alice/acme-7b-chat")
    assert card_bases(chat) == ["acme-ai/Acme-7B"]  # the card still names the old id
    report = crawl(store, server, "acme-ai/Acme-7B", descendants=True, depth=1)
    node = store.node("Model", "acme-ai/acme-7b")
    assert node is not None and node["ingested"] is True
    assert node["aliases"] == ["acme-ai/Acme-7B"]
    assert report.aliases == {"acme-ai/Acme-7B": "acme-ai/acme-7b"}
    assert report.to_json()["aliases"] == {"acme-ai/Acme-7B": "acme-ai/acme-7b"}
    assert problems(report, "renamed") == [
        ("acme-ai/acme-7b", "warning", "'acme-ai/Acme-7B' is now 'acme-ai/acme-7b'")
    ]
    assert store.node("Model", "acme-ai/Acme-7B") is None
    # the rename was known before the child was read: its card's old id is the new one
    edge = store.derivation("alice/acme-7b-chat", "acme-ai/acme-7b")
    assert edge is not None and edge["evidence"] == ["tag:base_model:finetune", "card:base_model"]
    assert problems(report, "card-tag-disagree") == []
    assert not any(p == "acme-ai/Acme-7B" for _, p in edges(store, "DERIVED_FROM"))
    # the old id answered with a 307 once; everything after went to the new id
    assert [(r.path, r.status) for r in server.log if r.repo_id == "acme-ai/Acme-7B"] == [
        ("/api/models/acme-ai/Acme-7B", 307)
    ]


@pytest.fixture
def renamed_adapter_hub() -> Hub:
    """The synthetic hub, but bob's adapter names its base by the old id, and only in
    adapter_config.json (older adapters do: the Hub cannot rewrite that file)."""
    small = synthetic_hub(seed=0, wide_children=1)
    lora = small.model("bob/acme-7b-lora-sql")
    config_file = lora.file("adapter_config.json")
    assert config_file is not None and config_file.content is not None
    config = json.loads(config_file.content)
    config["base_model_name_or_path"] = "acme-ai/Acme-7B"
    files = tuple(
        HubFile.text(f.path, json.dumps(config)) if f.path == "adapter_config.json" else f
        for f in lora.files
    )
    small.add(replace(lora, files=files))
    return small


def test_a_known_alias_resolves_the_old_id_in_a_later_crawl(
    renamed_adapter_hub: Hub, store: LadybugStore
) -> None:
    with HubServer(renamed_adapter_hub) as server:
        crawl(store, server, "acme-ai/Acme-7B")  # the knowledge base learns the rename
        report = crawl(store, server, "bob/acme-7b-lora-sql")
    edge = store.derivation("bob/acme-7b-lora-sql", "acme-ai/acme-7b")
    assert edge is not None and edge["relation"] == "adapter"
    assert store.derivation("bob/acme-7b-lora-sql", "acme-ai/Acme-7B") is None
    assert store.node("Model", "acme-ai/Acme-7B") is None
    assert report.edges == Counter({"adapter": 1})


def test_an_alias_learned_by_the_ancestor_walk_resolves_the_old_id(
    renamed_adapter_hub: Hub, store: LadybugStore
) -> None:
    with HubServer(renamed_adapter_hub) as server:
        report = crawl(store, server, "bob/acme-7b-lora-sql", ancestors=True)
    assert report.aliases == {"acme-ai/Acme-7B": "acme-ai/acme-7b"}
    assert ingested(store) == {"bob/acme-7b-lora-sql", "acme-ai/acme-7b"}
    assert edges(store, "DERIVED_FROM") == {("bob/acme-7b-lora-sql", "acme-ai/acme-7b")}
    assert store.node("Model", "acme-ai/Acme-7B") is None


# ---------------------------------------------------------------- gated and missing


def test_gated_models_are_ingested_with_their_gate(
    server: HubServer, hub: Hub, store: LadybugStore
) -> None:
    """On the Hub a gated model's info, file list and card are public; only files are gated."""
    gates = {m.id: m.gated for m in hub if m.gated}
    assert gates == {"openweights/ow-13b": "manual", "openweights/ow-3b": "auto"}
    report = crawl(store, server, *gates)
    assert report.models == 2 and report.skipped == Counter()
    for model_id, gate in gates.items():
        node = store.node("Model", model_id)
        assert node is not None and node["gated"] == gate and node["ingested"] is True
        assert node["license"] == "apache-2.0"  # from the (public) card
        files = {f.path for f in hub.model(model_id).files}
        assert {p for m, p in _files(store, model_id)} == files
    plain = crawl(store, server, "alice/acme-7b-chat")
    assert plain.models == 1
    node = store.node("Model", "alice/acme-7b-chat")
    assert node is not None and node["gated"] == "no"


def _files(store: LadybugStore, model_id: str) -> set[tuple[str, str]]:
    rows = store.cypher(
        "MATCH (m:Model {id: $m})-[:HAS_FILE]->(f:File) RETURN m.id, f.path", {"m": model_id}
    ).rows
    return {(a, b) for a, b in rows}


def test_a_gated_adapter_is_ingested_without_its_gated_files(store: LadybugStore) -> None:
    """adapter_config.json of a gated adapter answers 401 GatedRepo: the model is still
    ingested (its info is public), with a warning naming the file it could not read."""
    small = synthetic_hub(seed=0, wide_children=1)
    small.add(replace(small.model("carol/ow-13b-qlora"), gated="manual"))
    with HubServer(small) as server:
        report = crawl(store, server, "carol/ow-13b-qlora", "alice/acme-7b-chat")
        gated_reads = [
            r for r in server.log if r.kind == "resolve" and r.fault == "gated" and r.status == 401
        ]
    sha = small.model("carol/ow-13b-qlora").sha
    assert [r.path for r in gated_reads] == [
        f"/carol/ow-13b-qlora/resolve/{sha}/adapter_config.json"
    ]
    assert report.models == 2 and report.skipped == Counter()
    # its base is named only in the file it cannot read; alice's fine-tune is unaffected
    assert edges(store, "DERIVED_FROM") == {("alice/acme-7b-chat", "acme-ai/acme-7b")}
    node = store.node("Model", "carol/ow-13b-qlora")
    assert node is not None and node["gated"] == "manual" and node["ingested"] is True
    assert [(r, s) for r, s, _ in problems(report, "gated-file")] == [
        ("carol/ow-13b-qlora", "warning")
    ]
    assert "adapter_config.json" in problems(report, "gated-file")[0][2]


def test_gated_model_info_is_skipped_with_a_reason(server: HubServer, store: LadybugStore) -> None:
    server.add_fault("/api/models/alice/acme-7b-chat", Fault.gated("alice/acme-7b-chat"))
    report = crawl(store, server, "alice/acme-7b-chat", "ivan/acme-7b-instruct")
    assert report.models == 1 and report.skipped == Counter({"gated": 1})
    assert [(r, s) for r, s, _ in problems(report, "gated")] == [("alice/acme-7b-chat", "skipped")]
    assert ingested(store) == {"ivan/acme-7b-instruct"}


def test_missing_ids_are_skipped_and_vanished_models_marked_removed(
    server: HubServer, store: LadybugStore
) -> None:
    report = crawl(store, server, "nobody/nothing", "alice/acme-7b-chat", observed_at=OBSERVED)
    assert report.models == 1 and report.skipped == Counter({"missing": 1})
    assert [(r, s) for r, s, _ in problems(report, "missing")] == [("nobody/nothing", "skipped")]
    assert store.node("Model", "nobody/nothing") is None
    assert report.removed == []
    counts = store.counts()

    server.add_fault("/api/models/alice/acme-7b-chat", Fault.repo_not_found())
    later = "2025-04-01T00:00:00.000Z"
    again = crawl(store, server, "alice/acme-7b-chat", observed_at=later)
    assert again.models == 0 and again.skipped == Counter({"missing": 1})
    assert again.removed == ["alice/acme-7b-chat"]
    assert again.to_json()["removed"] == ["alice/acme-7b-chat"]
    node = store.node("Model", "alice/acme-7b-chat")
    assert node is not None  # never deleted
    assert node["removed"] is True and node["removed_at"] == later
    assert node["ingested"] is True and node["sha"] is not None  # what was known stays
    assert store.derivation("alice/acme-7b-chat", "acme-ai/acme-7b") is not None
    assert store.counts() == counts

    server.hub.clear_faults()
    back = crawl(store, server, "alice/acme-7b-chat")
    assert back.removed == []
    node = store.node("Model", "alice/acme-7b-chat")
    assert node is not None and node["removed"] is False


def test_a_child_gone_from_the_listing_and_the_hub_is_marked_removed(
    store: LadybugStore,
) -> None:
    small = synthetic_hub(seed=0, wide_children=1)
    with HubServer(small) as server:
        crawl(store, server, "acme-ai/acme-7b", descendants=True, depth=1)
        assert "ivan/acme-7b-instruct" in ingested(store)
        # the model went private: gone from listings, and RepoNotFound when asked for
        small.add(replace(small.model("ivan/acme-7b-instruct"), private=True))
        report = crawl(store, server, "acme-ai/acme-7b", descendants=True, depth=1)
    assert report.removed == ["ivan/acme-7b-instruct"]
    node = store.node("Model", "ivan/acme-7b-instruct")
    assert node is not None and node["removed"] is True


def test_a_child_that_changed_its_base_is_not_asked_about(store: LadybugStore) -> None:
    """A known child its base's listing no longer names is checked (expand=sha) only at the
    end of the crawl, and only when no other listing named it: here it became a fine-tune of
    a sibling, whose listing (a level later) names it, so it is no request more."""
    small = synthetic_hub(seed=0, wide_children=1)
    moved, sibling = "ivan/acme-7b-instruct", "alice/acme-7b-chat"
    with HubServer(small) as server:
        crawl(store, server, "acme-ai/acme-7b", descendants=True, depth=2)
        model = small.model(moved)
        tags = tuple(t for t in model.tags if not t.startswith("base_model:"))
        small.add(
            replace(
                model,
                tags=(*tags, f"base_model:{sibling}", f"base_model:finetune:{sibling}"),
                card_data={**(model.card_data or {}), "base_model": sibling},
            )
        )
        server.reset_counts()
        report = crawl(store, server, "acme-ai/acme-7b", descendants=True, depth=2)
        checks = [r for r in server.log if r.kind == "model_info" and r.query == "expand=sha"]
    assert report.removed == [] and checks == []
    assert store.derivation(moved, sibling) is not None
    assert store.derivation(moved, "acme-ai/acme-7b") is None
    node = store.node("Model", moved)
    assert node is not None and node["removed"] is False


# ---------------------------------------------------------------- faults and retries


def test_429_waits_retry_after_then_succeeds(
    server: HubServer, store: LadybugStore, sleeps: list[float]
) -> None:
    rule = server.add_fault(
        "/api/models/alice/acme-7b-chat", Fault.rate_limited(retry_after=7, times=2)
    )
    report = crawl(store, server, "alice/acme-7b-chat", sleeps=sleeps)
    assert sleeps == [7.0, 7.0]
    assert rule.hits == 2 and report.models == 1 and report.skipped == Counter()
    assert server.count("model_info", "alice/acme-7b-chat") == 3
    assert report.requests == server.total


def test_retry_after_beyond_max_wait_is_skipped(
    server: HubServer, store: LadybugStore, sleeps: list[float]
) -> None:
    server.add_fault("/api/models/alice/acme-7b-chat", Fault.rate_limited(retry_after=3600))
    report = crawl(
        store, server, "alice/acme-7b-chat", "ivan/acme-7b-instruct", sleeps=sleeps, max_wait=60
    )
    assert sleeps == []
    assert report.models == 1 and report.skipped == Counter({"rate-limited": 1})
    (record, severity, detail), *_ = problems(report, "rate-limited")
    assert (record, severity) == ("alice/acme-7b-chat", "skipped")
    assert "3600" in detail and "60" in detail
    assert server.count("model_info", "alice/acme-7b-chat") == 1


def test_503_is_retried_with_backoff(
    server: HubServer, store: LadybugStore, sleeps: list[float]
) -> None:
    server.add_fault("/api/models/alice/acme-7b-chat", Fault.unavailable(times=2))
    report = crawl(store, server, "alice/acme-7b-chat", sleeps=sleeps)
    assert report.models == 1 and report.skipped == Counter()
    assert sleeps == [1.0, 2.0]
    assert server.count("model_info", "alice/acme-7b-chat") == 3


def test_persistent_503_is_skipped_after_the_retries_and_the_batch_goes_on(
    server: HubServer, hub: Hub, store: LadybugStore, sleeps: list[float]
) -> None:
    server.add_fault("/api/models/alice/acme-7b-chat", Fault.unavailable())
    server.add_fault("/api/models/ivan/acme-7b-instruct", Fault.malformed_json())
    batch = (
        "alice/acme-7b-chat",
        "ivan/acme-7b-instruct",
        "quantbot/acme-7b-GGUF",
        "nobody/nothing",
        "bob/acme-7b-lora-sql",
    )
    report = crawl(store, server, *batch, sleeps=sleeps, retries=2)
    assert server.count("model_info", "alice/acme-7b-chat") == 3  # 1 + 2 retries
    assert sorted(sleeps) == [1.0, 2.0]
    assert report.skipped == Counter({"server-error": 1, "malformed-response": 1, "missing": 1})
    assert server.count("model_info", "ivan/acme-7b-instruct") == 1  # not retried
    assert report.models == 2 == len(batch) - sum(report.skipped.values())
    assert ingested(store) == {"quantbot/acme-7b-GGUF", "bob/acme-7b-lora-sql"}
    details = {p.record: p.detail for p in report.problems if p.severity == "skipped"}
    assert details["alice/acme-7b-chat"] == "alice/acme-7b-chat: HTTP 503 after 3 attempts"
    assert report.to_json()["skipped"] == 3
    assert report.requests == server.total


def test_listing_faults_follow_the_crawl_policy(
    server: HubServer, store: LadybugStore, sleeps: list[float], client_clock: _Clock
) -> None:
    """A listing page answering 429 or 503 is waited for and retried by the crawler, with
    its --retries and --max-wait, not by huggingface_hub's own 5 retries and sleeps."""
    rule = server.add_fault("/api/models", Fault.rate_limited(retry_after=5, times=1))
    report = crawl(store, server, authors=("quantbot",), sleeps=sleeps, commits=False)
    assert rule.hits == 1 and sleeps == [5.0] and client_clock.sleeps == []
    assert report.models == 3
    server.hub.clear_faults()
    server.reset_counts()
    sleeps.clear()
    server.add_fault("/api/models", Fault.rate_limited(retry_after=3600))
    report = crawl(store, server, authors=("quantbot",), sleeps=sleeps, max_wait=60)
    assert report.skipped == Counter({"rate-limited": 1}) and report.models == 0
    assert sleeps == [] and client_clock.sleeps == []
    assert server.requests["list_models"] == 1 == report.requests


def test_an_unreadable_commit_list_is_a_warning(server: HubServer, store: LadybugStore) -> None:
    server.add_fault("/api/models/alice/acme-7b-chat/commits/*", Fault.malformed_json())
    report = crawl(store, server, "alice/acme-7b-chat", retries=0)
    assert report.models == 1 and report.commits == 0
    assert report.warnings["malformed-response"] == 1


# ------------------------------------------------------------------ lineage shapes


def test_invalid_card_yaml_is_reported_with_its_line(
    server: HubServer, hub: Hub, store: LadybugStore
) -> None:
    card = hub.model("judy/broken-card").card
    assert card is not None and hub.model("judy/broken-card").card_data is None
    line = card.splitlines().index("license: mit") + 1  # the flow sequence is not closed
    report = crawl(store, server, "judy/broken-card")
    assert report.models == 1
    ((record, severity, detail),) = problems(report, "invalid-card")
    assert (record, severity) == ("judy/broken-card", "warning")
    assert f"at line {line}:" in detail and line == 3
    assert ingested(store) == {"judy/broken-card"}


def test_adapter_parent_only_in_adapter_config(
    server: HubServer, hub: Hub, store: LadybugStore
) -> None:
    for adapter in ("bob/acme-7b-lora-sql", "carol/ow-13b-qlora"):
        model = hub.model(adapter)
        assert model.base_models == () and card_bases(model) == []
    report = crawl(store, server, "bob/acme-7b-lora-sql", "carol/ow-13b-qlora")
    assert report.edges == {"adapter": 2} and report.placeholders == 2
    for adapter in ("bob/acme-7b-lora-sql", "carol/ow-13b-qlora"):
        config_file = hub.model(adapter).file("adapter_config.json")
        assert config_file is not None and config_file.content is not None
        base = json.loads(config_file.content)["base_model_name_or_path"]
        edge = store.derivation(adapter, base)
        assert edge is not None and edge["relation"] == "adapter"
        assert "adapter_config:base_model_name_or_path" in edge["evidence"]
        assert edge["confidence"] == 1.0  # the files agree: adapter_config.json is there
        placeholder = store.node("Model", base)
        assert placeholder is not None and placeholder["ingested"] is False


def test_quantized_and_merged(server: HubServer, hub: Hub, store: LadybugStore) -> None:
    quantized = ("quantbot/acme-7b-GGUF", "quantbot/acme-7b-GPTQ")
    merges = ("mergemaster/acme-chat-slerp", "mergemaster/frankenmerge-3way")
    report = crawl(store, server, *quantized, *merges)
    gguf = store.derivation("quantbot/acme-7b-GGUF", "acme-ai/acme-7b")
    assert gguf is not None and gguf["relation"] == "quantized"
    assert "tag:base_model:quantized" in gguf["evidence"] and "files:gguf" in gguf["evidence"]
    gptq = store.derivation("quantbot/acme-7b-GPTQ", "acme-ai/acme-7b")
    assert gptq is not None and gptq["relation"] == "quantized"
    assert "config:quantization_config" in gptq["evidence"]
    for merge in merges:
        config_file = hub.model(merge).file("mergekit_config.yml")
        assert config_file is not None and config_file.content is not None
        config = yaml.safe_load(config_file.content)
        bases = [m["model"] for m in config["models"]]
        assert len(bases) == len(tag_parents(hub.model(merge))) >= 2
        got = {p for c, p in edges(store, "DERIVED_FROM") if c == merge}
        assert got == set(bases)
        for base in bases:
            edge = store.derivation(merge, base)
            assert edge is not None and edge["relation"] == "merge"
            assert "mergekit_config:model" in edge["evidence"]
    assert report.edges == Counter({"quantized": 2, "merge": 5})


def test_distilled_and_pruned_named_only_in_card_prose(
    server: HubServer, hub: Hub, store: LadybugStore
) -> None:
    cases = {
        "grace/acme-7b-distilled-1b": ("acme-ai/acme-7b", "distill"),
        "heidi/ow-13b-pruned-50": ("openweights/ow-13b", "prune"),
    }
    for model_id, (base, _) in cases.items():
        model = hub.model(model_id)
        assert model.base_models == () and card_bases(model) == []
        assert model.card is not None and base in model.card
    crawl(store, server, *cases)
    for model_id, (base, relation) in cases.items():
        edge = store.derivation(model_id, base)
        assert edge is not None
        assert (edge["relation"], edge["confidence"]) == (relation, 0.4)
        assert edge["evidence"] == [f"card-text:{relation}-from"]


# ------------------------------------------------------ files, commits, organisations


def test_files_with_format_size_hash_and_pickle(
    server: HubServer, hub: Hub, store: LadybugStore
) -> None:
    models = (
        "tinylab/tiny-base",
        "ivan/tiny-base-ft",
        "quantbot/acme-7b-GGUF",
        "bob/acme-7b-lora-sql",
    )
    report = crawl(store, server, *models)
    expected_pickles = 0
    for model_id in models:
        for f in hub.model(model_id).files:
            node = store.node("File", f"{model_id}/{f.path}")
            assert node is not None, f.path
            fmt, pickle = file_format(f.path)
            assert (node["repo"], node["path"], node["size"]) == (model_id, f.path, f.size)
            assert node["sha256"] == (f.lfs.sha256 if f.lfs is not None else None)
            assert (node["format"], node["pickle"]) == (fmt, pickle), f.path
            expected_pickles += pickle
    assert store.node("File", "tinylab/tiny-base/pytorch_model.bin")["pickle"] is True  # type: ignore[index]
    assert store.node("File", "ivan/tiny-base-ft/model.pt")["pickle"] is True  # type: ignore[index]
    safetensors = store.node("File", "bob/acme-7b-lora-sql/adapter_model.safetensors")
    assert safetensors is not None and safetensors["pickle"] is False
    n_files = sum(len(hub.model(m).files) for m in models)
    assert report.files == n_files == len(edges(store, "HAS_FILE"))
    assert report.pickle_files == expected_pickles == 2


def test_commits_and_their_authors(server: HubServer, hub: Hub, store: LadybugStore) -> None:
    models = ("acme-ai/acme-7b", "alice/acme-7b-chat")
    report = crawl(store, server, *models)
    want_has = {(m, c.id) for m in models for c in hub.model(m).commits}
    want_authored = {(a, c.id) for m in models for c in hub.model(m).commits for a in c.authors}
    assert edges(store, "HAS_COMMIT") == want_has
    assert edges(store, "AUTHORED") == want_authored
    assert {a for a, _ in want_authored} == {"alice", "bob"}
    for model_id in models:
        for c in hub.model(model_id).commits:
            node = store.node("Commit", c.id)
            assert node is not None
            assert (node["repo"], node["sha"], node["title"]) == (model_id, c.id, c.title)
            assert node["authored_at"] == c.date
    assert report.commits == len(want_has)
    assert server.requests["commits"] == len(models)


def test_organisations_members_and_users(server: HubServer, hub: Hub, store: LadybugStore) -> None:
    models = ("acme-ai/acme-7b", "openweights/ow-3b", "tinylab/tiny-base", "alice/acme-7b-chat")
    report = crawl(store, server, *models)
    for name, org in hub.organizations.items():
        node = store.node("Actor", name)
        assert node is not None
        assert (node["kind"], node["verified"]) == ("org", org.verified)
    assert store.node("Actor", "acme-ai")["verified"] is True  # type: ignore[index]
    assert store.node("Actor", "tinylab")["verified"] is False  # type: ignore[index]
    alice = store.node("Actor", "alice")
    assert alice is not None and alice["kind"] == "user" and alice["verified"] is None
    want = {(m, o) for o, org in hub.organizations.items() for m in org.members}
    assert edges(store, "MEMBER_OF") == want
    assert edges(store, "OWNS") >= {(m.split("/")[0], m) for m in models}
    assert report.organisations == len(hub.organizations) == 3
    assert report.memberships == len(want) == 5
    assert report.actors == 4  # the owners looked up: three organisations and alice
    # one overview per organisation, and its members; alice authored commits of her model,
    # so she is known to be a user without asking
    assert server.requests["org_overview"] == 3
    assert server.requests["org_members"] == 3
    assert server.requests["user_overview"] == 0


def test_an_organisation_without_members_costs_its_overview_only(store: LadybugStore) -> None:
    """The overview counts an organisation's members (``numUsers``): when it counts none,
    the members listing would be empty, so it is not asked for."""
    small = synthetic_hub(seed=0, wide_children=1)
    small.add_organization(Organization("tinylab", "Tiny Lab", verified=False, members=()))
    with HubServer(small) as server:
        report = crawl(store, server, "tinylab/tiny-base", "acme-ai/acme-7b")
        asked = server.requests.copy()
    assert (asked["org_overview"], asked["org_members"]) == (2, 1)  # acme-ai's members only
    node = store.node("Actor", "tinylab")
    assert node is not None and (node["kind"], node["verified"]) == ("org", False)
    assert edges(store, "MEMBER_OF") == {("alice", "acme-ai"), ("bob", "acme-ai")}
    assert report.organisations == 2 and report.memberships == 2


# ----------------------------------------------------------- idempotence and resuming


def test_crawling_twice_changes_nothing(
    server: HubServer, new_store: Callable[[str], LadybugStore]
) -> None:
    store = new_store("kb")
    seeds = ("acme-ai/acme-7b", "mergemaster/frankenmerge-3way", "bob/acme-7b-lora-sql")
    first = crawl(store, server, *seeds, descendants=True, depth=1, observed_at=OBSERVED)
    once, counts, asked = dump(store), store.counts(), server.requests.copy()
    server.reset_counts()
    second = crawl(store, server, *seeds, descendants=True, depth=1, observed_at=OBSERVED)
    assert store.counts() == counts and dump(store) == once
    same = {"seconds": 0, "requests": 0, "requests_per_model": 0, "commits": 0}
    assert first.to_json() | same == second.to_json() | same
    # No commit list is read again (every head is the one whose history the store holds),
    # and no user is asked about again (the store knows them as users)
    assert first.commits > 0 and second.commits == 0
    assert asked["commits"] == first.models and server.requests["commits"] == 0
    # No request more: the adapter is known as a child of acme-ai/acme-7b, but no tag lists
    # it; it is a seed of this crawl, so its own fetch says it still exists (no expand=sha)
    assert server.requests - asked == Counter()
    assert not [r for r in server.log if r.kind == "model_info" and r.query == "expand=sha"]
    assert second.requests == server.total == first.requests - asked["commits"]
    # a later observation changes observed_at only
    crawl(store, server, *seeds, descendants=True, depth=1, observed_at="2025-05-01T00:00:00.000Z")
    assert store.counts() == counts
    node = store.node("Model", "acme-ai/acme-7b")
    assert node is not None and node["observed_at"] == "2025-05-01T00:00:00.000Z"


def test_which_children_are_listed_does_not_depend_on_thread_timing(
    server: HubServer, new_store: Callable[[str], LadybugStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing of acme-ai/acme-7b's children counts none under the 3-way merge; a walk
    that read that count while its own level was still being handled skipped listing the
    merge's children when that listing's thread happened to finish first (so a re-crawl
    made one request more or less, at random). Here the listing is made to finish first."""
    seeds = ("acme-ai/acme-7b", "mergemaster/frankenmerge-3way", "bob/acme-7b-lora-sql")
    plain = crawl(new_store("plain"), server, *seeds, descendants=True, depth=1)
    plain_log = sorted((r.kind, r.repo_id or "", r.query) for r in server.log)
    server.reset_counts()

    fetch, listing = fetch_model, HubClient.listing
    listed = threading.Event()

    def listing_then_signal(self: Any, what: str, **kwargs: Any) -> list[Any]:
        try:
            return listing(self, what, **kwargs)
        finally:
            if what == "children of acme-ai/acme-7b":
                listed.set()

    def merge_waits_for_listing(client: Any, mid: str, *args: Any) -> Any:
        facts = fetch(client, mid, *args)
        if mid == "mergemaster/frankenmerge-3way":
            assert listed.wait(10), "the listing of acme-ai/acme-7b's children never ran"
        return facts

    monkeypatch.setattr(HubClient, "listing", listing_then_signal)
    monkeypatch.setattr("mlsc.ingest.hub.crawl.fetch_model", merge_waits_for_listing)
    raced = crawl(new_store("raced"), server, *seeds, descendants=True, depth=1)
    assert sorted((r.kind, r.repo_id or "", r.query) for r in server.log) == plain_log
    assert raced.requests == plain.requests


def test_an_interrupted_crawl_resumes_where_it_stopped(
    server: HubServer, hub: Hub, new_store: Callable[[str], LadybugStore], tmp_path: Path
) -> None:
    seeds = ("acme-ai/acme-1b", "acme-ai/acme-7b")
    options: dict[str, Any] = {"descendants": True, "workers": 4, "observed_at": OBSERVED}
    whole = new_store("whole")
    reference = crawl(whole, server, *seeds, batch=1000, **options)
    assert reference.models == len(hub.children("acme-ai/acme-1b")) + 2 + len(
        tag_descendants(hub, "acme-ai/acme-7b")
    )
    full_log, full_requests = list(server.log), server.requests.copy()
    server.reset_counts()

    journal = tmp_path / "crawls" / "j.json"
    store = new_store("kb")
    stopped_at: list[int] = []

    def interrupt(done: int, known: int | None) -> None:
        written = len(json.loads(journal.read_bytes())["done"]) if journal.exists() else 0
        if written and done >= written + 3:
            stopped_at.append(done)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        crawl(store, server, *seeds, progress=interrupt, journal=journal, batch=10, **options)
    state = json.loads(journal.read_bytes())
    done = set(state["done"])
    assert stopped_at and 0 < len(done) < reference.models and state["pending"]
    assert ingested(store) == done  # what the journal calls done is what was written
    first_log, first_requests = list(server.log), server.requests.copy()
    server.reset_counts()

    resumed = crawl(store, server, *seeds, journal=journal, batch=1000, **options)
    assert resumed.resumed == len(done) > 0
    assert resumed.models == reference.models - len(done)
    assert dump(store) == dump(whole)
    # nothing that was written is fetched again: models, their children, their owners
    second_log = list(server.log)
    assert not set(requested(second_log, "model_info")) & done
    assert not listed_parents(second_log) & done
    assert set(requested(first_log, "model_info")) | set(requested(second_log, "model_info")) == (
        set(requested(full_log, "model_info"))
    )
    owners = sum(first_requests[k] + server.requests[k] for k in OWNER_KINDS)
    assert owners == sum(full_requests[k] for k in OWNER_KINDS)
    finished = json.loads(journal.read_bytes())
    assert finished["done"] == [] and finished["pending"] == []
    assert finished["last_complete"] == OBSERVED


def tag_descendants(hub: Hub, model_id: str) -> set[str]:
    found: set[str] = set()
    todo = [model_id]
    while todo:
        for child in hub.children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def test_since_a_date_and_since_the_last_crawl(
    server: HubServer, hub: Hub, store: LadybugStore, tmp_path: Path
) -> None:
    quantbot = {m.id for m in hub.models_of("quantbot")}
    assert max(m.last_modified for m in hub) < OBSERVED
    journal = tmp_path / "j.json"
    first = crawl(store, server, authors=("quantbot",), journal=journal, observed_at=OBSERVED)
    assert first.models == len(quantbot) == 3
    server.reset_counts()

    dated = crawl(store, server, authors=("quantbot",), since="2025-01-01", journal=journal)
    assert dated.since == "2025-01-01T00:00:00.000Z"
    assert dated.models == 0 and dated.unchanged == 3
    assert server.requests == Counter({"list_models": 1})
    server.reset_counts()

    last = crawl(store, server, authors=("quantbot",), since="last", journal=journal)
    # the previous complete crawl of this plan was the dated one, started after OBSERVED
    assert last.since is not None and last.since > OBSERVED
    assert last.models == 0 and last.unchanged == 3
    assert server.requests == Counter({"list_models": 1})

    with pytest.raises(InputError, match="not a date"):
        crawl(store, server, authors=("quantbot",), since="yesterday-ish")


def test_since_fetches_what_changed(store: LadybugStore, tmp_path: Path) -> None:
    small = synthetic_hub(seed=0, wide_children=1)
    journal = tmp_path / "j.json"
    with HubServer(small) as server:
        crawl(store, server, authors=("quantbot",), journal=journal, observed_at=OBSERVED)
        gguf = small.model("quantbot/acme-7b-GGUF")
        small.add(replace(gguf, last_modified="2025-06-01T10:00:00.000Z"))
        server.reset_counts()
        report = crawl(store, server, authors=("quantbot",), since="last", journal=journal)
        assert report.since == OBSERVED
        assert requested(server.log, "model_info") == Counter({"quantbot/acme-7b-GGUF": 1})
        assert report.models == 1 and report.unchanged == 2
    node = store.node("Model", "quantbot/acme-7b-GGUF")
    assert node is not None and node["last_modified"] == "2025-06-01T10:00:00.000Z"


# -------------------------------------------------------------- unreachable, tokens


@pytest.mark.parametrize("seeds", [{"models": ("alice/acme-7b-chat",)}, {"authors": ("quantbot",)}])
def test_an_unreachable_hub_is_a_clear_error(
    store: LadybugStore, sleeps: list[float], client_clock: _Clock, seeds: dict[str, Any]
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    started = time.perf_counter()
    with pytest.raises(HubUnreachable) as error:
        crawl_hub(
            store,
            CrawlOptions(endpoint=endpoint, token=False, rate=0, retries=2, **seeds),
            sleep=sleeps.append,
        )
    assert isinstance(error.value, MlscError)
    assert endpoint in error.value.message and "does not answer" in error.value.message
    assert error.value.hint is not None and "--endpoint" in error.value.hint
    assert sleeps == [2.0, 4.0]  # the crawler's own backoff, injected
    assert client_clock.sleeps == []  # and none inside huggingface_hub
    assert time.perf_counter() - started < 5
    assert store.counts()["Model"] == 0


def test_tokens_never_appear_in_output_logs_or_the_report(
    server: HubServer,
    store: LadybugStore,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    server.add_fault("/api/models/alice/acme-7b-chat", Fault.unavailable(times=1))
    report = crawl(
        store,
        server,
        "alice/acme-7b-chat",
        "alice/private-experiment",
        "nobody/nothing",
        authors=("quantbot",),
        sleeps=sleeps,
        token=TOKEN,
    )
    assert report.models == 4 and report.skipped == Counter({"missing": 2})
    # the token was sent, on every request
    assert server.log and {r.header("authorization") for r in server.log} == {f"Bearer {TOKEN}"}
    out, err = capsys.readouterr()
    texts = [caplog.text, out, err, json.dumps(report.to_json()), repr(report)]
    for text in texts:
        assert TOKEN not in text and "SECRETSECRET" not in text


# ------------------------------------------------------------ real recorded responses


@pytest.fixture(scope="module")
def records() -> Hub:
    if not (DATA / "records").is_dir():
        pytest.skip(f"{DATA / 'records'} is missing: the recorded exchanges were not checked out")
    return Hub.from_records(DATA)


def test_real_records_rename_and_renamed_base(records: Hub, store: LadybugStore) -> None:
    assert records.canonical_id("bert-base-uncased") == "google-bert/bert-base-uncased"
    llama = records.model("meta-llama/Llama-3.1-8B-Instruct")
    assert card_bases(llama) == ["meta-llama/Meta-Llama-3.1-8B"]
    assert llama.base_models == ("meta-llama/Llama-3.1-8B",)
    with HubServer(records) as server:
        report = crawl(store, server, "bert-base-uncased", "meta-llama/Llama-3.1-8B-Instruct")
        assert server.count("model_info", "bert-base-uncased") == 1  # the 307
        assert report.requests == server.total
    assert report.models == 2 and report.skipped == Counter()
    bert = store.node("Model", "google-bert/bert-base-uncased")
    assert bert is not None and bert["aliases"] == ["bert-base-uncased"]
    assert bert["sha"] == records.model("google-bert/bert-base-uncased").sha
    assert store.node("Model", "bert-base-uncased") is None
    assert report.aliases == {"bert-base-uncased": "google-bert/bert-base-uncased"}
    assert edges(store, "DERIVED_FROM") == {
        ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B")
    }
    edge = store.derivation("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B")
    assert edge is not None and edge["relation"] == tag_parents(llama)["meta-llama/Llama-3.1-8B"]
    assert "card:base_model=meta-llama/Meta-Llama-3.1-8B (renamed)" in edge["evidence"]
    assert store.node("Model", "meta-llama/Meta-Llama-3.1-8B") is None
    node = store.node("Model", "meta-llama/Llama-3.1-8B-Instruct")
    assert node is not None and node["gated"] == llama.gated == "manual"
    assert [r for r, _, _ in problems(report, "card-tag-disagree")] == [
        "meta-llama/Llama-3.1-8B-Instruct"
    ]


# ------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "nothing to crawl"),
        ({"models": ("not a valid/id/at all",)}, "is not a Hugging Face model id"),
        ({"models": ("a--b/c",)}, "is not a Hugging Face model id"),
    ],
)
def test_bad_plans_are_input_errors(
    store: LadybugStore, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        crawl_hub(store, CrawlOptions(endpoint="http://127.0.0.1:9", token=False, **options))
