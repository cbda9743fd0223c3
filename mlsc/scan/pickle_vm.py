"""The symbolic machine behind :mod:`mlsc.scan.pickles`: one pickle walked opcode by opcode,
with a stack and a memo of *descriptions* of values, never the values themselves.

What is tracked, and why:

- constant strings (so STACK_GLOBAL resolves to the module and name it pops, however they
  were pushed: directly, through the memo, DUP, MARK games);
- imported objects (:class:`Ref`), with the byte offset and opcode where each is first
  imported (GLOBAL, STACK_GLOBAL, INST) and first applied (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ,
  INST, BUILD): the evidence a finding shows;
- results of calls (:class:`Result`): a STACK_GLOBAL operand that is a call's result is a
  name built at run time (``builtins.getattr``, ``str.join``, ``operator`` chains), so the
  import is *unresolved*;
- bytes constants (:class:`Bytes`), and what a few decoders make of them (``_codecs.encode``
  of latin-1 text as protocols 0-2 write bytes, base64, hex, zlib, ``io.BytesIO``): bytes
  handed to an unpickling callable (``pickle.loads``, ``torch.load`` ...) are a nested
  pickle the caller walks too;
- tuples of tracked values and the dunder keys of dicts, so BUILD's state can be read: a
  state that sets a dunder (``__setstate__``, ``__reduce__``, ``__getattr__`` ...) or a
  BUILD applied to an imported class or module itself rewrites behaviour for everything
  loaded after it (so do torch rebuild functions that set a state argument's keys).

- what joblib's loader needs to read the numpy arrays it writes inline
  (:mod:`mlsc.scan.joblib_arrays`): ints (up to 64 bits), ``None``, short tuples of them
  (interned, a bounded number memoized), ``numpy.dtype`` calls, the values of a few dict
  keys (``shape``, ``dtype``) and joblib's array placeholders. With ``joblib=True`` the
  walk reads past each placeholder's array bytes as ``joblib.load`` does.

Nothing else is kept (floats, lists, most dict contents are ``UNKNOWN``), so memory stays
close to the memo's size.
"""

from __future__ import annotations

import pickletools
from typing import IO, cast

from mlsc.scan import joblib_arrays
from mlsc.scan.callables import canonical_module, is_nested_loader
from mlsc.scan.pickle_values import (
    BYTES_HEADER,
    MAX_NAME,
    MAX_NESTED,
    RECONSTRUCTORS,
    STATE_SETTERS,
    UNKNOWN,
    Bytes,
    Dct,
    Injection,
    Payload,
    Ref,
    Result,
    ScanLimitError,
    Site,
    Tup,
    Unresolved,
    Walk,
    decode,
    describe,
    dunders,
    payloads,
    worth_keeping,
)

MAX_SMALL_TUPLE = 8
"""Tuples of ints and ``None`` are kept up to this length (shapes, dtype states)."""
MAX_INTERNED = 100_000
"""Distinct short int tuples kept for the memo; past it they are not memoized (a shape
read back from the memo is then unknown, and its array cannot be skipped)."""


class Ints(Tup):
    """A short tuple of ints and ``None`` (interned per walk)."""

    __slots__ = ()


_EMPTY = Ints(())


def _scalar(value: object) -> bool:
    return value is None or type(value) is int


