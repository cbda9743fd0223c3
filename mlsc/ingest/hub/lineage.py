"""Declared lineage of a Hugging Face model: which bases, which relation, and what said so.

    >>> d = declared_parents(
    ...     "me/tiny-GGUF",
    ...     card={"base_model": "meta-llama/Meta-Llama-3.1-8B"},
    ...     tags=["base_model:quantized:meta-llama/Llama-3.1-8B"],
    ...     files=["tiny.Q4_K_M.gguf"],
    ... )
    >>> [(p.parent, p.relation) for p in d.parents]
    [('meta-llama/Llama-3.1-8B', 'quantized')]

Sources, strongest first: the ``base_model:<relation>:<id>`` tags the Hub derives from the
card (they carry the current id of a renamed base), the card's ``base_model`` and
``base_model_relation``, then file formats (adapter_config.json, GGUF/GPTQ/AWQ files) and the
Hub's own default (one base without a relation is a fine-tune; several are a merge).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mlsc.graph.schema import RELATIONS
from mlsc.vocab import is_valid_repo_id

RELATION_ALIASES: dict[str, str] = {
    "finetune": "finetune",
    "finetuned": "finetune",
    "fine-tune": "finetune",
    "fine-tuned": "finetune",
    "adapter": "adapter",
    "adapters": "adapter",
    "lora": "adapter",
    "peft": "adapter",
    "quantized": "quantized",
    "quantised": "quantized",
    "quantization": "quantized",
    "merge": "merge",
    "merged": "merge",
    "merges": "merge",
    "distill": "distill",
    "distilled": "distill",
    "distillation": "distill",
    "prune": "prune",
    "pruned": "prune",
    "unknown": "unknown",
}

_QUANTIZED_FILES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        ("gguf", r"\.gguf$"),
        ("ggml", r"\.ggml$|ggml-model"),
        ("gptq", r"gptq"),
        ("awq", r"awq"),
        ("exl2", r"exl2"),
        ("bitsandbytes", r"bnb|4bit|8bit"),
    )
)


def normalise_relation(value: str) -> str | None:
    """The canonical relation for a name the Hub or a dataset uses, or None if unknown."""
    return RELATION_ALIASES.get(value.strip().lower())


@dataclass(frozen=True)
class DeclaredParent:
    """One base a model declares, with the relation we settled on and why."""

    parent: str
    relation: str
    evidence: tuple[str, ...]
    confidence: float


@dataclass(frozen=True)
class Declared:
    """Everything one record says about its lineage, and what was odd about it."""

    parents: tuple[DeclaredParent, ...]
    problems: tuple[tuple[str, str], ...] = field(default=())
    """(reason, detail) pairs: invalid base ids, unknown relations, self-derivation, renames."""


def _tag_bases(tags: Iterable[str]) -> tuple[dict[str, str | None], list[tuple[str, str]]]:
    """Bases named by ``base_model:`` tags -> relation (None for the bare tag)."""
    out: dict[str, str | None] = {}
    problems: list[tuple[str, str]] = []
    for tag in tags:
        if not isinstance(tag, str) or ":" not in tag or not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:") :]
        head, sep, tail = rest.partition(":")
        if sep:
            rel = normalise_relation(head)
            if rel is None:
                problems.append(("unknown-relation", f"tag {tag[:200]!r}: {head[:50]!r}"))
                rel = "unknown"
            if out.get(tail) is None:
                out[tail] = rel
        else:
            out.setdefault(rest, None)
    return out, problems


def _card_bases(card: dict[str, object]) -> list[str]:
    raw = card.get("base_model")
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [b for b in raw if isinstance(b, str)]
    return []


def _file_relation(files: Sequence[str], config: dict[str, object]) -> tuple[str, str] | None:
    names = [f.rsplit("/", 1)[-1].lower() for f in files]
    if "adapter_config.json" in names:
        return "adapter", "files:adapter_config.json"
    if "mergekit_config.yml" in names:
        return "merge", "files:mergekit_config.yml"
    if isinstance(config, dict) and config.get("quantization_config"):
        return "quantized", "config:quantization_config"
    for fmt, pattern in _QUANTIZED_FILES:
        if any(pattern.search(name) for name in names):
            return "quantized", f"files:{fmt}"
    return None


_DISTILL = re.compile(r"distil", re.I)
_PRUNE = re.compile(r"prun(e|ed|ing)\b|\bsparse\b|sparsi(ty|fied)", re.I)


def _text_relation(name: str, tags: Sequence[str], text: str | None) -> tuple[str, str] | None:
    """Distillation or pruning named by the model's own name, tags or card text."""
    for relation, pattern in (("distill", _DISTILL), ("prune", _PRUNE)):
        if pattern.search(name.rsplit("/", 1)[-1]):
            return relation, f"name:{relation}"
        if any(pattern.search(t) for t in tags if isinstance(t, str) and ":" not in t):
            return relation, f"tag:{relation}"
        if text and pattern.search(text[:20_000]):
            return relation, f"card-text:{relation}"
    return None


