"""Zip archives bent the ways the advisories bend them, byte by byte.

Each helper writes a normal archive with :mod:`zipfile`, then patches its headers: the
result is what an attacker uploads (nothing here is ever loaded)."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from pathlib import Path

from tests.scan import builders as b

EVIL = b.reduce_call("os", "system", "id")
"""The payload every malicious sample carries."""


def zip_bytes(
    members: list[tuple[str, bytes]],
    method: int = zipfile.ZIP_STORED,
    *,
    stream: bool = False,
    zip64: bool = False,
) -> bytes:
    """A zip of ``members`` (``stream``: written unseekably, with data descriptors, the way
    PyTorch's writer sets flag bit 3)."""
    buf = io.BytesIO()

    class Unseekable(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: bytes) -> int:  # type: ignore[override]
            return buf.write(data)

    target: io.IOBase = Unseekable() if stream else buf
    with warnings.catch_warnings(), zipfile.ZipFile(target, "w", method) as z:  # type: ignore[arg-type]
        warnings.simplefilter("ignore")  # duplicate names are the point of some samples
        for name, data in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            with z.open(info, "w", force_zip64=zip64) as m:
                m.write(data)
    return buf.getvalue()


def torch_members(data_pkl: bytes, prefix: str = "archive") -> list[tuple[str, bytes]]:
    """The members of a PyTorch checkpoint (``torch.save`` since 1.6)."""
    return [
        (f"{prefix}/data.pkl", data_pkl),
        (f"{prefix}/.format_version", b"1"),
        (f"{prefix}/.storage_alignment", b"64"),
        (f"{prefix}/byteorder", b"little"),
        (f"{prefix}/data/0", b"\x80\x02" + bytes(14)),
        (f"{prefix}/version", b"3\n"),
        (f"{prefix}/.data/serialization_id", b"1234567890123456789012345678901234567890"),
    ]


def _headers(data: bytes, name: str) -> tuple[int, int]:
    """The offsets of ``name``'s local header and central directory entry."""
    z = zipfile.ZipFile(io.BytesIO(data))
    local = z.getinfo(name).header_offset
    central = data.index(b"PK\x01\x02", data.rindex(b"PK\x03\x04"))
    while True:
        nlen = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + nlen] == name.encode():
            return local, central
        xlen, clen = struct.unpack_from("<HH", data, central + 30)
        central += 46 + nlen + xlen + clen


def patch(data: bytes, at: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, at, value)
    return bytes(out)


def set_flags(data: bytes, name: str, flags: int, *, local: bool, central: bool) -> bytes:
    """OR ``flags`` into ``name``'s general-purpose bits (bit 0: encrypted, bit 6: strong
    encryption) in the local header, the central directory, or both."""
    lo, ce = _headers(data, name)
    if local:
        data = patch(data, lo + 6, "<H", struct.unpack_from("<H", data, lo + 6)[0] | flags)
    if central:
        data = patch(data, ce + 8, "<H", struct.unpack_from("<H", data, ce + 8)[0] | flags)
    return data


def bad_crc(data: bytes, name: str) -> bytes:
    """A wrong CRC-32 for ``name`` in both headers (zipfile raises BadZipFile on read;
    PyTorch's reader does not check)."""
    lo, ce = _headers(data, name)
    return patch(patch(data, lo + 14, "<I", 0xDEADBEEF), ce + 16, "<I", 0xDEADBEEF)


def rename_local(data: bytes, name: str, new: str) -> bytes:
    """Give ``name``'s local header another name of the same length (zipfile: BadZipFile
    "File name in directory ... and header ... differ"; miniz reads by the central one)."""
    assert len(new) == len(name)
    lo, _ = _headers(data, name)
    out = bytearray(data)
    out[lo + 30 : lo + 30 + len(name)] = new.encode()
    return bytes(out)


def central_method(data: bytes, name: str, method: int) -> bytes:
    """Say another compression method in the central directory only."""
    _, ce = _headers(data, name)
    return patch(data, ce + 10, "<H", method)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def drop_central(data: bytes, name: str) -> bytes:
    """Remove ``name`` from the central directory only: its local header stays, hidden from
    every reader that goes by the central directory."""
    _, ce = _headers(data, name)
    nlen, xlen, clen = struct.unpack_from("<HHH", data, ce + 28)
    size = 46 + nlen + xlen + clen
    out = data[:ce] + data[ce + size :]
    eocd = out.rindex(b"PK\x05\x06")
    count, cd_size = struct.unpack_from("<HI", out, eocd + 10)
    out = patch(out, eocd + 8, "<H", count - 1)
    out = patch(out, eocd + 10, "<H", count - 1)
    return patch(out, eocd + 12, "<I", cd_size - size)
