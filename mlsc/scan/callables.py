"""Which callables a pickle may import: dangerous, safe, or unknown.

A pickle names every callable it needs as ``module`` + ``name`` (the GLOBAL, INST and
STACK_GLOBAL opcodes); the unpickler imports the module and looks the name up (a dotted
name is walked attribute by attribute), and REDUCE then calls it. Importing alone can have
effects (a module's top level runs), and calling ``os.system`` or ``builtins.exec`` runs
whatever the pickle chose. :func:`classify` rates one import:

- ``dangerous``: runs commands or code, opens files, sockets or URLs, loads another pickle,
  or reaches arbitrary attributes (``builtins.getattr``, ``operator.attrgetter``);
- ``safe``: what tensor and array checkpoints need (``torch._utils._rebuild_tensor_v2``,
  ``torch.FloatStorage``, ``collections.OrderedDict``, ``numpy.core.multiarray._reconstruct``,
  plain containers and value types);
- ``unknown``: anything else, e.g. a library's own class in a whole-model pickle.

The lists live in :mod:`mlsc.scan.callable_lists`. A name is rated as the object the
unpickler would reach: every split of ``module.name`` into a module path and an attribute
path is tried (``numpy`` + ``f2py.crackfortran.getlincoef`` is ``numpy.f2py``'s), aliases
are mapped (``posix`` -> ``os``; the unpickler's own Python 2 mappings, ``SocketServer`` ->
``socketserver``, ``__builtin__.reduce`` -> ``functools.reduce``), and spelling games (``builtins `` with a trailing space,
compatibility unicode) are rated both as written and normalized: the worst rating wins.
"""

from __future__ import annotations

import _compat_pickle
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from mlsc.scan.callable_lists import (
    ALL,
    DANGEROUS,
    DANGEROUS_NAMES,
    HARMLESS_BUILTINS,
    JOBLIB_ARRAY_WRAPPERS,
    MODULE_ALIASES,
    NESTED_LOADERS,
    PEER_UNSAFE_COMPONENTS,
    PRIVATE_MODULES_ALLOWED,
    SAFE,
    SKLEARN_DENIED_NAMES,
    SKLEARN_DENIED_PARTS,
)

__all__ = [
    "ALL",
    "DANGEROUS",
    "DANGEROUS_NAMES",
    "MODULE_ALIASES",
    "NESTED_LOADERS",
    "SAFE",
    "Rating",
    "Verdict",
    "canonical_module",
    "classify",
    "is_nested_loader",
]

Verdict = Literal["dangerous", "unknown", "safe"]


@dataclass(frozen=True)
class Rating:
    """How one import is rated, and why."""

    verdict: Verdict
    reason: str


def canonical_module(module: str) -> str:
    """The module name used for rating: Python 2, accelerator and private aliases mapped,
    e.g. ``posix`` -> ``os``, ``__builtin__`` -> ``builtins``, ``numpy._core.multiarray`` ->
    ``numpy.core.multiarray``, ``_operator`` -> ``operator``."""
    if module in MODULE_ALIASES:
        return MODULE_ALIASES[module]
    parts = module.split(".")
    for i in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:i])
        if head in MODULE_ALIASES:
            return ".".join([MODULE_ALIASES[head], *parts[i:]])
    return module


