"""GGUF headers read without trusting them: every count and length is bounded by the bytes
left in the file before it is used, the way llama.cpp's parser did not in early 2024.

A GGUF file is ``GGUF``, a version (1-3), the tensor and key/value counts (32-bit in
version 1, 64-bit after), the key/values (a string key, a type, a value; strings are a
length and bytes; arrays an element type, a count and the elements), then one record per
tensor (name, dimension count, dimensions, type, offset) and the aligned tensor data.

The Talos advisories on llama.cpp's GGUF parser (TALOS-2024-1912 to -1916: CVE-2024-21825,
CVE-2024-21836, CVE-2024-23496, CVE-2024-23605, CVE-2024-21802; and CVE-2024-25664) are all
a length or count a loader trusted: ``n_kv``/``n_tensors`` sized an allocation that
overflowed, a string length of ``2**64-1`` made ``malloc(len + 1)`` allocate nothing, an
array count overflowed its element size, ``n_dims`` above 4 wrote past a tensor's shape.
:func:`read_gguf` reports each such value as a :class:`Problem`: ``critical`` when it is
impossible for the file (a loader that trusts it overflows), ``warning`` when merely odd
(a loader refuses it, or loaders disagree). The chat templates it finds are returned for
:mod:`mlsc.scan.templates` to analyse.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path

from mlsc.scan.findings import Severity

MAX_KEY = 1 << 16
"""A key longer than this is odd (real keys are under 100 bytes)."""
MAX_ELEMENTS = 50_000_000
"""Array elements walked in one file before the scan stops (a vocabulary is ~250,000)."""
MAX_DEPTH = 4
"""Nesting of arrays in arrays followed (llama.cpp refuses any nesting)."""
MAX_DIMS = 4
"""``GGML_MAX_DIMS``: a tensor with more dimensions overflows its ``ne[4]``."""
MAX_NAME = 64
"""``GGML_MAX_NAME``: the bytes a tensor name has in ggml, its NUL included."""
INT64_MAX = (1 << 63) - 1

SCALARS: dict[int, tuple[str, str]] = {
    0: ("uint8", "B"), 1: ("int8", "b"), 2: ("uint16", "H"), 3: ("int16", "h"),
    4: ("uint32", "I"), 5: ("int32", "i"), 6: ("float32", "f"), 7: ("bool", "?"),
    10: ("uint64", "Q"), 11: ("int64", "q"), 12: ("float64", "d"),
}  # fmt: skip
"""GGUF value types with a fixed size: name and ``struct`` code."""
STRING, ARRAY = 8, 9
GGML_BLOCKS: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 40), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
    14: (256, 210), 15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98),
    19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1),
    25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
    34: (256, 54), 35: (256, 66), 39: (32, 17), 40: (64, 36), 41: (128, 18),
}  # fmt: skip
"""ggml tensor types: (elements per block, bytes per block), as gguf-py 0.19 lists them."""
TEMPLATE_KEY = "tokenizer.chat_template"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a GGUF header."""

    severity: Severity
    offset: int
    """Where the offending value is in the file."""
    detail: str
    key: str | None = None
    """The metadata key or tensor name it concerns."""


@dataclass(frozen=True)
class Template:
    """A chat template stored in the metadata."""

    key: str
    """``tokenizer.chat_template`` or ``tokenizer.chat_template.<name>``."""
    offset: int
    """Of the template's bytes."""
    length: int
    text: str


@dataclass(frozen=True)
class GGUFHeader:
    """What :func:`read_gguf` read."""

    version: int | None
    big_endian: bool = False
    n_tensors: int = 0
    n_kv: int = 0
    complete: bool = False
    """Whether every key/value and tensor record was read."""
    stopped_at: int | None = None
    """Where reading stopped, when it did not finish."""
    problems: tuple[Problem, ...] = ()
    templates: tuple[Template, ...] = ()
    keys: tuple[str, ...] = field(default=())


