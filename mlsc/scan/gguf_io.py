"""The low level of :mod:`mlsc.scan.gguf`: a reader that checks every length and count
against the bytes left, and the tensor records (dimensions, types, where their data lies).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass

from mlsc.scan.findings import Severity

MAX_DIMS = 4
"""``GGML_MAX_DIMS``: a tensor with more dimensions overflows its ``ne[4]``."""
MAX_NAME = 64
"""``GGML_MAX_NAME``: the bytes a tensor name has in ggml, its NUL included."""
INT64_MAX = (1 << 63) - 1

GGML_BLOCKS: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 40), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
    14: (256, 210), 15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98),
    19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1),
    25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
    34: (256, 54), 35: (256, 66), 39: (32, 17), 40: (64, 36), 41: (128, 18),
}  # fmt: skip
"""ggml tensor types: (elements per block, bytes per block), as gguf-py 0.19 lists them."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a GGUF header."""

    severity: Severity
    offset: int
    """Where the offending value is in the file."""
    detail: str
    key: str | None = None
    """The metadata key or tensor name it concerns."""


class Stop(Exception):
    """The header cannot be read further."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


class Reader:
    def __init__(self, buf: mmap.mmap | bytes, endian: str, version: int) -> None:
        self.buf, self.end, self.pos = buf, len(buf), 8
        self.e, self.version = endian, version
        self.elements = 0

    def left(self) -> int:
        return self.end - self.pos

    def unpack(self, code: str, what: str) -> int | float | bool:
        size = struct.calcsize(code)
        if size > self.left():
            raise Stop(Problem("critical", self.pos, f"file ends inside {what}"))
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
            raise Stop(
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


def read_tensors(r: Reader, n: int, alignment: int, problems: list[Problem]) -> None:
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
                raise Stop(Problem("critical", at, f"tensor {name}: dimensions past EOF", name))
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