_TEXT_BASE = re.compile(
    r"\b(distil\w*|prun\w*|sparsi\w*)\b[^.\n]{0,80}?\b(?:from|of)\s+[\[`*_\"']*"
    r"(?:https?://huggingface\.co/)?([A-Za-z0-9_][\w.-]{0,95}/[\w.-]{0,95}[A-Za-z0-9_])",
    re.I,
)


def _text_bases(text: str) -> list[tuple[str, str]]:
    """(relation, id) for "distilled from X" / "pruned ... of X" in card prose."""
    found: list[tuple[str, str]] = []
    for match in _TEXT_BASE.finditer(text[:20_000]):
        relation = "distill" if match.group(1).lower().startswith("distil") else "prune"
        if match.group(2) not in (b for _, b in found):
            found.append((relation, match.group(2)))
    return found


def _pair_renamed(card_only: list[str], tag_only: list[str]) -> dict[str, str]:
    """Pair card ids missing from the tags with tag ids missing from the card (renames)."""

    def similarity(old: str, new: str) -> float:
        a, b = old.rsplit("/", 1)[-1].lower(), new.rsplit("/", 1)[-1].lower()
        return difflib.SequenceMatcher(None, a, b).ratio()

    pairs: dict[str, str] = {}
    remaining = list(tag_only)
    for old in card_only:
        if not remaining:
            break
        best = max(remaining, key=lambda new: similarity(old, new))
        if similarity(old, best) >= 0.6:
            pairs[old] = best
            remaining.remove(best)
    return pairs


def _valid(
    ids: Iterable[str], where: str, model_id: str, problems: list[tuple[str, str]]
) -> list[str]:
    """The valid base ids among ``ids``, once each; the others become problems."""
    ok: list[str] = []
    for b in ids:
        b = b.strip()
        if not is_valid_repo_id(b):
            problems.append(("invalid-base-id", f"{where} names {b[:120]!r}"))
        elif b == model_id:
            problems.append(("self-derivation", f"{where} names the model itself"))
        elif b not in ok:
            ok.append(b)
    return ok


