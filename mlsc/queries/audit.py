"""``mlsc audit``: the npm-audit of models. Every place an application loads a model, with
its pinning, whether the knowledge base knows the model, and what it holds against the model
and its ancestors, most severe first.

    >>> from mlsc.code import read_references
    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:                  # doctest: +SKIP
    ...     result = audit(store, read_references(Path("my-app")))
    ...     result.by_severity      # {"critical": 0, "high": 1, "medium": 3, "low": 2}

Works on whatever the knowledge base holds (no network). What is about the code is decided
here: ``unpinned`` (medium), ``dynamic`` (low), ``unknown-model`` (medium: unknown is never
read as good), ``renamed`` (high: the old id is still in code). What is about a model and its
ancestors comes from :mod:`mlsc.queries.audit_findings`. docs/audit.md lists every kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mlsc.code.references import CodeReading, ModelReference, Unreadable
from mlsc.graph import reads, reads_audit
from mlsc.graph.reads_ingest import known_aliases
from mlsc.graph.store import GraphStore
from mlsc.queries.audit_findings import (
    SEVERITIES,
    SEVERITY_RANK,
    AuditFinding,
    Scope,
    Severity,
    model_findings,
)
from mlsc.vocab import is_valid_repo_id

FAIL_LEVELS: dict[str, int] = {**SEVERITY_RANK, "none": -1}
"""``--fail-on`` level -> the largest severity rank that fails (``none``: nothing fails)."""


@dataclass(frozen=True)
class AuditedReference:
    """One reference in code with what the knowledge base says about its model."""

    reference: ModelReference
    known: bool
    """The knowledge base holds the model's own record (a base known only by name is not)."""
    in_graph: bool
    """The knowledge base has a node for the model (its own record or a placeholder)."""
    current: str | None
    """The id the model has now (differs from the code's after a rename)."""
    findings: tuple[AuditFinding, ...]
    """Most severe first."""

    @property
    def worst(self) -> Severity | None:
        return self.findings[0].severity if self.findings else None

    def to_json(self) -> dict[str, Any]:
        ref = self.reference
        return {
            "file": ref.file,
            "line": ref.line,
            "model": ref.model,
            "revision": ref.revision,
            "revision_kind": ref.revision_kind,
            "pinned": ref.pinned,
            "known": self.known,
            "in_graph": self.in_graph,
            "current": self.current,
            "call": ref.call,
            "evidence": ref.evidence,
            "confidence": ref.confidence,
            "hub": ref.hub,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class FixPin:
    """The revision an unpinned reference would pin to, or why there is none."""

    file: str
    line: int
    model: str | None
    revision: str | None
    """The newest commit the knowledge base holds for the model; None when it holds none."""
    at: str | None = None
    note: str | None = None
    """Why there is no revision and how to get one."""

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "model": self.model,
                "revision": self.revision, "at": self.at, "note": self.note}  # fmt: skip


@dataclass(frozen=True)
class AuditResult:
    """Everything ``mlsc audit`` says about one tree."""

    path: str
    references: tuple[AuditedReference, ...]
    """Ordered by file, then line."""
    files_read: int
    skipped: tuple[Unreadable, ...]
    empty: bool = False
    """The knowledge base holds no model at all: every model is unknown."""
    fix_pins: tuple[FixPin, ...] | None = None
    """With ``fix_pins=True``: one per unpinned reference."""
    extra: dict[str, Any] = field(default_factory=dict)
    """What the CLI adds to the JSON (the ``--refresh`` crawl's counts)."""

    @property
    def findings(self) -> list[AuditFinding]:
        return [f for r in self.references for f in r.findings]

    @property
    def by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s: counts[s] for s in SEVERITIES}

    @property
    def models(self) -> int:
        return len({r.reference.model for r in self.references if r.reference.model})

    @property
    def unpinned(self) -> int:
        return sum(not r.reference.pinned for r in self.references)

    @property
    def files(self) -> int:
        """Files with at least one reference."""
        return len({r.reference.file for r in self.references})

    def fails(self, fail_on: str) -> bool:
        """Whether a finding is at or above ``fail_on`` (a severity, or ``none``)."""
        limit = FAIL_LEVELS[fail_on]
        return any(SEVERITY_RANK[f.severity] <= limit for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "references": [r.to_json() for r in self.references],
            "by_severity": self.by_severity,
            "models": self.models,
            "unpinned": self.unpinned,
            "references_count": len(self.references),
            "files_read": self.files_read,
            "skipped": [{"file": s.file, "reason": s.reason} for s in self.skipped],
            "knowledge_base_empty": self.empty,
        }
        if self.fix_pins is not None:
            data["fix_pins"] = [p.to_json() for p in self.fix_pins]
        data.update(self.extra)
        return data


def _unpinned(ref: ModelReference) -> AuditFinding | None:
    if ref.pinned:
        return None
    name = ref.model or "the model"
    reaches = f"any later push to {name} reaches this code unreviewed"
    if ref.revision_dynamic:
        why = "the revision is computed at run time, so mlsc cannot tell it is a commit"
    elif ref.revision_kind == "tag":
        why = f"revision {ref.revision!r} is a tag, and a tag can be moved to another commit"
    elif ref.revision_kind == "branch":
        why = f"revision {ref.revision!r} is a branch, whose head moves with every push"
    else:
        why = "no revision: the loader takes the default branch's head"
    return AuditFinding(
        "unpinned", "medium", f'{why}; {reaches}. Pin a commit: revision="<40-hex sha>"'
    )


