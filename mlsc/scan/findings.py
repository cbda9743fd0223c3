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
``skipped`` for a file of a format no engine checks (a README, a config).

``unparseable`` is kept for content no loader would execute: a broken safetensors header, a
zip no loader opens, a ``.bin`` whose first byte is no pickle opcode. Content a loader would
still unpickle (named or shaped like what ``torch.load``, ``pickle.load``, ``joblib.load`` or
``numpy.load(allow_pickle=True)`` opens) that mlsc cannot parse, or an encrypted archive
member, is ``critical`` instead (``opaque_pickle``, ``encrypted_member``): a wrong "safe"
is the worst verdict a scanner can give."""

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
    "keras_lambda",
    "keras_unsafe_object",
    "keras_custom_object",
    "tf_unsafe_op",
    "tf_unknown_op",
    "onnx_external_path",
    "onnx_custom_domain",
    "onnx_external_data",
    "opaque_pickle",
    "encrypted_member",
    "archive_anomaly",
    "unsupported_container",
    "template_injection",
    "template_suspicious",
    "template_unparseable",
    "chat_template",
    "gguf_header",
    "nested_pickle",
    "state_injection",
    "peer_verdict",
    "hash_mismatch",
    "array_opcodes",
    "external_array",
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
- ``keras_lambda``: a Keras config holds marshalled Python bytecode (a Lambda layer) that
  the loader turns into a function (critical);
- ``keras_unsafe_object``: a Keras config names a callable or layer that runs code, loads
  a pickle or another model, or reads, writes or downloads files (critical);
- ``keras_custom_object``: a Keras config names a class or function from a module outside
  Keras (warning);
- ``tf_unsafe_op``: a TensorFlow graph uses an op that reads or writes files, runs Python
  or uses the network (critical);
- ``tf_unknown_op``: a TensorFlow graph uses an op that is not a known TensorFlow op
  (warning: it may need a custom-op library);
- ``onnx_external_path``: an ONNX tensor's external data path escapes the model's
  directory (critical);
- ``onnx_custom_domain``: ONNX nodes of a non-standard op domain, which need a custom-op
  library (warning);
- ``onnx_external_data``: ONNX tensors stored in files beside the model (info);
- ``opaque_pickle``: a stream a loader would unpickle that mlsc cannot parse (critical);
- ``encrypted_member``: an archive member flagged encrypted that mlsc cannot read, while
  PyTorch's reader ignores the flag (critical);
- ``archive_anomaly``: an archive's views disagree or it was tampered with: the central
  directory and the local headers differ, bytes are prepended, names repeat (warning);
- ``unsupported_container``: an archive or compressed stream mlsc cannot open (7z, lz4,
  zstd) (warning; the file is ``unparseable``);
- ``template_injection``: a chat template reaches Python internals, modules or commands
  when rendered without a sandbox (critical);
- ``template_suspicious``: a chat template does what chat templates need not (a private
  attribute, a computed attribute name, another template) (warning);
- ``template_unparseable``: a chat template jinja2 cannot parse; a renderer refuses it
  (warning);
- ``chat_template``: the file carries a chat template and nothing in it was flagged (info);
- ``gguf_header``: a GGUF length or count a loader would overflow on (critical) or refuse
  (warning);
- ``nested_pickle``: a pickle hands bytes to an unpickling callable (``pickle.loads``,
  ``torch.load`` over ``io.BytesIO``): the nested pickle is walked too (critical);
- ``state_injection``: a BUILD sets dunder state (``__setstate__``, ``__reduce__``,
  ``__getattr__`` ...) or sets state on an imported class or module itself (critical);
- ``array_opcodes``: the bytes ``joblib.load`` reads as a numpy array's data are pickle
  opcodes that ``pickle.load`` would run: an import or call, or opcodes to the end of the
  array (from there ``pickle.load`` reads the file out of step with joblib) (critical);
- ``external_array``: an old joblib placeholder (``NDArrayWrapper``, ``ZNDArrayWrapper``)
  makes ``joblib.load`` read its array from another file: critical when that file is
  unpickled (``numpy.load(allow_pickle=True)``) and its name is a path or not known,
  else a warning (a file beside the pickle, which a scan of the directory covers).
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
        if f.kind in ("unparseable", "scan_limit", "unsupported_container"):
            status = worst_status((status, "unparseable"))
        elif f.severity == "warning":
            status = worst_status((status, "warning"))
    return status
