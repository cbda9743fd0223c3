"""Archive and file-name tricks: containers a loader opens that a scanner may not.

Every sample is written from the advisory's description (nothing downloaded); the payload is
always ``os.system("id")`` as raw opcodes. Benign archives at the end must stay clean.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tests.scan import builders as b
from tests.scan import zipcraft as z
from tests.scan.corpus import Sample

EVIL = z.EVIL
SAFE = b.torch_state_dict_pickle()
Build = Callable[[Path], Path]


def _file(name: str, data: Callable[[], bytes]) -> Build:
    def build(d: Path) -> Path:
        return z.write(d / name, data())

    return build


def _torch(data_pkl: bytes = EVIL, prefix: str = "archive", **kw: bool) -> bytes:
    return z.zip_bytes(z.torch_members(data_pkl, prefix), **kw)  # type: ignore[arg-type]


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _npz(members: dict[str, bytes]) -> bytes:
    return z.zip_bytes([(k, v) for k, v in members.items()], zipfile.ZIP_DEFLATED)


def _real_npz(compressed: bool) -> Build:
    def build(d: Path) -> Path:
        p = d / "arrays.npz"
        save = np.savez_compressed if compressed else np.savez
        save(p, w=np.arange(12, dtype=np.float32).reshape(3, 4), b=np.zeros(3))
        return p

    return build


_OBJ_NPY = b.npy_bytes("|O", (1,), EVIL)

ZIP_TRICKS: list[Sample] = [
    Sample(
        "zip-flag-bit-encrypted-plaintext",
        "picklescan GHSA-w8jq-xcqf-f792 (zip flag bit exploit): the encryption bit on "
        "data.pkl makes zipfile ask for a password; PyTorch's reader ignores it",
        True,
        _file(
            "model.pt",
            lambda: z.set_flags(_torch(), "archive/data.pkl", 0x1, local=True, central=True),
        ),
    ),
    Sample(
        "zip-flag-bit-strong-encryption-local-only",
        "picklescan GHSA-w8jq-xcqf-f792: bit 6 (strong encryption) in the local header only "
        "(zipfile raises NotImplementedError; miniz reads the central directory's flags)",
        True,
        _file(
            "model.pt",
            lambda: z.set_flags(_torch(), "archive/data.pkl", 0x40, local=True, central=False),
        ),
    ),
    Sample(
        "zip-encrypted-unreadable-member",
        "an encrypted-flagged data.pkl whose bytes are not a pickle mlsc can read: PyTorch "
        "ignores the flag, so what it would unpickle is unknown (critical)",
        True,
        _file(
            "model.pt",
            lambda: z.set_flags(
                z.zip_bytes(z.torch_members(bytes(range(7, 200)))),
                "archive/data.pkl",
                0x1,
                local=True,
                central=True,
            ),
        ),
    ),
    Sample(
        "zip-bad-crc",
        "CVE-2025-10156 / picklescan GHSA-7q5r-7gvp-wc82 (JFrog 2025): a wrong CRC-32 makes "
        "zipfile raise BadZipFile on read; PyTorch skips CRC checks",
        True,
        _file("pytorch_model.bin", lambda: z.bad_crc(_torch(), "archive/data.pkl")),
    ),
    Sample(
        "zip-bad-crc-deflated",
        "CVE-2025-10156 with a deflated data.pkl",
        True,
        _file(
            "model.pt",
            lambda: z.bad_crc(
                _torch(method=zipfile.ZIP_DEFLATED),  # type: ignore[arg-type]
                "archive/data.pkl",
            ),
        ),
    ),
    Sample(
        "zip-local-name-differs",
        "ModelScan issue 354 (BadZipFile fail-open): the local header names another file than "
        "the central directory; zipfile raises, miniz reads by the central name",
        True,
        _file("model.pt", lambda: z.rename_local(_torch(), "archive/data.pkl", "archive/data.pkx")),
    ),
    Sample(
        "zip-corrupt-member-before-data-pkl",
        "ModelScan issue 354: a corrupted entry listed before archive/data.pkl aborts a "
        "scanner's iteration; torch.load reads data.pkl by name",
        True,
        _file(
            "model.pt",
            lambda: z.rename_local(
                z.zip_bytes([("archive/aaaa", b"x"), *z.torch_members(EVIL)]),
                "archive/aaaa",
                "archive/bbbb",
            ),
        ),
    ),
    Sample(
        "zip-central-method-lies",
        "the central directory says deflated, the local header stored: views disagree",
        True,
        _file("model.pt", lambda: z.central_method(_torch(), "archive/data.pkl", 8)),
    ),
    Sample(
        "zip-data-descriptors",
        "members written with data descriptors (flag bit 3, sizes after the data), as "
        "PyTorch's own writer does",
        True,
        _file("model.pt", lambda: _torch(stream=True)),
    ),
    Sample(
        "zip-prepended-bytes",
        "bytes before the archive: zipfile and peers still open it by its central directory",
        True,
        _file("model.bin", lambda: b"\x00JUNK" * 100 + _torch()),
    ),
    Sample(
        "zip-appended-junk",
        "junk after the end-of-central-directory record",
        True,
        _file("model.pt", lambda: _torch() + b"\x00" * 1000),
    ),
    Sample(
        "zip-zip64",
        "zip64 extra fields on every member",
        True,
        _file("model.pt", lambda: _torch(zip64=True)),
    ),
    Sample(
        "zip-duplicate-data-pkl",
        "two archive/data.pkl entries: the first benign, the second the payload (readers "
        "disagree on which one a name means)",
        True,
        _file(
            "model.pt", lambda: z.zip_bytes([("archive/data.pkl", SAFE), *z.torch_members(EVIL)])
        ),
    ),
    Sample(
        "zip-dotdot-path",
        "archive/../data.pkl: an odd path a normalising reader maps to data.pkl",
        True,
        _file(
            "model.pt",
            lambda: z.zip_bytes([("archive/../data.pkl", EVIL), ("archive/version", b"3\n")]),
        ),
    ),
    Sample(
        "zip-backslash-path",
        "archive\\data.pkl: a Windows separator in the member name",
        True,
        _file("model.pt", lambda: z.zip_bytes([("archive\\data.pkl", EVIL)])),
    ),
    Sample(
        "zip-other-top-level-dir",
        "a checkpoint whose top-level directory is not archive/ (torch.load takes whatever "
        "the first entry's directory is)",
        True,
        _file("model.pt", lambda: _torch(prefix="resnet50_weights")),
    ),
    Sample(
        "zip-deep-prefix-data-pkl",
        "data.pkl under a deep prefix",
        True,
        _file("model.pt", lambda: _torch(prefix="a/b/c/d")),
    ),
    Sample(
        "zip-unnamed-pickle-member",
        "a pickle in a member named like a storage-less blob (no .pkl)",
        True,
        _file("model.zip", lambda: z.zip_bytes([("weights/blob", EVIL)])),
    ),
    Sample(
        "zip-spanned-marker-start",
        "google/saferpickle PR 46: a zip starting with the spanned-archive marker PK\\x07\\x08",
        True,
        _file("model.zip", lambda: b"PK\x07\x08" + z.zip_bytes([("data.pkl", EVIL)])),
    ),
]

NESTED: list[Sample] = [
    Sample(
        "nested-torch-zip-in-zip",
        "a malicious checkpoint inside a zip bundle",
        True,
        _file("bundle.zip", lambda: z.zip_bytes([("model/pytorch_model.bin", _torch())])),
    ),
    Sample(
        "nested-torch-zip-in-tar-gz",
        "a checkpoint inside a .tar.gz release bundle",
        True,
        _file("release.tar.gz", lambda: gzip.compress(_tar([("ckpt/model.pt", _torch())]))),
    ),
    Sample(
        "nested-pickle-in-tgz",
        "a raw pickle inside a .tgz",
        True,
        _file("model.tgz", lambda: gzip.compress(_tar([("model.pkl", EVIL)]))),
    ),
    Sample(
        "nested-pickle-in-tar-bz2",
        "a raw pickle inside a .tar.bz2",
        True,
        _file("model.tar.bz2", lambda: bz2.compress(_tar([("x/model.pkl", EVIL)]))),
    ),
    Sample(
        "nested-pickle-in-tar-xz",
        "a raw pickle inside a .tar.xz",
        True,
        _file("model.tar.xz", lambda: lzma.compress(_tar([("model.joblib", EVIL)]))),
    ),
    Sample(
        "nested-torch-zip-gzipped",
        "a checkpoint gzipped as model.pt.gz",
        True,
        _file("model.pt.gz", lambda: gzip.compress(_torch())),
    ),
    Sample(
        "nested-zip-in-zip-in-zip",
        "three levels of zip around a pickle",
        True,
        _file(
            "a.zip",
            lambda: z.zip_bytes(
                [("b.zip", z.zip_bytes([("c.zip", z.zip_bytes([("data.pkl", EVIL)]))]))]
            ),
        ),
    ),
    Sample(
        "npz-object-array",
        "an .npz whose member is an object .npy: numpy.load(allow_pickle=True) unpickles it",
        True,
        _file("arrays.npz", lambda: _npz({"x.npy": _OBJ_NPY})),
    ),
    Sample(
        "npz-object-array-in-tar",
        "an object .npz inside a tar",
        True,
        _file("data.tar", lambda: _tar([("arrays.npz", _npz({"x.npy": _OBJ_NPY}))])),
    ),
    Sample(
        "mar-torchserve-archive",
        "a TorchServe .mar (a zip: MAR-INF/MANIFEST.json and the serialized model) with a "
        "malicious model.pt",
        True,
        _file(
            "model.mar",
            lambda: z.zip_bytes(
                [
                    ("MAR-INF/MANIFEST.json", b'{"model": {"serializedFile": "model.pt"}}'),
                    ("model.pt", _torch()),
                    ("handler.py", b"# handler\n"),
                ],
                zipfile.ZIP_DEFLATED,
            ),
        ),
    ),
    Sample(
        "legacy-torch-tar-gz",
        "PyTorch's oldest tar checkpoint, gzipped",
        True,
        _file(
            "model.tar.gz",
            lambda: gzip.compress(_tar([("sys_info", b"\x80\x02}."), ("pickle", EVIL)])),
        ),
    ),
]


def _names() -> list[Sample]:
    """CVE-2025-10155 / picklescan GHSA-769v-p64c-89pr: a pickle under any name is a
    pickle (protocols 0 and 1 have no magic bytes)."""
    out = []
    protocols = {
        "p0": b.inst_call("os", "system", "id"),
        "p1": b.obj_call("os", "system", "id"),
        "p2": EVIL,
        "p4": b.stack_global_call("os", "system", "id"),
    }
    for suffix in (
        ".bin",
        ".pt",
        ".ckpt",
        ".pkl",
        ".joblib",
        ".npy",
        ".dat",
        ".h5",
        ".safetensors",
        ".txt",
        "",
    ):
        for proto, data in protocols.items():
            if proto in ("p1", "p4") and suffix not in (".bin", ".txt", ""):
                continue
            name = f"model{suffix}"
            out.append(
                Sample(
                    f"name-{proto}-as-{suffix.strip('.') or 'noext'}",
                    "CVE-2025-10155 (picklescan GHSA-769v-p64c-89pr, JFrog 2025): a "
                    f"{proto} pickle named {name!r}",
                    True,
                    _file(name, lambda data=data: data),  # type: ignore[misc]
                )
            )
    return out


UNPARSEABLE: list[Sample] = [
    Sample(
        "unparseable-data-pkl-in-zip",
        "a data.pkl mlsc cannot parse past its PROTO: torch.load would still unpickle it",
        True,
        _file("model.pt", lambda: _torch(b"\x80\x02\x95garbage")),
    ),
    Sample(
        "unparseable-joblib-truncated",
        "a compressed joblib file cut short after an import",
        True,
        _file("model.joblib", lambda: zlib_compress(EVIL[:-4])),
    ),
]


def _xxh32(data: bytes) -> int:
    """xxHash32 with seed 0 for inputs under 16 bytes (the LZ4 frame header checksum)."""
    p1, p2, p3, p4, p5, m = 2654435761, 2246822519, 3266489917, 668265263, 374761393, 2**32 - 1

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & m

    h = (p5 + len(data)) & m
    i = 0
    while i + 4 <= len(data):
        h = rotl((h + int.from_bytes(data[i : i + 4], "little") * p3) & m, 17) * p4 & m
        i += 4
    for byte in data[i:]:
        h = rotl((h + byte * p5) & m, 11) * p1 & m
    h ^= h >> 15
    h = h * p2 & m
    h ^= h >> 13
    h = h * p3 & m
    return h ^ (h >> 16)


def lz4_frame(data: bytes) -> bytes:
    """An LZ4 frame holding ``data`` in one uncompressed block (what ``lz4.frame`` reads)."""
    descriptor = bytes([0x60, 0x40])  # version 1, independent blocks; 64 KiB blocks
    header = b"\x04\x22\x4d\x18" + descriptor + bytes([(_xxh32(descriptor) >> 8) & 0xFF])
    block = (0x80000000 | len(data)).to_bytes(4, "little") + data
    return header + block + bytes(4)


def zstd_frame(data: bytes) -> bytes:
    """A Zstandard frame holding ``data`` (under 256 bytes) in one raw block."""
    block_header = (1 | (len(data) << 3)).to_bytes(3, "little")  # last block, raw
    return b"\x28\xb5\x2f\xfd" + bytes([0x20, len(data)]) + block_header + data


def zlib_compress(data: bytes) -> bytes:
    import zlib

    return zlib.compress(data)


UNREAD: list[Sample] = [
    Sample(
        "joblib-lz4-compressed",
        "joblib.load decompresses lz4 (when the lz4 package is installed) and unpickles: "
        "a compression the standard library cannot open hides the payload",
        True,
        _file("model.joblib", lambda: lz4_frame(EVIL)),
    ),
    Sample(
        "pickle-zstd-compressed",
        "pandas.read_pickle infers zstd from .zst and unpickles the content",
        True,
        _file("frame.pkl.zst", lambda: zstd_frame(EVIL)),
    ),
]

BENIGN: list[Sample] = [
    Sample("benign-numpy-savez", "numpy.savez of float arrays", False, _real_npz(False), "clean"),
    Sample(
        "benign-numpy-savez-compressed",
        "numpy.savez_compressed of float arrays",
        False,
        _real_npz(True),
        "clean",
    ),
    Sample(
        "benign-torch-zip-descriptors",
        "a torch-shaped checkpoint with data descriptors and .data/serialization_id",
        False,
        _file("pytorch_model.bin", lambda: _torch(SAFE, stream=True)),
        "clean",
    ),
    Sample(
        "benign-torch-zip-deflated",
        "a torch-shaped checkpoint, deflated",
        False,
        _file("model.pt", lambda: _torch(SAFE, method=zipfile.ZIP_DEFLATED)),  # type: ignore[arg-type]
        "clean",
    ),
    Sample(
        "benign-torch-zip-in-tar-gz",
        "a benign checkpoint in a .tar.gz with a README",
        False,
        _file(
            "release.tar.gz",
            lambda: gzip.compress(_tar([("README.md", b"# model\n"), ("model.pt", _torch(SAFE))])),
        ),
        "clean",
    ),
    Sample(
        "benign-zip-of-text",
        "a zip of a README and a JSON config",
        False,
        _file(
            "docs.zip",
            lambda: z.zip_bytes([("README.md", b"# hi\n"), ("config.json", b'{"a": [1, 2]}')]),
        ),
        "clean",
    ),
    Sample(
        "benign-raw-float-bin",
        "raw float32 weights named .bin (ONNX external data, OpenVINO): not a pickle",
        False,
        _file("weights.bin", lambda: np.linspace(-1, 1, 64, dtype=np.float32).tobytes()),
        "clean",
    ),
    Sample(
        "benign-json-no-extension",
        "a JSON file with no extension: probed, not a pickle",
        False,
        _file("vocab", lambda: b'{"hello": 1, "world": 2}\n'),
        "clean",
    ),
]

SAMPLES: list[Sample] = [*ZIP_TRICKS, *NESTED, *_names(), *UNPARSEABLE, *UNREAD, *BENIGN]
