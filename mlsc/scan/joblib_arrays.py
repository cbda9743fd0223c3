"""What ``joblib.load`` reads that ``pickle.load`` would not: numpy arrays written inline.

``joblib.dump`` pickles a placeholder, ``joblib.numpy_pickle.NumpyArrayWrapper``, instead
of each numpy array, and writes the array's bytes right after the placeholder's BUILD,
outside the opcodes (``NumpyArrayWrapper.write_array``). ``joblib.load``'s unpickler, after
every BUILD whose object is such a placeholder (``NumpyUnpickler.load_build``,
``NumpyArrayWrapper.read_array``), reads:

- one padding-length byte and that many padding bytes, when the placeholder's
  ``numpy_array_alignment_bytes`` is not ``None`` (joblib 1.2 and later);
- then ``prod(shape) * dtype.itemsize`` bytes of array data; or, for a dtype that holds
  Python objects, a nested pickle, read by a plain unpickler from the same stream.

The older ``NDArrayWrapper`` / ``ZNDArrayWrapper`` read their array from the file their
``filename`` attribute names, joined to the pickle's directory (``numpy.load(...,
allow_pickle=True)`` for ``NDArrayWrapper``: that file may be a pickle): nothing inline, but
each is reported (:attr:`mlsc.scan.pickle_values.Walk.external`).

The symbolic machine (:mod:`mlsc.scan.pickle_vm`) follows what it takes: ``numpy.dtype``
calls (the descr string and the BUILD state's ``elsize`` and ``flags``), the placeholders'
attributes (from ``__init__`` arguments and BUILD state dicts, merged as ``load_build``
merges them), short tuples of ints. After the BUILD of a placeholder whose size it can
compute it skips the array bytes (or walks the nested pickle inline); when it cannot, the
walk stops with an error (a loader would read the stream, mlsc cannot: critical).

``pickle.load`` does not skip: it reads those bytes as opcodes. Skipped bytes that start
like a pickle and reach an import, a call or the end of the region are kept (their first
:data:`PROBE_BYTES`) in :attr:`mlsc.scan.pickle_values.Walk.arrays`, and probed as a pickle
after the walk.
"""

from __future__ import annotations

import io
import pickletools
import re
from typing import IO

from mlsc.scan.callable_lists import JOBLIB_ARRAY_WRAPPERS
from mlsc.scan.callables import canonical_module
from mlsc.scan.pickle_values import (
    RECONSTRUCTORS,
    UNKNOWN,
    ArrayRegion,
    Dct,
    External,
    Ref,
    Result,
    Site,
    Tup,
    Walk,
)

PROBE_BYTES = 1 << 20
"""Bytes of each skipped region probed as a pickle (a longer walk than this through valid
opcodes is itself reported)."""

_INIT_OPCODES = frozenset({"REDUCE", "INST", "OBJ"})
"""Opcodes that call the class (so ``__init__`` runs); NEWOBJ and NEWOBJ_EX only call
``__new__``."""
_DESCR = re.compile(r"[<>|=]?([biufcmMOSUV])(\d+)\Z", re.ASCII)
_ESCAPE = re.compile(r"[/\\:\x00]|\A~")
"""A file name that is not a plain name in the pickle's directory (a path, a drive)."""
_CALLS = frozenset(
    {"GLOBAL", "STACK_GLOBAL", "INST", "OBJ", "REDUCE", "NEWOBJ", "NEWOBJ_EX", "BUILD"}
    | {"EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID"}
)