class _Stop(Exception):
    """The header cannot be read further."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


class _Reader:
    def __init__(self, buf: mmap.mmap | bytes, endian: str, version: int) -> None:
        self.buf, self.end, self.pos = buf, len(buf), 8
        self.e, self.version = endian, version
        self.elements = 0

    def left(self) -> int:
        return self.end - self.pos

    def unpack(self, code: str, what: str) -> int | float | bool:
        size = struct.calcsize(code)
        if size > self.left():
            raise _Stop(Problem("critical", self.pos, f"file ends inside {what}"))
        (value,) = struct.unpack_from(self.e + code, self.buf, self.pos)
        self.pos += size
        return value  # type: ignore[no-any-return]

    def count(self, what: str) -> int:
        """A count or length: 32-bit in version 1, 64-bit after."""
        return int(self.unpack("I" if self.version == 1 else "Q", what))

    def string(self, what: str, key: str | None = None) -> tuple[int, bytes]:
        at = self.pos
        n = self.count(f"the length of {what}")
        if n > self.left():
            raise _Stop(
                Problem(
                    "critical",
                    at,
                    f"{what} claims {n} bytes, {self.left()} remain: a loader that trusts the "
                    "length overflows its buffer (CVE-2024-23496)",
                    key,
                )
            )
        data = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return at, data


def _skip_array(r: _Reader, key: str, problems: list[Problem], depth: int) -> None:
    at = r.pos
    etype = int(r.unpack("I", f"the element type of {key}"))
    n = r.count(f"the element count of {key}")
    if etype in SCALARS:
        size = struct.calcsize(SCALARS[etype][1])
        if n * size > r.left():
            raise _Stop(
                Problem(
                    "critical",
                    at,
                    f"array {key} claims {n} elements of {size} bytes, {r.left()} bytes "
                    "remain: the size overflows a loader's buffer (CVE-2024-21825)",
                    key,
                )
            )
        r.pos += n * size
        return
    minimum = 4 if r.version == 1 else 8
    if etype not in (STRING, ARRAY):
        raise _Stop(Problem("warning", at, f"array {key} has unknown element type {etype}", key))
    if n * minimum > r.left():
        raise _Stop(
            Problem(
                "critical",
                at,
                f"array {key} claims {n} strings or arrays, {r.left()} bytes remain: "
                "a loader that allocates for them overflows (CVE-2024-21825)",
                key,
            )
        )
    if etype == ARRAY and depth >= MAX_DEPTH:
        raise _Stop(Problem("warning", at, f"arrays nested over {MAX_DEPTH} deep in {key}", key))
    if etype == ARRAY:
        problems.append(Problem("warning", at, f"array of arrays in {key}: llama.cpp refuses it"))
    r.elements += n
    if r.elements > MAX_ELEMENTS:
        raise _Stop(Problem("warning", r.pos, f"over {MAX_ELEMENTS} array elements", key))
    if etype == STRING:
        _skip_strings(r, n, key)
        return
    for _ in range(n):
        _skip_array(r, key, problems, depth + 1)


def _skip_strings(r: _Reader, n: int, key: str) -> None:
    """Step over ``n`` strings, each length checked against the bytes left."""
    length = struct.Struct(r.e + ("I" if r.version == 1 else "Q"))
    width, buf, end, pos = length.size, r.buf, r.end, r.pos
    for _ in range(n):
        if pos + width > end:
            r.pos = pos
            raise _Stop(Problem("critical", pos, f"file ends inside an element of {key}", key))
        (size,) = length.unpack_from(buf, pos)
        if size > end - pos - width:
            r.pos = pos
            raise _Stop(
                Problem(
                    "critical",
                    pos,
                    f"an element of {key} claims {size} bytes, {end - pos - width} remain: a "
                    "loader that trusts the length overflows its buffer (CVE-2024-23496)",
                    key,
                )
            )
        pos += width + size
    r.pos = pos


def _kv(r: _Reader, problems: list[Problem], templates: list[Template]) -> tuple[str, int | None]:
    """Read one key/value; returns the key and the value when it is ``general.alignment``."""
    at, raw = r.string("a metadata key")
    key = raw.decode("utf-8", "replace")
    if not raw or len(raw) > MAX_KEY:
        problems.append(Problem("warning", at, f"metadata key of {len(raw)} bytes", key[:80]))
    elif key != raw.decode("utf-8", "ignore") or not key.isprintable():
        problems.append(Problem("warning", at, f"metadata key {key[:80]!r} is not text", key))
    vat = r.pos
    vtype = int(r.unpack("I", f"the type of {key}"))
    if (key == TEMPLATE_KEY or key.startswith(TEMPLATE_KEY + ".")) and vtype != STRING:
        problems.append(Problem("warning", vat, f"{key} has type {vtype}, not a string", key))
    if vtype in SCALARS:
        value = r.unpack(SCALARS[vtype][1], f"the value of {key}")
        if key == "general.alignment":
            return key, int(value) if vtype in (0, 2, 4, 10, 5, 11) else -1
        return key, None
    if vtype == STRING:
        sat, data = r.string(f"the value of {key}", key)
        if key == TEMPLATE_KEY or key.startswith(TEMPLATE_KEY + "."):
            text = data.decode("utf-8", "replace")
            if text.encode() != data:
                problems.append(Problem("warning", sat, f"{key} is not valid UTF-8", key))
            templates.append(Template(key, sat + (4 if r.version == 1 else 8), len(data), text))
        return key, None
    if vtype == ARRAY:
        _skip_array(r, key, problems, 1)
        return key, None
    raise _Stop(Problem("warning", vat, f"{key} has unknown value type {vtype}", key))


def _tensors(r: _Reader, n: int, alignment: int, problems: list[Problem]) -> None:
    """Read the tensor records and check each tensor's data lies inside the file."""
    spans: list[tuple[str, int, int, int]] = []  # name, record offset, data offset, bytes
    names: set[bytes] = set()
    for _ in range(n):
        at, raw = r.string("a tensor name")
        name = raw.decode("utf-8", "replace")[:120]
        if len(raw) >= MAX_NAME:
            problems.append(
                Problem(
                    "warning",
                    at,
                    f"tensor name of {len(raw)} bytes: ggml holds "
                    f"{MAX_NAME - 1} (loaders refuse it, or truncate it)",
                    name,
                )
            )
        if raw in names:
            problems.append(
                Problem("warning", at, f"duplicate tensor {name}: loaders differ", name)
            )
        names.add(raw)
        n_dims = int(r.unpack("I", f"the dimension count of {name}"))
        if n_dims > MAX_DIMS:
            problems.append(
                Problem(
                    "critical",
                    at,
                    f"tensor {name} has {n_dims} dimensions, ggml holds {MAX_DIMS}: a loader "
                    "that trusts n_dims writes past the tensor's shape (CVE-2024-21802)",
                    name,
                )
            )
            if n_dims * (4 if r.version == 1 else 8) > r.left():
                raise _Stop(Problem("critical", at, f"tensor {name}: dimensions past EOF", name))
        dims = [r.count(f"a dimension of {name}") for _ in range(n_dims)]
        ttype = int(r.unpack("I", f"the type of {name}"))
        offset = int(r.unpack("Q", f"the data offset of {name}"))
        elements = 1
        for d in dims:
            elements *= d
        if elements > INT64_MAX or any(d > INT64_MAX for d in dims):
            problems.append(
                Problem(
                    "critical",
                    at,
                    f"tensor {name}: element count {dims} overflows int64 "
                    "(a loader's size computation wraps)",
                    name,
                )
            )
            continue
        if ttype not in GGML_BLOCKS:
            problems.append(Problem("warning", at, f"tensor {name}: unknown type {ttype}", name))
            continue
        block, size = GGML_BLOCKS[ttype]
        if dims and dims[0] % block:
            problems.append(
                Problem("warning", at, f"tensor {name}: {dims[0]} not a multiple of {block}", name)
            )
        if alignment > 0 and offset % alignment:
            problems.append(
                Problem("warning", at, f"tensor {name}: offset {offset} is not aligned", name)
            )
        spans.append((name, at, offset, elements // block * size))
    start = r.pos + (-r.pos % alignment if alignment > 0 else 0)
    for name, at, offset, nbytes in spans:
        if nbytes >= 1 << 64:
            problems.append(
                Problem(
                    "critical",
                    at,
                    f"tensor {name}: {nbytes} bytes wraps a 64-bit size: a "
                    "loader allocates the wrapped size and writes the rest past it",
                    name,
                )
            )
        elif start + offset + nbytes > r.end:
            problems.append(
                Problem(
                    "critical",
                    at,
                    f"tensor {name}: {nbytes} bytes at data offset {offset} end past the file "
                    f"({r.end} bytes): a loader that trusts it reads or writes out of bounds",
                    name,
                )
            )


def _header(buf: mmap.mmap | bytes) -> GGUFHeader:
    size = len(buf)
    if bytes(buf[:4]) != b"GGUF":
        return GGUFHeader(None, problems=(Problem("warning", 0, "not a GGUF file"),))
    if size < 8:
        return GGUFHeader(None, problems=(Problem("warning", 4, "GGUF header cut short"),))
    (version,) = struct.unpack_from("<I", buf, 4)
    endian, big = "<", False
    if version & 0xFFFF == 0 and version:
        (version,) = struct.unpack_from(">I", buf, 4)
        endian, big = ">", True
    if version not in (1, 2, 3):
        problem = Problem("warning", 4, f"GGUF version {version}: no loader reads it")
        return GGUFHeader(version, big, problems=(problem,), stopped_at=4)
    r = _Reader(buf, endian, version)
    problems: list[Problem] = []
    templates: list[Template] = []
    keys: list[str] = []
    seen: set[str] = set()
    n_tensors = n_kv = 0
    try:
        n_tensors, n_kv = r.count("the tensor count"), r.count("the key/value count")
        least = 24 if version > 1 else 20  # a tensor record with no dimensions
        if n_tensors * least > r.left():
            raise _Stop(
                Problem(
                    "critical",
                    8,
                    f"n_tensors {n_tensors} needs over {n_tensors * least} bytes, "
                    f"{r.left()} remain: a loader that allocates for it overflows "
                    "(CVE-2024-21836)",
                )
            )
        if n_kv * 13 > r.left():
            raise _Stop(
                Problem(
                    "critical",
                    12 if version == 1 else 16,
                    f"n_kv {n_kv} needs over {n_kv * 13} bytes, {r.left()} remain: a loader "
                    "that allocates for it overflows (CVE-2024-23605)",
                )
            )
        alignment = 32
        for _ in range(n_kv):
            at = r.pos
            key, value = _kv(r, problems, templates)
            if key in seen:
                problems.append(
                    Problem(
                        "warning",
                        at,
                        f"duplicate key {key}: loaders disagree on which one counts",
                        key,
                    )
                )
            keys.append(key)
            seen.add(key)
            if key == "general.alignment" and value is not None:
                if value <= 0 or value & (value - 1):
                    problems.append(
                        Problem("warning", at, f"alignment {value} is not a power of two", key)
                    )
                    value = 0
                alignment = value
        _tensors(r, n_tensors, alignment, problems)
    except _Stop as stop:
        problems.append(stop.problem)
        return GGUFHeader(
            version,
            big,
            n_tensors,
            n_kv,
            False,
            r.pos,
            tuple(problems),
            tuple(templates),
            tuple(keys),
        )
    return GGUFHeader(
        version, big, n_tensors, n_kv, True, None, tuple(problems), tuple(templates), tuple(keys)
    )


def read_gguf(path: Path) -> GGUFHeader:
    """Read a GGUF file's header without trusting it; raises ``OSError`` if unreadable."""
    with path.open("rb") as f:
        if path.stat().st_size == 0:
            return _header(b"")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _header(buf)


def read_gguf_bytes(data: bytes) -> GGUFHeader:
    """:func:`read_gguf` of bytes in memory."""
    return _header(data)
