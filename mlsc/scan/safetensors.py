"""Validate a ``.safetensors`` header without reading any tensor.

The format: an 8-byte little-endian header length ``N``, ``N`` bytes of UTF-8 JSON, then the
data region. The JSON object maps tensor names to ``{"dtype", "shape", "data_offsets"}``
(offsets relative to the data region) and may hold ``"__metadata__"``, a string-to-string
map. The reference implementation refuses headers over 100 MB, offsets outside the data,
gaps, overlaps and sizes that disagree with the shape; every such violation is reported
here as a finding, so a file that a lenient or differently-written parser would read in a
surprising way (duplicate keys, overlapping tensors) is flagged before anyone loads it.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlsc.scan.findings import Finding

MAX_HEADER_BYTES = 100_000_000
"""The reference implementation's limit on the header length."""
MAX_REPORTED = 20
"""Violations reported per file beyond which one summary finding stands for the rest."""

DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
}
"""Every dtype the format defines, with its width in bits."""


@dataclass(frozen=True)
class SafetensorsScan:
    """What the header check found."""

    findings: tuple[Finding, ...]
    tensors: int
    """Tensor entries in the header (0 if it could not be read)."""
    header_bytes: int | None
    """The declared header length, if the file had 8 bytes to declare it."""
    readable: bool
    """Whether the header could be read as a JSON object at all."""


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for k, v in pairs:
        if k in seen:
            raise _Duplicate(k)
        seen[k] = v
    return seen


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def validate_header(path: Path, rel: str) -> SafetensorsScan:
    """Check one file's header against the format's rules; never raises, never reads
    tensor data (only the 8-byte length and the header itself are read)."""
    problems: list[str] = []

    def unreadable(detail: str, declared: int | None = None) -> SafetensorsScan:
        return SafetensorsScan(
            (Finding(rel, "unparseable", "warning", detail),), 0, declared, False
        )

    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            prefix = f.read(8)
            if len(prefix) < 8:
                return unreadable(f"{size} bytes: too short for the 8-byte header length")
            (n,) = struct.unpack("<Q", prefix)
            if n == 0:
                return unreadable("header length is 0", n)
            if n > MAX_HEADER_BYTES:
                return unreadable(f"header length {n} exceeds the {MAX_HEADER_BYTES}-byte limit", n)
            if n > size - 8:
                return unreadable(f"header length {n} exceeds the {size - 8} bytes after it", n)
            raw = f.read(n)
    except OSError as e:
        return unreadable(f"cannot read: {e}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return unreadable(f"header is not UTF-8 ({e.reason} at byte {e.start})", n)
    if not text.startswith("{"):
        return unreadable("header does not start with '{'", n)
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicates)
    except _Duplicate as e:
        return unreadable(
            f"header repeats the key {e.key[:80]!r} (parsers disagree on which wins)", n
        )
    except (ValueError, RecursionError) as e:
        return unreadable(f"header is not JSON: {str(e)[:120]}", n)
    if not isinstance(header, dict):
        return unreadable("header is not a JSON object", n)

    data_len = size - 8 - n
    meta = header.pop("__metadata__", None)
    if meta is not None and not (
        isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())
    ):
        problems.append("__metadata__ is not a map of strings to strings")

    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        label = f"tensor {name[:80]!r}"
        if not isinstance(info, dict):
            problems.append(f"{label}: entry is not an object")
            continue
        extra = set(info) - {"dtype", "shape", "data_offsets"}
        if extra:
            problems.append(f"{label}: unexpected keys {sorted(extra)[:5]}")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        bits = DTYPE_BITS.get(dtype) if isinstance(dtype, str) else None
        if bits is None:
            problems.append(f"{label}: unknown dtype {str(dtype)[:20]!r}")
        shape_ok = isinstance(shape, list) and all(_is_int(d) and d >= 0 for d in shape)
        if not shape_ok:
            problems.append(f"{label}: shape is not a list of non-negative integers")
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(_is_int(o) and o >= 0 for o in offsets)
        ):
            problems.append(f"{label}: data_offsets is not [begin, end] of non-negative integers")
            continue
        begin, end = offsets
        if begin > end:
            problems.append(f"{label}: data_offsets begin {begin} > end {end}")
            continue
        if end > data_len:
            problems.append(f"{label}: data_offsets end {end} is past the data ({data_len} bytes)")
        if bits is not None and isinstance(shape, list) and shape_ok:
            total_bits = math.prod(shape) * bits
            if total_bits % 8:
                problems.append(f"{label}: {total_bits} bits is not a whole number of bytes")
            elif total_bits // 8 != end - begin:
                problems.append(
                    f"{label}: {end - begin} bytes but shape {shape[:8]} of {dtype} "
                    f"needs {total_bits // 8}"
                )
        spans.append((begin, end, label))

    spans.sort()
    cursor = 0
    for begin, end, label in spans:
        if begin > cursor:
            problems.append(f"gap of {begin - cursor} bytes before {label} (offset {cursor})")
        elif begin < cursor:
            problems.append(f"{label} overlaps the tensor before it (begins {begin} < {cursor})")
        cursor = max(cursor, end)
    if cursor < data_len:
        problems.append(
            f"{data_len - cursor} bytes after offset {cursor} belong to no tensor "
            "(room for a hidden payload)"
        )

    findings = [Finding(rel, "invalid_header", "warning", p[:300]) for p in problems[:MAX_REPORTED]]
    if len(problems) > MAX_REPORTED:
        findings.append(
            Finding(
                rel,
                "invalid_header",
                "warning",
                f"... and {len(problems) - MAX_REPORTED} more violations",
            )
        )
    return SafetensorsScan(tuple(findings), len(header), n, True)
