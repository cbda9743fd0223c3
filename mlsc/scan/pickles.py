"""Find what pickles import, without loading them.

The engine walks the opcodes with the standard library's :func:`pickletools.genops` and
runs a symbolic stack beside it: constant strings, memo entries and MARKs are tracked, so a
protocol 4 ``STACK_GLOBAL`` resolves to the module and name strings it pops (however they
were pushed: directly, through the memo, via DUP), and an operand that is not a constant
string is reported as an *unresolved* import. Nothing is ever unpickled.

Containers handled by :func:`scan_pickle_file`:

- raw pickles (``.pkl``, ``.pickle``, ``.joblib``, ``.dat``), also several in a row, as the
  legacy ``torch.save`` format writes them (the magic number, protocol, sys info, the
  object, the storage keys, then raw storage bytes, which end the walk quietly);
- zip archives: PyTorch checkpoints (``archive/data.pkl``, ``constants.pkl``), ``.npz``;
- PyTorch's oldest tar format (``sys_info``, ``pickle``, ``storages``, ``tensors``);
- NumPy ``.npy`` files whose dtype has objects (the payload after the header is a pickle);
- gzip, bz2, xz, lzma and zlib streams (compressed joblib files).

Hostile input is expected: reads are capped (a 10 GiB BINBYTES8 is skipped, never read into
memory), the opcode count is capped, every exception is caught and reported as an
``unparseable`` finding along with whatever imports were seen before the error (an
unpickler would already have executed those).
"""

from __future__ import annotations

import ast
import bz2
import gzip
import io
import lzma
import os
import pickletools
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal, cast

from mlsc.scan.callables import Verdict, classify
from mlsc.scan.findings import Finding
from mlsc.scan.formats import COMPRESSED, PICKLE_NAME_HINTS, Magic

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
MAX_MEMBERS = 100_000
"""Archive members looked at."""
MAX_NPY_HEADER = 1 << 20
"""Largest ``.npy`` header parsed (NumPy itself refuses more than 10 000 bytes by default)."""

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dat", ".data")
"""Names that mean a raw pickle stream."""
TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl.gz", ".mar")
"""Names that may be a PyTorch checkpoint: a zip, a tar or raw pickles."""
TAR_MEMBERS = frozenset({"sys_info", "pickle", "storages", "tensors"})
"""The pickles in PyTorch's oldest (tar) checkpoint format."""

ContainerFormat = Literal[
    "pickle",
    "torch-legacy",
    "torch-zip",
    "torch-tar",
    "zip",
    "tar",
    "npz",
    "numpy",
    "numpy-object",
    "compressed-pickle",
]


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


# -- containers -------------------------------------------------------------------------

MAX_MEMBER_BYTES = 4 << 30
"""Decompressed bytes read from one archive member or compressed stream (zip bombs)."""
SECOND_OPINION_MAX_OPCODES = 1_000_000
"""Streams with more opcodes than this are not handed to the second engine (it keeps every
opcode in memory)."""

Opener = Callable[[ExitStack], IO[bytes]]
"""Opens one pickle stream afresh (positioned at its first opcode) inside an ExitStack."""
SecondOpinion = Callable[[IO[bytes]], "list[tuple[str, str]] | None"]
"""Given a fresh stream, the (module, name) imports another engine rates dangerous, or
``None`` if it could not say."""


@dataclass(frozen=True)
class PickleFileScan:
    """Everything :func:`scan_pickle_file` found in one file."""

    container: ContainerFormat | None
    """What held the pickles; ``None`` if the file turned out to be none of them."""
    has_pickle: bool
    """Whether the file holds pickle data that a loader would unpickle."""
    findings: tuple[Finding, ...]
    imports: tuple[PickleImport, ...]
    """Every import of every stream (a name may repeat across members)."""
    streams: tuple[str, ...]
    """The streams walked: ``""`` for the file itself, else the member names."""


