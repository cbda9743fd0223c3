"""Constant folding over a Jinja parse tree: the strings an expression can be without
rendering, so ``x|attr('__cla' ~ 'ss__')`` or ``x[dict(__class__=1)|join]`` is seen for what
it reaches; and a printer of expressions for evidence.

Only pure string operations are folded (concatenation, ``join``, ``%``, ``format`` with
positional fields, ``replace``, ``reverse``, slicing ...); a ``{% set %}`` or ``{% for %}``
over constants gives its name every value it can take.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator

from jinja2 import nodes

MAX_VALUES = 16
"""Possible values kept per expression; more and it counts as unknown."""
MAX_DEPTH = 60
MAX_LEN = 4096

STRING_FILTERS = frozenset(
    {"join", "format", "lower", "upper", "reverse", "replace", "string", "trim", "title",
     "capitalize", "first", "last", "list", "center", "indent", "truncate", "urlencode"}
)  # fmt: skip
STRING_METHODS = frozenset(
    {"format", "join", "replace", "lower", "upper", "strip", "lstrip", "rstrip", "title",
     "capitalize", "casefold", "swapcase", "format_map", "removeprefix", "removesuffix"}
)  # fmt: skip
_UNARY: dict[str, Callable[[str], str]] = {
    "lower": str.lower, "upper": str.upper, "string": str, "trim": str.strip, "title": str.title,
    "capitalize": str.capitalize, "strip": str.strip, "lstrip": str.lstrip, "rstrip": str.rstrip,
    "casefold": str.casefold, "swapcase": str.swapcase, "reverse": lambda s: s[::-1],
}  # fmt: skip


_WIDTH = re.compile(r"[%:][^a-zA-Z%{}]*\d{3,}")
"""A width or precision of three digits or more (``%999999999s``): not folded."""


class _Unknown(Exception):
    """An expression whose value depends on the render."""


def _simple_format(template: str) -> bool:
    """Whether ``str.format`` on ``template`` only uses positional fields (no attributes)."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError:
        return False
    return all(f == "" or f.isdigit() for f in fields) and not _WIDTH.search(template)


