"""Print one archive member's bytes, the way the scan read them, for a person to check.

``python -m mlsc.scan.extract FILE MEMBER > member.pkl`` writes the member a finding names
(``archive/data.pkl``, or a path through nested archives: ``bundle.zip!archive/data.pkl``)
to standard output, read with the same tolerant zip reader as the scan (bad CRCs, flag bits
and disagreeing headers do not stop it), through tar, gzip, bz2, xz and zlib levels. For an
object ``.npy`` the pickle after its header is written. Then
``python -m pickletools member.pkl`` shows the opcodes.
"""

from __future__ import annotations

import io
import sys
import tarfile
from typing import IO

from mlsc.scan.collect import decompressor, read_npy_header
from mlsc.scan.formats import COMPRESSED, magic_of
from mlsc.scan.zipread import list_zip, open_entry

MAX_BYTES = 4 << 30


def _member(f: IO[bytes], name: str) -> bytes:
    """One member of the archive in ``f`` (by any of its names in either zip view)."""
    head = f.read(512)
    f.seek(0)
    magic = magic_of(head, len(head) + 1)
    if magic in COMPRESSED:
        assert magic is not None
        return _member(io.BytesIO(decompressor(magic, f).read(MAX_BYTES)), name)
    if magic == "tar":
        with tarfile.open(fileobj=f, mode="r:") as tf:
            m = tf.extractfile(name)
            if m is None:
                raise KeyError(name)
            return m.read(MAX_BYTES)
    size = f.seek(0, 2)
    for entry, names in list_zip(f, size).entries():
        if name in names:
            return open_entry(f, entry).read(MAX_BYTES)
    raise KeyError(name)


def extract(path: str, member: str) -> bytes:
    """The bytes of ``member`` (levels joined by ``!``; ``""`` for the file itself) in the
    file at ``path``: decompressed, and past the header of an object ``.npy``."""
    levels = member.split("!") if member else []
    with open(path, "rb") as f:
        data = _member(f, levels[0]) if levels else f.read(MAX_BYTES)
    for level in levels[1:]:
        data = _member(io.BytesIO(data), level)
    magic = magic_of(data[:6], len(data))
    if magic is not None and magic in COMPRESSED:
        data = decompressor(magic, io.BytesIO(data)).read(MAX_BYTES)
    if data.startswith(b"\x93NUMPY"):
        rest = io.BytesIO(data)
        read_npy_header(rest)
        data = rest.read()
    return data


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print("usage: python -m mlsc.scan.extract FILE [MEMBER]", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(extract(args[0], args[1] if len(args) == 2 else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