@dataclass
class _Collect:
    """What the scan of one file gathers as it goes."""

    path: str
    second: SecondOpinion | None
    findings: list[Finding] = field(default_factory=list)
    imports: list[PickleImport] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)

    def fail(
        self, kind: Literal["unparseable", "scan_limit"], detail: str, member: str | None
    ) -> None:
        self.findings.append(Finding(self.path, kind, "warning", detail[:300], (), member))

    def stream(self, opener: Opener, member: str | None, limit: int = MAX_STREAM_BYTES) -> None:
        """Walk one pickle stream (and ask the second engine about it)."""
        with ExitStack() as stack:
            try:
                raw = opener(stack)
            except Exception as e:
                self.fail("unparseable", f"cannot open: {type(e).__name__}: {e}", member)
                return
            scan = scan_pickle_stream(raw, limit=limit)
        self.streams.append(member or "")
        self.imports.extend(scan.imports)
        self.findings.extend(pickle_findings(self.path, scan, member))
        if self.second is not None and scan.opcodes <= SECOND_OPINION_MAX_OPCODES:
            self._second_opinion(opener, scan, member)

    def _second_opinion(self, opener: Opener, scan: PickleScan, member: str | None) -> None:
        assert self.second is not None
        with ExitStack() as stack:
            try:
                flagged = self.second(cast(IO[bytes], _Reader(opener(stack), MAX_MEMBER_BYTES)))
            except Exception:
                flagged = None
        if not flagged:
            return
        mine = {(i.module, i.name): i.verdict for i in scan.imports}
        for module, name in sorted(set(flagged)):
            qual = f"{module}.{name}"
            verdict = mine.get((module, name))
            if verdict == "dangerous":
                continue
            if verdict is None and "unknown" in (module, name):
                if scan.unresolved:
                    continue
                detail = "picklescan could not resolve a STACK_GLOBAL the stdlib walk resolved"
                self.findings.append(
                    Finding(
                        self.path, "second_opinion", "warning", detail, (), member, "picklescan"
                    )
                )
            elif verdict is None:
                self.findings.append(
                    Finding(
                        self.path,
                        "dangerous_import",
                        "critical",
                        f"imports {qual} (found by picklescan only)",
                        (qual,),
                        member,
                        "picklescan",
                    )
                )
            else:
                self.findings.append(
                    Finding(
                        self.path,
                        "second_opinion",
                        "warning",
                        f"picklescan rates {qual} dangerous (mlsc: {verdict})",
                        (qual,),
                        member,
                        "picklescan",
                    )
                )


class _ZlibStream(io.RawIOBase):
    """A zlib stream decompressed on demand, never more than asked for (zip-bomb safe)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._d = zlib.decompressobj()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            raise ScanLimitError("unbounded read")
        out = bytearray()
        while len(out) < n:
            if self._d.unconsumed_tail:
                data = self._d.unconsumed_tail
            elif self._d.eof:
                break
            else:
                data = self._raw.read(1 << 16)
                if not data:
                    break
            out += self._d.decompress(data, n - len(out))
        return bytes(out)


def _decompressor(magic: Magic, raw: IO[bytes]) -> IO[bytes]:
    if magic == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    if magic == "bz2":
        return cast(IO[bytes], bz2.BZ2File(raw, mode="rb"))
    if magic in ("xz", "lzma"):
        return cast(IO[bytes], lzma.LZMAFile(raw, mode="rb"))
    return cast(IO[bytes], _ZlibStream(raw))


def _has_object(descr: object) -> bool:
    """Whether a ``.npy`` header's dtype description holds Python objects."""
    try:
        import numpy as np

        dtype = np.lib.format.descr_to_dtype(descr)  # type: ignore[arg-type]
        return bool(dtype.hasobject)
    except Exception:
        return "O" in repr(descr)


def read_npy_header(f: IO[bytes]) -> tuple[dict[str, object], bool]:
    """Parse a ``.npy`` header from the start of ``f`` (left at the payload): the header
    dict and whether the payload is a pickle (an object dtype). Raises ``ValueError``."""
    prefix = f.read(8)
    if len(prefix) < 8 or not prefix.startswith(b"\x93NUMPY"):
        raise ValueError("not a .npy file")
    major = prefix[6]
    if major == 1:
        raw_len = f.read(2)
        fmt = "<H"
    elif major in (2, 3):
        raw_len = f.read(4)
        fmt = "<I"
    else:
        raise ValueError(f"unknown .npy version {major}")
    if len(raw_len) != struct.calcsize(fmt):
        raise ValueError("truncated .npy header length")
    (hlen,) = struct.unpack(fmt, raw_len)
    if hlen > MAX_NPY_HEADER:
        raise ValueError(f".npy header of {hlen} bytes (limit {MAX_NPY_HEADER})")
    text = f.read(hlen)
    if len(text) != hlen:
        raise ValueError("truncated .npy header")
    header = ast.literal_eval(text.decode("utf-8" if major == 3 else "latin-1"))
    if not isinstance(header, dict) or not {"descr", "fortran_order", "shape"} <= set(header):
        raise ValueError(".npy header is not a dict with descr, fortran_order and shape")
    return header, _has_object(header["descr"])


def _npy(col: _Collect, opener: Opener, member: str | None) -> bool:
    """Scan one ``.npy`` (file or member); whether it holds a pickle."""
    with ExitStack() as stack:
        try:
            _, objects = read_npy_header(opener(stack))
        except Exception as e:
            col.fail("unparseable", f"bad .npy header: {type(e).__name__}: {e}", member)
            return False
    if not objects:
        return False

    def payload(stack: ExitStack) -> IO[bytes]:
        f = opener(stack)
        read_npy_header(f)
        return f

    col.stream(payload, member, MAX_MEMBER_BYTES)
    return True


