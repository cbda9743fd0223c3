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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from mlsc.graph import reads
from mlsc.graph import reads_population as rp
from mlsc.graph.store import GraphStore
from mlsc.queries.discrepancy_candidates import QUANTIZED_ONLY, candidates

Severity = Literal["high", "medium", "low"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


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


TemplateFiles = Mapping[str, Mapping[str, tuple[str, bool]]]
"""model -> file path -> (chat_template_sha256, whether the scan flagged it critical)."""


def _template_files(files: Iterable[tuple[str, str, str, list[str] | None]]) -> TemplateFiles:
    """(model, path, digest, scan findings) of files with chat templates, by model and path."""
    found: dict[str, dict[str, tuple[str, bool]]] = defaultdict(dict)
    for mid, path, digest, flagged in files:
        bad = any(str(x).startswith("critical template_") for x in flagged or [])
        found[mid][path] = (digest, bad)
    return found


def _template_changes(
    templates: TemplateFiles, child: str, parent: str
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
    """Every finding in the knowledge base (or only those about ``models``). Over the whole
    knowledge base, a pass over columns first names the models a finding can be about
    (:mod:`mlsc.queries.discrepancy_candidates`); only their edges become Python objects."""
    if models is None:
        return _everywhere(store)
    scope = sorted(set(models))
    # Only the edges into or out of the scope matter: every finding is about the child of
    # an edge, except quantized-with-children, about its parent.
    rows = reads.derivations(store, scope)
    formats: dict[str, set[str]] = defaultdict(set)
    for mid, fmt in reads.file_formats(store, scope):
        formats[mid].add(fmt)
    ends = sorted({m for r in rows for m in (r.child, r.parent)})
    templates = _template_files(reads.chat_templates(store, ends))
    return check(rows, formats, templates, store.derivation_cycles(), set(scope))


def _everywhere(store: GraphStore) -> Discrepancies:
    edges = rp.derivation_table(store)
    file_formats = rp.file_format_table(store)
    chat = rp.chat_template_table(store)
    cycles = store.derivation_cycles()
    scope = candidates(edges, file_formats, chat, cycles)
    wanted = pa.array(scope, pa.string())
    edges = edges.filter(
        pc.or_(
            pc.is_in(edges.column("child"), value_set=wanted),
            pc.is_in(edges.column("parent"), value_set=wanted),
        )
    )
    columns = [edges.column(name).to_pylist() for name in reads.Derivation._fields]
    rows = [reads.Derivation(*r) for r in zip(*columns, strict=True)]
    formats: dict[str, set[str]] = defaultdict(set)
    file_formats = file_formats.filter(pc.is_in(file_formats.column("model"), value_set=wanted))
    for mid, fmt in zip(*(file_formats.column(c).to_pylist() for c in ("model", "format")),
                        strict=True):  # fmt: skip
        formats[mid].add(fmt)
    ends = pa.array(sorted({m for r in rows for m in (r.child, r.parent)}), pa.string())
    chat = chat.filter(pc.is_in(chat.column("model"), value_set=ends))
    names = ("model", "path", "digest", "findings")
    templates = _template_files(zip(*(chat.column(c).to_pylist() for c in names), strict=True))
    return check(rows, formats, templates, cycles, set(scope))


def check(
    rows: Sequence[reads.Derivation],
    formats: Mapping[str, set[str]],
    templates: TemplateFiles,
    cycles: Sequence[tuple[str, ...]],
    wanted: set[str] | None,
) -> Discrepancies:
    """The findings about the ``wanted`` models (None: every model) from the derivation
    edges into and out of them, their file formats, the chat templates of both ends of the
    edges, and the lineage cycles."""
    findings: list[Discrepancy] = []

    def add(kind: str, severity: Severity, model: str, related: Sequence[str], detail: str,
            **evidence: Any) -> None:  # fmt: skip
        if wanted is None or model in wanted:
            findings.append(
                Discrepancy(kind, severity, model, tuple(related), detail, tuple(evidence.items()))
            )

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
    for cycle in cycles:
        for model in cycle:
            add("lineage-cycle", "high", model, [m for m in cycle if m != model],
                "declares a base that (transitively) derives from it: " + " -> ".join(cycle),
                cycle=list(cycle))  # fmt: skip
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.kind, f.model, f.related))
    return Discrepancies(tuple(findings))
