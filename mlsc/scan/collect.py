"""What the scan of one file gathers, stream by stream, and the verdict rule for streams a
loader would unpickle.

:class:`Collector` walks each pickle stream with :func:`mlsc.scan.pickles.scan_pickle_stream`,
turns the walk into findings and asks the optional second engine. The verdict rule: a stream a
loader would unpickle (named ``data.pkl`` or ``*.pkl``, starting with a pickle ``PROTO``, the
payload of an object ``.npy`` ...) that mlsc cannot parse past its first opcode is
``critical`` (an ``opaque_pickle`` finding), not merely unparseable: the unpickler reads
opcodes differently from any scanner, and runs what it reads before it fails. Content no
loader would execute (a first byte that is no opcode, a text file probed for a pickle) stays
``unparseable`` or is not reported at all.

Also here: reading ``.npy`` headers and the compressed streams joblib writes.
"""

from __future__ import annotations

import ast
import bz2
import gzip
import io
import lzma
import re
import struct
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Literal, cast

from mlsc.scan.findings import Finding, Kind
from mlsc.scan.formats import Magic
from mlsc.scan.pickles import (
    PickleImport,
    PickleScan,
    ScanLimitError,
    StreamReader,
    pickle_findings,
    scan_pickle_stream,
)

MAX_MEMBER_BYTES = 4 << 30
"""Decompressed bytes read from one archive member or compressed stream (zip bombs)."""
MAX_NPY_HEADER = 1 << 20
"""Largest ``.npy`` header parsed (NumPy itself refuses more than 10 000 bytes by default)."""
SECOND_OPINION_MAX_OPCODES = 1_000_000
"""Streams with more opcodes than this are not handed to the second engine (it keeps every
opcode in memory)."""

MAX_FILE_OPCODES = 50_000_000
"""Opcodes walked over all the streams of one file (an archive of many overlapping or
repeated members stays bounded); past it the rest is a ``scan_limit``."""
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z", re.ASCII)
"""A module or attribute path an unpickler could import: how a probed stream (no magic, no
pickle name) shows it is a pickle rather than text whose letters happen to be opcodes
(``import os`` walks as an INST of ``mport os``)."""

Opener = Callable[[ExitStack], IO[bytes]]
"""Opens one pickle stream afresh (positioned at its first opcode) inside an ExitStack."""
SecondOpinion = Callable[[IO[bytes]], "list[tuple[str, str]] | None"]
"""Given a fresh stream, the (module, name) imports another engine rates dangerous, or
``None`` if it could not say."""


def is_pickle_head(head: bytes) -> bool:
    """Whether bytes start with a ``PROTO`` opcode (every pickle of protocol 2 and later)."""
    return len(head) >= 2 and head[0] == 0x80 and head[1] <= 5


@dataclass
class Collector:
    """What the scan of one file gathers as it goes."""

    path: str
    second: SecondOpinion | None
    findings: list[Finding] = field(default_factory=list)
    imports: list[PickleImport] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)
    opcodes: int = 0
    """Opcodes walked so far over every stream."""

    def fail(
        self, kind: Literal["unparseable", "scan_limit"], detail: str, member: str | None
    ) -> None:
        self.findings.append(Finding(self.path, kind, "warning", detail[:300], (), member))

    def add(
        self,
        kind: Kind,
        severity: Literal["critical", "warning", "info"],
        detail: str,
        member: str | None,
        check: str | None = None,
    ) -> None:
        """Record one finding about this file."""
        self.findings.append(
            Finding(self.path, kind, severity, detail[:300], (), member, check=check)
        )

    def opaque(self, detail: str, member: str | None, loader: str = "torch.load") -> None:
        """A stream a loader would unpickle that mlsc cannot read: critical."""
        self.add(
            "opaque_pickle",
            "critical",
            f"mlsc cannot parse this; {loader} would still unpickle it ({detail})",
            member,
        )

    def stream(
        self,
        opener: Opener,
        member: str | None,
        limit: int = MAX_MEMBER_BYTES,
        *,
        bound: bool = True,
        loader: str = "torch.load",
    ) -> bool:
        """Walk one pickle stream (and ask the second engine about it); whether it was a
        pickle. ``bound``: a loader would unpickle it (else it is only probed: reported only
        if it imports a real module path, and never escalated to ``opaque_pickle``; a
        probed stream that imports nothing cannot run anything)."""
        if self.opcodes > MAX_FILE_OPCODES:
            why = f"not walked: over {MAX_FILE_OPCODES} opcodes in this file"
            if bound:
                self.opaque(why, member, loader)
            else:
                self.fail("scan_limit", why, member)
            return bound
        with ExitStack() as stack:
            try:
                raw = opener(stack)
            except Exception as e:
                if bound:
                    self.opaque(f"cannot open: {type(e).__name__}: {e}", member, loader)
                return bound
            scan = scan_pickle_stream(raw, limit=limit)
        self.opcodes += scan.opcodes
        walked = any(
            _IDENTIFIER.match(i.module) and _IDENTIFIER.match(i.name) for i in scan.imports
        )
        if not bound and not walked:
            return False
        self.streams.append(member or "")
        self.imports.extend(scan.imports)
        self.findings.extend(pickle_findings(self.path, scan, member))
        if bound and scan.error is not None and (scan.opcodes or scan.imports or scan.unresolved):
            self.opaque(f"invalid at byte {scan.error_offset}: {scan.error}", member, loader)
        if self.second is not None and scan.opcodes <= SECOND_OPINION_MAX_OPCODES:
            self._second_opinion(opener, scan, member)
        return True

    def _second_opinion(self, opener: Opener, scan: PickleScan, member: str | None) -> None:
        assert self.second is not None
        with ExitStack() as stack:
            try:
                flagged = self.second(
                    cast(IO[bytes], StreamReader(opener(stack), MAX_MEMBER_BYTES))
                )
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


class ZlibStream(io.RawIOBase):
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


def decompressor(magic: Magic, raw: IO[bytes]) -> IO[bytes]:
    """A reader of the decompressed content of a gzip, bz2, xz, lzma or zlib stream."""
    if magic == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    if magic == "bz2":
        return cast(IO[bytes], bz2.BZ2File(raw, mode="rb"))
    if magic in ("xz", "lzma"):
        return cast(IO[bytes], lzma.LZMAFile(raw, mode="rb"))
    return cast(IO[bytes], ZlibStream(raw))


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


def scan_npy(col: Collector, opener: Opener, member: str | None) -> bool:
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

    col.stream(payload, member, MAX_MEMBER_BYTES, loader="numpy.load(allow_pickle=True)")
    return True
