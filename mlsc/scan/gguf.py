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

from mlsc.scan.gguf_io import Problem, Reader, Stop, read_tensors

MAX_KEY = 1 << 16
"""A key longer than this is odd (real keys are under 100 bytes)."""
MAX_ELEMENTS = 50_000_000
"""Array elements walked in one file before the scan stops (a vocabulary is ~250,000)."""
MAX_DEPTH = 4
"""Nesting of arrays in arrays followed (llama.cpp refuses any nesting)."""
SCALARS: dict[int, tuple[str, str]] = {
    0: ("uint8", "B"), 1: ("int8", "b"), 2: ("uint16", "H"), 3: ("int16", "h"),
    4: ("uint32", "I"), 5: ("int32", "i"), 6: ("float32", "f"), 7: ("bool", "?"),
    10: ("uint64", "Q"), 11: ("int64", "q"), 12: ("float64", "d"),
}  # fmt: skip
"""GGUF value types with a fixed size: name and ``struct`` code."""
STRING, ARRAY = 8, 9
TEMPLATE_KEY = "tokenizer.chat_template"


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


def _skip_array(r: Reader, key: str, problems: list[Problem], depth: int) -> None:
    at = r.pos
    etype = int(r.unpack("I", f"the element type of {key}"))
    n = r.count(f"the element count of {key}")
    if etype in SCALARS:
        size = struct.calcsize(SCALARS[etype][1])
        if n * size > r.left():
            raise Stop(
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
        raise Stop(Problem("warning", at, f"array {key} has unknown element type {etype}", key))
    if n * minimum > r.left():
        raise Stop(
            Problem(
                "critical",
                at,
                f"array {key} claims {n} strings or arrays, {r.left()} bytes remain: "
                "a loader that allocates for them overflows (CVE-2024-21825)",
                key,
            )
        )
    if etype == ARRAY and depth >= MAX_DEPTH:
        raise Stop(Problem("warning", at, f"arrays nested over {MAX_DEPTH} deep in {key}", key))
    if etype == ARRAY:
        problems.append(Problem("warning", at, f"array of arrays in {key}: llama.cpp refuses it"))
    r.elements += n
    if r.elements > MAX_ELEMENTS:
        raise Stop(Problem("warning", r.pos, f"over {MAX_ELEMENTS} array elements", key))
    if etype == STRING:
        _skip_strings(r, n, key)
        return
    for _ in range(n):
        _skip_array(r, key, problems, depth + 1)


def _skip_strings(r: Reader, n: int, key: str) -> None:
    """Step over ``n`` strings, each length checked against the bytes left."""
    length = struct.Struct(r.e + ("I" if r.version == 1 else "Q"))
    width, buf, end, pos = length.size, r.buf, r.end, r.pos
    for _ in range(n):
        if pos + width > end:
            r.pos = pos
            raise Stop(Problem("critical", pos, f"file ends inside an element of {key}", key))
        (size,) = length.unpack_from(buf, pos)
        if size > end - pos - width:
            r.pos = pos
            raise Stop(
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


def _kv(r: Reader, problems: list[Problem], templates: list[Template]) -> tuple[str, int | None]:
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
    raise Stop(Problem("warning", vat, f"{key} has unknown value type {vtype}", key))


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
    r = Reader(buf, endian, version)
    problems: list[Problem] = []
    templates: list[Template] = []
    keys: list[str] = []
    seen: set[str] = set()
    n_tensors = n_kv = 0
    try:
        n_tensors, n_kv = r.count("the tensor count"), r.count("the key/value count")
        least = 24 if version > 1 else 20  # a tensor record with no dimensions
        if n_tensors * least > r.left():
            raise Stop(
                Problem(
                    "critical",
                    8,
                    f"n_tensors {n_tensors} needs over {n_tensors * least} bytes, "
                    f"{r.left()} remain: a loader that allocates for it overflows "
                    "(CVE-2024-21836)",
                )
            )
        if n_kv * 13 > r.left():
            raise Stop(
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
        read_tensors(r, n_tensors, alignment, problems)
    except Stop as stop:
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
