"""A real Hub model family for the replay: the Mistral-Small-24B-Base-2501 tree.

    >>> hub = mistral_family()                                             # doctest: +SKIP
    >>> len(hub), hub.children(MISTRAL_ROOT)[:1]                           # doctest: +SKIP
    (67, ['NousResearch/DeepHermes-3-Mistral-24B-Preview'])

``../shared/data/hf-model-tree/Mistral-Small-24B-Base-2501_finetunes_*.csv`` holds 67 real
models rooted at ``mistralai/Mistral-Small-24B-Base-2501`` (depths 0-3), each with the full
``ModelInfo`` huggingface_hub returned for it (snake_case keys: tags with their
``base_model:<relation>:<id>`` lineage, card data as YAML, config, siblings, gated,
downloads...). The data has no licence upstream, so it is test input only: it is read from
``../shared/data`` and never copied into the project; :func:`mistral_family` raises
FileNotFoundError when it is absent (callers skip with that reason).

What the data does not hold is made up, deterministically, as :func:`model_from_body` does
for the recorded exchanges: file sizes and LFS hashes, file contents other than README.md
(rendered from the real card data) and config.json (from the real config), and one commit per
model whose id is the recorded ``sha``. That commit's author is the model's owner when the
owner is a user; an organisation never authors a commit, so commits of organisation models
have no author. Which owners are organisations is not in the data: :data:`ORGANISATIONS`
lists the ones that are on the Hub (the rest are users), with no members and only
``mistralai`` verified.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import yaml  # type: ignore[import-untyped]

from tests.replay.hub import Commit, Hub, Organization, User, model_from_body

SHARED_TREE: Final = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hf-model-tree"
)
"""Where the real tree lives: beside the project, in ``../shared/data`` (test input only)."""

MISTRAL_ROOT: Final = "mistralai/Mistral-Small-24B-Base-2501"
"""The root of the real family."""

ORGANISATIONS: Final = frozenset(
    {
        "mistralai",
        "NousResearch",
        "unsloth",
        "mlx-community",
        "allura-org",
        "arcee-ai",
        "huihui-ai",
        "trashpanda-org",
        "jhu-clsp",
        "ZeroAgency",
        "IntervitensInc",
        "notbadai",
    }
)
"""Owners in the family that are organisations on the Hub (not in the data)."""

_KEYS: Final = {
    "id": "id",
    "author": "author",
    "sha": "sha",
    "private": "private",
    "gated": "gated",
    "disabled": "disabled",
    "downloads": "downloads",
    "likes": "likes",
    "library_name": "library_name",
    "pipeline_tag": "pipeline_tag",
    "tags": "tags",
    "config": "config",
    "safetensors": "safetensors",
    "security_repo_status": "securityRepoStatus",
    "gguf": "gguf",
    "spaces": "spaces",
    "widget_data": "widgetData",
    "model_index": "model-index",
    "transformers_info": "transformersInfo",
    "usedStorage": "usedStorage",
    "_id": "_id",
}
"""huggingface_hub's ModelInfo attribute -> the Hub's JSON field."""


def hub_date(value: str) -> str:
    """``2025-01-30 17:00:21+00:00`` (a datetime's str) -> the Hub's ``2025-01-30T17:00:21.000Z``."""
    day, _, clock = value.partition(" ")
    return f"{day}T{clock[:8]}.000Z"


def body_of(info: dict[str, Any]) -> dict[str, Any]:
    """The ``GET /api/models/{id}`` body of one recorded ModelInfo."""
    body = {field: info[attr] for attr, field in _KEYS.items() if info.get(attr) is not None}
    body["createdAt"] = hub_date(info["created_at"])
    body["lastModified"] = hub_date(info["last_modified"])
    card = yaml.safe_load(info["card_data"]) if info.get("card_data") else None
    if isinstance(card, dict):
        body["cardData"] = card
    body["siblings"] = [{"rfilename": _rfilename(s)} for s in info.get("siblings") or []]
    return body


def _rfilename(sibling: Any) -> str:
    """The file name of a sibling: a dict, or ``RepoSibling(rfilename='x', ...)`` as text."""
    if isinstance(sibling, dict):
        return str(sibling["rfilename"])
    text = str(sibling)
    start = text.index("rfilename=") + len("rfilename=")
    quote = text[start]
    return text[start + 1 : text.index(quote, start + 1)]


def mistral_family(directory: Path = SHARED_TREE) -> Hub:
    """The real family as a Hub, with its owners (organisations and users)."""
    found = sorted(directory.glob("Mistral-Small-24B-Base-2501_finetunes_*.csv"))
    if not found:
        raise FileNotFoundError(f"no Mistral family tree under {directory} (../shared/data)")
    csv.field_size_limit(1 << 30)
    hub = Hub()
    with found[-1].open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            body = body_of(json.loads(row["metadata"]))
            model = model_from_body(body)
            owner = model.author or ""
            authors = () if owner in ORGANISATIONS or not owner else (owner,)
            commit = Commit(
                model.sha, "Upload folder using huggingface_hub", model.last_modified, authors
            )
            hub.add(replace(model, commits=(commit,)))
    for owner in sorted({m.namespace for m in hub if m.namespace}):
        if owner in ORGANISATIONS:
            hub.add_organization(Organization(owner, verified=owner == "mistralai"))
        else:
            hub.add_user(User(owner))
    return hub
