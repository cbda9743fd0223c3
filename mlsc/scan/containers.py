"""The containers that hold pickles, opened the way their loaders open them.

:func:`scan_pickle_file` looks into one file by its format and walks every pickle stream in it
with :func:`mlsc.scan.pickles.scan_pickle_stream`:

- raw pickles (``.pkl``, ``.pickle``, ``.joblib``, ``.dat``), also several in a row, as the
  legacy ``torch.save`` format writes them (the magic number, protocol, sys info, the
  object, the storage keys, then raw storage bytes, which end the walk quietly);
- zip archives: PyTorch checkpoints (``archive/data.pkl``, ``constants.pkl``), ``.npz``;
- PyTorch's oldest tar format (``sys_info``, ``pickle``, ``storages``, ``tensors``);
- NumPy ``.npy`` files whose dtype has objects (the payload after the header is a pickle);
- gzip, bz2, xz, lzma and zlib streams (compressed joblib files).
"""

from __future__ import annotations

import ast
import bz2
import gzip
import io
import lzma
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal, cast

from mlsc.scan.findings import Finding
from mlsc.scan.formats import COMPRESSED, PICKLE_NAME_HINTS, Magic
from mlsc.scan.pickles import (
    MAX_STREAM_BYTES,
    PickleImport,
    PickleScan,
    ScanLimitError,
    _Reader,
    pickle_findings,
    scan_pickle_stream,
)

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
