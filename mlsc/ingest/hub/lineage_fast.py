"""The usual record's lineage, settled without the general rules' machinery.

Nine in ten Hub records that declare a base name exactly one, the same in the card's
``base_model`` and in the ``base_model:`` tags. :func:`one_base` settles those as
:func:`mlsc.ingest.hub.lineage.declared_parents` does (same parent, relation, evidence,
confidence and problems; ``tests/ingest/hub/test_lineage_fast.py`` compares them) in a
fraction of the time, and returns None for anything else, which the general rules settle.

    >>> d = one_base("me/ft", {"base_model": "org/base"},
    ...              ["base_model:org/base", "base_model:finetune:org/base"], {}, list)
    >>> d.parents[0].relation, d.parents[0].evidence, d.parents[0].confidence
    ('finetune', ('tag:base_model:finetune', 'card:base_model'), 0.9)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mlsc.ingest.hub.lineage import (
    RELATION_ALIASES,
    Declared,
    DeclaredParent,
    _file_relation,
)
from mlsc.vocab import is_valid_repo_id


def one_base(
    model_id: str,
    card: dict[str, object],
    tags: Sequence[str],
    config: dict[str, object],
    files: Callable[[], Sequence[str]],
) -> Declared | None:
    """What ``declared_parents(model_id, card=card, tags=tags, files=files(),
    config=config)`` says, when the card names one valid base (a string) and the tags name
    the same one and no other, with at most one known relation; None otherwise. ``files``
    is called only when the relation is left to the files."""
    base = card.get("base_model")
    if type(base) is not str or ":" in base or base == model_id or not is_valid_repo_id(base):
        return None
    tag_rel: str | None = None
    tagged = False
    for tag in tags:
        if type(tag) is not str:
            return None
        if ":" not in tag or not tag.startswith("base_model:"):
            continue
        rest = tag[11:]
        if rest == base:
            tagged = True
            continue
        head, sep, tail = rest.partition(":")
        if not sep or tail != base or tag_rel is not None:
            return None  # another base, or a second relation: the general rules
        tag_rel = RELATION_ALIASES.get(head.strip().lower())
        if tag_rel is None:
            return None  # an unknown relation is a problem to report: the general rules
        tagged = True
    if not tagged:
        return None
    card_rel: str | None = None
    raw = card.get("base_model_relation")
    if isinstance(raw, str) and raw.strip():
        card_rel = RELATION_ALIASES.get(raw.strip().lower())
        if card_rel is None:
            return None
    evidence = [f"tag:base_model:{tag_rel}" if tag_rel else "tag:base_model", "card:base_model"]
    problems: tuple[tuple[str, str], ...] = ()
    if card_rel:
        evidence.append(f"card:base_model_relation={card_rel}")
    if tag_rel and card_rel:
        relation, confidence = tag_rel, 1.0 if tag_rel == card_rel else 0.6
        if tag_rel != card_rel:
            problems = (
                (
                    "card-tag-disagree",
                    f"relation to {base!r}: tag {tag_rel!r}, card {card_rel!r}",
                ),
            )
    elif tag_rel or card_rel:
        relation, confidence = (tag_rel or card_rel or ""), 0.9
    else:
        by_files = _file_relation(files(), config)
        if by_files is not None:
            relation, confidence = by_files[0], 0.7
            evidence.append(by_files[1])
        else:
            relation, confidence = "finetune", 0.5
            evidence.append("default:single-base")
    return Declared((DeclaredParent(base, relation, tuple(evidence), confidence),), problems)