class DType(Result):
    """A ``numpy.dtype(descr, ...)`` call's result, and the state a BUILD gave it."""

    __slots__ = ("descr", "state")

    def __init__(self, callee: object, site: Site, descr: str | None) -> None:
        super().__init__(callee, site)
        self.descr = descr
        self.state: object = None

    def layout(self) -> tuple[bool, int]:
        """(holds Python objects, item size), as numpy would make them; raises
        ``ValueError`` when that is not known."""
        m = _DESCR.match(self.descr or "")
        if m is None:
            raise ValueError(f"a numpy dtype of descr {self.descr!r}")
        kind, size = m[1], int(m[2])
        if kind == "O":
            return True, 8
        if kind not in "SUV":  # numpy ignores elsize and flags in a builtin type's state
            return False, size
        flags = 0
        if self.state is None:
            elsize = size * 4 if kind == "U" else size
        else:
            st = self.state.items if isinstance(self.state, Tup) else ()
            if len(st) < 8 or type(st[5]) is not int or type(st[7]) is not int:
                raise ValueError(f"a numpy {self.descr!r} dtype whose state is not known")
            elsize, flags = st[5], st[7]
        return kind == "V" and bool(flags & 1), elsize  # NPY_ITEM_HASOBJECT


class Wrapper(Result):
    """A joblib array placeholder, and the attributes it was given."""

    __slots__ = ("attrs", "name", "tainted")

    def __init__(self, callee: object, site: Site, name: str) -> None:
        super().__init__(callee, site)
        self.name = name
        self.attrs: dict[str, object] = {}
        self.tainted: str | None = None
        """Why its attributes cannot be known, if they cannot."""

    def init(self, args: object) -> None:
        """``NumpyArrayWrapper.__init__(subclass, shape, order, dtype, allow_mmap,
        numpy_array_alignment_bytes)``; the alignment's default changed across versions."""
        items = args.items if isinstance(args, Tup) else None
        if items is None or len(items) < 4:
            self.tainted = "its __init__ arguments are not known"
            return
        self.attrs["shape"], self.attrs["dtype"] = items[1], items[3]
        self.attrs["numpy_array_alignment_bytes"] = items[5] if len(items) > 5 else UNKNOWN

    def init_compat(self, args: object) -> None:
        """``NDArrayWrapper.__init__(filename, ...)`` / ``ZNDArrayWrapper``'s."""
        items = args.items if isinstance(args, Tup) else ()
        self.attrs["filename"] = items[0] if items else UNKNOWN

    def merge(self, state: object) -> None:
        """What ``load_build`` sets: a state dict, or a ``(dict, slots dict)`` pair."""
        parts = state.items if isinstance(state, Tup) and len(state.items) == 2 else (state,)
        for part in parts:
            if part is None:
                continue
            if not isinstance(part, Dct) or part.odd:
                self.tainted = "a BUILD state that is not a dict of constant keys"
                return
            self.attrs.update(part.known or {})

    def layout(self) -> tuple[bool, int | None]:
        """(padded, bytes of array data), or ``None`` bytes for a nested pickle (an object
        dtype); raises ``ValueError`` when joblib's reads cannot be known."""
        if self.tainted:
            raise ValueError(self.tainted)
        shape, dtype = self.attrs.get("shape"), self.attrs.get("dtype")
        align = self.attrs.get("numpy_array_alignment_bytes")
        if not isinstance(shape, Tup) or not all(type(n) is int and n >= 0 for n in shape.items):
            raise ValueError("its shape is not a tuple of known sizes")
        if not isinstance(dtype, DType):
            raise ValueError("its dtype is not a known numpy.dtype")
        if align is not None and not isinstance(align, int):
            raise ValueError("its numpy_array_alignment_bytes is not known")
        objects, itemsize = dtype.layout()
        if objects:
            return False, None
        if itemsize <= 0:
            raise ValueError(f"an item size of {itemsize}")
        count = 1
        for n in shape.items:
            count *= n  # type: ignore[operator]
        return align is not None, count * itemsize