def declared_parents(
    model_id: str,
    *,
    card: dict[str, object] | None,
    tags: Sequence[str] | None,
    files: Sequence[str] = (),
    config: dict[str, object] | None = None,
    adapter_base: str | None = None,
    merge_bases: Sequence[str] = (),
    text: str | None = None,
    thorough: bool = False,
) -> Declared:
    """Settle the parents of ``model_id`` from its card, tags, files and config.

    A crawl knows more than a snapshot record and passes it: ``adapter_base`` (PEFT
    ``adapter_config.json``'s ``base_model_name_or_path``: older adapters name their parent
    only there), ``merge_bases`` (the models of a ``mergekit_config.yml``) and ``text`` (the
    card's prose). With ``thorough``, file and config evidence is recorded on every edge, not
    only when nothing else speaks, and a disagreement with it lowers the confidence; names,
    tags and card text saying "distilled" or "pruned" turn a fine-tune into distill or prune
    (confidence 0.5)."""
    card = card if isinstance(card, dict) else {}
    problems: list[tuple[str, str]] = []
    tag_map, tag_problems = _tag_bases(tags or [])
    problems.extend(tag_problems)
    card_list = _card_bases(card)
    card_rel_raw = card.get("base_model_relation")
    card_rel: str | None = None
    if isinstance(card_rel_raw, str) and card_rel_raw.strip():
        card_rel = normalise_relation(card_rel_raw)
        if card_rel is None:
            problems.append(("unknown-relation", f"base_model_relation {card_rel_raw[:50]!r}"))
            card_rel = "unknown"

    def valid(ids: Iterable[str], where: str) -> list[str]:
        return _valid(ids, where, model_id, problems)

    card_ids = valid(card_list, "card base_model") if card_list else []
    tag_ids = valid(tag_map, "tag base_model") if tag_map else []
    adapter_ids = valid([adapter_base], "adapter_config.json") if adapter_base else []
    merge_ids = valid(merge_bases, "mergekit_config.yml") if merge_bases else []
    card_only = [c for c in card_ids if c not in tag_map]
    tag_only = [t for t in tag_ids if t not in card_ids] if card_only else []
    renamed = _pair_renamed(card_only, tag_only) if card_only and tag_only else {}
    for old, new in renamed.items():
        problems.append(
            ("card-tag-disagree", f"card names {old!r}, tags name {new!r}; using the tag")
        )

    parents_in_order: list[str] = []
    for pid in [*tag_ids, *(c for c in card_ids if c not in renamed)]:
        if pid not in parents_in_order:
            parents_in_order.append(pid)
    adapter_differs = bool(
        adapter_ids and parents_in_order and adapter_ids[0] not in parents_in_order
    )
    if adapter_differs:
        problems.append(
            (
                "adapter-base-disagree",
                f"adapter_config.json names {adapter_ids[0]!r}, the card "
                f"{', '.join(repr(p) for p in parents_in_order[:3])}",
            )
        )
    # Only when the card and the tags name no base: the adapter's or the merge's own files.
    fallback = not parents_in_order
    text_ids: dict[str, str] = {}
    if fallback:
        parents_in_order = list(dict.fromkeys([*adapter_ids, *merge_ids]))
    if not parents_in_order and thorough and text:
        named = _text_bases(text)
        for pid in valid([b for _, b in named], "card text"):
            text_ids[pid] = next(r for r, b in named if b == pid)
        parents_in_order = list(text_ids)
    several = len(parents_in_order) > 1

    file_rel_memo: list[tuple[str, str] | None] = []

    def file_rel() -> tuple[str, str] | None:  # looked at only when nothing else speaks
        if not file_rel_memo:  # once per record (a decorator per call cost 15% of a parse)
            file_rel_memo.append(_file_relation(files, config or {}))
        return file_rel_memo[0]

    result: list[DeclaredParent] = []
    for pid in parents_in_order:
        evidence: list[str] = []
        votes: list[tuple[str, float]] = []
        if pid in tag_map:
            tag_rel = tag_map[pid]
            evidence.append(f"tag:base_model:{tag_rel}" if tag_rel else "tag:base_model")
            if tag_rel:
                votes.append((tag_rel, 0.9))
        in_card = pid in card_ids or (renamed and pid in renamed.values())
        if in_card:
            evidence.append("card:base_model")
            if card_rel:
                evidence.append(f"card:base_model_relation={card_rel}")
                votes.append((card_rel, 0.9))
        if renamed:
            evidence.extend(
                f"card:base_model={old} (renamed)" for old, new in renamed.items() if new == pid
            )
        if pid in adapter_ids:
            evidence.append("adapter_config:base_model_name_or_path")
            votes.append(("adapter", 0.8))
        if pid in merge_ids:
            evidence.append("mergekit_config:model")
            votes.append(("merge", 0.8))
        if adapter_differs:
            evidence.append(f"adapter_config:base_model_name_or_path={adapter_ids[0]} (differs)")
        if pid in text_ids:
            evidence.append(f"card-text:{text_ids[pid]}-from")
            votes.append((text_ids[pid], 0.4))
        if thorough and votes and (by_files := file_rel()) is not None:
            evidence.append(by_files[1])
            votes.append((by_files[0], 0.7))
        if not votes:
            if several:
                votes.append(("merge", 0.8))
                evidence.append("default:several-bases")
            elif (by_files := file_rel()) is not None:
                votes.append((by_files[0], 0.7))
                evidence.append(by_files[1])
            else:
                votes.append(("finetune", 0.5))
                evidence.append("default:single-base")
        relation, confidence = votes[0]
        if len(votes) > 1:
            confidence = 1.0 if all(v == relation for v, _ in votes) else 0.6
            if confidence < 1.0:
                declared_by = {"tag": tag_map.get(pid), "card": card_rel if in_card else None}
                if (
                    declared_by["tag"]
                    and declared_by["card"]
                    and len(set(declared_by.values())) > 1
                ):
                    problems.append(
                        (
                            "card-tag-disagree",
                            f"relation to {pid!r}: tag {relation!r}, card {card_rel!r}",
                        )
                    )
                else:
                    problems.append(
                        (
                            "relation-evidence-disagree",
                            f"relation to {pid!r}: declared {relation!r}, but "
                            + ", ".join(
                                f"{e}" for e in evidence if not e.startswith(("tag:", "card:"))
                            ),
                        )
                    )
        if thorough and relation == "finetune" and not several:
            by_text = _text_relation(model_id, tags or [], text)
            if by_text is not None:
                relation, confidence = by_text[0], 0.5
                evidence.append(by_text[1])
        assert relation in RELATIONS
        result.append(DeclaredParent(pid, relation, tuple(evidence), confidence))
    return Declared(tuple(result), tuple(problems))
