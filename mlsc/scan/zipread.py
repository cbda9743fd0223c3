"""A tolerant zip reader: both views of an archive, the way the loaders read them.

Python's :mod:`zipfile` refuses archives that PyTorch's reader (miniz, in
``caffe2/serialize/inline_container.cc``) loads: a bad CRC (PyTorch skips CRC checks, and
``torch.serialization.set_crc32_options(False)`` even writes none), flag bits set in a local
header only (zipfile raises on bit 6, "strong encryption", or on a name that decodes
differently), a local header whose name disagrees with the central directory (zipfile raises
``BadZipFile``; miniz never compares them). A scanner that trusts :mod:`zipfile` reports such a
checkpoint as broken while ``torch.load`` unpickles its ``data.pkl`` (picklescan
GHSA-w8jq-xcqf-f792, GHSA-7q5r-7gvp-wc82, CVE-2025-10156; ModelScan issue 354).

:func:`list_zip` reads both the central directory (what miniz, :mod:`zipfile` and NumPy use)
and the chain of local headers from the start of the file (what streaming unzippers use), and
notes every way they disagree. :func:`open_entry` opens one entry's data by its local header,
stored or deflated (also bzip2), ignoring CRCs and encryption flags, never trusting a declared
size beyond the end of the file, and never decompressing more than asked for.
"""

from __future__ import annotations

import bz2
import io
import struct
import zlib
from dataclasses import dataclass
from typing import IO, Literal

MAX_ENTRIES = 100_000
"""Entries read from either view."""
EOCD_SEARCH = 65_557
"""Bytes at the end of a file searched for the end-of-central-directory record."""
LOCAL_SEARCH = 1 << 20
"""Bytes searched for the first local header (prepended data) or the next one (unknown size)."""
CHUNK = 1 << 16

LOCAL_SIG = b"PK\x03\x04"
CENTRAL_SIG = b"PK\x01\x02"
EOCD_SIG = b"PK\x05\x06"
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
ZIP64_EOCD_SIG = b"PK\x06\x06"
DESCRIPTOR_SIG = b"PK\x07\x08"

FLAG_ENCRYPTED = 0x1
FLAG_DESCRIPTOR = 0x8
FLAG_STRONG = 0x40
FLAG_UTF8 = 0x800


class ZipReadError(Exception):
    """The archive (or one entry) cannot be read at all."""


@dataclass(frozen=True)
class ZipEntry:
    """One entry as one view of the archive describes it."""

    name: str
    method: int
    """0 stored, 8 deflated, 12 bzip2 (others are not decompressed here)."""
    flags: int
    compressed_size: int | None
    """``None`` when the header does not say (a data descriptor follows the data)."""
    size: int | None
    header_offset: int
    """Where its local header starts in the file."""
    data_offset: int
    view: Literal["central", "local"]

    @property
    def is_dir(self) -> bool:
        return self.name.endswith(("/", "\\"))

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & (FLAG_ENCRYPTED | FLAG_STRONG))


@dataclass(frozen=True)
class ZipListing:
    """Both views of one archive."""

    central: tuple[ZipEntry, ...]
    local: tuple[ZipEntry, ...]
    has_central: bool
    """Whether an end-of-central-directory record was found and read."""
    problems: tuple[str, ...]
    """How the archive departs from a plain zip (disagreeing views, prepended bytes ...)."""

    def entries(self) -> list[tuple[ZipEntry, tuple[str, ...]]]:
        """Every distinct entry data (by offset, method and size), with all the names the
        two views give it, central-directory entries first."""
        seen: dict[tuple[int, int, int | None], list[str]] = {}
        first: dict[tuple[int, int, int | None], ZipEntry] = {}
        sized = {(e.data_offset, e.method): e.compressed_size for e in self.central}
        for e in (*self.central, *self.local):
            size = e.compressed_size
            if size is None:  # a data descriptor: the central directory has the size
                size = sized.get((e.data_offset, e.method))
            key = (e.data_offset, e.method, size)
            names = seen.setdefault(key, [])
            first.setdefault(key, e)
            if e.name not in names:
                names.append(e.name)
        return [(first[k], tuple(v)) for k, v in seen.items()]