class Machine:
    """Walks one pickle (to its STOP) over a :class:`Walk`; raises on malformed input.

    ``joblib``: read past the array bytes ``joblib.load`` reads after each array
    placeholder's BUILD (``pickle.load`` does not; the probe of those bytes walks with
    ``joblib=False``)."""

    def __init__(self, walk: Walk, *, joblib: bool = True) -> None:
        self.walk = walk
        self.joblib = joblib
        self.stack: list[object] = []
        self.marks: list[int] = []
        self.memo: dict[int, object] = {}
        self.interned: dict[tuple[object, ...], Ints] = {}
        self.frame_end = 0
        """Where the last FRAME ends: an unpickler reads opcodes from the frame it buffered,
        and joblib reads array bytes from the file, after the frame."""

    def tuple_of(self, items: list[object]) -> object:
        """A tuple's value: kept when it holds a tracked value, or is a short tuple of
        ints and ``None`` (interned); else ``UNKNOWN`` (memory on big data pickles)."""
        if not items:
            return _EMPTY
        kept = [i for i in items if i is not UNKNOWN]
        if not kept:
            return UNKNOWN
        if all(_scalar(i) for i in kept):
            if len(items) > MAX_SMALL_TUPLE:
                return UNKNOWN
            key = tuple(items)
            found = self.interned.get(key)
            if found is None:
                found = Ints(key)
                if len(self.interned) < MAX_INTERNED:
                    self.interned[key] = found
            return found
        return Tup(tuple(items))

    def memoized(self, value: object) -> object:
        """What the memo keeps of ``value`` (a short int tuple only once interned)."""
        if (
            type(value) is Ints
            and value is not _EMPTY
            and self.interned.get(value.items) is not value
        ):
            return UNKNOWN
        return value

    def pop(self) -> object:
        return self.stack.pop() if self.stack else UNKNOWN

    def pop_mark(self) -> list[object]:
        at = self.marks.pop() if self.marks else 0
        items = self.stack[at:]
        del self.stack[at:]
        return items

    def call(self, callee: object, args: object, site: Site) -> object:
        """Apply ``callee``: record the evidence, nested payloads, and what it returns."""
        walk = self.walk
        if not isinstance(callee, Ref):
            return Result(callee, site)
        walk.mark_called(callee, site)
        module, name = canonical_module(callee.key[0]), callee.key[1]
        items = args.items if isinstance(args, Tup) else ()
        if module == "copyreg" and name in RECONSTRUCTORS:
            for item in items[:2]:  # the class it instantiates (and _reconstructor's base)
                if isinstance(item, Ref):
                    walk.mark_called(item, site)
        if (module, name) in STATE_SETTERS and len(items) > STATE_SETTERS[(module, name)]:
            keys = dunders(items[STATE_SETTERS[(module, name)]])
            if keys:
                walk.injections.append(
                    Injection(
                        f"{module}.{name} sets {', '.join(keys[:6])} on the object it "
                        "rebuilds: it rewrites how the object behaves",
                        site,
                    )
                )
        if is_nested_loader(*callee.key):
            for value in payloads(args):
                if len(walk.payloads) < MAX_NESTED:
                    walk.payloads.append(
                        Payload(f"{module}.{name}", value.data, value.base, value.site)
                    )
        made = joblib_arrays.construct(callee, args, site)
        if made is not None:
            return made
        decoded = decode(module, name, items)
        if decoded is not None and walk.keep(len(decoded)):
            first = items[0]
            if isinstance(first, Bytes) and decoded is first.data:
                return first  # a pass-through (io.BytesIO) keeps where the bytes are
            return Bytes(decoded, None, site)
        return Result(callee, site)

    def build(self, site: Site) -> None:
        """BUILD: ``obj.__setstate__(state)``, or its ``__dict__``/attributes set.

        An object made in this pickle was made by applying its class (REDUCE, NEWOBJ, or a
        copyreg reconstructor, which marks the class applied), so its class is already
        counted as called; BUILD on an imported object itself, or dunder state, is an
        injection."""
        state = self.pop()
        obj = self.stack[-1] if self.stack else UNKNOWN
        walk = self.walk
        if isinstance(obj, Ref):
            walk.mark_called(obj, site)
            walk.injections.append(
                Injection(
                    f"BUILD sets state on the imported object {'.'.join(obj.key)} itself "
                    "(monkey-patches it for everything loaded later)",
                    site,
                )
            )
        joblib_arrays.apply_build(obj, state)
        keys = dunders(state)
        if keys:
            walk.injections.append(
                Injection(
                    f"BUILD state sets {', '.join(sorted(set(keys))[:6])} on "
                    f"{describe(obj)}: it rewrites how the object behaves",
                    site,
                )
            )

    def stack_global(self, site: Site) -> object:
        name_v, module_v = self.pop(), self.pop()
        if isinstance(module_v, str) and isinstance(name_v, str):
            return self.walk.add(module_v, name_v, site)
        shown = " ".join(v if isinstance(v, str) else "?" for v in (module_v, name_v))
        how = "; ".join(
            f"{what} is {describe(v)}"
            for what, v in (("module", module_v), ("name", name_v))
            if not isinstance(v, str)
        )
        self.walk.unresolved.append(
            Unresolved(
                f"STACK_GLOBAL at byte {site.offset} of non-constant operands ({shown}): {how}",
                site,
            )
        )
        return UNKNOWN

    def nested(self, reader: IO[bytes]) -> None:
        """An object array's nested pickle, which joblib reads inline with a plain
        unpickler (its own stack and memo, no placeholder reads), to its STOP."""
        protocol = self.walk.protocol
        inner = Machine(self.walk, joblib=False)
        inner.run(reader)
        self.walk.protocol = protocol
        if reader.tell() < inner.frame_end:  # the unpickler buffered the rest of the frame
            raise ValueError(
                f"an object array's nested pickle stops inside a FRAME that goes on to byte "
                f"{inner.frame_end}: joblib skips the rest of the frame"
            )

    def run(self, reader: IO[bytes]) -> None:
        walk, stack, memo = self.walk, self.stack, self.memo
        push, pop = stack.append, self.pop
        for opcode, arg, at in pickletools.genops(reader):
            pos = cast(int, at)
            walk.opcodes += 1
            if walk.opcodes > walk.max_opcodes:
                raise ScanLimitError(f"more than {walk.max_opcodes} opcodes")
            name = opcode.name
            kind = _KIND.get(name)
            if kind is None:
                to_mark, pops, pushes = _GENERIC[name]
                if to_mark:
                    self.pop_mark()
                if pops:
                    del stack[-pops:]
                if pushes:
                    stack.extend([UNKNOWN] * pushes)
            elif kind == _STR:
                if isinstance(arg, str) and (len(arg) <= MAX_NAME or walk.keep(len(arg))):
                    push(arg)
                else:
                    push(UNKNOWN)
            elif kind == _BYTES:
                ok = isinstance(arg, bytes) and worth_keeping(arg) and walk.keep(len(arg))
                site = Site(pos, name)
                push(Bytes(cast(bytes, arg), pos + BYTES_HEADER[name], site) if ok else UNKNOWN)
            elif kind == _INT:
                ok = type(arg) is int and -(1 << 63) <= arg < (1 << 64)
                push(arg if ok else UNKNOWN)
            elif kind == _NONE:
                push(None)
            elif kind == _FRAME:
                self.frame_end = reader.tell() + cast(int, arg)
            elif kind == _PUT:
                memo[cast(int, arg)] = self.memoized(stack[-1]) if stack else UNKNOWN
            elif kind == _GET:
                push(memo.get(cast(int, arg), UNKNOWN))
            elif kind == _MEMOIZE:
                memo[len(memo)] = self.memoized(stack[-1]) if stack else UNKNOWN
            elif kind == _MARK:
                self.marks.append(len(stack))
            elif kind == _DUP:
                push(stack[-1] if stack else UNKNOWN)
            elif kind == _GLOBAL:
                module, _, gname = str(arg).partition(" ")
                push(walk.add(module, gname, Site(pos, name)))
            elif kind == _STACK_GLOBAL:
                push(self.stack_global(Site(pos, name)))
            elif kind == _INST:
                module, _, gname = str(arg).partition(" ")
                site = Site(pos, name)
                items = self.pop_mark()
                push(self.call(walk.add(module, gname, site), Tup(tuple(items)), site))
            elif kind == _CALL:  # REDUCE, NEWOBJ: callable, args
                args = pop()
                push(self.call(pop(), args, Site(pos, name)))
            elif kind == _NEWOBJ_EX:
                pop()
                args = pop()
                push(self.call(pop(), args, Site(pos, name)))
            elif kind == _OBJ:  # MARK, the class, its arguments
                items = self.pop_mark()
                callee = items[0] if items else UNKNOWN
                push(self.call(callee, Tup(tuple(items[1:])), Site(pos, name)))
            elif kind == _BUILD:
                site = Site(pos, name)
                self.build(site)
                top = stack[-1] if stack else None
                if self.joblib and isinstance(top, joblib_arrays.Wrapper):
                    stack[-1] = UNKNOWN  # joblib replaces the placeholder by the array
                    if reader.tell() < self.frame_end:
                        raise ValueError(
                            f"the array placeholder's BUILD at byte {pos} is inside a FRAME "
                            f"that goes on to byte {self.frame_end}: joblib would read its "
                            "array from after the frame, and the opcodes after the BUILD later"
                        )
                    if joblib_arrays.read_inline(reader, top, walk, site):
                        self.nested(reader)
            elif kind == _TUPLE:
                n = _TUPLE_SIZE[name]
                if n < 0:
                    items = self.pop_mark()
                else:
                    items = stack[len(stack) - n :] if n <= len(stack) else [UNKNOWN] * n
                    del stack[len(stack) - n :]
                push(self.tuple_of(items))
            elif kind == _DICT:
                d = Dct()
                if name == "DICT":
                    d.add_keys(self.pop_mark())
                push(d)
            elif kind == _SETITEM:
                flat = self.pop_mark() if name == "SETITEMS" else [pop(), pop()][::-1]
                target = stack[-1] if stack else UNKNOWN
                if isinstance(target, Dct):
                    target.add_keys(flat)
            elif kind == _EXT:
                site = Site(pos, name)
                walk.unresolved.append(
                    Unresolved(f"{name} extension-registry code {arg} at byte {pos}", site)
                )
                push(UNKNOWN)
            else:  # PROTO
                walk.protocol = arg if isinstance(arg, int) else None


