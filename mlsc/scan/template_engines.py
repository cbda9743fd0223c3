"""Format engines for files that carry chat templates: GGUF models (their header read by
:mod:`mlsc.scan.gguf`) and ``tokenizer_config.json``, ``chat_template.json`` and
``*.jinja`` files; each template is analysed by :mod:`mlsc.scan.templates`.

Both engines record the ``chat_template_sha256`` fact (see
:func:`mlsc.scan.templates.templates_sha256`), so a derived model whose template differs
from its base's shows in the graph.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsc.scan.findings import Finding, Kind
from mlsc.scan.formats import Sniff
from mlsc.scan.gguf import TEMPLATE_KEY, GGUFHeader, read_gguf
from mlsc.scan.templates import (
    TEXT_GADGETS,
    TemplateAnalysis,
    analyse,
    templates_sha256,
    text_gadgets,
)

if TYPE_CHECKING:
    from mlsc.scan.engines import FormatScan

MAX_JSON = 64 << 20
"""Bytes of a JSON tokenizer config read; a larger one is reported, not parsed."""
MAX_UNREAD = 64 << 20
"""Bytes after an unreadable GGUF header searched as text for template gadgets."""
JSON_NAMES = ("tokenizer_config.json", "chat_template.json")
"""JSON files a tokenizer or processor loads a ``chat_template`` from."""
MAYBE_JSON = ("processor_config.json", "preprocessor_config.json")
"""JSON files that are claimed only when they carry a ``chat_template``."""
_ORDER = {"critical": 0, "warning": 1, "info": 2}
GADGET_BYTES = re.compile(TEXT_GADGETS.pattern.encode())


def template_findings(
    rel: str, where: str, a: TemplateAnalysis, check: str, offset: int | None = None
) -> list[Finding]:
    """The findings for one analysed template (``where`` names it: a key, a file)."""
    found: list[Finding] = []
    for g in a.gadgets:
        kind: Kind = "template_injection" if g.severity == "critical" else "template_suspicious"
        detail = f"{where} line {g.line}: {g.expression[:120]} ({g.why})"
        found.append(Finding(rel, kind, g.severity, detail[:300], offset=offset, check=check))
    if not a.parsed:
        detail = f"{where} does not parse ({a.error}): a renderer refuses it"
        found.append(Finding(rel, "template_unparseable", "warning", detail[:300], check=check))
    elif not a.gadgets:
        detail = f"{where}: {a.lines} lines, sha256 {a.sha256[:16]}, nothing reaches Python"
        found.append(Finding(rel, "chat_template", "info", detail, offset=offset, check=check))
    return found


def _scan(fmt: str, findings: list[Finding], templates: list[tuple[str, str]]) -> FormatScan:
    from mlsc.scan.engines import FormatScan

    facts = (("chat_template_sha256", templates_sha256(templates)),) if templates else ()
    ranked = sorted(findings, key=lambda f: _ORDER[f.severity])  # the worst shows first
    return FormatScan(fmt, tuple(ranked), facts=facts)


def _gguf_template_check(rel: str, offset: int, length: int, line: int = 0) -> str:
    show = f" | sed -n {line}p" if line else ""
    return (
        'python -c \'import sys; f=open(sys.argv[1],"rb"); f.seek(int(sys.argv[2])); '
        f'print(f.read(int(sys.argv[3])).decode(errors="replace"))\' {shlex.quote(rel)} '
        f"{offset} {length}{show}"
    )


def _unread(path: Path, header: GGUFHeader, rel: str) -> list[Finding]:
    """Gadget names in the part of a GGUF header that could not be read."""
    start = header.stopped_at or 0
    with path.open("rb") as f:
        f.seek(start)
        data = f.read(MAX_UNREAD)
    hits = sorted({m.group(0).decode() for m in GADGET_BYTES.finditer(data)})
    if not hits:
        return []
    detail = f"unreadable metadata after byte {start} names {', '.join(hits[:5])}"
    check = f"strings -t d {shlex.quote(rel)} | grep -E '__(globals|subclasses|builtins)__'"
    return [Finding(rel, "template_injection", "critical", detail, offset=start, check=check)]


def gguf_engine(path: Path, rel: str, sniff: Sniff) -> FormatScan | None:
    """A GGUF file's header problems and chat templates; declines other files."""
    if sniff.magic != "gguf":
        return None
    try:
        header = read_gguf(path)
    except (OSError, ValueError) as e:
        finding = Finding(rel, "unparseable", "warning", f"cannot read: {e}"[:300])
        return _scan("gguf", [finding], [])
    findings = [
        Finding(
            rel,
            "gguf_header",
            p.severity,
            (f"{p.key}: " if p.key and p.key not in p.detail else "") + p.detail[:280],
            offset=p.offset,
            check=f"xxd -s {p.offset} -l 64 {shlex.quote(rel)}",
        )
        for p in header.problems
    ]
    pairs: list[tuple[str, str]] = []
    for t in header.templates:
        name = t.key[len(TEMPLATE_KEY) + 1 :] or "default"
        pairs.append((name, t.text))
        a = analyse(t.text)
        check = _gguf_template_check(rel, t.offset, t.length, a.gadgets[0].line if a.gadgets else 0)
        findings.extend(template_findings(rel, t.key, a, check, t.offset))
    if not header.complete:
        findings.extend(_unread(path, header, rel))
    return _scan("gguf", findings, pairs)


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs, duplicates kept."""


def _json_templates(value: Any) -> list[tuple[str, Any]]:
    """``(name, template)`` pairs from a ``chat_template`` value (a string or a list of
    ``{"name": ..., "template": ...}``)."""
    if isinstance(value, str):
        return [("default", value)]
    if isinstance(value, list) and not isinstance(value, _Pairs):
        out: list[tuple[str, Any]] = []
        for i, item in enumerate(value):
            if not isinstance(item, _Pairs):
                out.append((f"#{i}", item))
                continue
            names = [v for k, v in item if k == "name"]
            name = str(names[-1]) if names else f"#{i}"
            out.extend((name, v) for k, v in item if k == "template")
        return out
    return [("default", value)]


def _json_check(rel: str) -> str:
    return f"python -m json.tool {shlex.quote(rel)} | grep -n chat_template"


def chat_template_engine(path: Path, rel: str, sniff: Sniff) -> FormatScan | None:
    """Chat templates in a tokenizer or processor config, or a ``.jinja`` file."""
    name = path.name.lower()
    jinja = name.endswith(".jinja")
    if sniff.magic is not None or not (jinja or name in JSON_NAMES or name in MAYBE_JSON):
        return None
    if sniff.size > MAX_JSON:
        if name in MAYBE_JSON:
            return None
        detail = f"{sniff.size} bytes, over the {MAX_JSON} read"
        return _scan("chat-template", [Finding(rel, "scan_limit", "warning", detail)], [])
    try:
        raw = path.read_bytes()
    except OSError as e:
        return _scan("chat-template", [Finding(rel, "unparseable", "warning", f"{e}"[:300])], [])
    text = raw.decode("utf-8", "replace")
    check = _json_check(rel)
    if jinja:
        a = analyse(text)
        findings = template_findings(rel, path.name, a, f"cat -n {shlex.quote(rel)}")
        return _scan("chat-template", findings, [("default", text)])
    try:
        top = json.loads(text, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError) as e:
        if name in MAYBE_JSON:
            return None
        bad = [Finding(rel, "unparseable", "warning", f"not JSON: {e}"[:300])]
        for g in text_gadgets(text):  # a loader refuses it, but say what it names
            detail = f"line {g.line}: {g.expression} ({g.why})"
            bad.append(Finding(rel, "template_injection", "critical", detail, check=check))
        return _scan("tokenizer-config", bad, [])
    values = [v for k, v in top if k == "chat_template"] if isinstance(top, _Pairs) else []
    if not values and name in MAYBE_JSON:
        return None
    findings = []
    pairs: list[tuple[str, str]] = []
    for value in values:
        for tname, template in _json_templates(value):
            where = "chat_template" if tname == "default" else f"chat_template[{tname}]"
            if not isinstance(template, str):
                detail = f"{where} is a {type(template).__name__}, not a template"
                findings.append(Finding(rel, "template_unparseable", "warning", detail))
                continue
            pairs.append((tname, template))
            findings.extend(template_findings(rel, where, analyse(template), check))
    if len(values) > 1:
        detail = "chat_template given more than once: loaders disagree on which one counts"
        findings.append(Finding(rel, "template_suspicious", "warning", detail, check=check))
    return _scan(
        "tokenizer-config" if name != "chat_template.json" else "chat-template", findings, pairs
    )
