"""Find what pickles import, without loading them.

The engine walks the opcodes with the standard library's :func:`pickletools.genops` and
runs a symbolic machine beside it (:mod:`mlsc.scan.pickle_vm`): constant strings, memo
entries and MARKs are tracked, so a protocol 4 ``STACK_GLOBAL`` resolves to the module and
name strings it pops (however they were pushed: directly, through the memo, via DUP), and
an operand that is not a constant string is reported as an *unresolved* import. Every
import carries its evidence: the byte offset and opcode where it is imported and where it
is applied. Bytes handed to an unpickling callable (``pickle.loads``, ``torch.load`` over
``io.BytesIO``) are walked as a nested pickle, a few levels deep. The numpy arrays joblib
writes inline are read past as ``joblib.load`` reads them (:mod:`mlsc.scan.joblib_arrays`),
and those bytes are probed as opcodes too (``pickle.load`` would read them so). Nothing is
ever unpickled.

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
import zipfile
from dataclasses import dataclass
from typing import IO

from mlsc.scan.callables import Verdict, classify
from mlsc.scan.pickle_report import pickle_findings
from mlsc.scan.pickle_values import (
    MAX_NAME,
    External,
    Injection,
    ScanLimitError,
    Site,
    Walk,
)
from mlsc.scan.pickle_vm import Machine

__all__ = [
    "MAX_NAME",
    "MAX_STREAM_BYTES",
    "HiddenArray",
    "NestedScan",
    "PickleImport",
    "PickleScan",
    "ScanLimitError",
    "Site",
    "pickle_findings",
    "scan_pickle_bytes",
    "scan_pickle_stream",
]

MAX_OPCODES = 10_000_000
"""Opcodes walked per stream before the scan stops with a ``scan_limit`` finding."""
MAX_STREAM_BYTES = 64 << 30
"""Bytes read from one pickle stream (decompressed, for archive members) before stopping."""
BIG_READ = 16 << 20
"""A single opcode argument longer than this is skipped, not read (its bytes don't matter)."""
MAX_LINE = 64 << 10
"""Longest text line (protocol 0 arguments) read."""
MAX_PICKLES = 64
"""Consecutive pickles walked in one stream."""


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


class StreamReader:
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


PICKLE_STARTS = frozenset({b"\x80", b"(", b"c", b"]", b"}", b")", b"N", b"i"})
"""First bytes of a following pickle that is walked too: PROTO (protocols 2-5), or how
protocols 0-1 start (MARK, GLOBAL, an empty list, dict or tuple, None, INST): a loader that
calls ``load`` again (legacy ``torch.save`` reads several pickles) runs it."""

MAX_DEPTH = 3
"""Nested pickles (a pickle that hands bytes to ``pickle.loads``) walked this deep."""


@dataclass(frozen=True)
class PickleImport:
    """One callable a pickle imports."""

    module: str
    name: str
    verdict: Verdict
    reason: str
    called: bool
    """Whether REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST or BUILD applies it (else it is only
    imported)."""
    offset: int | None = None
    """Where it is first imported (the GLOBAL, STACK_GLOBAL or INST)."""
    opcode: str | None = None
    call_offset: int | None = None
    """Where it is first applied."""
    call_opcode: str | None = None

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class Unresolved:
    """An import only known when loaded: a computed STACK_GLOBAL or an EXT code."""

    detail: str
    offset: int
    opcode: str


@dataclass(frozen=True)
class NestedScan:
    """A pickle carried inside another: bytes handed to an unpickling callable."""

    via: str
    """The loader it is handed to (``pickle.loads``)."""
    offset: int
    """Where, in the outer stream, the bytes are (their constant's opcode, or the call that
    decoded them)."""
    opcode: str
    base: int | None
    """Where the nested bytes start in the outer stream, when they are a constant: an
    offset in the nested scan plus ``base`` is an offset in the outer stream."""
    size: int
    scan: PickleScan
    part: str = ""
    """The member of a nested archive (``archive/data.pkl``), else empty."""


@dataclass(frozen=True)
class HiddenArray:
    """Bytes ``joblib.load`` reads as a numpy array's data that are pickle opcodes
    ``pickle.load`` would run: an import or call, or opcodes to the end of the region (from
    there ``pickle.load`` reads the rest of the stream out of step with joblib)."""

    offset: int
    """The BUILD of the array placeholder."""
    start: int
    """Where the array bytes start in the stream (the probe's offsets are relative to it)."""
    size: int
    overrun: bool
    """The opcodes run to the end of the probed bytes (no STOP, no unknown opcode)."""
    scan: PickleScan


@dataclass(frozen=True)
class PickleScan:
    """What one pickle stream imports, and how far the walk got."""

    imports: tuple[PickleImport, ...]
    unresolved_at: tuple[Unresolved, ...]
    """Imports whose module or name is not a constant (``STACK_GLOBAL`` of computed values,
    ``EXT1``-``EXT4`` registry codes)."""
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
    injections: tuple[Injection, ...] = ()
    """BUILDs that set dunder state or set state on an imported object itself."""
    nested: tuple[NestedScan, ...] = ()
    """Pickles handed to ``pickle.loads`` and the like, walked."""
    hidden: tuple[HiddenArray, ...] = ()
    """joblib array bytes that ``pickle.load`` would run as opcodes."""
    external: tuple[External, ...] = ()
    """Old joblib placeholders whose array is read from another file."""

    @property
    def unresolved(self) -> tuple[str, ...]:
        """The unresolved imports, described."""
        return tuple(u.detail for u in self.unresolved_at)


def _walk_stream(
    reader: StreamReader, walk: Walk, joblib: bool = True
) -> tuple[int, str | None, int | None, str | None, str | None]:
    """Walk consecutive pickles; (complete pickles, error, its offset, limit, trailing)."""
    error: str | None = None
    error_offset: int | None = None
    limit_hit: str | None = None
    trailing: str | None = None
    pickles = 0
    while pickles < MAX_PICKLES:
        start = reader.pos
        try:
            Machine(walk, joblib=joblib).run(reader)  # type: ignore[arg-type]
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
        if nxt not in PICKLE_STARTS:
            trailing = f"bytes from offset {reader.pos} are not a pickle (no PROTO opcode)"
            break
    return pickles, error, error_offset, limit_hit, trailing


def _nested_parts(data: bytes) -> list[tuple[str, bytes, int]]:
    """The pickle streams in nested bytes: (part, bytes, where they start in ``data``).
    A zip (``torch.save`` to a buffer) gives its ``.pkl`` members, a ``.npy`` its payload."""
    if data.startswith(b"PK\x03\x04"):
        parts: list[tuple[str, bytes, int]] = []
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for info in z.infolist()[:64]:
                    if info.filename.endswith(".pkl") and info.file_size <= len(data) * 20:
                        parts.append((info.filename, z.read(info)[: 64 << 20], -1))
        except Exception:
            return []
        return parts
    if data.startswith(b"\x93NUMPY") and len(data) > 12:
        width = 2 if data[6] == 1 else 4
        size = int.from_bytes(data[8 : 8 + width], "little")
        start = 8 + width + size
        return [("", data[start:], start)]
    return [("", data, 0)]


def _nested(walk: Walk, depth: int) -> tuple[NestedScan, ...]:
    out: list[NestedScan] = []
    if depth >= MAX_DEPTH:
        return ()
    for p in walk.payloads:
        for part, data, start in _nested_parts(p.data):
            inner = _scan(io.BytesIO(data), len(data), depth + 1)
            if inner.opcodes == 0 or (inner.error is not None and not inner.imports):
                continue  # not a pickle: nothing a loader would run
            base = p.base + start if p.base is not None and start >= 0 else None
            out.append(
                NestedScan(p.via, p.site.offset, p.site.opcode, base, len(data), inner, part)
            )
    return tuple(out)


def _probe_arrays(walk: Walk, depth: int) -> tuple[HiddenArray, ...]:
    """Walk each kept joblib array region as ``pickle.load`` would (no array skipping)."""
    out: list[HiddenArray] = []
    for region in walk.arrays:
        probe = _scan(io.BytesIO(region.head), len(region.head), depth + 1, joblib=False)
        stopped = probe.pickles > 0 or (probe.error is not None and "unknown" in probe.error)
        overrun = not stopped  # a walk to the end of the bytes (or the probe's cap)
        if overrun or probe.imports or probe.unresolved_at or probe.injections or probe.nested:
            out.append(HiddenArray(region.site.offset, region.start, region.size, overrun, probe))
    return tuple(out)


def _scan(raw: IO[bytes], limit: int, depth: int, *, joblib: bool = True) -> PickleScan:
    reader = StreamReader(raw, limit)
    walk = Walk(max_opcodes=MAX_OPCODES)
    pickles, error, error_offset, limit_hit, trailing = _walk_stream(reader, walk, joblib)
    imports = tuple(
        PickleImport(
            m,
            n,
            r.verdict,
            r.reason,
            rec.called is not None,
            rec.imported.offset,
            rec.imported.opcode,
            rec.called.offset if rec.called else None,
            rec.called.opcode if rec.called else None,
        )
        for (m, n), rec in walk.imports.items()
        for r in (classify(m, n),)
    )
    return PickleScan(
        imports,
        tuple(Unresolved(u.detail, u.site.offset, u.site.opcode) for u in walk.unresolved),
        walk.opcodes,
        pickles,
        walk.protocol,
        error,
        error_offset,
        limit_hit,
        trailing,
        tuple(walk.injections),
        _nested(walk, depth),
        _probe_arrays(walk, depth),
        tuple(walk.external),
    )


def scan_pickle_stream(raw: IO[bytes], *, limit: int = MAX_STREAM_BYTES) -> PickleScan:
    """Walk the pickles in a stream and rate every import; never raises on bad input."""
    return _scan(raw, limit, 0)


def scan_pickle_bytes(data: bytes) -> PickleScan:
    """:func:`scan_pickle_stream` over bytes in memory."""
    return scan_pickle_stream(io.BytesIO(data))
