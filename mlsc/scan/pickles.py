"""Find what pickles import, without loading them.

The engine walks the opcodes with the standard library's :func:`pickletools.genops` and
runs a symbolic stack beside it: constant strings, memo entries and MARKs are tracked, so a
protocol 4 ``STACK_GLOBAL`` resolves to the module and name strings it pops (however they
were pushed: directly, through the memo, via DUP), and an operand that is not a constant
string is reported as an *unresolved* import. Nothing is ever unpickled.

The containers that hold pickles (archives, ``.npy``, compressed streams) are opened by
:mod:`mlsc.scan.containers`.

Hostile input is expected: reads are capped (a 10 GiB BINBYTES8 is skipped, never read into
memory), the opcode count is capped, every exception is caught and reported as an
``unparseable`` finding along with whatever imports were seen before the error (an
unpickler would already have executed those).
"""

from __future__ import annotations

import io
import os
import pickletools
from dataclasses import dataclass, field
from typing import IO, cast

from mlsc.scan.callables import Verdict, classify
from mlsc.scan.findings import Finding

MAX_OPCODES = 10_000_000
"""Opcodes walked per stream before the scan stops with a ``scan_limit`` finding."""
MAX_STREAM_BYTES = 64 << 30
"""Bytes read from one pickle stream (decompressed, for archive members) before stopping."""
BIG_READ = 16 << 20
"""A single opcode argument longer than this is skipped, not read (its bytes don't matter)."""
MAX_LINE = 64 << 10
"""Longest text line (protocol 0 arguments) read."""
MAX_NAME = 1_000
"""Strings longer than this are not tracked as possible module or attribute names."""
MAX_PICKLES = 64
"""Consecutive pickles walked in one stream."""


class ScanLimitError(Exception):
    """A cap was reached; the scan of this stream stops here."""


class _Skipped:
    """Stands in for a long opcode argument that was skipped instead of read.

    ``pickletools`` only checks the length of a bytes argument; the content never matters
    to which callables a pickle imports.
    """

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


