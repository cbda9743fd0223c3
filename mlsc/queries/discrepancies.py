"""Discrepancies between what models claim and what they are, each with its evidence and a
severity a reviewer can sort by.

    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:                 # doctest: +SKIP
    ...     for f in discrepancies(store).findings[:5]:
    ...         print(f.severity, f.kind, f.model, f.detail)

Kinds (stable keys; severities high > medium > low):

``architecture-mismatch``  a declared base whose ``model_type`` or architectures differ from
                           the model's own (medium; low for distill, prune and merge, where
                           a change can be legitimate)
``relation-vs-files``      a fine-tune or adapter whose weights are only GGUF/GGML files, or
                           a relation that file or config evidence contradicts (medium)
``quantized-with-children`` a quantized model that others derive from (low)
``child-before-parent``    a model created before the base it declares (high)
``missing-base``           a declared base the Hub no longer has (medium) or whose own record
                           was never ingested (low)
``renamed-base``           a base named by an old id (low)
``lineage-cycle``          models that declare each other as bases (high)
``card-tag-disagree``      the card's relation and the Hub's tags disagree (medium)
``adapter-base-disagree``  adapter_config.json names another base than the card (high)
``chat-template-changed``  a file of the model carries a chat template (by
                           ``chat_template_sha256``) none of its base's files carries (medium;
                           high when ``mlsc scan`` flagged that template critical)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mlsc.graph import reads
from mlsc.graph.store import GraphStore

Severity = Literal["high", "medium", "low"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
QUANTIZED_ONLY = {"gguf", "ggml"}


@dataclass(frozen=True)
class Discrepancy:
    """One thing a model claims that its record, files or lineage contradict."""

    kind: str
    severity: Severity
    model: str
    related: tuple[str, ...]
    detail: str
    evidence: tuple[tuple[str, Any], ...] = field(default=())
    """(name, value) pairs: the facts that make the finding."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "model": self.model,
            "related": list(self.related),
            "detail": self.detail,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class Discrepancies:
    findings: tuple[Discrepancy, ...]
    """Most severe first, then by kind and model."""

    @property
    def by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(f.kind for f in self.findings).items()))

    @property
    def by_severity(self) -> dict[str, int]:
        counts: Counter[str] = Counter(f.severity for f in self.findings)
        return {s: counts[s] for s in SEVERITY_ORDER if counts[s]}

    def of(self, model: str) -> list[Discrepancy]:
        return [f for f in self.findings if f.model == model]

    def to_json(self) -> dict[str, Any]:
        return {
            "count": len(self.findings),
            "by_severity": self.by_severity,
            "by_kind": self.by_kind,
            "findings": [f.to_json() for f in self.findings],
        }


def _arch(model_type: Any, architectures: Any) -> tuple[str | None, tuple[str, ...]]:
    archs = tuple(sorted(a for a in (architectures or []) if isinstance(a, str)))
    return (model_type or None), archs


_TemplateFiles = dict[str, dict[str, tuple[str, bool]]]


def _chat_templates(store: GraphStore, models: Sequence[str] | None) -> _TemplateFiles:
    """model -> file path -> (chat_template_sha256, whether the scan flagged it critical)."""
    found: _TemplateFiles = defaultdict(dict)
    for mid, path, digest, flagged in reads.chat_templates(store, models):
        bad = any(str(x).startswith("critical template_") for x in flagged or [])
        found[mid][path] = (digest, bad)
    return found


def _template_changes(
    templates: _TemplateFiles, child: str, parent: str
) -> list[tuple[Severity, str, dict[str, Any]]]:
    """The chat-template drift of ``child`` from ``parent``, when both hashes are known."""
    mine, theirs = templates.get(child), templates.get(parent)
    if not mine or not theirs:
        return []
    base = {digest for digest, _ in theirs.values()}
    changed = {p: v for p, v in sorted(mine.items()) if v[0] not in base}
    if not changed:
        return []
    flagged = sorted(p for p, (_, bad) in changed.items() if bad)
    severity: Severity = "high" if flagged else "medium"
    detail = f"{', '.join(list(changed)[:3])} carries a chat template {parent}'s files do not"
    if flagged:
        detail += " (flagged critical by mlsc scan)"
    evidence = {
        "files": list(changed),
        "chat_template_sha256": [d for d, _ in changed.values()],
        "base_chat_template_sha256": sorted(base),
        "flagged": flagged,
    }
    return [(severity, detail, evidence)]


