"""Archives opened member by member, the way their loaders open them, nested or not.

- zip (PyTorch checkpoints, ``.npz``, TorchServe ``.mar``, any zip): read with the tolerant
  reader of :mod:`mlsc.scan.zipread`, both the central directory and the local headers, so
  that a bad CRC, a stray flag bit, a prepended stub or a disagreeing central directory hides
  nothing ``torch.load`` or ``numpy.load`` would unpickle;
- tar (PyTorch's oldest format, ``.tar.gz`` bundles);
- gzip, bz2, xz, lzma and zlib streams, whose content is sniffed again (a compressed tar or
  zip is opened, a compressed pickle walked);
- 7z, reported unopened (a warning: never clean).

An archive inside an archive is spooled (in memory, then on disk) and opened in turn, down to
:data:`MAX_DEPTH` levels and :data:`MAX_NESTED_BYTES` bytes in all; a member's name in the
findings is the path through every level, joined by ``!`` (``outer.zip!archive/data.pkl``).
"""

from __future__ import annotations

import tarfile
import tempfile
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, Literal

from mlsc.scan.collect import (
    MAX_MEMBER_BYTES,
    Collector,
    Opener,
    decompressor,
    is_pickle_head,
    scan_npy,
)
from mlsc.scan.formats import ARCHIVES, COMPRESSED, UNREAD_COMPRESSED, Magic, magic_of
from mlsc.scan.zipread import ZipEntry, ZipReadError, list_zip, open_entry

MAX_MEMBERS = 100_000
"""Archive members looked at."""
MAX_DEPTH = 4
"""Archives opened inside archives (a zip in a tar in a gzip is depth 2)."""
MAX_NESTED_BYTES = 2 << 30
"""Bytes spooled from nested archives for one file (zip bombs stay bounded)."""
SPOOL_IN_MEMORY = 64 << 20
MAX_ANOMALIES = 10
"""Archive anomalies reported per archive."""

PICKLE_MEMBER_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dat", ".data")
"""Archive member names that mean a raw pickle stream (not a file-format table: the names
pickles take inside archives, hence apart from :data:`mlsc.vocab.SUFFIX_FORMATS`)."""
TAR_MEMBERS = frozenset({"sys_info", "pickle", "storages", "tensors"})
"""The pickles in PyTorch's oldest (tar) checkpoint format."""

ContainerFormat = Literal[
    "pickle",
    "torch-legacy",
    "torch-zip",
    "torch-tar",
    "zip",
    "tar",
    "7z",
    "npz",
    "numpy",
    "numpy-object",
    "compressed-pickle",
]


@dataclass
class Walk:
    """One file's archive walk: the collector, and the bytes left for nested archives."""

    col: Collector
    budget: int = -1
    """Bytes left to spool; :data:`MAX_NESTED_BYTES` (as it is when the walk starts) if
    not given."""

    def __post_init__(self) -> None:
        if self.budget < 0:
            self.budget = MAX_NESTED_BYTES


