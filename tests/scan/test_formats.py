"""Formats by magic bytes and by name."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from mlsc.scan.formats import TORCH_LEGACY_MAGIC, magic_of, name_format, sniff


@pytest.mark.parametrize(
    ("head", "magic"),
    [
        (b"PK\x03\x04rest", "zip"),
        (b"PK\x05\x06", "zip"),
        (b"PK\x07\x08PK\x03\x04", "zip"),  # spanned-archive marker: zipfile opens it
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "7z"),
        (b"\x93NUMPY\x01\x00", "numpy"),
        (TORCH_LEGACY_MAGIC + b".", "torch-legacy"),
        (b"\x80\x02]q\x00.", "pickle"),
        (b"\x80\x05\x95", "pickle"),
        (b"\x80\x09", None),
        (b"GGUF\x03\x00", "gguf"),
        (b"\x89HDF\r\n\x1a\n", "hdf5"),
        (b"\x1f\x8b\x08", "gzip"),
        (b"BZh91AY", "bz2"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"\x78\x9c", "zlib"),
        (b"# README", None),
        (b"", None),
        (struct.pack("<Q", 2) + b"{}", "safetensors"),
        (struct.pack("<Q", 99) + b"{}", None),  # declares more than the file holds
    ],
)
def test_magic(head: bytes, magic: str | None) -> None:
    assert magic_of(head, len(head)) == magic


def test_tar_magic() -> None:
    head = bytes(257) + b"ustar\x0000" + bytes(243)
    assert magic_of(head, 10_240) == "tar"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("model.safetensors", "safetensors"),
        ("sub/pytorch_model.bin", "pickle"),
        ("ckpt.PT", "pickle"),
        ("arr.npy", "numpy"),
        ("arrs.npz", "npz"),
        ("model.gguf", "gguf"),
        ("model.mar", "zip"),
        ("release.tar.gz", "tar"),
        ("bundle.tgz", "tar"),
        ("model.7z", "7z"),
        ("README.md", None),
        ("config.json", None),
    ],
)
def test_name_format(name: str, fmt: str | None) -> None:
    assert name_format(name) == fmt


def test_sniff_reads_both(tmp_path: Path) -> None:
    path = tmp_path / "weights.safetensors"
    path.write_bytes(b"\x80\x04K\x01.")
    s = sniff(path)
    assert (s.magic, s.name_format, s.size) == ("pickle", "safetensors", 5)