class _Reader:
    """A bounded, position-tracking reader for :func:`pickletools.genops`."""

    def __init__(self, raw: IO[bytes], limit: int = MAX_STREAM_BYTES) -> None:
        self._raw = raw
        self._limit = limit
        self.pos = 0
        self._peeked = b""
        self._last = b""
        """The last bytes read (their final byte is what ``seek(-1, SEEK_CUR)`` puts back)."""

    def tell(self) -> int:
        return self.pos

    def _take(self, n: int) -> bytes:
        if self.pos + n > self._limit:
            raise ScanLimitError(f"stream longer than {self._limit} bytes")
        head, self._peeked = self._peeked[:n], self._peeked[n:]
        data = head + (self._raw.read(n - len(head)) if n > len(head) else b"")
        self.pos += len(data)
        self._last = data or self._last
        return data

    def read(self, n: int = -1) -> bytes | _Skipped:
        if 0 <= n <= BIG_READ and not self._peeked:  # the hot path: one small read
            data = self._raw.read(n)
            self.pos += len(data)
            if self.pos > self._limit:
                raise ScanLimitError(f"stream longer than {self._limit} bytes")
            if data:
                self._last = data
            return data
        if n < 0:
            raise ScanLimitError("unbounded read")
        if n <= BIG_READ:
            return self._take(n)
        return _Skipped(self._skip(n))

    def _skip(self, n: int) -> int:
        """Move ``n`` bytes on without keeping them; how many there were (fewer at the end
        of the stream)."""
        allowed = min(n, self._limit - self.pos)
        skipped = len(self._peeked[:allowed])
        self._peeked = self._peeked[skipped:]
        skipped += self._seek_file(allowed - skipped)
        while skipped < allowed:
            chunk = self._raw.read(min(allowed - skipped, 1 << 20))
            if not chunk:
                break
            skipped += len(chunk)
        self.pos += skipped
        self._last = b""
        if skipped == allowed < n:
            raise ScanLimitError(f"stream longer than {self._limit} bytes")
        return skipped

    def _seek_file(self, n: int) -> int:
        """Skip up to ``n`` bytes of a real file by seeking (0 if not a real file)."""
        raw = self._raw
        if not (type(raw) is io.BufferedReader and isinstance(raw.raw, io.FileIO)):
            return 0
        try:
            size = os.fstat(self._raw.fileno()).st_size
            here = self._raw.tell()
        except (OSError, ValueError, AttributeError):
            return 0
        step = max(0, min(n, size - here))
        self._raw.seek(here + step)
        return step

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Only one step back (``seek(-1, SEEK_CUR)`` after a read), as picklescan peeks."""
        if (offset, whence) != (-1, io.SEEK_CUR) or not self._last:
            raise io.UnsupportedOperation("only seek(-1, SEEK_CUR) after a read")
        self._peeked = self._last[-1:] + self._peeked
        self._last = b""
        self.pos -= 1
        return self.pos

    def readline(self, size: int = -1) -> bytes:
        """One line, at most :data:`MAX_LINE` bytes (a longer one comes back without its
        newline, which ``pickletools`` reports as an error)."""
        head, self._peeked = self._peeked, b""
        line = head if head.endswith(b"\n") else head + self._raw.readline(MAX_LINE - len(head))
        if self.pos + len(line) > self._limit:
            raise ScanLimitError(f"stream longer than {self._limit} bytes")
        self.pos += len(line)
        self._last = line or self._last
        return line

    def peek1(self) -> bytes:
        """The next byte without consuming it (empty at the end)."""
        if not self._peeked:
            self._peeked = self._raw.read(1)
        return self._peeked[:1]


@dataclass(frozen=True)
class PickleImport:
    """One callable a pickle imports."""

    module: str
    name: str
    verdict: Verdict
    reason: str
    called: bool
    """Whether REDUCE, NEWOBJ, OBJ or INST applies it (else it is only imported)."""

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class PickleScan:
    """What one pickle stream imports, and how far the walk got."""

    imports: tuple[PickleImport, ...]
    unresolved: tuple[str, ...]
    """Imports whose module or name is not a constant (``STACK_GLOBAL`` of computed values,
    ``EXT1``-``EXT4`` registry codes), described."""
    opcodes: int
    pickles: int
    """Complete pickles (ending in STOP) walked."""
    protocol: int | None
    error: str | None
    """Why the walk of the first pickle stopped early (``None`` when it reached STOP)."""
    error_offset: int | None
    limit: str | None
    """Which cap stopped the walk, if any."""
    trailing: str | None
    """Why bytes after the last complete pickle were not walked (legacy torch storages)."""


class _Ref:
    """A global pushed on the symbolic stack (so a later REDUCE can mark it called)."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[str, str]) -> None:
        self.key = key


_UNKNOWN = object()
_MARK = object()
_STRING, _PUT, _MEMOIZE, _GET, _GLOBAL, _INST, _STACK_GLOBAL, _EXT = range(8)
_MARK_OP, _DUP, _PROTO, _CALL, _NEWOBJ_EX, _OBJ = range(8, 14)
_SPECIAL: dict[str, int] = {
    **dict.fromkeys(
        (
            "STRING",
            "BINSTRING",
            "SHORT_BINSTRING",
            "UNICODE",
            "BINUNICODE",
            "SHORT_BINUNICODE",
            "BINUNICODE8",
        ),
        _STRING,
    ),
    **dict.fromkeys(("PUT", "BINPUT", "LONG_BINPUT"), _PUT),
    **dict.fromkeys(("GET", "BINGET", "LONG_BINGET"), _GET),
    **dict.fromkeys(("EXT1", "EXT2", "EXT4"), _EXT),
    **dict.fromkeys(("REDUCE", "NEWOBJ"), _CALL),
    "MEMOIZE": _MEMOIZE,
    "GLOBAL": _GLOBAL,
    "INST": _INST,
    "STACK_GLOBAL": _STACK_GLOBAL,
    "MARK": _MARK_OP,
    "DUP": _DUP,
    "PROTO": _PROTO,
    "NEWOBJ_EX": _NEWOBJ_EX,
    "OBJ": _OBJ,
}
"""Opcodes the walk handles one by one; the rest only move the stack."""
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


