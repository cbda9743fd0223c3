"""Chat templates: Jinja source parsed (never rendered) and walked for the gadgets that reach
Python objects.

A chat template is code: llama-cpp-python before 0.2.72 rendered the ``tokenizer.chat_template``
of a GGUF file with a plain ``jinja2.Environment`` (CVE-2024-34359, "Llama Drama"), as did
vLLM and SGLang later (CVE-2026-5760), so ``{{ ().__class__.__base__.__subclasses__() }}``
ran whatever the file's author chose; sandboxed renderers (transformers) refuse names that
start with ``_`` but have had escapes of their own (``str.format``, the ``attr`` filter).

:func:`analyse` parses a template with jinja2's parser and reports every expression that
reaches a dunder or private attribute, computes an attribute name from string pieces,
reaches ``os``/``popen``-like sinks, or uses a known gadget (``self``, ``request``,
``lipsum.__globals__`` ...). Benign chat templates do none of these.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension

from mlsc.scan.findings import Severity
from mlsc.scan.template_fold import Folder, descendants, show

MAX_TEMPLATE = 256 << 10
"""Characters of a template parsed (real ones are under 30,000; jinja2 parses ~100 KB a
second); a longer one is only searched as text, and reported."""
MAX_GADGETS = 20
"""Gadgets reported per template (the most severe first)."""

PRIVATE_GADGETS = frozenset(
    {
        "_TemplateReference__context", "_module", "func_globals", "func_code", "f_globals",
        "f_locals", "f_builtins", "f_back", "f_code", "gi_frame", "gi_code", "cr_frame",
        "cr_code", "ag_frame", "ag_code", "tb_frame", "tb_next", "im_func", "im_self", "mro",
        "_Undefined__obj", "_Undefined__hint",
    }
)  # fmt: skip
"""Attribute names that are not dunders but lead to frames, globals or code objects."""
MODULES = frozenset(
    {"os", "sys", "subprocess", "builtins", "importlib", "posix", "nt", "pty", "socket",
     "shutil", "commands", "ctypes", "pickle", "marshal", "runpy", "codecs"}
)  # fmt: skip
"""Attribute or key names that are modules only a sandbox escape reaches."""
SINKS = frozenset(
    {"popen", "Popen", "check_output", "check_call", "getoutput", "getstatusoutput",
     "import_module", "load_module", "spawnl", "spawnv", "spawnve", "spawnlp", "execl",
     "execv", "execve", "execvp", "posix_spawn", "__import__"}
)  # fmt: skip
"""Attribute names that run commands or import modules whenever they are reached."""
CALLED_SINKS = frozenset({"system", "eval", "exec", "compile", "remove", "unlink", "rmtree"})
"""Attribute names that run commands or touch files when called."""
FLASK_GLOBALS = frozenset({"request", "config", "url_for", "get_flashed_messages", "session"})
"""Names a Flask-hosted renderer defines, the usual first step of a template injection."""
GADGET_GLOBALS = frozenset({"self", "cycler", "joiner", "namespace", "lipsum", "range", "dict"})
"""Jinja globals whose ``__init__.__globals__`` or ``__globals__`` reach module globals."""
DUNDER = re.compile(r"__[A-Za-z][A-Za-z0-9_]*?__")
FORMAT_FIELD = re.compile(r"\{[^{}]*?[.\[]\s*_[^{}]*\}")
_DANGEROUS = (
    r"__(?:class|mro|base|bases|subclasses|globals|builtins|init|import|getattribute|dict"
    r"|code|func|self|reduce|reduce_ex|loader|spec|closure|qualname|name|getitem|module)__"
)
DANGEROUS_DUNDER = re.compile(_DANGEROUS)
"""Dunders a string literal of a template has no business naming."""
TEXT_GADGETS = re.compile(
    _DANGEROUS + r"|_TemplateReference__context|\bpopen\b|\bos\.system\b|\bsubprocess\b"
)
"""What a template that cannot be parsed is searched for as text."""
BUILDERS = (nodes.Concat, nodes.Add, nodes.Mul, nodes.Mod, nodes.Filter, nodes.Call, nodes.Getitem)
"""Expressions that can build a string from pieces (folded wherever they are)."""


@dataclass(frozen=True)
class Gadget:
    """One expression of a template that reaches Python objects, or could."""

    severity: Severity
    line: int
    """1-based line of the template the expression is on."""
    expression: str
    """The expression, re-rendered from the parse tree (``().__class__.__base__``)."""
    why: str


@dataclass(frozen=True)
class TemplateAnalysis:
    """What :func:`analyse` found in one template."""

    sha256: str
    """Of the template text as UTF-8."""
    lines: int
    parsed: bool
    """Whether jinja2 parsed it (a renderer refuses a template that does not parse)."""
    error: str | None
    """Why it did not parse."""
    gadgets: tuple[Gadget, ...]
    """Most severe first, then by line."""

    @property
    def severity(self) -> Severity | None:
        """The worst gadget's severity, ``None`` for none."""
        return self.gadgets[0].severity if self.gadgets else None


