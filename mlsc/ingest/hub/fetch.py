"""Everything the crawl learns about one repository: :func:`fetch_model`.

What one model costs (requests): its ``model_info`` (card data, tags, config, files with
sizes, git blob ids and LFS sha256, the Hub's security status), then, when the repository has
them, its README.md (card text and front matter, checked here), adapter_config.json and
mergekit_config.yml (none larger than the crawl reads, and none whose bytes the blob cache
holds: a file is read once while its content is the same), and its commit list (unless the
knowledge base already holds the history of the same head commit: a history does not change
while its head does not).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

from mlsc.ingest.hub.client import HubClient, Skipped


@dataclass(frozen=True)
class ModelFacts:
    """Everything the crawl learned about one repository."""

    requested: str
    id: str
    info: Any
    card: dict[str, Any] | None
    card_text: str | None
    card_problem: str | None
    adapter_base: str | None
    merge_bases: tuple[str, ...]
    config: dict[str, Any]
    commits: tuple[Any, ...]
    problems: tuple[tuple[str, str], ...]


def front_matter(text: str) -> tuple[dict[str, Any] | None, str, str | None]:
    """(card data, prose, problem) of a README with YAML front matter."""
    body = text.replace("\r\n", "\n")
    if not body.startswith("---\n"):
        return None, body, None
    end = body.find("\n---", 4)
    if end < 0:
        return None, body, "front matter is not closed by ---"
    raw, prose = body[4:end], body[end + 4 :]
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        return None, prose, f"invalid YAML front matter{where}: {getattr(exc, 'problem', exc)}"
    if data is None:
        return {}, prose, None
    if not isinstance(data, dict):
        return None, prose, "front matter is not a mapping"
    return data, prose, None


def mergekit_bases(text: str) -> tuple[list[str], str | None]:
    """Models a mergekit configuration merges: ``base_model``, ``models[].model`` and
    ``slices[].sources[].model``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return [], "mergekit_config.yml is not valid YAML"
    if not isinstance(data, dict):
        return [], "mergekit_config.yml is not a mapping"
    found: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, dict):
            value = value.get("model")
        if isinstance(value, str) and value not in found:
            found.append(value)

    add(data.get("base_model"))
    for item in data.get("models") or []:
        add(item.get("model") if isinstance(item, dict) else item)
    for piece in data.get("slices") or []:
        if isinstance(piece, dict):
            for src in piece.get("sources") or []:
                if isinstance(src, dict):
                    add(src.get("model"))
    return found, None


def fetch_model(
    client: HubClient, repo_id: str, want_commits: bool, held_head: str | None = None
) -> ModelFacts:
    """What the Hub says of ``repo_id``; its commits only when ``want_commits`` and its head
    is not ``held_head`` (the head whose history the knowledge base holds already)."""
    info = client.model_info(repo_id)
    rid = str(info.id)
    problems: list[tuple[str, str]] = []
    siblings = {s.rfilename: s for s in (info.siblings or [])}
    names = set(siblings)
    # a gated model's files but its card are read from the Hub (which may refuse them), not
    # from the blob cache, so that the graph says what the Hub serves now
    gated = bool(info.gated)
    sha = info.sha
    card_data: dict[str, Any] | None = None
    if info.card_data is not None:
        card_data = info.card_data.to_dict()

    def read(filename: str) -> str | None:
        """A file of the repository; None, with a warning, when it is gated (the model's
        info, file list and card are public on the Hub, only its files are gated) or too
        large to read (an attacker can pad a card to hide what it names)."""
        sibling = siblings[filename]
        try:
            return client.text_file(
                rid,
                sha,
                filename,
                blob_id=None if gated and filename != "README.md" else sibling.blob_id,
                size=sibling.size,
            )
        except Skipped as skip:
            if skip.reason == "file-too-large":
                problems.append((skip.reason, skip.detail))
                return None
            if skip.reason != "gated":
                raise
            problems.append(("gated-file", skip.detail))
            return None

    card_text = card_problem = None
    if "README.md" in names:
        readme = read("README.md")
        if readme is not None:
            parsed, card_text, card_problem = front_matter(readme)
            if card_data is None and parsed is not None:
                card_data = parsed
    adapter_base = None
    if "adapter_config.json" in names:
        raw = read("adapter_config.json")
        try:
            value = json.loads(raw).get("base_model_name_or_path") if raw else None
        except (json.JSONDecodeError, AttributeError):
            problems.append(("malformed-file", "adapter_config.json is not a JSON object"))
            value = None
        adapter_base = value if isinstance(value, str) and value.strip() else None
    merge_bases: list[str] = []
    if "mergekit_config.yml" in names:
        raw = read("mergekit_config.yml")
        if raw:
            merge_bases, problem = mergekit_bases(raw)
            if problem:
                problems.append(("malformed-file", problem))
    config = info.config if isinstance(info.config, dict) else {}
    if not config and "config.json" in names:
        raw = read("config.json")
        try:
            loaded = json.loads(raw) if raw else {}
            config = loaded if isinstance(loaded, dict) else {}
        except json.JSONDecodeError:
            problems.append(("malformed-file", "config.json is not valid JSON"))
    commits: list[Any] = []
    if want_commits and (held_head is None or info.sha != held_head):
        try:
            commits = client.commits(rid)
        except Skipped as skip:
            problems.append((skip.reason, f"commits: {skip.detail}"))
    return ModelFacts(
        repo_id,
        rid,
        info,
        card_data,
        card_text,
        card_problem,
        adapter_base,
        tuple(merge_bases),
        config,
        tuple(commits),
        tuple(problems),
    )