@dataclass
class _Walk:
    """The mutable state of one stream's walk."""

    imports: dict[tuple[str, str], bool] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    opcodes: int = 0
    protocol: int | None = None

    def add(self, module: str, name: str) -> _Ref:
        self.imports.setdefault((module, name), False)
        return _Ref((module, name))

    def call(self, target: object) -> None:
        if isinstance(target, _Ref):
            self.imports[target.key] = True


def _walk_one(reader: _Reader, walk: _Walk) -> None:
    """Walk one pickle (to its STOP) symbolically; raises on malformed input."""
    stack: list[object] = []
    marks: list[int] = []
    memo: dict[int, object] = {}

    def pop() -> object:
        return stack.pop() if stack else _UNKNOWN

    def pop_mark() -> list[object]:
        at = marks.pop() if marks else 0
        items = stack[at:]
        del stack[at:]
        return items

    for opcode, arg, pos in pickletools.genops(reader):  # type: ignore[arg-type]
        walk.opcodes += 1
        if walk.opcodes > MAX_OPCODES:
            raise ScanLimitError(f"more than {MAX_OPCODES} opcodes")
        name = opcode.name
        kind = _SPECIAL.get(name)
        if kind is None:
            to_mark, pops, pushes = _GENERIC[name]
            if to_mark:
                pop_mark()
            if pops:
                del stack[-pops:]
            if pushes == 1:
                stack.append(_UNKNOWN)
            elif pushes:
                stack.extend([_UNKNOWN] * pushes)
        elif kind == _STRING:
            stack.append(arg if isinstance(arg, str) and len(arg) <= MAX_NAME else _UNKNOWN)
        elif kind == _PUT:
            memo[cast(int, arg)] = stack[-1] if stack else _UNKNOWN
        elif kind == _GET:
            stack.append(memo.get(cast(int, arg), _UNKNOWN))
        elif kind == _MEMOIZE:
            memo[len(memo)] = stack[-1] if stack else _UNKNOWN
        elif kind == _CALL:
            pop()
            walk.call(pop())
            stack.append(_UNKNOWN)
        elif kind == _GLOBAL:
            module, _, gname = str(arg).partition(" ")
            stack.append(walk.add(module, gname))
        elif kind == _STACK_GLOBAL:
            name_v, module_v = pop(), pop()
            if isinstance(module_v, str) and isinstance(name_v, str):
                stack.append(walk.add(module_v, name_v))
            else:
                shown = [v if isinstance(v, str) else "?" for v in (module_v, name_v)]
                walk.unresolved.append(
                    f"STACK_GLOBAL at byte {pos} of non-constant operands ({' '.join(shown)})"
                )
                stack.append(_UNKNOWN)
        elif kind == _MARK_OP:
            marks.append(len(stack))
        elif kind == _INST:
            module, _, gname = str(arg).partition(" ")
            pop_mark()
            walk.call(walk.add(module, gname))
            stack.append(_UNKNOWN)
        elif kind == _EXT:
            walk.unresolved.append(f"{name} extension-registry code {arg} at byte {pos}")
            stack.append(_UNKNOWN)
        elif kind == _DUP:
            stack.append(stack[-1] if stack else _UNKNOWN)
        elif kind == _PROTO:
            walk.protocol = arg if isinstance(arg, int) else None
        elif kind == _NEWOBJ_EX:
            pop(), pop()
            walk.call(pop())
            stack.append(_UNKNOWN)
        else:  # OBJ: MARK, the class, its arguments
            items = pop_mark()
            walk.call(items[0] if items else _UNKNOWN)
            stack.append(_UNKNOWN)


