"""joblib files written as bytes, opcode by opcode, as ``joblib.dump`` writes them: each
numpy array a ``joblib.numpy_pickle.NumpyArrayWrapper`` placeholder whose BUILD is followed
by the array's bytes (an alignment padding, then the data; a nested pickle for an object
dtype). Nothing here imports joblib or numpy.
"""

from __future__ import annotations

import struct

from tests.scan import builders as b

WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")


def int_(n: int) -> bytes:
    """BININT1 or BININT."""
    return b"K" + bytes([n]) if 0 <= n < 256 else b"J" + struct.pack("<i", n)


def tuple_(items: tuple[int, ...]) -> bytes:
    if not items:
        return b")"
    return b"(" + b"".join(int_(i) for i in items) + b"t"


def dtype(descr: str, elsize: int = -1, flags: int = 0) -> bytes:
    """``numpy.dtype(descr, False, True)`` and its BUILD state, as numpy pickles it."""
    state = b"(" + int_(3) + b.unicode("<") + b"NNN" + int_(elsize) + int_(-1) + int_(flags) + b"t"
    return b.stack_global("numpy", "dtype") + b.unicode(descr) + b"\x89\x88\x87R" + state + b"b"


def state(
    shape: tuple[int, ...] | bytes, dtype_ops: bytes, align: object = 16, extra: bytes = b""
) -> bytes:
    """A placeholder's state dict; ``align=None`` writes None, ``align=...`` leaves the key
    out (as joblib before 1.2 did)."""
    items = b.unicode("subclass") + b.stack_global("numpy", "ndarray")
    items += b.unicode("shape") + (shape if isinstance(shape, bytes) else tuple_(shape))
    items += b.unicode("order") + b.unicode("C") + b.unicode("dtype") + dtype_ops
    items += b.unicode("allow_mmap") + b"\x88"
    if align is not ...:
        items += b.unicode("numpy_array_alignment_bytes")
        items += b"N" if align is None else int_(int(align))  # type: ignore[call-overload]
    return b"}(" + items + extra + b"u"


def wrapper(shape: tuple[int, ...] | bytes, dtype_ops: bytes, align: object = 16) -> bytes:
    """NEWOBJ of the placeholder, then BUILD of its state (the array bytes follow)."""
    return b.stack_global(*WRAPPER) + b")\x81" + state(shape, dtype_ops, align) + b"b"


def padded(data: bytes, pad: int = 7) -> bytes:
    """What joblib writes after the BUILD when the alignment is not None."""
    return bytes([pad]) + b"\xff" * pad + data


def joblib_file(*arrays: bytes) -> bytes:
    """A protocol 4 pickle of a list of arrays: each ``wrapper(...) + its bytes``."""
    return b"\x80\x04]" + b"".join(a + b"a" for a in arrays) + b"."
