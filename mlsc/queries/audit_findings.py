"""What ``mlsc audit`` finds about a model and its ancestors, from what the knowledge base
holds: scan verdicts (mlsc's and the Hub's), removal, gating, privacy, the owner, commit
signing, discrepancies and licences. :mod:`mlsc.queries.audit` adds what is about the code
(pinning, dynamic ids, unknown models) and puts the findings on each reference.

    >>> licence_rank("apache-2.0"), licence_rank("llama3.1"), licence_rank("my-own")
    (0, 2, None)

Severities are the audit's: ``critical`` > ``high`` > ``medium`` > ``low``. A scan verdict
``critical`` (mlsc's or the Hub's scanners') is ``critical``, a ``warning`` (or a file mlsc
could not parse) is ``high``; a discrepancy keeps its own severity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mlsc.graph import reads, reads_audit
from mlsc.graph.store import GraphStore
from mlsc.queries.discrepancies import discrepancies
from mlsc.queries.scans import hub_file_verdicts

Severity = Literal["critical", "high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}
"""0 is the most severe."""

SCAN_SEVERITY: dict[str, Severity] = {"critical": "critical", "warning": "high",
                                      "unparseable": "high"}  # fmt: skip
"""A scan status (mlsc's, or the Hub's mapped by :data:`mlsc.queries.scans.HUB_LEVELS`) as an
audit severity; ``clean``, ``skipped`` and ``info`` are no finding."""

PERMISSIVE = frozenset(
    {
        "apache-2.0",
        "mit",
        "isc",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "unlicense",
        "zlib",
        "bsl-1.0",
        "artistic-2.0",
        "afl-3.0",
        "ecl-2.0",
        "wtfpl",
        "pddl",
        "odc-by",
        "postgresql",
        "ncsa",
        "ms-pl",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "openrail++",
    }
)
"""Rank 0. Any ``bsd*`` licence too."""
RESTRICTED_USE = frozenset(
    {
        "openrail",
        "creativeml-openrail-m",
        "bigscience-openrail-m",
        "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m",
        "mpl-2.0",
        "epl-1.0",
        "epl-2.0",
        "eupl-1.1",
        "osl-3.0",
        "ofl-1.1",
        "lppl-1.3c",
        "c-uda",
        "cdla-sharing-1.0",
        "odbl",
        "gemma",
        "other",
    }
)
"""Rank 1: copyleft, responsible-AI (RAIL) use restrictions, custom (``other``). Any
``gpl*``/``lgpl*``/``agpl*``/``cc-by-sa*`` licence too."""
NON_COMMERCIAL_PREFIXES = ("cc-by-nc", "cc-by-nd", "llama", "apple-", "fair-", "deepseek",
                           "intel-research", "h-research", "etalab")  # fmt: skip
"""Rank 2: non-commercial, no-derivatives, and community licences that restrict who may use
the model (Llama 2/3/4 community licences count as restricted use)."""

LICENCE_CLASSES = ("permissive", "copyleft/use-restricted/other", "non-commercial/restricted")


def licence_rank(licence: str | None) -> int | None:
    """0 permissive < 1 copyleft, RAIL or other < 2 non-commercial or restricted use; None
    when no licence is recorded or mlsc does not know it (never read as compatible)."""
    if not licence:
        return None
    name = licence.strip().lower()
    if name in PERMISSIVE or name.startswith("bsd"):
        return 0
    if name.startswith(NON_COMMERCIAL_PREFIXES):
        return 2
    if name in RESTRICTED_USE or name.startswith(("gpl", "lgpl", "agpl", "cc-by-sa")):
        return 1
    return None


@dataclass(frozen=True)
class AuditFinding:
    """One thing wrong (or unknown) about a reference, with where it comes from."""

    kind: str
    severity: Severity
    detail: str
    via: str | None = None
    """The ancestor the finding comes through; None when it is about the referenced model
    itself (or the code)."""
    files: tuple[str, ...] = ()
    """The model files it is about, when known (scan verdicts)."""

    def sort_key(self) -> tuple[int, str, str, str]:
        return (SEVERITY_RANK[self.severity], self.kind, self.via or "", self.detail)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "severity": self.severity,
                                "detail": self.detail, "via": self.via}  # fmt: skip
        if self.files:
            data["files"] = list(self.files)
        return data


@dataclass(frozen=True)
class Scope:
    """A referenced model (by its current id) and its ancestors with their depth."""

    model: str
    ancestors: Mapping[str, int]


def _where(model: str, scope: Scope) -> tuple[str | None, str]:
    """(via, how the detail names the model) for a fact about ``model`` in ``scope``."""
    if model == scope.model:
        return None, model
    return model, f"its ancestor {model} (depth {scope.ancestors[model]})"


def _scan_findings(
    scope: Scope, props: Mapping[str, dict[str, Any]], files: Mapping[str, list[reads.ModelFile]]
) -> list[AuditFinding]:
    found: list[AuditFinding] = []
    for mid in (scope.model, *scope.ancestors):
        node = props.get(mid) or {}
        verdicts: dict[str, list[str]] = defaultdict(list)  # file -> who said what
        for f in files.get(mid, ()):
            if f.scan_status in SCAN_SEVERITY:
                verdicts[f.path].append(f"mlsc scan: {f.scan_status}")
        for path, level in hub_file_verdicts(node.get("security_status")).items():
            if level in SCAN_SEVERITY:
                verdicts[path].append(f"the Hub's scanners: {level}")
        worst = [SCAN_SEVERITY[s] for s in
                 [str(node.get("scan_status"))] + [v.rsplit(": ", 1)[1] for vs in verdicts.values()
                                                  for v in vs] if s in SCAN_SEVERITY]  # fmt: skip
        if not worst:
            continue
        severity = min(worst, key=SEVERITY_RANK.__getitem__)
        via, name = _where(mid, scope)
        listed = "; ".join(f"{p} ({', '.join(v)})" for p, v in sorted(verdicts.items())[:5])
        more = f" and {len(verdicts) - 5} more files" if len(verdicts) > 5 else ""
        detail = (f"{name} has files a scanner flagged: {listed}{more}" if listed
                  else f"{name}: mlsc scan rated it {node.get('scan_status')}")  # fmt: skip
        found.append(AuditFinding("scan-verdict", severity, detail, via, tuple(sorted(verdicts))))
    return found


def _hub_state(scope: Scope, props: Mapping[str, dict[str, Any]]) -> list[AuditFinding]:
    """Gone, private or gated: the model itself, and each ancestor (whose state matters to
    anyone reviewing the origin, and at run time to an adapter loading its base by name)."""
    found: list[AuditFinding] = []
    for mid in (scope.model, *scope.ancestors):
        node = props.get(mid) or {}
        via, name = _where(mid, scope)
        if node.get("removed"):
            when = f" (noticed {node['removed_at']})" if node.get("removed_at") else ""
            found.append(AuditFinding("removed", "high", f"{name} is gone from the Hub{when}: "
                "anyone who registers the id again serves the code their files; replace the "
                "reference or pin a commit you reviewed", via) if via is None else AuditFinding(
                "removed", "medium", f"{name} is gone from the Hub{when}: its origin can no "
                "longer be reviewed, and whatever loads it by name (an adapter's base) loads "
                "whoever registers the id again", via))  # fmt: skip
        if node.get("private"):
            found.append(AuditFinding("private", "medium", f"{name} is private: only its "
                "owner's token loads it, and nobody outside can review what it serves",
                via))  # fmt: skip
        if node.get("gated") in ("auto", "manual"):
            found.append(AuditFinding("gated", "low", f"{name} is gated ({node['gated']} "
                "approval): loading needs an accepted licence and a token, so a CI job "
                "without one fails", via))  # fmt: skip
    return found


def _owner_of(model: str, props: Mapping[str, dict[str, Any]]) -> str | None:
    return (props.get(model) or {}).get("author") or (
        model.split("/", 1)[0] if "/" in model else None
    )


def _verification(owner: str, verified: Mapping[str, bool | None]) -> str:
    if owner not in verified:
        return "not known to the knowledge base"
    if verified[owner] is False:
        return "not a verified organisation"
    # None: the hub was not asked (a snapshot holds no verification)
    return "not known to be verified (its verification was never read: a Hub crawl reads it)"


def _owner_finding(
    scope: Scope,
    props: Mapping[str, dict[str, Any]],
    verified: Mapping[str, bool | None],
    parents: Mapping[str, list[str]],
) -> list[AuditFinding]:
    """The model's owner, unless verified or the owner of its base; then, nearest first,
    each other owner up the lineage that is not verified (once per owner)."""
    found: list[AuditFinding] = []
    owner = _owner_of(scope.model, props)
    if owner is None:
        found.append(AuditFinding("unverified-owner", "low",
                                  f"{scope.model} has no owner namespace on record"))  # fmt: skip
    elif verified.get(owner) is not True and owner not in {
        _owner_of(p, props) for p in parents.get(scope.model, ())
    }:
        bases = f" and does not own its base ({', '.join(sorted(parents[scope.model])[:3])})" if (
            parents.get(scope.model)) else ""  # fmt: skip
        found.append(AuditFinding("unverified-owner", "low",
                                  f"its owner {owner} is {_verification(owner, verified)}{bases}"))
    seen = {owner}
    for mid, _ in sorted(scope.ancestors.items(), key=lambda item: (item[1], item[0])):
        theirs = _owner_of(mid, props)
        if theirs is None or theirs in seen or verified.get(theirs) is True:
            continue
        seen.add(theirs)
        via, name = _where(mid, scope)
        found.append(AuditFinding("unverified-owner", "low", f"{name} is owned by {theirs}, "
                                  f"{_verification(theirs, verified)}", via))  # fmt: skip
    return found


def _signing_findings(
    scope: Scope, commits: Mapping[str, list[reads.ModelCommit]]
) -> list[AuditFinding]:
    found: list[AuditFinding] = []
    for mid in (scope.model, *scope.ancestors):
        held = commits.get(mid, [])
        if not held:
            continue
        signed = sum(c.signature is not None for c in held)
        unknown = sum(c.signature is None and c.verified is None and c.verification_reason is None
                      for c in held)  # fmt: skip
        bad = sum(c.signature is not None and c.verified is False for c in held)
        if signed == len(held) and not bad:
            continue
        via, name = _where(mid, scope)
        if unknown == len(held):
            detail = (
                f"{name}: none of its {len(held)} commits is known to be signed (the Hub "
                "does not report signatures; `mlsc ingest git` on a clone verifies them)"
            )
        else:
            detail = f"{name}: {len(held) - signed} of {len(held)} commits unsigned" + (
                f", {bad} with a signature that does not verify" if bad else ""
            )
        found.append(AuditFinding("unsigned-commits", "low", detail, via))  # fmt: skip
    return found


def _licence_findings(scope: Scope, props: Mapping[str, dict[str, Any]]) -> list[AuditFinding]:
    mine = (props.get(scope.model) or {}).get("license")
    my_rank = licence_rank(mine)
    conflicts: list[AuditFinding] = []
    unknown: list[str] = []
    for mid, depth in scope.ancestors.items():
        node = props.get(mid) or {}
        if not node.get("ingested"):
            continue  # a placeholder: missing-base (a discrepancy) says so
        theirs = node.get("license")
        rank = licence_rank(theirs)
        if rank is None:
            unknown.append(f"{mid} ({theirs or 'none recorded'})")
        elif my_rank is not None and rank > my_rank:
            conflicts.append(AuditFinding(
                "license-conflict", "medium",
                f"its ancestor {mid} (depth {depth}) is licensed {theirs} "
                f"({LICENCE_CLASSES[rank]}), more restrictive than {scope.model}'s {mine} "
                f"({LICENCE_CLASSES[my_rank]}): the model may not be usable as its licence says",
                mid))  # fmt: skip
    if scope.ancestors and my_rank is None:
        unknown.insert(0, f"{scope.model} ({mine or 'none recorded'})")
    if unknown:
        conflicts.append(AuditFinding(
            "license-unknown", "low",
            "licence unknown, so its compatibility is unknown: " + ", ".join(unknown[:4])
            + (f" and {len(unknown) - 4} more" if len(unknown) > 4 else "")))  # fmt: skip
    return conflicts


def model_findings(
    store: GraphStore, scopes: Sequence[Scope], props: Mapping[str, dict[str, Any]]
) -> dict[str, list[AuditFinding]]:
    """Referenced model (current id) -> what the knowledge base holds against it and its
    ancestors; ``props`` holds every node of every scope (:func:`mlsc.graph.reads.nodes`)."""
    everything = sorted({m for s in scopes for m in (s.model, *s.ancestors)})
    files: dict[str, list[reads.ModelFile]] = defaultdict(list)
    for f in reads.model_files(store, everything):
        files[f.model].append(f)
    commits: dict[str, list[reads.ModelCommit]] = defaultdict(list)
    for c in reads.commits_of(store, everything):
        commits[c.model].append(c)
    parents: dict[str, list[str]] = defaultdict(list)
    for p in reads.parents_of(store, [s.model for s in scopes]):
        parents[p.model].append(p.parent)
    owners = {o for m in everything if (o := _owner_of(m, props)) is not None}
    verified = reads_audit.actor_verification(store, sorted(owners))
    found_by: dict[str, list[AuditFinding]] = defaultdict(list)
    for d in discrepancies(store, models=everything).findings:
        found_by[d.model].append(AuditFinding(
            "discrepancy", d.severity, f"{d.kind}: {d.model} {d.detail}"))  # fmt: skip
    result: dict[str, list[AuditFinding]] = {}
    for scope in scopes:
        found = [*_hub_state(scope, props), *_scan_findings(scope, props, files),
                 *_owner_finding(scope, props, verified, parents),
                 *_signing_findings(scope, commits), *_licence_findings(scope, props)]  # fmt: skip
        for mid in (scope.model, *scope.ancestors):
            via, _ = _where(mid, scope)
            found.extend(AuditFinding(f.kind, f.severity, f.detail, via) for f in found_by[mid])
        result[scope.model] = found
    return result