def _unknown(model: str, in_graph: bool, valid: bool) -> AuditFinding:
    if not valid:
        detail = f"{model[:120]!r} is not a valid model id, so nothing about it can be checked"
    else:
        held = "knows it only as another model's base" if in_graph else "has no record of it"
        detail = (
            f"the knowledge base {held}, so nothing below it can be checked: run "
            f"`mlsc audit --refresh` or `mlsc ingest hf -m {model} --ancestors`"
        )
    return AuditFinding("unknown-model", "medium", detail)


def _fix_pins(
    store: GraphStore | None, refs: Sequence[AuditedReference], props: dict[str, dict[str, Any]]
) -> tuple[FixPin, ...]:
    wanted = [r for r in refs if not r.reference.pinned]
    ids = [r.current for r in wanted if r.current]
    newest = reads_audit.newest_commits(store, ids) if store is not None else {}
    pins: list[FixPin] = []
    for r in wanted:
        ref = r.reference
        commit = newest.get(r.current or "")
        if commit is not None:
            pins.append(FixPin(ref.file, ref.line, ref.model, commit.sha, commit.at))
            continue
        sha = (props.get(r.current or "") or {}).get("sha")
        if sha and r.known:
            note = "the head the last crawl saw (the knowledge base holds no commits of it)"
            pins.append(FixPin(ref.file, ref.line, ref.model, str(sha), None, note))
        elif ref.model is None:
            pins.append(FixPin(ref.file, ref.line, None, None, None,
                               "the model id is computed at run time"))  # fmt: skip
        else:
            note = (f"no commits of {r.current or ref.model} in the knowledge base: "
                    f"`mlsc ingest hf -m {r.current or ref.model} --commits` fetches them")  # fmt: skip
            pins.append(FixPin(ref.file, ref.line, ref.model, None, None, note))
    return tuple(pins)


@dataclass(frozen=True)
class _Held:
    """What the knowledge base holds about the referenced models."""

    current: dict[str, str]
    """Valid Hugging Face id in code -> its id now (itself unless renamed)."""
    props: dict[str, dict[str, Any]]
    """Every node of the referenced models, their current ids and ancestors."""
    about: dict[str, list[AuditFinding]]
    repos: dict[str, dict[str, Any]]
    """The code repositories torch.hub references name, when held."""
    empty: bool


def _held(store: GraphStore | None, refs: Sequence[ModelReference]) -> _Held:
    hf_ids = sorted({r.model for r in refs if r.model and r.hub == "huggingface"
                     and is_valid_repo_id(r.model)})  # fmt: skip
    if store is None:
        return _Held({m: m for m in hf_ids}, {}, {}, {}, True)
    held = reads.nodes(store, "Model", hf_ids)
    aliases = known_aliases(store) if hf_ids else {}
    current: dict[str, str] = {}
    for mid in hf_ids:
        node = held.get(mid)
        new = aliases.get(mid)
        current[mid] = new if new and not (node and node.get("ingested")) else mid
    held.update(reads.nodes(store, "Model", sorted({c for m, c in current.items() if c != m})))
    scopes = [Scope(c, {a: d for a, d in sorted(store.expand([c], "up").depth.items()) if a != c})
              for c in sorted(set(current.values())) if (held.get(c) or {}).get("ingested")]  # fmt: skip
    held.update(reads.nodes(store, "Model", sorted({a for s in scopes for a in s.ancestors})))
    about = model_findings(store, scopes, held) if scopes else {}
    repos = reads.nodes(store, "CodeRepository", [
        f"github.com/{r.model}" for r in refs if r.model and r.hub == "github"])  # fmt: skip
    return _Held(current, held, about, repos, store.counts().get("Model", 0) == 0)


def audit(
    store: GraphStore | None,
    reading: CodeReading,
    *,
    path: str | None = None,
    fix_pins: bool = False,
) -> AuditResult:
    """Audit every reference ``reading`` found against what ``store`` holds (None: there is
    no knowledge base yet, so every model is unknown)."""
    refs = sorted(reading.references, key=lambda r: (r.file, r.line))
    kb = _held(store, refs)
    current, held, about, repos = kb.current, kb.props, kb.about, kb.repos
    audited: list[AuditedReference] = []
    for ref in refs:
        found: list[AuditFinding] = []
        if (pin := _unpinned(ref)) is not None:
            found.append(pin)
        now: str | None = None
        known = in_graph = False
        if ref.model is None:
            found.append(AuditFinding(
                "dynamic", "low", f"the model id is computed at run time ({ref.call}): mlsc "
                "cannot tell which model this loads"))  # fmt: skip
        elif ref.hub == "github":
            now = f"github.com/{ref.model}"
            known = in_graph = now in repos
            if not known:
                found.append(AuditFinding(
                    "unknown-model", "medium", f"torch.hub loads code from {now}, which the "
                    f"knowledge base has no record of: `mlsc ingest github` reads it"))  # fmt: skip
        else:
            valid = ref.model in current
            now = current.get(ref.model)
            node = held.get(now or "") or {}
            in_graph, known = bool(node), bool(node.get("ingested"))
            if now and now != ref.model:
                found.append(AuditFinding(
                    "renamed", "high", f"{ref.model} was renamed to {now}: the old id still "
                    f"works only while nobody registers it again (namespace reuse); use {now}"))  # fmt: skip
            if not known:
                found.append(_unknown(ref.model, in_graph, valid))
            else:
                found.extend(about.get(now or "", ()))
        found.sort(key=AuditFinding.sort_key)
        audited.append(AuditedReference(ref, known, in_graph, now, tuple(found)))
    return AuditResult(
        path or reading.root,
        tuple(audited),
        reading.files_read,
        tuple(reading.skipped),
        kb.empty,
        _fix_pins(store, audited, held) if fix_pins else None,
    )
