"""The usual record's fast path settles lineage exactly as the general rules do."""

from __future__ import annotations

import itertools
from typing import Any

from mlsc.ingest.hub.lineage import declared_parents
from mlsc.ingest.hub.lineage_fast import one_base

BASE = "org/base"
CARD_BASES: list[Any] = [BASE, " org/base", "me/ft", "bad id!", [BASE], None, "a:b"]
CARD_RELATIONS: list[Any] = [None, "", "finetune", " Fine-Tuned ", "quantised", "bogus", 5]
TAGS: list[list[Any]] = [
    [f"base_model:{BASE}"],
    [f"base_model:finetune:{BASE}"],
    [f"base_model:{BASE}", f"base_model:finetune:{BASE}"],
    [f"base_model:quantized:{BASE}", f"base_model:{BASE}", "license:mit"],
    [f"base_model:adapter:{BASE}", f"base_model:merge:{BASE}"],
    [f"base_model:bogus:{BASE}"],
    [f"base_model:{BASE}", "base_model:org/other"],
    [f"base_model:finetune:{BASE}", "base_model:finetune:org/other"],
    ["transformers", "base_model:"],
    [f"base_model:{BASE}", 7],
    ["transformers"],
    [],
]
FILES: list[list[str]] = [[], ["adapter_config.json"], ["model-q4.gguf"], ["mergekit_config.yml"]]
CONFIGS: list[dict[str, object]] = [{}, {"quantization_config": {"bits": 4}}]


def test_every_shape_the_fast_path_takes_matches_the_general_rules() -> None:
    taken = 0
    for card_base, rel, tags, files, config in itertools.product(
        CARD_BASES, CARD_RELATIONS, TAGS, FILES, CONFIGS
    ):
        card: dict[str, object] = {"base_model": card_base}
        if rel is not None:
            card["base_model_relation"] = rel
        fast = one_base("me/ft", card, tags, config, lambda f=files: f)  # type: ignore[misc]
        if fast is None:
            continue
        taken += 1
        general = declared_parents("me/ft", card=card, tags=tags, files=files, config=config)
        assert fast == general, (card, tags, files, config)
    assert taken >= 100


def test_the_usual_records_take_the_fast_path() -> None:
    card: dict[str, object] = {"base_model": BASE, "base_model_relation": "adapter"}
    tags = [f"base_model:{BASE}", f"base_model:finetune:{BASE}"]
    fast = one_base("me/ft", card, tags, {}, list)
    assert fast is not None and fast.problems[0][0] == "card-tag-disagree"
    assert one_base("me/ft", {"base_model": BASE}, [f"base_model:{BASE}"], {}, list) is not None