def _zip(col: _Collect, path: Path) -> ContainerFormat:
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            col.fail("scan_limit", f"{len(infos)} members, only {MAX_MEMBERS} scanned", None)
            infos = infos[:MAX_MEMBERS]
        names = [i.filename for i in infos]
        torch_zip = any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)
        npz = path.name.lower().endswith(".npz") or (
            bool(names) and all(n.endswith(".npy") for n in names)
        )
        for info in infos:
            name = info.filename
            lower = name.lower()
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                col.fail("scan_limit", "encrypted member not scanned", name)
                continue

            def opener(stack: ExitStack, info: zipfile.ZipInfo = info) -> IO[bytes]:
                return stack.enter_context(zf.open(info))

            try:
                if lower.endswith(".npy"):
                    _npy(col, opener, name)
                    continue
                if lower.endswith(PICKLE_SUFFIXES):
                    col.stream(opener, name, MAX_MEMBER_BYTES)
                    continue
                if torch_zip and "/data/" in f"/{name}":
                    continue  # raw tensor storages
                with zf.open(info) as m:
                    head = m.read(2)
                if len(head) == 2 and head[0] == 0x80 and head[1] <= 5:
                    col.stream(opener, name, MAX_MEMBER_BYTES)
            except Exception as e:
                col.fail("unparseable", f"cannot read member: {type(e).__name__}: {e}", name)
    return "torch-zip" if torch_zip else "npz" if npz else "zip"


def _tar(col: _Collect, path: Path) -> ContainerFormat:
    torch_tar = False
    with tarfile.open(path, mode="r:") as tf:
        for count, member in enumerate(tf):
            if count >= MAX_MEMBERS:
                col.fail("scan_limit", f"more than {MAX_MEMBERS} members", None)
                break
            if not member.isfile():
                continue
            base = member.name.rsplit("/", 1)[-1]
            torch_tar |= base in TAR_MEMBERS

            def opener(stack: ExitStack, member: tarfile.TarInfo = member) -> IO[bytes]:
                f = tf.extractfile(member)
                if f is None:
                    raise ValueError("not a regular file")
                return stack.enter_context(f)

            try:
                if base.lower().endswith(".npy"):
                    _npy(col, opener, member.name)
                    continue
                with ExitStack() as stack:
                    head = opener(stack).read(2)
                named = base in TAR_MEMBERS or base.lower().endswith(PICKLE_SUFFIXES)
                if named or (len(head) == 2 and head[0] == 0x80 and head[1] <= 5):
                    col.stream(opener, member.name, MAX_MEMBER_BYTES)
            except Exception as e:
                col.fail("unparseable", f"cannot read member: {type(e).__name__}: {e}", member.name)
    return "torch-tar" if torch_tar else "tar"


def _file_opener(path: Path) -> Opener:
    def opener(stack: ExitStack) -> IO[bytes]:
        return stack.enter_context(path.open("rb"))

    return opener


def _compressed_opener(path: Path, magic: Magic) -> Opener:
    def opener(stack: ExitStack) -> IO[bytes]:
        raw = stack.enter_context(path.open("rb"))
        return stack.enter_context(_decompressor(magic, raw))

    return opener


def should_scan(magic: Magic | None, name: str) -> bool:
    """Whether :func:`scan_pickle_file` has anything to look at in a file like this."""
    lower = name.lower()
    if magic in ("zip", "tar", "numpy", "pickle", "torch-legacy"):
        return True
    if magic in COMPRESSED:
        return any(h in lower for h in PICKLE_NAME_HINTS)
    if magic is None:
        return lower.endswith((*PICKLE_SUFFIXES, ".pt", ".pth", ".ckpt"))
    return False


def scan_pickle_file(
    path: Path,
    rel: str,
    magic: Magic | None,
    *,
    second_opinion: SecondOpinion | None = None,
) -> PickleFileScan:
    """Scan one file for pickle content by its format (see the module doc); never raises.

    ``rel`` is the path findings carry; ``magic`` is what :func:`mlsc.scan.formats.sniff`
    saw. A file with no pickle-like magic is walked as a raw pickle only when its name says
    it is one (``.pkl``, ``.pt`` ...: protocols 0 and 1 have no magic bytes).
    """
    col = _Collect(rel, second_opinion)
    container: ContainerFormat | None = None
    has_pickle = False
    try:
        if magic == "zip":
            container = _zip(col, path)
            has_pickle = bool(col.streams)
        elif magic == "tar":
            container = _tar(col, path)
            has_pickle = bool(col.streams)
        elif magic == "numpy":
            has_pickle = _npy(col, _file_opener(path), None)
            container = "numpy-object" if has_pickle else "numpy"
        elif magic in COMPRESSED:
            opener = _compressed_opener(path, magic)
            with ExitStack() as stack:
                head = opener(stack).read(6)
            if head.startswith(b"\x93NUMPY"):
                has_pickle = _npy(col, opener, None)
                container = "numpy-object" if has_pickle else "numpy"
            else:
                col.stream(opener, None, MAX_MEMBER_BYTES)
                container, has_pickle = "compressed-pickle", True
        elif should_scan(magic, path.name):
            col.stream(_file_opener(path), None)
            container = "torch-legacy" if magic == "torch-legacy" else "pickle"
            has_pickle = True
    except Exception as e:  # a broken archive: report, never crash the directory scan
        col.fail("unparseable", f"{type(e).__name__}: {e}", None)
    return PickleFileScan(
        container, has_pickle, tuple(col.findings), tuple(col.imports), tuple(col.streams)
    )