def _decode(raw: bytes, flags: int) -> str:
    if flags & FLAG_UTF8:
        return raw.decode("utf-8", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")


def _zip64(extra: bytes, want: list[bool]) -> list[int | None]:
    """The zip64 extra field's values for the fields ``want`` marks as overflowed."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, n = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + n]
        pos += 4 + n
        if tag != 1:
            continue
        out: list[int | None] = []
        at = 0
        for w in want:
            if w and at + 8 <= len(body):
                out.append(struct.unpack_from("<Q", body, at)[0])
                at += 8
            else:
                out.append(None)
        return out
    return [None] * len(want)


def _read_at(f: IO[bytes], offset: int, n: int) -> bytes:
    """``n`` bytes at ``offset`` (none for an offset before the start: sizes are hostile)."""
    if offset < 0 or n <= 0:
        return b""
    f.seek(offset)
    return f.read(n)


def _find(f: IO[bytes], sig: bytes, start: int, limit: int) -> int:
    """The offset of the next ``sig`` at or after ``start`` within ``limit`` bytes, or -1."""
    pos, tail = start, b""
    while pos - start < limit:
        chunk = _read_at(f, pos, CHUNK)
        if not chunk:
            return -1
        hay = tail + chunk
        i = hay.find(sig)
        if i >= 0:
            return pos - len(tail) + i
        tail = hay[-(len(sig) - 1) :]
        pos += len(chunk)
    return -1


def _local_at(f: IO[bytes], offset: int) -> ZipEntry | None:
    head = _read_at(f, offset, 30)
    if len(head) < 30 or not head.startswith(LOCAL_SIG):
        return None
    flags, method = struct.unpack_from("<HH", head, 6)
    csize, usize, nlen, xlen = struct.unpack_from("<IIHH", head, 18)
    name_extra = f.read(nlen + xlen)
    name = _decode(name_extra[:nlen], flags)
    big = _zip64(name_extra[nlen:], [usize == 0xFFFFFFFF, csize == 0xFFFFFFFF])
    size: int | None = big[0] if usize == 0xFFFFFFFF else usize
    comp: int | None = big[1] if csize == 0xFFFFFFFF else csize
    if flags & FLAG_DESCRIPTOR and not comp:
        comp = size = None
    data = offset + 30 + nlen + xlen
    return ZipEntry(name, method, flags, comp, size, offset, data, "local")


def _local_chain(
    f: IO[bytes], file_size: int, problems: list[str], known: dict[int, int | None]
) -> list[ZipEntry]:
    """The local headers one after another from the first one in the file (``known``: the
    central directory's compressed size by local header offset, for data descriptors)."""
    start = _find(f, LOCAL_SIG, 0, LOCAL_SEARCH)
    if start > 0:
        problems.append(f"{start} bytes before the first local header")
    out: list[ZipEntry] = []
    pos = start
    while pos >= 0 and len(out) < MAX_ENTRIES:
        entry = _local_at(f, pos)
        if entry is None:
            break
        out.append(entry)
        nxt = -1
        comp = entry.compressed_size
        if comp is None:
            comp = known.get(pos)
        if comp is not None:
            end = entry.data_offset + comp
            if entry.flags & FLAG_DESCRIPTOR:
                sig = _read_at(f, end, 4)
                end += (4 if sig == DESCRIPTOR_SIG else 0) + 12
            sig = _read_at(f, end, 4)
            if sig == LOCAL_SIG:
                nxt = end
            elif sig in (CENTRAL_SIG, EOCD_SIG, ZIP64_EOCD_SIG) or end >= file_size:
                break  # the chain ends where it should
        if nxt < 0:  # an unknown or wrong size: look for the next header after the data
            found = _find(f, LOCAL_SIG, entry.data_offset if comp is None else end, LOCAL_SEARCH)
            if found >= 0 and comp is not None:
                problems.append(f"junk after the data of {entry.name!r}")
            nxt = found
        pos = nxt
    return out


def _eocd(f: IO[bytes], file_size: int) -> tuple[int, int, int, int] | None:
    """(entries, central directory size, its declared offset, the EOCD's offset)."""
    tail_start = max(0, file_size - EOCD_SEARCH)
    tail = _read_at(f, tail_start, EOCD_SEARCH)
    i = tail.rfind(EOCD_SIG)
    if i < 0 or i + 22 > len(tail):
        return None
    count, cd_size, cd_offset = struct.unpack_from("<HII", tail, i + 10)
    where = tail_start + i
    if 0xFFFF in (count,) or 0xFFFFFFFF in (cd_size, cd_offset):
        loc = tail[i - 20 : i] if i >= 20 else _read_at(f, where - 20, 20)
        if loc.startswith(ZIP64_LOCATOR_SIG):
            (rec,) = struct.unpack_from("<Q", loc, 8)
            body = _read_at(f, rec, 56)
            if body.startswith(ZIP64_EOCD_SIG) and len(body) == 56:
                count, cd_size, cd_offset = struct.unpack_from("<QQQ", body, 32)
                return count, cd_size, cd_offset, rec
    return count, cd_size, cd_offset, where


def _central(f: IO[bytes], file_size: int, problems: list[str]) -> list[ZipEntry] | None:
    found = _eocd(f, file_size)
    if found is None:
        return None
    count, cd_size, cd_offset, where = found
    shift = where - cd_size - cd_offset  # bytes prepended to the archive
    if shift:
        problems.append(f"central directory is {shift} bytes from where it says")
    data = _read_at(f, cd_offset + shift, min(cd_size, where - cd_offset - shift + 1))
    out: list[ZipEntry] = []
    pos = 0
    while pos + 46 <= len(data) and len(out) < min(count or MAX_ENTRIES, MAX_ENTRIES):
        if data[pos : pos + 4] != CENTRAL_SIG:
            problems.append(f"central directory entry {len(out)} has no signature")
            break
        flags, method = struct.unpack_from("<HH", data, pos + 8)
        csize, usize, nlen, xlen, clen = struct.unpack_from("<IIHHH", data, pos + 20)
        (offset,) = struct.unpack_from("<I", data, pos + 42)
        name = _decode(data[pos + 46 : pos + 46 + nlen], flags)
        extra = data[pos + 46 + nlen : pos + 46 + nlen + xlen]
        big = _zip64(extra, [usize == 0xFFFFFFFF, csize == 0xFFFFFFFF, offset == 0xFFFFFFFF])
        size = big[0] if big[0] is not None else usize
        comp = big[1] if big[1] is not None else csize
        offset = (big[2] if big[2] is not None else offset) + shift
        pos += 46 + nlen + xlen + clen
        local = _local_at(f, offset)
        if local is None:
            problems.append(f"{name!r}: no local header at offset {offset}")
            continue
        if local.name != name:
            problems.append(f"central directory names {name!r}, local header {local.name!r}")
        if local.method != method:
            problems.append(f"{name!r}: method {method} in central directory, {local.method} local")
        if local.flags != flags:
            problems.append(
                f"{name!r}: flags {flags:#x} in central directory, {local.flags:#x} local"
            )
        if local.compressed_size not in (None, comp) or local.size not in (None, size):
            problems.append(f"{name!r}: sizes differ between central directory and local header")
        out.append(ZipEntry(name, method, flags, comp, size, offset, local.data_offset, "central"))
    return out


def list_zip(f: IO[bytes], file_size: int) -> ZipListing:
    """Both views of the zip archive in a seekable file; raises :class:`ZipReadError` when
    neither view has a single entry."""
    problems: list[str] = []
    central = _central(f, file_size, problems)
    known = {e.header_offset: e.compressed_size for e in central or ()}
    local = _local_chain(f, file_size, problems, known)
    if not central and not local:
        why = "no end-of-central-directory record" if central is None else "no entries"
        raise ZipReadError("; ".join([why, *problems]))
    names = [e.name for e in central or ()]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"duplicate member names: {', '.join(map(repr, dupes[:5]))}")
    central_at = {e.header_offset for e in central or ()}
    hidden = [e.name for e in local if e.header_offset not in central_at]
    if central is not None and hidden:
        problems.append(f"local headers the central directory omits: {hidden[:5]!r}")
    return ZipListing(tuple(central or ()), tuple(local), central is not None, tuple(problems))


class _Window(io.RawIOBase):
    """``n`` bytes of a file from ``start`` (to the end of the file when ``n`` is None)."""

    def __init__(self, f: IO[bytes], start: int, n: int | None) -> None:
        self._f, self._pos, self._left = f, start, n

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        n = len(b) if self._left is None else min(len(b), self._left)
        data = _read_at(self._f, self._pos, n) if n else b""
        b[: len(data)] = data
        self._pos += len(data)
        if self._left is not None:
            self._left -= len(data)
        return len(data)


class _Inflate(io.RawIOBase):
    """A raw deflate stream decompressed on demand: never more than asked for."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._z = zlib.decompressobj(-15)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        out = bytearray()
        while len(out) < len(b) and not self._z.eof:
            data = self._z.unconsumed_tail or self._raw.read(CHUNK)
            if not data:
                break
            out += self._z.decompress(data, len(b) - len(out))
        b[: len(out)] = out
        return len(out)


def open_entry(f: IO[bytes], entry: ZipEntry) -> IO[bytes]:
    """A reader of one entry's (decompressed) data; CRCs and encryption flags are ignored,
    as PyTorch's reader ignores them. Raises :class:`ZipReadError` for other methods."""
    n = entry.compressed_size
    window = io.BufferedReader(_Window(f, entry.data_offset, n), CHUNK)
    if entry.method == 0:
        return window
    if entry.method == 8:
        return io.BufferedReader(_Inflate(window), CHUNK)
    if entry.method == 12:
        return bz2.BZ2File(window)
    raise ZipReadError(f"compression method {entry.method} is not read here")
