"""An audit as SARIF 2.1.0 (``mlsc audit -f sarif``), for code-scanning dashboards.

    >>> log = render_audit_sarif(result)                            # doctest: +SKIP
    >>> log["runs"][0]["results"][0]["ruleId"]
    'MLSCA001'

Built from the scanner's SARIF pieces (:mod:`mlsc.render.sarif`): the same driver, URI
encoding and fingerprint key. One result per finding, its physical location the file and line
of the reference, relative to the audited directory (``uriBaseId`` ``AUDITROOT``); rule ids
``MLSCA001``-``MLSCA099`` (the scanner's are ``MLSC101``-``MLSC399``); ``level`` from the
severity: critical and high are ``error``, medium ``warning``, low ``note``. File paths and
model ids come from the audited code: a path only becomes a percent-encoded relative URI, an
id only a JSON string.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mlsc.queries.audit import AuditedReference, AuditResult
from mlsc.queries.audit_findings import AuditFinding
from mlsc.render.sarif_log import (
    FINGERPRINT,
    SARIF_SCHEMA,
    SARIF_VERSION,
    information_uri,
    text,
    tool_version,
    uri,
)

ROOT_BASE_ID = "AUDITROOT"
"""The ``uriBaseId`` every location is relative to: the audited directory."""

AUDIT_RULES: dict[str, tuple[str, str, str]] = {
    "unpinned": ("MLSCA001", "Model reference not pinned to a commit",
                 "Without a commit sha as its revision, any later push to the model (or a moved "
                 "tag) reaches the application unreviewed."),
    "unknown-model": ("MLSCA002", "Model unknown to the knowledge base",
                      "mlsc holds no record of the model, so nothing about it can be checked; "
                      "`mlsc audit --refresh` or `mlsc ingest hf -m ID --ancestors` fetches it."),
    "dynamic": ("MLSCA003", "Model id computed at run time",
                "The id is not a literal or a module constant: mlsc cannot tell which model "
                "loads."),
    "scan-verdict": ("MLSCA010", "Model or ancestor flagged by a scanner",
                     "mlsc scan or the Hub's scanners rated a file of the model, or of a model it "
                     "derives from, critical or warning."),
    "removed": ("MLSCA011", "Model removed from the Hub",
                "The id may be registered again by someone else, who then serves the code."),
    "renamed": ("MLSCA012", "Model referenced by an old id",
                "The old id of a renamed model works until someone registers it again "
                "(namespace reuse)."),
    "private": ("MLSCA013", "Private model",
                "Only its owner's token loads it and nobody outside can review it."),
    "gated": ("MLSCA014", "Gated model",
              "Loading needs an accepted licence and a token."),
    "unverified-owner": ("MLSCA020", "Owner not verified",
                         "The owner is not a verified organisation and not the owner of the "
                         "model's base."),
    "unsigned-commits": ("MLSCA021", "Commits not signed",
                         "Commits of the model or its ancestors carry no verified signature."),
    "discrepancy": ("MLSCA030", "Model claims contradicted by its record",
                    "A finding of `mlsc report discrepancies` on the model or an ancestor."),
    "license-conflict": ("MLSCA040", "Ancestor licence more restrictive",
                         "An ancestor's licence restricts use more than the model's own."),
    "license-unknown": ("MLSCA041", "Licence unknown",
                        "A licence is not recorded or not known to mlsc: compatibility unknown."),
}  # fmt: skip
"""Finding kind -> (rule id, title, description)."""

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "7.5", "medium": "5.0", "low": "2.0"}


def _pascal(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("-"))


def _rule(kind: str, rule: tuple[str, str, str]) -> dict[str, Any]:
    rid, title, description = rule
    return {
        "id": rid,
        "name": _pascal(kind),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": description},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"kind": kind, "tags": ["security", "supply-chain", "ml-model"]},
    }


def fingerprint(ref: AuditedReference, finding: AuditFinding) -> str:
    """What identifies a finding across audits: rule, file, model, via and kind of detail
    (not the line, so an edit above a reference does not make it new)."""
    parts = [AUDIT_RULES[finding.kind][0], ref.reference.file, ref.reference.model or "",
             finding.via or "", finding.detail.split(":", 1)[0]]  # fmt: skip
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _result(ref: AuditedReference, f: AuditFinding, index: dict[str, int]) -> dict[str, Any]:
    r = ref.reference
    model = r.model or "(computed at run time)"
    return {
        "ruleId": AUDIT_RULES[f.kind][0],
        "ruleIndex": index[f.kind],
        "level": LEVELS[f.severity],
        "message": {"text": f"{model}: {f.detail}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(r.file), "uriBaseId": ROOT_BASE_ID},
                    "region": {"startLine": max(r.line, 1)},
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint(ref, f)},
        "properties": {
            "kind": f.kind,
            "severity": f.severity,
            "security-severity": _SECURITY_SEVERITY[f.severity],
            "model": r.model,
            "revision": r.revision,
            "revision_kind": r.revision_kind,
            "pinned": r.pinned,
            "known": ref.known,
            "via": f.via,
            "files": list(f.files),
        },
    }


def render_audit_sarif(result: AuditResult) -> dict[str, Any]:
    """The SARIF 2.1.0 log of an audit (see the module docstring)."""
    kinds = list(AUDIT_RULES)
    index = {k: i for i, k in enumerate(kinds)}
    root_uri = Path(result.path).resolve().as_uri()
    root_uri += "" if root_uri.endswith("/") else "/"
    driver: dict[str, Any] = {
        "name": "mlsc",
        "version": tool_version(),
        "semanticVersion": tool_version(),
        "rules": [_rule(k, AUDIT_RULES[k]) for k in kinds],
    }
    if (home := information_uri()) is not None:
        driver["informationUri"] = home
    notes = [
        {"level": "warning", "message": {"text": f"{s.file}: {s.reason}"},
         "descriptor": {"id": "skipped"}}
        for s in result.skipped
    ]  # fmt: skip
    if result.empty:
        notes.insert(0, {"level": "warning", "descriptor": {"id": "empty-knowledge-base"},
                         "message": {"text": "the knowledge base is empty: every model is "
                                             "unknown"}})  # fmt: skip
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return dict(
        text(
            {
                "$schema": SARIF_SCHEMA,
                "version": SARIF_VERSION,
                "runs": [
                    {
                        "tool": {"driver": driver},
                        "originalUriBaseIds": {ROOT_BASE_ID: {"uri": root_uri}},
                        "results": [
                            _result(ref, f, index)
                            for ref in result.references
                            for f in ref.findings
                        ],
                        "invocations": [invocation],
                        "columnKind": "unicodeCodePoints",
                        "properties": {
                            "by_severity": result.by_severity,
                            "models": result.models,
                            "unpinned": result.unpinned,
                            "references": len(result.references),
                            "files_read": result.files_read,
                        },
                    }
                ],
            }
        )
    )


def render_audit_sarif_json(result: AuditResult, *, indent: int = 2) -> str:
    """:func:`render_audit_sarif` as JSON text."""
    return json.dumps(render_audit_sarif(result), indent=indent, ensure_ascii=False)
