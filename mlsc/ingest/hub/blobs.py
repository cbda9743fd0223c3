"""Files of Hub repositories kept by their git blob id: a file the crawl has read once is not
downloaded again, by this crawl or a later one, while its content is the same.

    >>> data = b"---\\nlicense: mit\\n---\\n# A card\\n"
    >>> git_blob_id(data)
    '14d85e4a8864cd922d68185175c55eed3afe07fc'
    >>> cache = BlobCache(Path("kb/crawls/hf-blobs"))                       # doctest: +SKIP
    >>> cache.put(git_blob_id(data), data), cache.get(git_blob_id(data))     # doctest: +SKIP
    (True, b'---\\nlicense: mit\\n---\\n# A card\\n')

The Hub's model info with files metadata gives each file's ``blobId``: git's id of the file's
bytes (a SHA-1 of ``blob <size>\\0<bytes>``). Bytes read from the Hub are kept under that id
only when they hash to it, and hashed again when read back, so what the cache gives is byte
for byte what the Hub serves for the file, whichever repository or commit named it. A file
stored with LFS has the id of its pointer, which its content never hashes to: it is never kept.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zlib
from pathlib import Path

__all__ = ["BlobCache", "git_blob_id"]


def git_blob_id(data: bytes) -> str:
    """Git's object id of a file with these bytes (what the Hub calls its ``blobId``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class BlobCache:
    """Bytes by git blob id in a directory (``<id[:2]>/<id>``, zlib-compressed)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, blob_id: str) -> Path | None:
        if len(blob_id) != 40 or not all(c in "0123456789abcdef" for c in blob_id):
            return None
        return self.root / blob_id[:2] / blob_id

    def get(self, blob_id: str) -> bytes | None:
        """The bytes kept under ``blob_id``, or None (not kept, unreadable, or not those)."""
        path = self._path(blob_id)
        if path is None:
            return None
        try:
            data = zlib.decompress(path.read_bytes())
        except (OSError, zlib.error):
            return None
        return data if git_blob_id(data) == blob_id else None

    def put(self, blob_id: str, data: bytes) -> bool:
        """Keep ``data`` under ``blob_id`` when it is that blob's content; whether it was kept."""
        path = self._path(blob_id)
        if path is None or git_blob_id(data) != blob_id:
            return False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{blob_id}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(zlib.compress(data))
            tmp.replace(path)
        except OSError:
            return False
        return True
