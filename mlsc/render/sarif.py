"""A scan report as SARIF 2.1.0, for code-scanning dashboards (``mlsc scan -f sarif``).

    >>> from mlsc.scan import scan_path
    >>> print(render_sarif_json(scan_path("model-dir")))            # doctest: +SKIP

The log has one run:

* ``tool.driver``: ``mlsc``, its version, and every rule of :data:`mlsc.scan.rules.RULES`
  (``id`` such as ``MLSC101``, a PascalCase ``name`` from the finding kind,
  ``shortDescription``, ``fullDescription``, ``help`` with the command that confirms a
  finding by hand, and a ``defaultConfiguration.level``);
* ``originalUriBaseIds``: ``SCANROOT``, the scanned directory as a ``file:`` URI. Every
  location is relative to it;
* ``artifacts``: every scanned file (relative ``uri``, ``length``, ``hashes["sha-256"]``,
  and its format, status, container and imports as properties);
* ``results``: one per finding: ``ruleId`` and ``ruleIndex``, ``level`` (``critical`` is
  ``error``, ``warning`` is ``warning``, ``info`` is ``note``), the finding's text as the
  message, a physical location on the file (with ``region.byteOffset`` when the finding has
  an offset in the file itself), for a finding inside an archive member a logical location
  naming the member (kind ``resource``, fully qualified ``<file>!<member>``; the offset is
  then the member's, kept in ``properties.offset``), the evidence in ``properties``
  (``imports``, ``member``, ``offset``, ``opcode``, ``engine``, ``check``) and a
  ``partialFingerprints["mlscFinding/v1"]``: a SHA-256 of rule, path, member and imports, so
  the same finding in a later scan is recognised as the same;
* ``invocations``: ``executionSuccessful`` and ``startTimeUtc`` (when the scan ran), with a
  notification when the file cap cut a directory short.

Paths and member names come from the scanned files and are attacker-controlled: a path only
becomes a percent-encoded relative URI reference (never absolute; scanned paths are relative
to the root and have no ``..`` segment), a member name only a JSON string (``../x`` in a zip
is a name, not a location). A file name that is not valid UTF-8 keeps its bytes in the URI
(percent-encoded) and gets U+FFFD in text.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath
from typing import Any

from mlsc.render.sarif_log import (
    FINGERPRINT,
    SARIF_SCHEMA,
    SARIF_VERSION,
    information_uri,
    text,
    tool_version,
    uri,
)
from mlsc.scan.findings import Finding, Severity
from mlsc.scan.rules import RULES, Rule
from mlsc.scan.scanner import FileScan, ScanReport

ROOT_BASE_ID = "SCANROOT"
"""The ``uriBaseId`` every location is relative to: the scanned directory."""
LEVELS: dict[Severity, str] = {"critical": "error", "warning": "warning", "info": "note"}
"""SARIF ``level`` per finding severity."""

_DEFAULT_LEVELS: dict[str, str] = {
    "dangerous_import": "error",
    "unresolved_import": "error",
    "pickle": "note",
}
"""A rule's default level where it is not ``warning``: the severity its findings usually
have (a result always carries its own level)."""

_SECURITY_SEVERITY = {"error": "9.0", "warning": "5.0", "note": "1.0"}
"""GitHub code scanning's ``security-severity`` property per level (CVSS-like 0-10)."""


def _pascal(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))


def _rule(rule: Rule) -> dict[str, Any]:
    level = _DEFAULT_LEVELS.get(rule.kind, "warning")
    check = f"Check by hand: {rule.check}"
    if rule.check_member:
        check += f"\nFor an archive member: {rule.check_member}"
    return {
        "id": rule.id,
        "name": _pascal(rule.kind),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {
            "text": f"{rule.description}\n{check}",
            "markdown": f"{rule.description}\n\nCheck by hand:\n\n```sh\n{rule.check}\n```"
            + (
                f"\n\nFor an archive member:\n\n```sh\n{rule.check_member}\n```"
                if rule.check_member
                else ""
            ),
        },
        "defaultConfiguration": {"level": level},
        "properties": {
            "kind": rule.kind,
            "tags": ["security", "supply-chain"],
            "security-severity": _SECURITY_SEVERITY[level],
        },
    }