class _Generation(Extension):
    """transformers' ``{% generation %} ... {% endgeneration %}`` tag, parsed as a scope."""

    tags = {"generation"}  # noqa: RUF012 (jinja2 declares it an instance attribute)

    def parse(self, parser: jinja2.parser.Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.Scope(body, lineno=lineno)


_ENV = jinja2.Environment(
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do", _Generation],
)
"""Parses like transformers' environment (loop controls, ``generation``) and allows ``do``."""


def _classify(name: str) -> tuple[Severity, str] | None:
    """How bad reaching attribute or key ``name`` is."""
    if DUNDER.fullmatch(name):
        return "critical", f"dunder {name}: reaches Python internals (a sandbox escape)"
    if name in PRIVATE_GADGETS:
        return "critical", f"{name}: reaches frames, globals or the render context"
    if name in MODULES:
        return "critical", f"reaches the {name} module"
    if name in SINKS:
        return "critical", f"{name}: runs commands or imports modules"
    if name.startswith("_"):
        return "warning", f"private attribute {name}: a sandbox refuses it"
    return None


def _sorted(found: list[Gadget]) -> tuple[Gadget, ...]:
    order = {"critical": 0, "warning": 1, "info": 2}
    unique = dict.fromkeys(found)
    return tuple(sorted(unique, key=lambda g: (order[g.severity], g.line)))[:MAX_GADGETS]


def text_gadgets(source: str) -> list[Gadget]:
    """The gadget names in a template's text (for one that could not be parsed)."""
    found = []
    for m in TEXT_GADGETS.finditer(source):
        line = source.count("\n", 0, m.start()) + 1
        found.append(Gadget("critical", line, m.group(0), "names a sandbox-escape gadget"))
    return found


def _attribute_args(node: nodes.Filter) -> list[nodes.Expr]:
    """The attribute names a filter looks up (``map(attribute=...)``, ``attr(...)``)."""
    found = [kw.value for kw in node.kwargs if kw.key == "attribute"]
    if node.name in ("attr", "selectattr", "rejectattr", "groupby", "sort") and node.args:
        found.append(node.args[0])
    if node.name in ("map", "select", "reject") and node.args:
        first = node.args[0]
        if isinstance(first, nodes.Const) and first.value == "attr" and len(node.args) > 1:
            found.append(node.args[1])
    return found


def _gadgets(tree: nodes.Template) -> list[Gadget]:
    fold = Folder(tree, FLASK_GLOBALS | GADGET_GLOBALS)
    found: list[Gadget] = []

    def add(node: nodes.Node, severity: Severity, why: str) -> None:
        found.append(Gadget(severity, node.lineno, show(node), why))

    def key(node: nodes.Node, name_node: nodes.Expr, via: str) -> None:
        """An attribute or key whose name is an expression."""
        values = fold.strings(name_node)
        if values is not None:
            for v in values:
                for part in v.split(".") if via == "filter" else (v,):
                    if (hit := _classify(part)) is not None:
                        add(node, hit[0], hit[1])
            return
        if fold.built(name_node) and not fold.data(name_node):
            add(node, "critical", f"{via} name built from string pieces at render time")
        elif via in ("attr", "filter"):
            add(node, "warning", "attribute name computed at render time")

    for node in descendants(tree):
        if isinstance(node, BUILDERS) and fold.built(node):
            for v in fold.strings(node) or ():
                if DANGEROUS_DUNDER.search(v) or any(p in v for p in PRIVATE_GADGETS if "_" in p):
                    add(node, "critical", f"builds the string {v[:60]!r}")
        if isinstance(node, nodes.Getattr):
            if (hit := _classify(node.attr)) is not None:
                add(node, *hit)
            base = node.node
            if isinstance(base, nodes.Name) and base.name in FLASK_GLOBALS:
                add(node, "critical", f"{base.name}.{node.attr}: a web framework global")
        elif isinstance(node, nodes.Getitem):
            if not isinstance(node.arg, nodes.Slice):
                key(node, node.arg, "item")
        elif isinstance(node, nodes.Filter):
            for arg in _attribute_args(node):
                key(node, arg, "attr" if node.name == "attr" else "filter")
        elif isinstance(node, nodes.Call):
            callee = node.node
            name = callee.attr if isinstance(callee, nodes.Getattr) else None
            if name in CALLED_SINKS:
                add(node, "critical", f"calls {name}(): runs commands or code")
        elif isinstance(node, nodes.Name) and node.ctx == "load" and node.name == "self":
            add(node, "warning", "self: the template reference (self._TemplateReference__context)")
        elif isinstance(node, nodes.Const) and isinstance(node.value, str):
            for m in DANGEROUS_DUNDER.finditer(node.value):
                add(node, "critical", f"string names {m.group(0)} (for attr(), [] or format)")
            if FORMAT_FIELD.search(node.value):
                add(node, "critical", "format field reaches a private attribute")
            if "_TemplateReference__context" in node.value:
                add(node, "critical", "string names the render context")
        elif isinstance(node, (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
            add(node, "warning", "loads another template: a renderer with a loader reads files")
    return found


def _parse(source: str) -> tuple[list[Gadget], str | None]:
    """The gadgets of one text and why it did not parse (``None`` when it did)."""
    if len(source) > MAX_TEMPLATE:
        return text_gadgets(source), f"{len(source)} characters, over the {MAX_TEMPLATE} parsed"
    try:
        tree = _ENV.parse(source)
    except jinja2.TemplateSyntaxError as e:
        return text_gadgets(source), f"line {e.lineno}: {e.message}"
    except (RecursionError, MemoryError, ValueError, TypeError) as e:
        return text_gadgets(source), f"{type(e).__name__}: {e}"[:200]
    try:
        return _gadgets(tree), None
    except RecursionError:
        return [*text_gadgets(source), Gadget("warning", 1, "", "nested too deep to walk")], None


def analyse(source: str) -> TemplateAnalysis:
    """Parse ``source`` (never render it) and list its gadgets.

    A template with a NUL is also analysed up to the NUL: llama.cpp hands metadata strings
    to llama-cpp-python as C strings, so a renderer may see only that prefix.
    """
    digest = hashlib.sha256(source.encode("utf-8", "surrogateescape")).hexdigest()
    gadgets, error = _parse(source)
    if "\0" in source:
        head, head_error = _parse(source.split("\0", 1)[0])
        gadgets += head
        if head_error is None:
            error = None  # a renderer that stops at the NUL can render it
        gadgets.append(Gadget("warning", 1, "\\0", "NUL byte: C-string readers see a prefix"))
    lines = source.count("\n") + 1
    return TemplateAnalysis(digest, lines, error is None, error, _sorted(gadgets))


def templates_sha256(templates: Sequence[tuple[str, str]]) -> str:
    """One hash for a file's chat templates, given as ``(name, text)`` (``default`` for the
    unnamed one): the text's sha256 for a lone default template, else the sha256 of the
    JSON list of sorted ``[name, text]`` pairs."""
    if len(templates) == 1 and templates[0][0] == "default":
        return hashlib.sha256(templates[0][1].encode("utf-8", "surrogateescape")).hexdigest()
    pairs = sorted([name, text] for name, text in templates)
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()
