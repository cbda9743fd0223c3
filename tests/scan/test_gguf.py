"""The GGUF header reader on real (gguf-py) files and on hostile ones written as bytes."""

from __future__ import annotations

import random
import shlex
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlsc.scan import scan_path
from mlsc.scan.gguf import read_gguf, read_gguf_bytes
from mlsc.scan.templates import templates_sha256
from tests.scan import gguf_bytes as g
from tests.scan.corpus.templates import _benign_gguf

ARCH = g.kv_str("general.architecture", "llama")


def test_a_gguf_py_file_reads_completely(tmp_path: Path) -> None:
    path = _benign_gguf(tmp_path)
    header = read_gguf(path)
    assert header.complete and header.problems == () and header.version == 3
    assert "tokenizer.chat_template" in header.keys and header.n_tensors == 2
    (t,) = header.templates
    assert t.text == g.LLAMA3
    with path.open("rb") as f:  # the offset is where the template's bytes are
        f.seek(t.offset)
        assert f.read(t.length).decode() == g.LLAMA3
    f_scan = scan_path(path, check_signature=False).files[0]
    assert f_scan.status == "clean" and f_scan.format == "gguf"
    assert dict(f_scan.facts) == {"chat_template_sha256": templates_sha256([("default", g.LLAMA3)])}


def test_the_check_command_prints_the_flagged_line(tmp_path: Path) -> None:
    template = (
        "{{ bos_token }}\n{% for m in messages %}{{ m.content }}{% endfor %}\n{{ x.__class__ }}"
    )
    (tmp_path / "m.gguf").write_bytes(g.gguf([ARCH, g.kv_str("tokenizer.chat_template", template)]))
    report = scan_path(tmp_path / "m.gguf", check_signature=False)
    finding = next(f for f in report.findings if f.kind == "template_injection")
    assert finding.rule.id == "MLSC350" and "line 3" in finding.detail
    command = finding.how_to_check().replace("python -c", shlex.quote(sys.executable) + " -c", 1)
    out = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.strip() == "{{ x.__class__ }}"


@pytest.mark.parametrize(
    ("data", "cve", "offset"),
    [
        (g.gguf([g.gstr("general.name", length=(1 << 64) - 1) + b"AAAA"]), "CVE-2024-23496", 24),
        (g.gguf([ARCH], n_kv=1 << 40), "CVE-2024-23605", 16),
        (g.gguf([ARCH], n_tensors=1 << 40), "CVE-2024-21836", 8),
        (g.gguf([g.kv_str_array("t", ["a"], count=1 << 62)]), "CVE-2024-21825", 37),
        (g.gguf([ARCH], [g.tensor_info("w", [1] * 5)], b"\0" * 32), "CVE-2024-21802", 69),
    ],
    ids=["string-length", "n-kv", "n-tensors", "array-count", "n-dims"],
)
def test_impossible_lengths_and_counts_are_critical(data: bytes, cve: str, offset: int) -> None:
    header = read_gguf_bytes(data)
    critical = [p for p in header.problems if p.severity == "critical"]
    assert critical and cve in critical[0].detail and critical[0].offset == offset


def test_a_fixed_size_array_larger_than_the_file_is_critical() -> None:
    kv = g.gstr("scores") + struct.pack("<IIQ", 9, 6, 1 << 40) + b"\0" * 16  # float32 array
    (problem,) = read_gguf_bytes(g.gguf([kv])).problems
    assert problem.severity == "critical" and "4 bytes" in problem.detail


def test_tensor_sizes_past_the_file_or_past_int64() -> None:
    past = read_gguf_bytes(g.gguf([ARCH], [g.tensor_info("w", [64, 64])], b"\0" * 32))
    assert [p.severity for p in past.problems] == ["critical"] and "past the file" in str(past)
    wraps = read_gguf_bytes(g.gguf([ARCH], [g.tensor_info("w", [1 << 40, 1 << 40])]))
    assert "overflows int64" in wraps.problems[0].detail
    fits = read_gguf_bytes(g.gguf([ARCH], [g.tensor_info("w", [4, 2])], b"\0" * 32))
    assert fits.complete and fits.problems == ()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (g.gguf([g.kv_u32("general.alignment", 24)]), "not a power of two"),
        (g.gguf([ARCH, ARCH]), "duplicate key general.architecture"),
        (b"GGUF" + struct.pack("<I", 4) + b"\0" * 16, "version 4"),
        (g.gguf([ARCH], [g.tensor_info("w", [32], 0, 7)], b"\0" * 160), "not aligned"),
        (g.gguf([ARCH], [g.tensor_info("w", [31], 8)], b"\0" * 64), "not a multiple of 32"),
        (g.gguf([ARCH], [g.tensor_info("w", [4], 77)], b"\0" * 64), "unknown type 77"),
        (g.gguf([g.gstr("x") + struct.pack("<I", 13)]), "unknown value type 13"),
    ],
    ids=["alignment", "duplicate", "version", "unaligned", "block", "tensor-type", "value-type"],
)
def test_odd_values_are_warnings(data: bytes, words: str) -> None:
    problems = read_gguf_bytes(data).problems
    assert [p.severity for p in problems] == ["warning"] and words in problems[0].detail