def construct(callee: Ref, args: object, site: Site) -> Result | None:
    """What applying ``callee`` makes when it is ``numpy.dtype`` or builds a joblib array
    placeholder (directly, or through a copyreg reconstructor); else ``None``."""
    module, name = canonical_module(callee.key[0]), callee.key[1]
    items = args.items if isinstance(args, Tup) else ()
    if (module, name) == ("numpy", "dtype"):
        descr = items[0] if items else None
        return DType(callee, site, descr if isinstance(descr, str) else None)
    cls, init, plain = callee, site.opcode in _INIT_OPCODES, True
    if module == "copyreg" and name in RECONSTRUCTORS:
        if not items or not isinstance(items[0], Ref):
            return None
        cls, init = items[0], False
        if name == "_reconstructor":  # base.__new__ and base.__init__ run unless object
            base = items[1] if len(items) > 1 else None
            plain = isinstance(base, Ref) and (canonical_module(base.key[0]), base.key[1]) == (
                "builtins",
                "object",
            )
    key = (canonical_module(cls.key[0]), cls.key[1])
    if key not in JOBLIB_ARRAY_WRAPPERS:
        return None
    made = Wrapper(callee, site, key[1])
    if not plain:
        made.tainted = "it was made by copyreg._reconstructor with another base class"
    elif init and made.name == "NumpyArrayWrapper":
        made.init(args)
    elif init:
        made.init_compat(args)
    return made


def apply_build(obj: object, state: object) -> None:
    """A BUILD on a dtype (``__setstate__``) or a placeholder (attributes)."""
    if isinstance(obj, DType):
        obj.state = state
    elif isinstance(obj, Wrapper):
        obj.merge(state)


def _interesting(head: bytes) -> bool:
    """Whether ``pickle.load`` reading ``head`` as opcodes reaches an import, a call or the
    end of the region (then it would read on into the rest of the stream)."""
    seen = False
    try:
        for op, _, _ in pickletools.genops(io.BytesIO(head)):
            seen = seen or op.name in _CALLS
            if op.name == "STOP":
                return seen
    except ValueError as e:
        return seen or "unknown" not in str(e)
    return True


def _external(w: Wrapper, walk: Walk, site: Site) -> None:
    """Record the file an old placeholder's array is read from."""
    name = w.attrs.get("filename")
    pickles = w.name == "NDArrayWrapper"
    how = "numpy.load(allow_pickle=True), which unpickles pickles" if pickles else "zlib"
    if not isinstance(name, str) or w.tainted:
        where, plain = "a file whose name is not known before loading", False
    else:
        where = f"the file {name[:200]!r} (joined to the pickle's directory)"
        plain = bool(name) and not _ESCAPE.search(name) and name not in (".", "..")
    detail = f"joblib {w.name} (BUILD at byte {site.offset}) reads {where} with {how}"
    walk.external.append(External(detail, site, pickles and not plain))


def read_inline(reader: IO[bytes], w: Wrapper, walk: Walk, site: Site) -> bool:
    """Read past what ``joblib.load`` reads after the BUILD (at ``site``) of ``w``; whether
    a nested pickle (an object array) follows instead, to be walked. Raises ``ValueError``
    when the size is not known or the stream ends first."""
    if w.name != "NumpyArrayWrapper":
        _external(w, walk, site)
        return False
    try:
        padded, size = w.layout()
    except ValueError as e:
        raise ValueError(
            f"joblib reads a numpy array after the BUILD at byte {site.offset}, of a size "
            f"mlsc cannot know: {e}"
        ) from None
    if size is None:
        return True
    start = reader.tell()
    head = reader.read(1) if padded else b""
    if padded and head:
        size += 1 + head[0]
    elif padded:
        size += 1
    head += reader.read(max(0, min(size, PROBE_BYTES) - len(head)))
    got = len(head)
    if got and _interesting(bytes(head)):
        if not walk.keep(got):
            raise ValueError(f"too many array bytes to probe (BUILD at byte {site.offset})")
        walk.arrays.append(ArrayRegion(site, start, size, bytes(head)))
    if got == min(size, PROBE_BYTES) and size > got:
        got += len(reader.read(size - got))
    if got < size:
        raise ValueError(
            f"joblib reads {size} bytes of numpy array after the BUILD at byte "
            f"{site.offset}; the stream ends after {got}"
        )
    return False