class Folder:
    """Folds the expressions of one template, knowing its constant assignments."""

    def __init__(self, tree: nodes.Template, globals_: Iterable[str]) -> None:
        self.globals = frozenset(globals_)
        self.consts: dict[str, list[str] | None] = {}
        self.pure: set[str] = set()
        """Names only ever set from expressions that read nothing the renderer passes."""
        self.impure: set[str] = set()
        for _ in range(3):  # names set from names set from constants
            before = dict(self.consts)
            for node in descendants(tree):
                self._learn(node)
            if before == self.consts:
                break

    def _bind(self, name: str, values: list[str] | None) -> None:
        if name in self.consts and self.consts[name] is None:
            return
        if values is None:
            self.consts[name] = None
            return
        merged = list(dict.fromkeys([*(self.consts.get(name) or []), *values]))
        self.consts[name] = merged if len(merged) <= MAX_VALUES else None

    def _learn(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
            self._bind(node.target.name, self.strings(node.node))
            pure = not self.data(node.node)
            (self.pure if pure else self.impure).add(node.target.name)
        elif isinstance(node, nodes.AssignBlock) and isinstance(node.target, nodes.Name):
            self._bind(node.target.name, None)
        elif isinstance(node, nodes.For) and isinstance(node.target, nodes.Name):
            self._bind(node.target.name, self.sequence(node.iter))
            pure = not self.data(node.iter)
            (self.pure if pure else self.impure).add(node.target.name)

    def strings(self, node: nodes.Node) -> list[str] | None:
        """Every string ``node`` can evaluate to, or ``None`` when that needs the render."""
        try:
            values = self._fold(node, 0)
        except (_Unknown, ValueError, TypeError, IndexError, KeyError, OverflowError):
            return None
        return values if len(values) <= MAX_VALUES else None

    def sequence(self, node: nodes.Node) -> list[str] | None:
        """The string items of a constant sequence (a list, ``dict(a=1)``, a string)."""
        try:
            return self._seq(node, 0)
        except (_Unknown, ValueError, TypeError, IndexError, KeyError, OverflowError):
            return None

    def _one(self, node: nodes.Node, depth: int) -> str:
        values = self._fold(node, depth)
        if len(values) != 1:
            raise _Unknown
        return values[0]

    def _seq(self, node: nodes.Node, depth: int) -> list[str]:
        if depth > MAX_DEPTH:
            raise _Unknown
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return [self._one(item, depth + 1) for item in node.items]
        if isinstance(node, nodes.Dict):
            return [self._one(pair.key, depth + 1) for pair in node.items]
        callee = node.node if isinstance(node, nodes.Call) and not node.args else None
        if (
            isinstance(node, nodes.Call)
            and isinstance(callee, nodes.Name)
            and callee.name == "dict"
        ):
            return [kw.key for kw in node.kwargs]
        if isinstance(node, nodes.Filter) and node.node is not None:
            if node.name in ("list", "unique"):
                return self._seq(node.node, depth + 1)
            if node.name in ("sort", "reverse"):
                items = self._seq(node.node, depth + 1)
                return sorted(items) if node.name == "sort" else items[::-1]
        if isinstance(node, nodes.Name) and self.consts.get(node.name) is not None:
            return list(self.consts[node.name] or [])
        return list(self._one(node, depth + 1))

    def _fold(self, node: nodes.Node, depth: int) -> list[str]:
        if depth > MAX_DEPTH:
            raise _Unknown
        d = depth + 1
        if isinstance(node, nodes.Const):
            if isinstance(node.value, (str, int)) and not isinstance(node.value, bool):
                return [str(node.value)]
            raise _Unknown
        if isinstance(node, nodes.Name):
            if (values := self.consts.get(node.name)) is not None:
                return values
            raise _Unknown
        if isinstance(node, nodes.Concat):
            out = [""]
            for part in node.nodes:
                out = self._cap([a + b for a in out for b in self._fold(part, d)])
            return out
        if isinstance(node, nodes.Add):
            return self._cap(
                [a + b for a in self._fold(node.left, d) for b in self._fold(node.right, d)]
            )
        if isinstance(node, nodes.Mul):
            count = int(self._one(node.right, d))
            values = self._fold(node.left, d)
            if not 0 <= count <= 64 or any(len(s) * count > MAX_LEN for s in values):
                raise _Unknown
            return [s * count for s in values]
        if isinstance(node, nodes.Mod):
            right = node.right
            args = self._seq(right, d) if isinstance(right, nodes.Tuple) else [self._one(right, d)]
            template = self._one(node.left, d)
            if _WIDTH.search(template):
                raise _Unknown
            try:
                return [template % tuple(args)]
            except TypeError:  # %c or %d given digits
                return [template % tuple(int(a) if a.isdigit() else a for a in args)]
        if isinstance(node, nodes.Neg):
            return [str(-int(self._one(node.node, d)))]
        if isinstance(node, nodes.CondExpr):
            else_ = self._fold(node.expr2, d) if node.expr2 is not None else [""]
            return self._cap([*self._fold(node.expr1, d), *else_])
        if isinstance(node, nodes.Getitem):
            return self._item(node, d)
        if isinstance(node, nodes.Filter) and node.node is not None:
            return self._filter(node.name, node.node, node.args, d)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
            return self._filter(node.node.attr, node.node.node, node.args, d, method=True)
        raise _Unknown

    def _item(self, node: nodes.Getitem, depth: int) -> list[str]:
        arg = node.arg
        if isinstance(arg, nodes.Slice):
            bounds = [
                None if x is None else int(self._one(x, depth))
                for x in (arg.start, arg.stop, arg.step)
            ]
            return [s[slice(*bounds)] for s in self._fold(node.node, depth)]
        index = int(self._one(arg, depth))
        return [self._seq(node.node, depth)[index]]

    def _filter(
        self, name: str, base: nodes.Expr, args: list[nodes.Expr], depth: int, method: bool = False
    ) -> list[str]:
        argv = [self._one(a, depth) for a in args]
        if name in _UNARY and not argv:
            return [_UNARY[name](s)[:MAX_LEN] for s in self._fold(base, depth)]
        if name == "join":
            if method:  # "sep".join(items)
                sep, items = self._one(base, depth), self._seq(args[0], depth)
            else:
                sep, items = "".join(argv[:1]), self._seq(base, depth)
            if sum(map(len, items)) + len(sep) * len(items) > MAX_LEN:
                raise _Unknown
            return [sep.join(items)]
        if name in ("first", "last"):
            items = self._seq(base, depth)
            return [items[0] if name == "first" else items[-1]]
        if name == "replace" and len(argv) >= 2:
            return [s.replace(argv[0], argv[1])[:MAX_LEN] for s in self._fold(base, depth)]
        if name == "format":
            template = self._one(base, depth)
            if _WIDTH.search(template):
                raise _Unknown
            if method:
                if not _simple_format(template):
                    raise _Unknown
                return [template.format(*argv)]
            try:
                return [template % tuple(argv)]
            except TypeError:  # %c or %d given digits
                return [template % tuple(int(a) if a.isdigit() else a for a in argv)]
        if name in ("removeprefix", "removesuffix") and argv:
            return [getattr(s, name)(argv[0]) for s in self._fold(base, depth)]
        raise _Unknown

    @staticmethod
    def _cap(values: list[str]) -> list[str]:
        unique = list(dict.fromkeys(v[:MAX_LEN] for v in values))
        if len(unique) > MAX_VALUES:
            raise _Unknown
        return unique

    def built(self, node: nodes.Node) -> bool:
        """Whether ``node`` builds a string from pieces (concatenation, ``join``, ...)."""
        for sub in descendants(node):
            if isinstance(sub, (nodes.Concat, nodes.Add, nodes.Mul, nodes.Mod, nodes.Slice)):
                return True
            if isinstance(sub, nodes.Filter) and sub.name in STRING_FILTERS:
                return True
            callee = sub.node if isinstance(sub, nodes.Call) else None
            if isinstance(callee, nodes.Getattr) and callee.attr in STRING_METHODS:
                return True
            if isinstance(sub, nodes.Name) and self.consts.get(sub.name) is not None:
                return True
        return False

    def data(self, node: nodes.Node) -> bool:
        """Whether ``node`` reads a value the renderer passes in (a message, a loop item)."""
        for sub in descendants(node):
            if isinstance(sub, nodes.Name) and sub.name not in self.globals:
                known = self.consts.get(sub.name) is not None
                if not known and (sub.name not in self.pure or sub.name in self.impure):
                    return True
        return False


def descendants(node: nodes.Node) -> Iterator[nodes.Node]:
    """``node`` and every node under it (without recursion: jinja2's ``find_all`` is a
    recursive generator, quadratic on deep trees)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.iter_child_nodes())


def show(node: nodes.Node, depth: int = 0) -> str:
    """An expression as Jinja-like text (``().__class__.__base__``), for evidence."""
    if depth > 12:
        return "…"
    d = depth + 1
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Const):
        return repr(node.value)[:80]
    if isinstance(node, nodes.Getattr):
        return f"{show(node.node, d)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{show(node.node, d)}[{show(node.arg, d)}]"
    if isinstance(node, nodes.Slice):
        parts = [show(x, d) if x is not None else "" for x in (node.start, node.stop, node.step)]
        return ":".join(parts)
    if isinstance(node, (nodes.Tuple, nodes.List)):
        inner = ", ".join(show(x, d) for x in node.items)
        return f"({inner})" if isinstance(node, nodes.Tuple) else f"[{inner}]"
    if isinstance(node, nodes.Call):
        shown = [show(a, d) for a in node.args]
        shown += [f"{k.key}={show(k.value, d)}" for k in node.kwargs]
        return f"{show(node.node, d)}({', '.join(shown)})"
    if isinstance(node, nodes.Filter):
        args = ", ".join(show(a, d) for a in node.args)
        base = show(node.node, d) if node.node is not None else ""
        return f"{base}|{node.name}({args})" if node.args else f"{base}|{node.name}"
    if isinstance(node, nodes.Concat):
        return " ~ ".join(show(x, d) for x in node.nodes)
    if isinstance(node, nodes.UnaryExpr):
        return f"{node.operator}{show(node.node, d)}"
    if isinstance(node, nodes.BinExpr):
        return f"{show(node.left, d)} {node.operator} {show(node.right, d)}"
    if isinstance(node, nodes.Template):
        return "template"
    return type(node).__name__