def scan_pickle_stream(raw: IO[bytes], *, limit: int = MAX_STREAM_BYTES) -> PickleScan:
    """Walk the pickles in a stream and rate every import; never raises on bad input."""
    reader = _Reader(raw, limit)
    walk = _Walk()
    error: str | None = None
    error_offset: int | None = None
    limit_hit: str | None = None
    trailing: str | None = None
    pickles = 0
    while pickles < MAX_PICKLES:
        start = reader.pos
        try:
            _walk_one(reader, walk)
        except ScanLimitError as e:
            limit_hit = str(e)
            break
        except Exception as e:  # hostile input: every error is a finding, not a crash
            text = f"{type(e).__name__}: {e}"[:200]
            if pickles == 0:
                error, error_offset = text, reader.pos
            else:
                trailing = f"bytes from offset {start} are not a pickle ({text})"
            break
        pickles += 1
        try:
            nxt = reader.peek1()
        except Exception:
            break
        if not nxt:
            break
        if nxt != b"\x80":  # every pickle of protocol 2+ starts with PROTO
            trailing = f"bytes from offset {reader.pos} are not a pickle (no PROTO opcode)"
            break
    imports = tuple(
        PickleImport(m, n, r.verdict, r.reason, called)
        for (m, n), called in walk.imports.items()
        for r in (classify(m, n),)
    )
    return PickleScan(
        imports,
        tuple(walk.unresolved),
        walk.opcodes,
        pickles,
        walk.protocol,
        error,
        error_offset,
        limit_hit,
        trailing,
    )


def scan_pickle_bytes(data: bytes) -> PickleScan:
    """:func:`scan_pickle_stream` over bytes in memory."""
    return scan_pickle_stream(io.BytesIO(data))


# -- findings ---------------------------------------------------------------------------


def pickle_findings(path: str, scan: PickleScan, member: str | None = None) -> list[Finding]:
    """The findings for one walked stream: one per dangerous or unknown import, unresolved
    imports, parse errors and caps, or a single ``info`` when everything is safe."""
    out: list[Finding] = []
    for imp in scan.imports:
        how = "calls" if imp.called else "imports"
        if imp.verdict == "dangerous":
            out.append(
                Finding(
                    path,
                    "dangerous_import",
                    "critical",
                    f"{how} {imp.qualname} ({imp.reason})",
                    (imp.qualname,),
                    member,
                )
            )
        elif imp.verdict == "unknown":
            out.append(
                Finding(
                    path,
                    "unknown_import",
                    "warning",
                    f"{how} {imp.qualname} ({imp.reason})",
                    (imp.qualname,),
                    member,
                )
            )
    for what in scan.unresolved:
        out.append(
            Finding(
                path,
                "unresolved_import",
                "critical",
                f"{what}: the callable is only known when loaded",
                (),
                member,
            )
        )
    if scan.error is not None:
        seen = f"; {len(scan.imports)} imports seen before it" if scan.imports else ""
        out.append(
            Finding(
                path,
                "unparseable",
                "warning",
                f"not a valid pickle at byte {scan.error_offset}: {scan.error}{seen}",
                (),
                member,
            )
        )
    if scan.limit is not None:
        out.append(
            Finding(
                path,
                "scan_limit",
                "warning",
                f"scan stopped after {scan.opcodes} opcodes: {scan.limit}",
                (),
                member,
            )
        )
    if not out:
        safe = sorted(i.qualname for i in scan.imports)
        proto = f"protocol {scan.protocol}" if scan.protocol is not None else "protocol 0/1"
        out.append(
            Finding(
                path,
                "pickle",
                "info",
                f"{scan.pickles} pickle(s), {proto}, {scan.opcodes} opcodes; "
                f"{len(safe)} imports, all on the safe list",
                tuple(safe),
                member,
            )
        )
    return out
