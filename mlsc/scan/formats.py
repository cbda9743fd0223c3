"""What a file is, by its first bytes and by its name.

:func:`sniff` reads at most :data:`SNIFF_BYTES` bytes; the name is only a hint (a pickle
renamed ``model.safetensors`` is still a pickle, and is reported as a mismatch).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlsc.vocab import SCAN_NAME_FORMATS

SNIFF_BYTES = 512

Magic = Literal[
    "zip",
    "tar",
    "numpy",
    "pickle",
    "torch-legacy",
    "gzip",
    "bz2",
    "xz",
    "lzma",
    "zlib",
    "safetensors",
    "gguf",
    "hdf5",
    "7z",
    "lz4",
    "zstd",
]
"""What the first bytes say."""

COMPRESSED: frozenset[Magic] = frozenset({"gzip", "bz2", "xz", "lzma", "zlib"})
"""Compressed streams: one file inside, sniffed again once decompressed."""
UNREAD_COMPRESSED: frozenset[Magic] = frozenset({"lz4", "zstd"})
"""Compressed streams the standard library cannot open: ``joblib.load`` reads lz4 (with the
``lz4`` package), ``pandas.read_pickle`` zstd."""
ARCHIVES: frozenset[Magic] = frozenset({"zip", "tar", "7z"})
"""Archives of members, opened member by member."""
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
"""How a zip may start: a local header, an empty archive, a spanned-archive marker (zipfile
opens all three, by the central directory at the end)."""
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"

NAME_FORMATS = SCAN_NAME_FORMATS
"""Format by file-name suffix: the scanner's reading of :data:`mlsc.vocab.SUFFIX_FORMATS`
(NumPy files apart, archives named, ``.dat`` a pickle)."""

PICKLE_NAME_HINTS = (
    *(".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt", ".bin", ".dat", ".npy", ".npz"),
    *(".tar", ".tgz", ".tbz", ".txz", ".zip", ".mar", ".7z", ".lz4", ".zst"),
)
"""A compressed file is opened only when its name says it holds one of these (a pickle, an
array or an archive). Not a format table: a hint about what is inside a compressed stream,
so it stays here rather than in :mod:`mlsc.vocab`."""

TORCH_LEGACY_MAGIC = bytes.fromhex("80028a0a6cfc9c46f9206aa85019")
"""How a legacy (pre-zip) ``torch.save`` file starts: protocol 2, then the magic number."""


@dataclass(frozen=True)
class Sniff:
    """A file's format by content and by name."""

    magic: Magic | None
    name_format: str | None
    size: int


def magic_of(head: bytes, size: int) -> Magic | None:
    """The format the first bytes of a ``size``-byte file show, if any."""
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if head.startswith(SEVEN_ZIP_MAGIC):
        return "7z"
    if head.startswith(b"\x93NUMPY"):
        return "numpy"
    if head.startswith(TORCH_LEGACY_MAGIC):
        return "torch-legacy"
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= 5:
        return "pickle"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if head.startswith(b"GGUF"):
        return "gguf"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if head.startswith(b"\x04\x22\x4d\x18"):
        return "lz4"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00\x00"):
        return "lzma"
    if len(head) >= 2 and head[0] == 0x78 and head[1] in (0x01, 0x5E, 0x9C, 0xDA):
        return "zlib"
    if len(head) >= 9 and head[8:9] == b"{":
        (n,) = struct.unpack("<Q", head[:8])
        if 0 < n <= size - 8:
            return "safetensors"
    return None


def name_format(name: str) -> str | None:
    """The format a file's name suggests (``None`` for READMEs, configs and the like)."""
    lower = name.rsplit("/", 1)[-1].lower()
    for fmt, suffixes in NAME_FORMATS:
        if lower.endswith(suffixes):
            return fmt
    return None


def sniff(path: Path) -> Sniff:
    """Read a file's first bytes and name its format both ways."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    return Sniff(magic_of(head, size), name_format(path.name), size)
