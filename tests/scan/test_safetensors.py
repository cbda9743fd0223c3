"""safetensors header validation: each rule, on files built byte by byte."""

from __future__ import annotations

import struct
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from mlsc.scan.safetensors import MAX_REPORTED, validate_header
from tests.scan.builders import safetensors_bytes

F32_2x2 = {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}


def check(tmp_path: Path, content: bytes) -> tuple[list[str], list[str], bool]:
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    scan = validate_header(path, path.name)
    return [f.kind for f in scan.findings], [f.detail for f in scan.findings], scan.readable


def test_a_valid_file(tmp_path: Path) -> None:
    header = {
        "__metadata__": {"format": "pt"},
        "a": F32_2x2,
        "b": {"dtype": "BF16", "shape": [3], "data_offsets": [16, 22]},
        "scalar": {"dtype": "I64", "shape": [], "data_offsets": [22, 30]},
        "empty": {"dtype": "F16", "shape": [0, 4], "data_offsets": [30, 30]},
        "nibbles": {"dtype": "F4", "shape": [4], "data_offsets": [30, 32]},
    }
    path = tmp_path / "ok.safetensors"
    path.write_bytes(safetensors_bytes(header, bytes(32)))
    scan = validate_header(path, "ok.safetensors")
    assert (scan.findings, scan.tensors, scan.readable) == ((), 5, True)


def test_padding_spaces_after_the_json_are_allowed(tmp_path: Path) -> None:
    raw = b'{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}    '
    assert check(tmp_path, safetensors_bytes(None, b"\x01", raw_header=raw))[0] == []


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\x01\x00", "too short"),
        (struct.pack("<Q", 0) + b"{}", "header length is 0"),
        (struct.pack("<Q", 100_000_001) + b"{}", "exceeds the 100000000-byte limit"),
        (struct.pack("<Q", (1 << 64) - 1) + b"{}", "exceeds the 100000000-byte limit"),
        (struct.pack("<Q", 50) + b"{}", "exceeds the 2 bytes after it"),
        (safetensors_bytes(None, b"", raw_header=b"\xff\xfe{}"), "not UTF-8"),
        (safetensors_bytes(None, b"", raw_header=b' {"a": 1}'), "does not start with '{'"),
        (safetensors_bytes(None, b"", raw_header=b"[1, 2]"), "does not start with '{'"),
        (safetensors_bytes(None, b"", raw_header=b'{"a": '), "not JSON"),
        (
            safetensors_bytes(
                None,
                bytes(16),
                raw_header=b'{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},'
                b' "w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}',
            ),
            "repeats the key 'w'",
        ),
    ],
)
def test_unreadable_headers(tmp_path: Path, content: bytes, needle: str) -> None:
    found, details, readable = check(tmp_path, content)
    assert found == ["unparseable"]
    assert needle in details[0]
    assert not readable


def _one(tmp_path: Path, header: dict[str, Any], data: bytes) -> list[str]:
    found, details, readable = check(tmp_path, safetensors_bytes(header, data))
    assert readable and set(found) == {"invalid_header"}
    return details


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ({"dtype": "F33", "shape": [4], "data_offsets": [0, 16]}, "unknown dtype 'F33'"),
        ({"dtype": 7, "shape": [4], "data_offsets": [0, 16]}, "unknown dtype"),
        ({"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}, "non-negative integers"),
        ({"dtype": "F32", "shape": [True, 4], "data_offsets": [0, 16]}, "non-negative integers"),
        ({"dtype": "F32", "shape": "4", "data_offsets": [0, 16]}, "non-negative integers"),
        ({"dtype": "F32", "shape": [4], "data_offsets": [0]}, "[begin, end]"),
        ({"dtype": "F32", "shape": [4], "data_offsets": [0, 16.0]}, "[begin, end]"),
        ({"dtype": "F32", "shape": [4], "data_offsets": [16, 0]}, "begin 16 > end 0"),
        ({"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}, "past the data (16 bytes)"),
        ({"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}, "needs 12"),
        ({"dtype": "F4", "shape": [3], "data_offsets": [0, 16]}, "not a whole number of bytes"),
        ("not an object", "entry is not an object"),
        ({**F32_2x2, "extra": 1}, "unexpected keys ['extra']"),
    ],
)
def test_entry_violations(tmp_path: Path, entry: object, needle: str) -> None:
    details = _one(tmp_path, {"w": entry}, bytes(16))
    assert any(needle in d for d in details), details


def test_metadata_must_map_strings_to_strings(tmp_path: Path) -> None:
    details = _one(tmp_path, {"__metadata__": {"epoch": 3}, "w": F32_2x2}, bytes(16))
    assert details == ["__metadata__ is not a map of strings to strings"]


def test_a_gap_between_tensors(tmp_path: Path) -> None:
    header = {"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
              "b": {"dtype": "U8", "shape": [4], "data_offsets": [8, 12]}}  # fmt: skip
    details = _one(tmp_path, header, bytes(12))
    assert details == ["gap of 4 bytes before tensor 'b' (offset 4)"]


def test_overlapping_tensors(tmp_path: Path) -> None:
    header = {"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},
              "b": {"dtype": "U8", "shape": [8], "data_offsets": [4, 12]}}  # fmt: skip
    details = _one(tmp_path, header, bytes(12))
    assert details == ["tensor 'b' overlaps the tensor before it (begins 4 < 8)"]


def test_bytes_no_tensor_covers(tmp_path: Path) -> None:
    details = _one(tmp_path, {"w": F32_2x2}, bytes(16) + b"PK\x03\x04 hidden zip")
    assert len(details) == 1 and "belong to no tensor" in details[0]


def test_many_violations_are_summarised(tmp_path: Path) -> None:
    header = {f"t{i}": {"dtype": "BAD", "shape": [0], "data_offsets": [0, 0]} for i in range(30)}
    details = _one(tmp_path, header, b"")
    assert len(details) == MAX_REPORTED + 1
    assert details[-1] == f"... and {30 - MAX_REPORTED} more violations"


def test_tensor_data_is_never_read(tmp_path: Path) -> None:
    size = 1 << 30
    header = safetensors_bytes(
        {"w": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}}, b""
    )
    path = tmp_path / "big.safetensors"
    with path.open("wb") as f:
        f.write(header)
        f.truncate(len(header) + size)  # sparse: 1 GiB of data that is never read
    tracemalloc.start()
    try:
        scan = validate_header(path, path.name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert scan.findings == () and scan.tensors == 1
    assert peak < 1 << 20
