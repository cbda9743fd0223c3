"""One mapping of a Hub model record, pinned on real Hub answers: the snapshot and the crawl
agree on the owner, the licence and the datasets of every recorded model.

The records are real ``GET /api/models/{id}`` answers (tests/replay/data/records, and all of
../shared/data/hf-api/records when it is there). Each is read twice: as a snapshot line
(``ingest_snapshot``) and as the crawl reads it (``huggingface_hub.ModelInfo``, then
:func:`model_records`). Variants of each record test the decisions where the two used to
differ: no card (the licence and datasets come from the Hub's tags), and an author that is not
a Hub namespace (the owner comes from the id).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from huggingface_hub.hf_api import ModelInfo

from mlsc.graph.ladybug import LadybugStore
from mlsc.ingest.hub.fetch import ModelFacts
from mlsc.ingest.hub.model import Records, model_records
from mlsc.ingest.hub.options import CrawlReport
from mlsc.ingest.hub.snapshot import ingest_snapshot
from tests.conftest import SHARED_DATA
from tests.replay.hub import DATA

RECORD_DIRS = (DATA / "records", SHARED_DATA / "hf-api" / "records")


def _bodies() -> list[dict[str, Any]]:
    """The distinct recorded model answers that carry tags (full model_info answers)."""
    found: dict[str, dict[str, Any]] = {}
    for folder in RECORD_DIRS:
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            record = json.loads(path.read_text())
            body = record.get("body_json") if isinstance(record, dict) else None  # not _index
            if isinstance(body, dict) and isinstance(body.get("id"), str) and body.get("tags"):
                found.setdefault(body["id"], body)
    return list(found.values())


def _variants(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The record as recorded, without its card, and with an author that is no namespace."""
    no_card = {k: v for k, v in body.items() if k != "cardData"}
    no_card["id"] = body["id"] + "-nocard"
    bad_author = {**body, "id": body["id"] + "-badauthor", "author": "not a namespace!"}
    return [body, no_card, bad_author]


def _expected(body: dict[str, Any]) -> tuple[str | None, str | None, list[str]]:
    """The decision, written out: owner, licence, datasets."""
    mid, author, card = body["id"], body.get("author"), body.get("cardData") or {}
    namespace = mid.split("/", 1)[0] if "/" in mid else None
    owner = author if author and author != "not a namespace!" else namespace
    tags = body.get("tags", [])
    licence = card.get("license")
    if isinstance(licence, list):
        licence = ", ".join(licence)
    licence = licence or next((t[8:] for t in tags if t.startswith("license:")), None)
    card_ds = card.get("datasets") or []
    card_ds = [card_ds] if isinstance(card_ds, str) else card_ds
    datasets = list(dict.fromkeys([*card_ds, *(t[8:] for t in tags if t.startswith("dataset:"))]))
    return owner, licence, datasets


def _crawled(body: dict[str, Any]) -> tuple[str | None, str | None, list[str]]:
    info = ModelInfo(**body)  # type: ignore[no-untyped-call]
    card = info.card_data.to_dict() if info.card_data is not None else None
    facts = ModelFacts(body["id"], body["id"], info, card, None, None, None, (), {}, (), ())
    records = Records("2026-12-01T00:00:00.000Z")
    model_records(facts, records, CrawlReport(endpoint=""), {})
    model = next(n for n in records.nodes if n.label == "Model" and n.key == body["id"])
    owners = [e.src for e in records.edges if e.type == "OWNS" and e.dst == body["id"]]
    datasets = [e.dst for e in records.edges if e.type == "TRAINED_ON"]
    return (owners[0] if owners else None), model.props["license"], datasets


def _snapshotted(store: LadybugStore, mid: str) -> tuple[str | None, str | None, list[str]]:
    node = store.node("Model", mid)
    assert node is not None
    owners = store.cypher(
        "MATCH (a:Actor)-[:OWNS]->(:Model {id: $id}) RETURN a.name", {"id": mid}
    ).rows
    datasets = store.cypher(
        "MATCH (:Model {id: $id})-[:TRAINED_ON]->(d:Dataset) RETURN d.id", {"id": mid}
    ).rows
    return (owners[0][0] if owners else None), node["license"], [r[0] for r in datasets]


BODIES = _bodies()


def test_the_recordings_are_there() -> None:
    # tests/replay/data alone has eight distinct models with tags, all with a card;
    # ../shared/data/hf-api adds 27 more (35, one without a card) when it is there
    with_card = Counter(bool(b.get("cardData")) for b in BODIES)[True]
    if (SHARED_DATA / "hf-api" / "records").is_dir():
        assert len(BODIES) >= 35 and with_card >= 34
    else:
        assert len(BODIES) >= 8 and with_card >= 8


@pytest.fixture(scope="module")
def snapshot_store(tmp_path_factory: pytest.TempPathFactory) -> LadybugStore:
    tmp = tmp_path_factory.mktemp("model-mapping")
    lines = [orjson.dumps(v) for body in BODIES for v in _variants(body)]
    (tmp / "records.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    store = LadybugStore(tmp / "kb")
    ingest_snapshot(store, tmp / "records.jsonl", observed_at="2026-12-01T00:00:00Z")
    return store


@pytest.mark.parametrize(
    "record", [v for b in BODIES for v in _variants(b)], ids=lambda r: str(r["id"])
)
def test_snapshot_and_crawl_map_a_real_record_alike(
    record: dict[str, Any], snapshot_store: LadybugStore
) -> None:
    owner, licence, datasets = _expected(record)
    crawled = _crawled(record)
    snapshotted = _snapshotted(snapshot_store, record["id"])
    assert crawled[:2] == snapshotted[:2] == (owner, licence)
    assert crawled[2] == datasets
    assert sorted(snapshotted[2]) == sorted(datasets)


def test_without_a_card_the_tags_still_give_licence_and_datasets() -> None:
    zephyr = next(b for b in BODIES if b["id"] == "HuggingFaceH4/zephyr-7b-beta")
    _, licence, datasets = _crawled(_variants(zephyr)[1])
    assert licence == "mit"
    assert datasets == ["HuggingFaceH4/ultrachat_200k", "HuggingFaceH4/ultrafeedback_binarized"]


def test_a_legacy_id_is_owned_by_its_author(shared_data: Path) -> None:
    gpt2 = next((b for b in BODIES if b["id"] == "gpt2"), None)
    if gpt2 is None:
        pytest.skip("no recording of the legacy id gpt2")
    assert _crawled(gpt2)[0] == "openai-community"
