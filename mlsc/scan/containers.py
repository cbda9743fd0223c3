"""The containers that hold pickles, opened the way their loaders open them.

:func:`scan_pickle_file` looks into one file by its format and walks every pickle stream in it
with :func:`mlsc.scan.pickles.scan_pickle_stream`:

- raw pickles (``.pkl``, ``.pickle``, ``.joblib``, ``.dat``), also several in a row, as the
  legacy ``torch.save`` format writes them (the magic number, protocol, sys info, the
  object, the storage keys, then raw storage bytes, which end the walk quietly);
- archives (:mod:`mlsc.scan.archives`): zip (PyTorch checkpoints, ``.npz``, ``.mar``) read
  with a tolerant reader of both its views, tar (PyTorch's oldest format), 7z, nested ones;
- NumPy ``.npy`` files whose dtype has objects (the payload after the header is a pickle);
- gzip, bz2, xz, lzma and zlib streams (compressed joblib files, ``.tar.gz`` bundles);
- any other file whose first bytes could start a pickle, whatever its name: protocols 0 and 1
  have no magic, so it is probed, and it is a pickle if it imports a real module path
  (a ``.pkl``, ``.pt``, ``.ckpt`` ... is walked as one whatever it holds).

The verdict rule for what a loader would unpickle but mlsc cannot parse is in
:mod:`mlsc.scan.collect`.
"""

from __future__ import annotations

import struct
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mlsc.scan.archives import (
    MAX_MEMBERS,
    PICKLE_MEMBER_SUFFIXES,
    TAR_MEMBERS,
    ContainerFormat,
    Walk,
    scan_archive,
    scan_member,
    unread_compressed,
)
from mlsc.scan.collect import (
    MAX_MEMBER_BYTES,
    SECOND_OPINION_MAX_OPCODES,
    Collector,
    Opener,
    SecondOpinion,
    decompressor,
    read_npy_header,
    scan_npy,
)
from mlsc.scan.findings import Finding
from mlsc.scan.formats import ARCHIVES, COMPRESSED, PICKLE_NAME_HINTS, UNREAD_COMPRESSED, Magic
from mlsc.scan.pickles import PickleImport
from mlsc.scan.zipread import EOCD_SEARCH, EOCD_SIG, ZipReadError, list_zip

__all__ = [
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "PICKLE_MEMBER_SUFFIXES",
    "SECOND_OPINION_MAX_OPCODES",
    "TAR_MEMBERS",
    "TORCH_SUFFIXES",
    "ContainerFormat",
    "Opener",
    "PickleFileScan",
    "SecondOpinion",
    "read_npy_header",
    "scan_pickle_file",
    "should_scan",
]

TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl.gz", ".mar")
"""Names that may be a PyTorch checkpoint: a zip, a tar or raw pickles."""
LOADER_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt")
"""Names that only ``torch.load``, ``pickle.load`` or ``joblib.load`` open: a file under such
a name is walked as a pickle even without magic, and one mlsc cannot parse past its first
opcode is critical (see :mod:`mlsc.scan.collect`). Other names (``.bin``, ``.dat``: raw
weights use them too) are probed: a pickle if the walk gets anywhere."""


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


def _file_opener(path: Path) -> Opener:
    def opener(stack: ExitStack) -> IO[bytes]:
        return stack.enter_context(path.open("rb"))

    return opener


def _compressed_opener(path: Path, magic: Magic) -> Opener:
    def opener(stack: ExitStack) -> IO[bytes]:
        raw = stack.enter_context(path.open("rb"))
        return stack.enter_context(decompressor(magic, raw))

    return opener


def _prepended_zip(walk: Walk, path: Path) -> bool:
    """Scan the zip at the end of a file that does not start as one (something prepended:
    :mod:`zipfile` and peer scanners open it by its central directory); whether there was
    one."""
    with path.open("rb") as f:
        size = f.seek(0, 2)
        f.seek(max(0, size - EOCD_SEARCH))
        if EOCD_SIG not in f.read():
            return False
        try:
            listing = list_zip(f, size)
        except (ZipReadError, ValueError, struct.error):
            return False
        if not listing.has_central or not listing.central:
            return False
        scan_archive(walk, f, size, "", "zip")
    return True


def probe_pickle(path: Path) -> bool:
    """Whether a file with no magic walks like a pickle (see
    :meth:`mlsc.scan.collect.Collector.stream`), without recording anything."""
    return Collector("", None).stream(_file_opener(path), None, bound=False)


def should_scan(magic: Magic | None, name: str) -> bool:
    """Whether :func:`scan_pickle_file` has anything to look at in a file like this."""
    lower = name.lower()
    if magic in (*ARCHIVES, *UNREAD_COMPRESSED, "numpy", "pickle", "torch-legacy"):
        return True
    if magic in COMPRESSED:
        return any(h in lower for h in PICKLE_NAME_HINTS)
    return magic is None  # protocol 0/1 pickles have no magic: probed whatever the name


def scan_pickle_file(
    path: Path,
    rel: str,
    magic: Magic | None,
    *,
    second_opinion: SecondOpinion | None = None,
) -> PickleFileScan:
    """Scan one file for pickle content by its format (see the module doc); never raises.

    ``rel`` is the path findings carry; ``magic`` is what :func:`mlsc.scan.formats.sniff`
    saw. A file with no magic is walked as a pickle when its name is one a loader opens
    (``.pkl``, ``.pt`` ...), else only probed.
    """
    col = Collector(rel, second_opinion)
    walk = Walk(col)
    container: ContainerFormat | None = None
    has_pickle = False
    loader_name = path.name.lower().endswith(LOADER_SUFFIXES)
    try:
        if magic in ARCHIVES:
            with path.open("rb") as f:
                container = scan_archive(walk, f, path.stat().st_size, "", magic)
            has_pickle = bool(col.streams)
        elif magic in UNREAD_COMPRESSED:
            named = any(h in path.name.lower() for h in PICKLE_NAME_HINTS)
            container = unread_compressed(col, magic, None, named)
            has_pickle = container is not None
        elif magic == "numpy":
            has_pickle = scan_npy(col, _file_opener(path), None)
            container = "numpy-object" if has_pickle else "numpy"
        elif magic in COMPRESSED:
            assert magic is not None
            opener = _compressed_opener(path, magic)
            inner = scan_member(walk, opener, "", 1, bound=loader_name)
            has_pickle = bool(col.streams)
            container = "compressed-pickle" if inner in ("pickle", "torch-legacy") else inner
        elif magic in ("pickle", "torch-legacy") or (magic is None and loader_name):
            col.stream(_file_opener(path), None, loader="torch.load / pickle.load")
            container = "torch-legacy" if magic == "torch-legacy" else "pickle"
            has_pickle = True
        elif magic is None and col.stream(_file_opener(path), None, bound=False):
            container, has_pickle = "pickle", True
        if magic in ("pickle", "torch-legacy", None) and _prepended_zip(walk, path):
            has_pickle = has_pickle or bool(col.streams)
            container = container or "zip"
    except Exception as e:  # a broken archive: report, never crash the directory scan
        col.fail("unparseable", f"{type(e).__name__}: {e}", None)
    return PickleFileScan(
        container, has_pickle, tuple(col.findings), tuple(col.imports), tuple(col.streams)
    )
