"""Settling declared parents from cards, tags and files."""

from __future__ import annotations

import pytest

from mlsc.ingest.hub.lineage import declared_parents
from mlsc.vocab import is_valid_repo_id


def parents(**kwargs: object) -> list[tuple[str, str]]:
    declared = declared_parents("me/model", **kwargs)  # type: ignore[arg-type]
    return [(p.parent, p.relation) for p in declared.parents]


@pytest.mark.parametrize(
    "value",
    ["gpt2", "meta-llama/Llama-3.1-8B", "a/b.c_d-e", "bert-base-uncased", "x/" + "a" * 96],
)
def test_valid_ids(value: str) -> None:
    assert is_valid_repo_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "/x",
        "a/b/c",
        "a b/c",
        "-a/b",
        "a/b-",
        "a--b/c",
        "a/b..c",
        "a/" + "b" * 97,
        42,
        None,
        "a/<script>",
        "../etc/passwd",
    ],
)
def test_invalid_ids(value: object) -> None:
    assert not is_valid_repo_id(value)


def test_the_real_llama_31_instruct_card_names_the_old_base_and_the_tags_the_new() -> None:
    # As recorded in shared/data/hf-api: the card says Meta-Llama-3.1-8B, the tags Llama-3.1-8B.
    declared = declared_parents(
        "meta-llama/Llama-3.1-8B-Instruct",
        card={"base_model": "meta-llama/Meta-Llama-3.1-8B"},
        tags=["base_model:finetune:meta-llama/Llama-3.1-8B", "base_model:meta-llama/Llama-3.1-8B"],
    )
    (parent,) = declared.parents
    assert (parent.parent, parent.relation) == ("meta-llama/Llama-3.1-8B", "finetune")
    assert "card:base_model=meta-llama/Meta-Llama-3.1-8B (renamed)" in parent.evidence
    assert "tag:base_model:finetune" in parent.evidence
    assert [r for r, _ in declared.problems] == ["card-tag-disagree"]


def test_several_bases_are_a_merge_unless_a_relation_says_otherwise() -> None:
    assert parents(card={"base_model": ["a/x", "b/y"]}, tags=[]) == [
        ("a/x", "merge"),
        ("b/y", "merge"),
    ]
    assert parents(
        card={"base_model": ["a/x", "b/y"], "base_model_relation": "finetune"}, tags=[]
    ) == [("a/x", "finetune"), ("b/y", "finetune")]


def test_tag_relation_beats_the_card_and_the_disagreement_is_noted() -> None:
    declared = declared_parents(
        "me/model",
        card={"base_model": "a/x", "base_model_relation": "finetune"},
        tags=["base_model:quantized:a/x"],
    )
    (parent,) = declared.parents
    assert parent.relation == "quantized" and parent.confidence == 0.6
    assert any(r == "card-tag-disagree" for r, _ in declared.problems)


def test_agreement_gives_full_confidence() -> None:
    declared = declared_parents(
        "me/model",
        card={"base_model": "a/x", "base_model_relation": "adapter"},
        tags=["base_model:adapter:a/x"],
    )
    assert declared.parents[0].confidence == 1.0


@pytest.mark.parametrize(
    ("files", "config", "relation", "evidence"),
    [
        (
            ["adapter_config.json", "adapter_model.safetensors"],
            {},
            "adapter",
            "files:adapter_config.json",
        ),
        (["model.Q4_K_M.gguf"], {}, "quantized", "files:gguf"),
        (
            ["model.safetensors"],
            {"quantization_config": {"bits": 4}},
            "quantized",
            "config:quantization_config",
        ),
        (["model.safetensors"], {}, "finetune", "default:single-base"),
    ],
)
def test_files_decide_when_nothing_else_does(
    files: list[str], config: dict[str, object], relation: str, evidence: str
) -> None:
    declared = declared_parents(
        "me/model", card={"base_model": "a/x"}, tags=[], files=files, config=config
    )
    assert declared.parents[0].relation == relation
    assert evidence in declared.parents[0].evidence


def test_bad_bases_are_reported_not_followed() -> None:
    declared = declared_parents(
        "me/model",
        card={
            "base_model": ["me/model", "not a valid id", "a/x"],
            "base_model_relation": "frobnicate",
        },
        tags=["base_model:sideways:b/y"],
    )
    reasons = sorted(r for r, _ in declared.problems)
    assert reasons == ["invalid-base-id", "self-derivation", "unknown-relation", "unknown-relation"]
    assert [(p.parent, p.relation) for p in declared.parents] == [
        ("b/y", "unknown"),
        ("a/x", "unknown"),
    ]


def test_legacy_aliases_of_relations() -> None:
    assert parents(card={"base_model": "a/x", "base_model_relation": "Quantised"}, tags=[]) == [
        ("a/x", "quantized")
    ]
