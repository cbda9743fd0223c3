"""What a scan reports: findings, their severities and a file's overall status.

Every engine (pickle opcodes, safetensors headers, signatures) reports :class:`Finding`
values; :func:`status_of` folds a file's findings into one :data:`ScanStatus`.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from mlsc.scan.rules import RULES, Rule

Severity = Literal["critical", "warning", "info"]
"""``critical``: loading the file can run code it chooses (a dangerous import);
``warning``: it imports something not known to be safe, or it could not be checked fully;
``info``: worth knowing, not a risk by itself."""

ScanStatus = Literal["clean", "warning", "critical", "unparseable", "skipped"]
"""A file's verdict: ``critical`` if any finding is critical, else ``unparseable`` if its
content could not be parsed, else ``warning`` if any finding is a warning, else ``clean``;
``skipped`` for a file of a format no engine checks (a README, a config)."""

STATUS_ORDER: tuple[ScanStatus, ...] = ("skipped", "clean", "warning", "unparseable", "critical")
"""Statuses from least to most severe (the order :func:`worst_status` uses)."""

Kind = Literal[
    "dangerous_import",
    "unknown_import",
    "unresolved_import",
    "unparseable",
    "scan_limit",
    "pickle",
    "invalid_header",
    "format_mismatch",
    "second_opinion",
    "nested_pickle",
    "state_injection",
]
"""What a finding is about:

- ``dangerous_import``: a pickle imports a callable that can run commands, evaluate code,
  open files or sockets, or reach such a callable (critical);
- ``unknown_import``: a pickle imports something on neither list (warning);
- ``unresolved_import``: a STACK_GLOBAL whose module or name is not a constant string, or
  an extension-registry code: the import cannot be known without loading (critical);
- ``unparseable``: the content is not valid for its format (warning);
- ``scan_limit``: a size or count cap stopped the scan early (warning);
- ``pickle``: a pickle stream was found and every import in it is on the safe list (info);
- ``invalid_header``: a safetensors header breaks the format's rules (warning);
- ``format_mismatch``: the name says one format, the bytes another (warning);
- ``second_opinion``: the optional second engine (picklescan) disagrees (warning);
- ``nested_pickle``: a pickle hands bytes to an unpickling callable (``pickle.loads``,
  ``torch.load`` over ``io.BytesIO``): the nested pickle is walked too (critical);
- ``state_injection``: a BUILD sets dunder state (``__setstate__``, ``__reduce__``,
  ``__getattr__`` ...) or sets state on an imported class or module itself (critical).
"""


@dataclass(frozen=True)
class Finding:
    """One thing a scan noticed about one file."""

    path: str
    """The file, relative to the scanned root (``/``-separated)."""
    kind: Kind
    """What it is about; see :data:`Kind`."""
    severity: Severity
    detail: str
    """One line for a person, e.g. ``imports os.system (runs a shell command)``."""
    imports: tuple[str, ...] = ()
    """The ``module.name`` imports it concerns, if any."""
    member: str | None = None
    """The archive member it was found in (``archive/data.pkl``), if the file is an archive."""
    engine: str = "mlsc"
    """Which engine reported it: ``mlsc`` (the standard-library scanner) or ``picklescan``."""
    offset: int | None = None
    """Where the evidence is: a byte offset in the stream (the member's, for an archive
    member), else in the file."""
    opcode: str | None = None
    """The pickle opcode at ``offset`` (``GLOBAL``, ``STACK_GLOBAL``, ``REDUCE`` ...)."""
    check: str | None = None
    """How to confirm it by hand, when the rule's generic check does not fit."""

    @property
    def rule(self) -> Rule:
        """The rule this finding reports (:data:`mlsc.scan.rules.RULES`)."""
        return RULES[self.kind]

    def how_to_check(self) -> str:
        """A command line that shows the evidence for a person to check."""
        if self.check is not None:
            return self.check
        rule = self.rule
        template = rule.check_member if self.member and rule.check_member else rule.check
        return template.format(path=shlex.quote(self.path), member=shlex.quote(self.member or ""))

    def to_json(self) -> dict[str, Any]:
        """Every field, the rule id and the check, for ``-f json``."""
        return {
            "rule": self.rule.id,
            "kind": self.kind,
            "severity": self.severity,
            "detail": self.detail,
            "path": self.path,
            "member": self.member,
            "offset": self.offset,
            "opcode": self.opcode,
            "imports": list(self.imports),
            "engine": self.engine,
            "check": self.how_to_check(),
        }

    def short(self) -> str:
        """A compact text for a graph property: ``critical dangerous_import: ...``."""
        where = f"{self.member}: " if self.member else ""
        by = "" if self.engine == "mlsc" else f" [{self.engine}]"
        return f"{self.severity} {self.kind}: {where}{self.detail}{by}"[:300]


def worst_status(statuses: Iterable[ScanStatus]) -> ScanStatus:
    """The most severe of some statuses (``skipped`` for none)."""
    return max(statuses, key=STATUS_ORDER.index, default="skipped")


def status_of(findings: Iterable[Finding], *, scanned: bool = True) -> ScanStatus:
    """A file's status from its findings; ``skipped`` if no engine looked at it."""
    if not scanned:
        return "skipped"
    status: ScanStatus = "clean"
    for f in findings:
        if f.severity == "critical":
            return "critical"
        if f.kind in ("unparseable", "scan_limit"):
            status = worst_status((status, "unparseable"))
        elif f.severity == "warning":
            status = worst_status((status, "warning"))
    return status