def discrepancies(store: GraphStore, *, models: Sequence[str] | None = None) -> Discrepancies:
    """Every finding in the knowledge base (or only those about ``models``)."""
    wanted = set(models) if models is not None else None
    findings: list[Discrepancy] = []

    def add(kind: str, severity: Severity, model: str, related: Sequence[str], detail: str,
            **evidence: Any) -> None:  # fmt: skip
        if wanted is None or model in wanted:
            findings.append(
                Discrepancy(kind, severity, model, tuple(related), detail, tuple(evidence.items()))
            )

    # Scoped to ``models``, only the edges into or out of them matter: every finding is
    # about the child of an edge, except quantized-with-children, about its parent.
    scope = sorted(wanted) if wanted is not None else None
    rows = reads.derivations(store, scope)
    formats: dict[str, set[str]] = defaultdict(set)
    for mid, fmt in reads.file_formats(store, scope):
        formats[mid].add(fmt)
    ends = sorted({m for r in rows for m in (r.child, r.parent)}) if scope is not None else None
    templates = _chat_templates(store, ends)
    children: dict[str, list[tuple[str, str]]] = defaultdict(list)
    own: dict[str, set[str]] = defaultdict(set)  # the relations a model itself was made by
    for (child, parent, relation, evidence, confidence, c_type, c_arch, p_type, p_arch,
         c_created, p_created, p_ingested, p_removed, p_aliases) in rows:  # fmt: skip
        evidence = list(evidence or [])
        children[parent].append((child, relation))
        own[child].add(relation)
        mine, theirs = _arch(c_type, c_arch), _arch(p_type, p_arch)
        if mine[0] and theirs[0] and (mine[0] != theirs[0] or (
            mine[1] and theirs[1] and not set(mine[1]) & set(theirs[1])
        )):  # fmt: skip
            add(
                "architecture-mismatch",
                "low" if relation in ("distill", "prune", "merge") else "medium",
                child,
                [parent],
                f"declares {parent} ({relation}) but its model_type is {mine[0]!r} "
                f"and the base's {theirs[0]!r}",
                model_type=mine[0],
                base_model_type=theirs[0],
                architectures=list(mine[1]),
                base_architectures=list(theirs[1]),
                relation=relation,
            )
        weights = formats.get(child, set()) - {"bin"}
        if relation in ("finetune", "adapter") and weights and weights <= QUANTIZED_ONLY:
            add(
                "relation-vs-files",
                "medium",
                child,
                [parent],
                f"declared a {relation} of {parent}, but ships only {'/'.join(sorted(weights))} "
                "weights: a quantization",
                relation=relation,
                formats=sorted(weights),
            )
        elif (
            confidence is not None
            and confidence < 0.7
            and any(e.startswith(("files:", "config:")) for e in evidence)
            and not any(e.startswith("card:base_model_relation") for e in evidence)
        ):
            add(
                "relation-vs-files",
                "medium",
                child,
                [parent],
                f"declared {relation} of {parent}, but its files say otherwise",
                relation=relation,
                evidence=evidence,
            )
        if c_created and p_created and c_created < p_created:
            add(
                "child-before-parent",
                "high",
                child,
                [parent],
                f"created {c_created}, before its base {parent} ({p_created})",
                created_at=c_created,
                base_created_at=p_created,
            )
        if p_removed:
            add("missing-base", "medium", child, [parent],
                f"its base {parent} is gone from the Hub", base=parent)  # fmt: skip
        elif p_ingested is False:
            add("missing-base", "low", child, [parent],
                f"its base {parent} was never ingested (deleted, private, or not crawled)",
                base=parent)  # fmt: skip
        renamed = [e for e in evidence if e.endswith("(renamed)")]
        if renamed or (p_aliases and any(f"={a} " in " ".join(evidence) for a in p_aliases)):
            add("renamed-base", "low", child, [parent],
                f"names its base {parent} by an old id", evidence=renamed)  # fmt: skip
        card_rel = next((e.split("=", 1)[1] for e in evidence
                         if e.startswith("card:base_model_relation=")), None)  # fmt: skip
        tag_rel = next((e.split(":", 2)[2] for e in evidence
                        if e.startswith("tag:base_model:") and e.count(":") == 2), None)  # fmt: skip
        if card_rel and tag_rel and card_rel != tag_rel:
            add("card-tag-disagree", "medium", child, [parent],
                f"the card says {card_rel}, the Hub's tags {tag_rel} (kept: {relation})",
                card=card_rel, tags=tag_rel)  # fmt: skip
        differs = [
            e for e in evidence if e.startswith("adapter_config:") and e.endswith("(differs)")
        ]
        if differs:
            other = differs[0].split("=", 1)[1].removesuffix(" (differs)")
            add("adapter-base-disagree", "high", child, [parent, other],
                f"the card names {parent}, adapter_config.json {other}: the adapter "
                "loads onto a base its card does not name", card=parent, adapter_config=other)  # fmt: skip
    for parent, kids in children.items():
        for child, relation in kids:
            for severity, detail, found in _template_changes(templates, child, parent):
                add("chat-template-changed", severity, child, [parent], detail,
                    relation=relation, **found)  # fmt: skip
        if own.get(parent) == {"quantized"}:
            add("quantized-with-children", "low", parent, sorted(c for c, _ in kids),
                f"a quantized model with {len(kids)} derived from it",
                children=len(kids))  # fmt: skip
    for cycle in store.derivation_cycles():
        for model in cycle:
            add("lineage-cycle", "high", model, [m for m in cycle if m != model],
                "declares a base that (transitively) derives from it: " + " -> ".join(cycle),
                cycle=list(cycle))  # fmt: skip
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.kind, f.model, f.related))
    return Discrepancies(tuple(findings))
