"""A minimal reader of the protocol-buffer wire format, for model files without their schema.

TensorFlow SavedModels (``saved_model.pb``), frozen graphs and ONNX models are protobuf
messages. The scanner reads only the few fields it needs, by number, with no dependency on
TensorFlow or ``onnx``: :func:`fields` yields the fields of one message, and
:func:`submessages`, :func:`strings` and :func:`ints` pick one field number out of them.

    >>> msg = b"\\x08\\x96\\x01\\x12\\x02hi"
    >>> ints(msg, 1), strings(msg, 2)
    ([150], ['hi'])

A malformed message raises :class:`ProtobufError`; nothing here allocates more than the
input's size.
"""

from __future__ import annotations

from collections.abc import Iterator

VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5
"""The wire types."""

Buffer = bytes | memoryview
"""A message's bytes; a ``memoryview`` (of an ``mmap``) avoids copying large fields."""
Value = int | memoryview
"""A varint or fixed-width field as an ``int``, a length-delimited one as a ``memoryview``
of the input (no copy)."""


class ProtobufError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def _varint(buf: Buffer, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError("varint longer than 10 bytes")


def fields(data: Buffer) -> Iterator[tuple[int, int, Value]]:
    """Every field of one message as ``(number, wire_type, value)``, in file order.

    Groups (wire types 3 and 4, unused by proto3 schemas) are skipped with their content.
    """
    buf = data if isinstance(data, memoryview) else memoryview(data)
    pos, end = 0, len(buf)
    depth = 0
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        value: Value
        if wire == VARINT:
            value, pos = _varint(buf, pos)
        elif wire == I64:
            if pos + 8 > end:
                raise ProtobufError("truncated fixed64")
            value, pos = int.from_bytes(buf[pos : pos + 8].tobytes(), "little"), pos + 8
        elif wire == I32:
            if pos + 4 > end:
                raise ProtobufError("truncated fixed32")
            value, pos = int.from_bytes(buf[pos : pos + 4].tobytes(), "little"), pos + 4
        elif wire == LEN:
            n, pos = _varint(buf, pos)
            if pos + n > end:
                raise ProtobufError(f"field {number}: length {n} runs past the message end")
            value, pos = buf[pos : pos + n], pos + n
        elif wire == SGROUP:
            depth += 1
            continue
        elif wire == EGROUP:
            if depth == 0:
                raise ProtobufError("end of a group that was not started")
            depth -= 1
            continue
        else:
            raise ProtobufError(f"unknown wire type {wire}")
        if depth == 0:
            yield number, wire, value
    if depth:
        raise ProtobufError("unterminated group")


def submessages(buf: Buffer, number: int) -> Iterator[memoryview]:
    """The length-delimited fields numbered ``number`` (messages, strings or bytes)."""
    for n, wire, value in fields(buf):
        if n == number:
            if wire != LEN or isinstance(value, int):
                raise ProtobufError(f"field {number} is not length-delimited")
            yield value


def text(value: memoryview) -> str:
    """A string field's value, decoded as UTF-8 (bad bytes replaced)."""
    return value.tobytes().decode("utf-8", "replace")


def strings(buf: Buffer, number: int) -> list[str]:
    """The string fields numbered ``number``, decoded as UTF-8 (bad bytes replaced)."""
    return [text(v) for v in submessages(buf, number)]


def string(buf: Buffer, number: int) -> str:
    """The last string field numbered ``number`` (protobuf's rule), ``""`` if absent."""
    found = strings(buf, number)
    return found[-1] if found else ""


def ints(buf: Buffer, number: int) -> list[int]:
    """The varint fields numbered ``number`` (packed repeated fields included)."""
    out: list[int] = []
    for n, _, value in fields(buf):
        if n != number:
            continue
        if isinstance(value, int):
            out.append(value)
        else:
            pos = 0
            while pos < len(value):
                v, pos = _varint(value, pos)
                out.append(v)
    return out


def encode_varint(value: int) -> bytes:
    """A non-negative ``int`` as a varint (for building test messages)."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_field(number: int, value: int | bytes | str) -> bytes:
    """One field: a varint for an ``int``, length-delimited for ``bytes`` or ``str``."""
    if isinstance(value, int):
        return encode_varint(number << 3 | VARINT) + encode_varint(value)
    data = value.encode() if isinstance(value, str) else value
    return encode_varint(number << 3 | LEN) + encode_varint(len(data)) + data