_UNI = ("SHORT_BINUNICODE", "BINUNICODE8")
(_STR, _BYTES, _PUT, _GET, _MEMOIZE, _MARK, _DUP, _GLOBAL, _STACK_GLOBAL, _INST) = range(10)
(_CALL, _NEWOBJ_EX, _OBJ, _BUILD, _TUPLE, _DICT, _SETITEM, _EXT, _PROTO) = range(10, 19)
(_INT, _NONE, _FRAME) = range(19, 22)
_KIND: dict[str, int] = {
    **dict.fromkeys(
        ("STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", *_UNI),
        _STR,
    ),
    **dict.fromkeys(BYTES_HEADER, _BYTES),
    **dict.fromkeys(("PUT", "BINPUT", "LONG_BINPUT"), _PUT),
    **dict.fromkeys(("GET", "BINGET", "LONG_BINGET"), _GET),
    **dict.fromkeys(("EXT1", "EXT2", "EXT4"), _EXT),
    **dict.fromkeys(("REDUCE", "NEWOBJ"), _CALL),
    **dict.fromkeys(("EMPTY_TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "TUPLE"), _TUPLE),
    **dict.fromkeys(("EMPTY_DICT", "DICT"), _DICT),
    **dict.fromkeys(("INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"), _INT),
    "NONE": _NONE,
    "FRAME": _FRAME,
    **dict.fromkeys(("SETITEM", "SETITEMS"), _SETITEM),
    "MEMOIZE": _MEMOIZE,
    "MARK": _MARK,
    "DUP": _DUP,
    "GLOBAL": _GLOBAL,
    "STACK_GLOBAL": _STACK_GLOBAL,
    "INST": _INST,
    "NEWOBJ_EX": _NEWOBJ_EX,
    "OBJ": _OBJ,
    "BUILD": _BUILD,
    "PROTO": _PROTO,
}
"""Opcodes the walk handles one by one; the rest only move the stack."""
_TUPLE_SIZE = {"EMPTY_TUPLE": 0, "TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3, "TUPLE": -1}
_GENERIC: dict[str, tuple[bool, int, int]] = {
    op.name: (
        pickletools.markobject in op.stack_before,
        op.stack_before.index(pickletools.markobject)
        if pickletools.markobject in op.stack_before
        else len(op.stack_before),
        len(op.stack_after),
    )
    for op in pickletools.opcodes
}
"""Per opcode: (pops to a MARK, items popped besides, items pushed), from pickletools."""