def _dangerous_entry(module: str, name: str) -> str | None:
    """The reason if ``module.name`` (or a parent module listed with ALL) is dangerous."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        entry = DANGEROUS.get(prefix)
        if entry is None:
            continue
        names, reason = entry
        if names is ALL or (i == len(parts) and (name in names or name.split(".")[0] in names)):
            return reason
    return None


def _normalized(text: str) -> str:
    """What a sloppy resolver might make of a spelling: NFKC, no surrounding blanks."""
    return unicodedata.normalize("NFKC", text).strip()


def _peer_rule(module: str, mod: str, name: str) -> str | None:
    """Why a peer tool's broader rules make ``module.name`` dangerous, if they do:
    builtins outside the pure ones, private stdlib modules, a dotted part on fickling's
    list."""
    if mod == "builtins":
        if name in HARMLESS_BUILTINS:
            return None
        return "a builtin outside the value-building ones (reaches code, attributes or files)"
    top = module.split(".")[0]
    if top.startswith("_") and top not in PRIVATE_MODULES_ALLOWED:
        return f"private module {top!r} (fickling GHSA-6ggj-6f2q-f7mx)"
    for part in (*module.split("."), *name.split(".")):
        if part in PEER_UNSAFE_COMPONENTS:
            return f"{part!r} is on fickling's unsafe list"
    return None


def _rate(module: str, name: str) -> Rating:
    mod = canonical_module(module)
    # every split of the dotted path: ("numpy", "f2py.x.y") is also ("numpy.f2py", "x.y")
    segments = name.split(".")
    for i in range(len(segments)):
        head = ".".join([mod, *segments[:i]])
        reason = _dangerous_entry(canonical_module(head), ".".join(segments[i:]))
        if reason is not None:
            return Rating("dangerous", reason)
    if (mod, name) in JOBLIB_ARRAY_WRAPPERS:
        # before the peer rule: fickling's "joblib" entry would flag every real joblib file
        return Rating("safe", "joblib's numpy array placeholder (builds no code)")
    if (peer := _peer_rule(module, mod, name)) is not None:
        return Rating("dangerous", peer)
    if len(segments) > 1:
        for seg in segments:
            if seg in DANGEROUS_NAMES or canonical_module(seg) in DANGEROUS:
                return Rating("dangerous", f"attribute path reaches {seg!r}")
        if name in SAFE.get(mod, frozenset()):
            return Rating("safe", "on the safe list")
        return Rating("unknown", "attribute path into a module object")
    if name in SAFE.get(mod, frozenset()):
        return Rating("safe", "on the safe list")
    if name in DANGEROUS_NAMES:
        return Rating("dangerous", f"{name!r} runs code, loads data or reaches attributes")
    if _sklearn_class(mod, name):
        return Rating("safe", "a scikit-learn class")
    return Rating("unknown", "not on the safe list")


_CLASS_NAME = re.compile(r"_?[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*\Z", re.ASCII)
"""A CamelCase class name (``LogisticRegression``, ``_BinMapper``), not a function's
``snake_case`` nor a ``CONSTANT``."""


def _sklearn_class(module: str, name: str) -> bool:
    """Whether ``module.name`` is a scikit-learn class outside the submodules that fetch,
    write or run things: rebuilding one runs only scikit-learn's own ``__new__``,
    ``__setstate__`` and Cython constructors. scikit-learn functions stay ``unknown``."""
    parts = module.split(".")
    return (
        parts[0] == "sklearn"
        and _CLASS_NAME.match(name) is not None
        and name not in SKLEARN_DENIED_NAMES
        and not any(p in SKLEARN_DENIED_PARTS for p in parts[1:])
    )


_ORDER: dict[Verdict, int] = {"dangerous": 0, "unknown": 1, "safe": 2}


def _py2_mapped(module: str, name: str) -> tuple[str, str] | None:
    """What the unpickler's Python 2 compatibility (``fix_imports``, protocols 0-2) turns
    ``module.name`` into: ``__builtin__.reduce`` is ``functools.reduce``,
    ``SocketServer`` is ``socketserver``."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    if module in _compat_pickle.IMPORT_MAPPING:
        return _compat_pickle.IMPORT_MAPPING[module], name
    return None


def classify(module: str, name: str) -> Rating:
    """Rate one import of ``name`` from ``module``, as an unpickler would resolve it.

    A dotted ``name`` (protocol 4 allows ``Outer.inner`` attribute paths) is rated by each
    segment: an attribute walk through ``__globals__`` or to ``system`` is dangerous even
    from an innocent-looking module (``torch`` + ``serialization.os.system``). A spelling
    that differs from its normalized form (blanks, compatibility unicode) is rated both
    ways, and is never ``safe``.
    """
    if not module.strip() or not name.strip():
        return Rating("dangerous", "empty module or name: the import cannot be known")
    if any(not seg for seg in name.split(".")) or any(not s for s in module.split(".")):
        return Rating("dangerous", "empty segment in a dotted path")
    mapped = _py2_mapped(module, name)
    if mapped is not None and (module, name) in _compat_pickle.NAME_MAPPING:
        # only the mapped name exists on Python 3: it is what a loader reaches
        rating = _rate(*mapped)
    elif mapped is not None:
        rating = min(_rate(module, name), _rate(*mapped), key=lambda r: _ORDER[r.verdict])
    else:
        rating = _rate(module, name)
    nmod, nname = _normalized(module), _normalized(name)
    if (nmod, nname) != (module, name):
        other = _rate(nmod, nname) if nmod and nname else Rating("dangerous", "blank name")
        worst = min((rating, other), key=lambda r: _ORDER[r.verdict])
        if worst.verdict == "safe":
            return Rating("unknown", "odd spelling of a safe name (blanks or unicode)")
        if worst is other and other.verdict == "dangerous":
            return Rating("dangerous", f"{other.reason} (spelled {module!r} {name!r})")
        return worst
    return rating


def is_nested_loader(module: str, name: str) -> bool:
    """Whether calling ``module.name`` unpickles bytes handed to it (``pickle.loads``,
    ``torch.load`` ...)."""
    return f"{canonical_module(module)}.{name}" in NESTED_LOADERS