def _base(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _named_pickle(name: str) -> bool:
    base = _base(name)
    return base == "data.pkl" or base.endswith(PICKLE_MEMBER_SUFFIXES) or base in TAR_MEMBERS


def _head(opener: Opener, n: int = 512) -> bytes:
    with ExitStack() as stack:
        return opener(stack).read(n)


def _spool(walk: Walk, opener: Opener, member: str) -> IO[bytes] | None:
    """A seekable copy of a member (``None``, with a finding, past the byte budget)."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    with ExitStack() as stack:
        src = opener(stack)
        copied = 0
        while chunk := src.read(1 << 20):
            copied += len(chunk)
            if copied > walk.budget:
                out.close()
                walk.col.fail(
                    "scan_limit", f"nested archives over {MAX_NESTED_BYTES} bytes", member or None
                )
                return None
            out.write(chunk)
    walk.budget -= copied
    out.seek(0)
    return out


def scan_member(
    walk: Walk, opener: Opener, member: str, depth: int, *, bound: bool
) -> ContainerFormat | None:
    """Scan one member (or decompressed stream) by its first bytes: an archive is opened,
    a pickle walked (``bound``: a loader would unpickle it), anything else probed; what it
    turned out to be (``None``: nothing a loader unpickles)."""
    where = member or None
    head = _head(opener)
    magic = magic_of(head, len(head) + 1)
    if magic in ARCHIVES or magic in COMPRESSED:
        if depth >= MAX_DEPTH:
            walk.col.fail("scan_limit", f"archive nested deeper than {MAX_DEPTH}", where)
            return None
        if magic in COMPRESSED:

            def inner(stack: ExitStack) -> IO[bytes]:
                return stack.enter_context(decompressor(magic, opener(stack)))

            return scan_member(walk, inner, member, depth + 1, bound=bound or _named_pickle(member))
        spooled = _spool(walk, opener, member)
        if spooled is None:
            return None
        with spooled:
            size = spooled.seek(0, 2)
            spooled.seek(0)
            return scan_archive(walk, spooled, size, member, magic, depth + 1)
    if magic in UNREAD_COMPRESSED:
        return unread_compressed(walk.col, magic, where, bound or _named_pickle(member))
    if magic == "numpy":
        return "numpy-object" if scan_npy(walk.col, opener, where) else "numpy"
    bound = bound or is_pickle_head(head) or magic == "torch-legacy"
    if walk.col.stream(opener, where, MAX_MEMBER_BYTES, bound=bound):
        return "torch-legacy" if magic == "torch-legacy" else "pickle"
    return None


def unread_compressed(
    col: Collector, magic: Magic | None, member: str | None, named: bool
) -> ContainerFormat | None:
    """An lz4 or zstd stream mlsc cannot decompress: ``critical`` when its name says a loader
    unpickles it (``.joblib``, ``.pkl.zst`` ...), else an unopened container."""
    if named:
        col.opaque(
            f"{magic}-compressed, which mlsc cannot decompress",
            member,
            "joblib.load / pandas.read_pickle",
        )
        return "compressed-pickle"
    col.add("unsupported_container", "warning", f"{magic}-compressed: not opened", member)
    return None


def scan_archive(
    walk: Walk, f: IO[bytes], size: int, name: str, magic: Magic | None, depth: int = 0
) -> ContainerFormat | None:
    """Scan an archive in a seekable file; ``name`` is its path (the member prefix for a
    nested one, ``""`` for the scanned file itself)."""
    if magic == "zip":
        return _zip(walk, f, size, name, depth)
    if magic == "tar":
        return _tar(walk, f, name, depth)
    if magic == "7z":
        return _sevenzip(walk, f, name, depth)
    return None


def _join(prefix: str, name: str) -> str:
    return f"{prefix}!{name}" if prefix else name


def _zip_opener(f: IO[bytes], entry: ZipEntry) -> Opener:
    def opener(stack: ExitStack) -> IO[bytes]:
        if entry.method in (0, 8, 12):
            return stack.enter_context(open_entry(f, entry))
        f.seek(0)
        zf = stack.enter_context(zipfile.ZipFile(f))  # lzma, zstd ...: as numpy.load reads it
        return stack.enter_context(zf.open(entry.name))

    return opener


def _zip(walk: Walk, f: IO[bytes], size: int, prefix: str, depth: int) -> ContainerFormat:
    col = walk.col
    try:
        listing = list_zip(f, size)
    except ZipReadError as e:
        col.fail("unparseable", f"not a readable zip: {e}", prefix or None)
        return "zip"
    for problem in listing.problems[:MAX_ANOMALIES]:
        col.add("archive_anomaly", "warning", problem, prefix or None)
    entries = listing.entries()
    if len(entries) > MAX_MEMBERS:
        col.fail("scan_limit", f"{len(entries)} members, only {MAX_MEMBERS} scanned", None)
        entries = entries[:MAX_MEMBERS]
    every = [n for _, names in entries for n in names]
    torch_zip = any(_base(n) == "data.pkl" for n in every)
    npz = prefix.lower().endswith(".npz") or (
        bool(every) and all(n.lower().endswith(".npy") for n in every if not n.endswith("/"))
    )
    for entry, names in entries:
        if entry.is_dir and not entry.compressed_size:
            continue
        member = _join(prefix, names[0])
        opener = _zip_opener(f, entry)
        try:
            if entry.encrypted:
                if not col.stream(opener, member, MAX_MEMBER_BYTES, bound=False):
                    col.add(
                        "encrypted_member",
                        "critical",
                        "encrypted member mlsc cannot read (PyTorch's reader ignores the flag)",
                        member,
                    )
                continue
            if any(n.lower().endswith(".npy") for n in names):
                scan_npy(col, opener, member)
            elif any(_named_pickle(n) for n in names):
                col.stream(opener, member, MAX_MEMBER_BYTES)
            elif torch_zip and any("/data/" in f"/{n}" for n in names):
                continue  # raw tensor storages: never unpickled
            else:
                scan_member(walk, opener, member, depth, bound=False)
        except Exception as e:
            col.fail("unparseable", f"cannot read member: {type(e).__name__}: {e}", member)
    if not listing.has_central:
        col.fail("unparseable", "no central directory: no loader opens this zip", prefix or None)
    return "torch-zip" if torch_zip else "npz" if npz else "zip"


def _tar(walk: Walk, f: IO[bytes], prefix: str, depth: int) -> ContainerFormat:
    col = walk.col
    torch_tar = False
    try:
        tf = tarfile.open(fileobj=f, mode="r:")  # noqa: SIM115
    except tarfile.TarError as e:
        col.fail("unparseable", f"not a readable tar: {e}", prefix or None)
        return "tar"
    with tf:
        for count, info in enumerate(tf):
            if count >= MAX_MEMBERS:
                col.fail("scan_limit", f"more than {MAX_MEMBERS} members", prefix or None)
                break
            if not info.isfile():
                continue
            torch_tar |= _base(info.name) in TAR_MEMBERS
            member = _join(prefix, info.name)

            def opener(stack: ExitStack, info: tarfile.TarInfo = info) -> IO[bytes]:
                m = tf.extractfile(info)
                if m is None:
                    raise ValueError("not a regular file")
                return stack.enter_context(m)

            try:
                if _base(info.name).endswith(".npy"):
                    scan_npy(col, opener, member)
                else:
                    scan_member(walk, opener, member, depth, bound=_named_pickle(info.name))
            except Exception as e:
                col.fail("unparseable", f"cannot read member: {type(e).__name__}: {e}", member)
    return "torch-tar" if torch_tar else "tar"


def _sevenzip(walk: Walk, f: IO[bytes], prefix: str, depth: int) -> ContainerFormat:
    """7z: no loader (``torch.load``, ``numpy.load``, ``joblib.load``) opens one, and reading
    it needs py7zr and its compiled codecs; it is reported unopened, never clean."""
    walk.col.add(
        "unsupported_container",
        "warning",
        "a 7z archive: its members were not checked (no loader unpickles from 7z directly)",
        prefix or None,
    )
    return "7z"