def fingerprint(finding: Finding) -> str:
    """A stable hash of what identifies a finding across scans: rule, path, member, imports."""
    parts = [finding.rule.id, finding.path, finding.member or "", *finding.imports]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _artifact(f: FileScan) -> dict[str, Any]:
    art: dict[str, Any] = {
        "location": {"uri": uri(f.path), "uriBaseId": ROOT_BASE_ID},
        "length": f.size,
        "roles": ["analysisTarget"],
        "properties": {
            "format": f.format,
            "status": f.status,
            "container": f.container,
            "pickle": f.pickle,
            "imports": list(f.imports),
        },
    }
    if f.sha256 is not None:
        art["hashes"] = {"sha-256": f.sha256}
    return art


def _result(
    finding: Finding, rule_index: dict[str, int], artifact_index: int | None
) -> dict[str, Any]:
    rule = finding.rule
    location: dict[str, Any] = {"uri": uri(finding.path), "uriBaseId": ROOT_BASE_ID}
    if artifact_index is not None:
        location["index"] = artifact_index
    physical: dict[str, Any] = {"artifactLocation": location}
    loc: dict[str, Any] = {"physicalLocation": physical}
    if finding.member is not None:
        loc["logicalLocations"] = [
            {
                "name": finding.member,
                "fullyQualifiedName": f"{finding.path}!{finding.member}",
                "kind": "resource",
            }
        ]
    elif finding.offset is not None and finding.offset >= 0:
        physical["region"] = {"byteOffset": finding.offset}
    where = f"{finding.member}: " if finding.member else ""
    by = "" if finding.engine == "mlsc" else f" [{finding.engine}]"
    return {
        "ruleId": rule.id,
        "ruleIndex": rule_index[rule.kind],
        "level": LEVELS[finding.severity],
        "message": {"text": f"{where}{finding.detail}{by}"},
        "locations": [loc],
        "partialFingerprints": {FINGERPRINT: fingerprint(finding)},
        "properties": {
            "kind": finding.kind,
            "severity": finding.severity,
            "imports": list(finding.imports),
            "member": finding.member,
            "offset": finding.offset,
            "opcode": finding.opcode,
            "engine": finding.engine,
            "check": finding.how_to_check(),
        },
    }


def render_sarif(report: ScanReport, *, end_time: str | None = None) -> dict[str, Any]:
    """The SARIF 2.1.0 log of a scan (see the module docstring); ``end_time`` (ISO-8601 UTC)
    is recorded as the invocation's ``endTimeUtc`` when given."""
    rules = list(RULES.values())
    rule_index = {r.kind: i for i, r in enumerate(rules)}
    artifact_index = {f.path: i for i, f in enumerate(report.files)}
    root_uri = PurePosixPath(report.root).as_uri()
    root_uri += "" if root_uri.endswith("/") else "/"
    driver: dict[str, Any] = {
        "name": "mlsc",
        "version": tool_version(),
        "semanticVersion": tool_version(),
        "rules": [_rule(r) for r in rules],
    }
    if (home := information_uri()) is not None:
        driver["informationUri"] = home
    invocation: dict[str, Any] = {
        "executionSuccessful": True,
        "startTimeUtc": report.scanned_at,
        "properties": {"target": report.target, "isDirectory": report.is_dir},
    }
    if end_time is not None:
        invocation["endTimeUtc"] = end_time
    if report.truncated:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "warning",
                "message": {"text": "the file cap stopped the scan: some files were not scanned"},
                "descriptor": {"id": "truncated"},
            }
        ]
    run_props: dict[str, Any] = {"status": report.status, "counts": report.counts()}
    if report.signature is not None:
        sig = report.signature
        run_props["signature"] = {
            "status": sig.status,
            "detail": sig.detail,
            "file": sig.signature,
            "kind": sig.kind,
            "keyHint": sig.key_hint,
            "files": sig.files,
        }
    log: dict[str, Any] = text(
        {
            "$schema": SARIF_SCHEMA,
            "version": SARIF_VERSION,
            "runs": [
                {
                    "tool": {"driver": driver},
                    "originalUriBaseIds": {ROOT_BASE_ID: {"uri": root_uri}},
                    "artifacts": [_artifact(f) for f in report.files],
                    "results": [
                        _result(x, rule_index, artifact_index.get(x.path)) for x in report.findings
                    ],
                    "invocations": [invocation],
                    "columnKind": "unicodeCodePoints",
                    "properties": run_props,
                }
            ],
        }
    )
    return log


def render_sarif_json(report: ScanReport, *, end_time: str | None = None, indent: int = 2) -> str:
    """:func:`render_sarif` as JSON text (UTF-8 characters kept as they are)."""
    return json.dumps(render_sarif(report, end_time=end_time), indent=indent, ensure_ascii=False)