def test_version_1_and_big_endian_files_read() -> None:
    v1 = (
        b"GGUF" + struct.pack("<III", 1, 0, 1) + g.gstr("tokenizer.chat_template", version=1)
        + struct.pack("<I", 8) + g.gstr("{{ x }}", version=1)
    )  # fmt: skip
    header = read_gguf_bytes(v1)
    assert header.complete and header.templates[0].text == "{{ x }}"
    assert v1[header.templates[0].offset :].startswith(b"{{ x }}")
    big = read_gguf_bytes(g.gguf([g.kv_str("tokenizer.chat_template", "{{ y }}", e=">")], e=">"))
    assert big.big_endian and big.complete and big.templates[0].text == "{{ y }}"


def test_every_truncation_and_random_corruption_is_reported_not_raised(tmp_path: Path) -> None:
    data = _benign_gguf(tmp_path).read_bytes()
    end_of_header = 0
    for n in range(len(data)):
        header = read_gguf_bytes(data[:n])
        assert header.complete or header.problems, n
        if not header.complete:
            end_of_header = n
    assert read_gguf_bytes(data).complete and end_of_header > 100
    rng = random.Random(11)
    for _ in range(500):
        corrupt = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            corrupt[rng.randrange(8, end_of_header)] = rng.randrange(256)
        read_gguf_bytes(bytes(corrupt))


def test_a_real_sized_vocabulary_reads_fast() -> None:
    tokens = [f"tok{i}" for i in range(200_000)]
    data = g.gguf([ARCH, g.kv_str_array("tokenizer.ggml.tokens", tokens)])
    start = time.perf_counter()
    assert read_gguf_bytes(data).complete
    assert time.perf_counter() - start < 5


def test_a_template_behind_an_unreadable_value_is_still_found(tmp_path: Path) -> None:
    bad = g.gstr("x") + struct.pack("<I", 99)
    path = g.write(
        tmp_path / "m.gguf", g.gguf([bad, g.kv_str("tokenizer.chat_template", g.LLAMA_DRAMA)])
    )
    f = scan_path(path, check_signature=False).files[0]
    assert f.status == "critical"
    assert {x.kind for x in f.findings} == {"gguf_header", "template_injection"}


def test_nested_arrays_are_followed_to_a_depth() -> None:
    inner = struct.pack("<IQ", 4, 1) + b"\0" * 4  # array of one uint32
    kv = g.gstr("nested") + struct.pack("<IIQ", 9, 9, 1) + inner
    header = read_gguf_bytes(g.gguf([kv]))
    assert header.complete and "array of arrays" in header.problems[0].detail
    deep = g.gstr("deep") + struct.pack("<I", 9) + struct.pack("<IQ", 9, 1) * 10
    assert "nested over" in read_gguf_bytes(g.gguf([deep])).problems[-1].detail


def test_a_template_key_that_is_not_a_string_is_odd() -> None:
    kv = g.gstr("tokenizer.chat_template") + struct.pack("<II", 4, 7)
    (problem,) = read_gguf_bytes(g.gguf([kv])).problems
    assert problem.severity == "warning" and "not a string" in problem.detail


def test_tensor_names_and_sizes_a_loader_mishandles() -> None:
    long_name = read_gguf_bytes(g.gguf([ARCH], [g.tensor_info("w" * 64, [8])], b"\0" * 32))
    assert [p.detail.split(":")[0] for p in long_name.problems] == ["tensor name of 64 bytes"]
    twice = [g.tensor_info("w", [8]), g.tensor_info("w", [8], 0, 32)]
    dup = read_gguf_bytes(g.gguf([ARCH], twice, b"\0" * 64))
    assert ["duplicate" in p.detail for p in dup.problems] == [True]
    # 2**62 F64 elements: under int64, but 2**65 bytes wraps a size_t
    wraps = read_gguf_bytes(g.gguf([ARCH], [g.tensor_info("w", [1 << 31, 1 << 31], 28)]))
    assert wraps.problems[0].severity == "critical" and "wraps" in wraps.problems[0].detail
    assert read_gguf_bytes(b"GGUF").problems[0].detail == "GGUF header cut short"
