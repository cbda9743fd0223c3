"""Pickles and model files built byte by byte, for the scanner to look at.

Everything malicious here is written as raw opcodes and is never unpickled: the conftest
guard makes any unpickling in these tests fail.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import tarfile
import zipfile
from pathlib import Path

from mlsc.scan.formats import TORCH_LEGACY_MAGIC


def unicode(s: str) -> bytes:
    """SHORT_BINUNICODE (or BINUNICODE for long strings)."""
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b if len(b) < 256 else b"X" + struct.pack("<I", len(b)) + b


def global_(module: str, name: str) -> bytes:
    """GLOBAL: the protocol 0-3 import."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def reduce_call(module: str, name: str, arg: str, proto: int = 2) -> bytes:
    """``module.name(arg)`` with GLOBAL + REDUCE: the classic malicious pickle."""
    return b"\x80" + bytes([proto]) + global_(module, name) + unicode(arg) + b"\x85R."


def stack_global_call(module: str, name: str, arg: str) -> bytes:
    """``module.name(arg)`` in protocol 4: FRAME, memoized strings, STACK_GLOBAL, REDUCE."""
    body = (
        unicode(module) + b"\x94" + unicode(name) + b"\x94" + b"\x93\x94"
        + unicode(arg) + b"\x94\x85\x94R\x94."
    )  # fmt: skip
    return b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body


def memo_shuffle_call(module: str, name: str, arg: str) -> bytes:
    """The STACK_GLOBAL operands pushed long before, popped, and fetched back from the memo
    in the order STACK_GLOBAL wants (an evasion of scanners that look only one op back)."""
    return (
        b"\x80\x04"
        + unicode(name) + b"q\x07" + b"0"      # "name" -> memo[7], POP
        + unicode("decoy") + b"q\x03" + b"0"   # noise
        + unicode(module) + b"q\x05" + b"0"    # "module" -> memo[5], POP
        + b"h\x05" + b"h\x07" + b"\x93"        # BINGET 5, BINGET 7, STACK_GLOBAL
        + unicode(arg) + b"\x85R."
    )  # fmt: skip


def dup_call(module: str, name: str, arg: str) -> bytes:
    """STACK_GLOBAL operands produced through DUP and POP instead of plain pushes."""
    return (
        b"\x80\x04" + unicode(module) + b"2" + b"0"  # push, DUP, POP: module stays on the stack
        + unicode(name) + b"\x93" + unicode(arg) + b"\x85R."
    )  # fmt: skip


def computed_module_call() -> bytes:
    """STACK_GLOBAL whose module is the result of a call (``str("os")``): it cannot be
    known without running the pickle."""
    return (
        b"\x80\x04" + global_("builtins", "str") + unicode("os") + b"\x85R"
        + unicode("system") + b"\x93" + unicode("id") + b"\x85R."
    )  # fmt: skip


def inst_call(module: str, name: str, arg: str) -> bytes:
    """Protocol 0 INST: ``(S'arg'\\nimodule\\nname\\n.``."""
    return b"(S'" + arg.encode() + b"'\ni" + module.encode() + b"\n" + name.encode() + b"\n."


def obj_call(module: str, name: str, arg: str) -> bytes:
    """Protocol 1 OBJ: MARK, the callable, its argument, OBJ."""
    return b"(" + global_(module, name) + b"S'" + arg.encode() + b"'\no."


def ext_call() -> bytes:
    """EXT2: a callable named only by a copyreg extension code."""
    return b"\x80\x02\x83\x39\x30" + unicode("x") + b"\x85R."


def torch_state_dict_pickle() -> bytes:
    """What ``torch.save({"w": tensor}, f)`` writes as ``data.pkl`` (protocol 2): an
    OrderedDict whose value is ``_rebuild_tensor_v2`` of a persistent-id storage."""
    return (
        b"\x80\x02" + global_("collections", "OrderedDict") + b")R" + b"q\x00"
        + unicode("w")
        + global_("torch._utils", "_rebuild_tensor_v2")
        + b"(" + b"(" + unicode("storage") + global_("torch", "FloatStorage")
        + unicode("0") + unicode("cpu") + b"K\x04" + b"tQ"      # BINPERSID
        + b"K\x00" + b"K\x02K\x02\x86" + b"K\x02K\x01\x86" + b"\x89"
        + global_("collections", "OrderedDict") + b")R"
        + b"tR" + b"s" + b"."
    )  # fmt: skip


def torch_zip(path: Path, data_pkl: bytes, **extra: bytes) -> Path:
    """A PyTorch zip checkpoint: ``archive/data.pkl``, a raw storage, version, byteorder.
    The storage starts like a pickle on purpose (raw tensor bytes may)."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/data/0", b"\x80\x02" + bytes(14))
        z.writestr("archive/version", "3\n")
        z.writestr("archive/byteorder", "little")
        for name, content in extra.items():
            z.writestr(name, content)
    return path


def torch_legacy(main_pickle: bytes) -> bytes:
    """The pre-zip ``torch.save`` layout: magic number, protocol, sys info, the object,
    storage keys (five protocol 2 pickles), then raw storage bytes."""
    proto = b"\x80\x02" + b"M\xe9\x03" + b"."
    sys_info = b"\x80\x02}" + unicode("little_endian") + b"\x88s."
    keys = b"\x80\x02]" + unicode("0") + b"a."
    storage = struct.pack("<Q", 4) + bytes(16)
    return TORCH_LEGACY_MAGIC + b"." + proto + sys_info + main_pickle + keys + storage


def npy_bytes(descr: str, shape: tuple[int, ...], payload: bytes, version: int = 1) -> bytes:
    """A ``.npy`` file: magic, version, header dict padded to 64 bytes, payload."""
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    width = 2 if version == 1 else 4
    pad = -(10 + len(header) + 1 + (width - 2)) % 64
    text = (header + " " * pad + "\n").encode("latin-1")
    fmt = "<H" if version == 1 else "<I"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(fmt, len(text)) + text + payload


def legacy_tar(path: Path, pickle_member: bytes) -> Path:
    """PyTorch's oldest format: a tar of ``sys_info``, ``pickle``, ``storages``, ``tensors``."""
    with tarfile.open(path, "w") as tf:
        for name, data in (
            ("sys_info", b"\x80\x02}."),
            ("pickle", pickle_member),
            ("storages", b"\x80\x02K\x00."),
            ("tensors", b"\x80\x02K\x00."),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def safetensors_bytes(header: object, data: bytes, *, raw_header: bytes | None = None) -> bytes:
    """A ``.safetensors`` file from a header (JSON-encoded unless ``raw_header`` is given)."""
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


# -- opcode tricks (issue 11) -----------------------------------------------------------


def binbytes(data: bytes) -> bytes:
    """SHORT_BINBYTES or BINBYTES (protocol 3+)."""
    if len(data) < 256:
        return b"C" + bytes([len(data)]) + data
    return b"B" + struct.pack("<I", len(data)) + data


def stack_global(module: str, name: str) -> bytes:
    """The two strings and STACK_GLOBAL (protocol 4+), without FRAME or memo."""
    return unicode(module) + unicode(name) + b"\x93"


def proto_call(proto: int, module: str, name: str, arg: str) -> bytes:
    """``module.name(arg)`` written the way protocol ``proto`` (0-5) writes a REDUCE:
    text opcodes only for 0, binary strings for 1, PROTO + GLOBAL for 2-3, STACK_GLOBAL
    (with FRAME and MEMOIZE for 5) for 4-5."""
    if proto == 0:
        return global_(module, name) + b"(V" + arg.encode() + b"\ntR."
    if proto == 1:
        return global_(module, name) + b"(X" + struct.pack("<I", len(arg)) + arg.encode() + b"tR."
    if proto in (2, 3):
        return reduce_call(module, name, arg, proto)
    if proto == 4:
        return b"\x80\x04" + stack_global(module, name) + unicode(arg) + b"\x85R."
    body = stack_global(module, name) + b"\x94" + unicode(arg) + b"\x94\x85\x94R\x94."
    return b"\x80\x05\x95" + struct.pack("<Q", len(body)) + body


def memo_late_call(module: str, name: str, arg: str) -> bytes:
    """A global imported, stored in the memo, popped, and called much later after
    unrelated data (a list of 200 ints), fetched back with LONG_BINGET."""
    noise = b"]" + b"(" + b"".join(b"K" + bytes([i % 256]) for i in range(200)) + b"e" + b"0"
    return (
        b"\x80\x02" + global_(module, name) + b"r" + struct.pack("<I", 300) + b"0"
        + noise + b"j" + struct.pack("<I", 300) + unicode(arg) + b"\x85R."
    )  # fmt: skip


def pop_mark_hidden_call(module: str, name: str, arg: str) -> bytes:
    """A decoy import thrown away with POP_MARK before the real call."""
    return (
        b"\x80\x02(" + global_("collections", "OrderedDict") + b"1"
        + global_(module, name) + unicode(arg) + b"\x85R."
    )  # fmt: skip


def joined_name_call(module: str, parts: tuple[str, ...], arg: str) -> bytes:
    """STACK_GLOBAL whose name is ``"".join(parts)``, computed at load time through
    ``builtins.str.join``: the import is only known when the file is loaded."""
    items = b"".join(unicode(p) for p in parts)
    return (
        b"\x80\x04" + unicode(module) + stack_global("builtins", "str.join")
        + unicode("") + b"](" + items + b"e" + b"\x86R" + b"\x93"
        + unicode(arg) + b"\x85R."
    )  # fmt: skip


def getattr_module_call(arg: str) -> bytes:
    """STACK_GLOBAL whose module is ``getattr(sys_modules_like, 'x')``: here
    ``builtins.getattr("os", "strip")()`` -- a method result standing in for a name."""
    return (
        b"\x80\x04" + stack_global("builtins", "getattr") + unicode(" os ") + unicode("strip")
        + b"\x86R" + b")R" + unicode("system") + b"\x93" + unicode(arg) + b"\x85R."
    )  # fmt: skip


def operator_chain_call(arg: str) -> bytes:
    """STACK_GLOBAL whose module is ``operator.add("o", "s")``."""
    return (
        b"\x80\x04" + stack_global("_operator", "add") + unicode("o") + unicode("s") + b"\x86R"
        + unicode("system") + b"\x93" + unicode(arg) + b"\x85R."
    )  # fmt: skip


def newobj_ex_call(module: str, name: str, arg: str) -> bytes:
    """Protocol 4 NEWOBJ_EX: class, args tuple, kwargs dict."""
    return b"\x80\x04" + stack_global(module, name) + unicode(arg) + b"\x85}\x92."


def newobj_call(module: str, name: str, arg: str) -> bytes:
    """Protocol 2 NEWOBJ: ``cls.__new__(cls, *args)``."""
    return b"\x80\x02" + global_(module, name) + unicode(arg) + b"\x85\x81."


def reconstructor_call(module: str, name: str) -> bytes:
    """What protocols 0-1 write for ``__reduce_ex__``: ``copy_reg._reconstructor(cls,
    object, None)`` then BUILD with a state dict."""
    return (
        b"ccopy_reg\n_reconstructor\n(" + global_(module, name) + global_("__builtin__", "object")
        + b"NtR(dVcmd\nVid\nsb."
    )  # fmt: skip


def build_state(target: bytes, keys: dict[str, bytes], slots: bool = False) -> bytes:
    """``target`` (opcodes leaving one object) then BUILD with a dict of ``keys`` (values
    given as opcodes); with ``slots`` the dict is the slot-state half of ``(None, dict)``."""
    d = b"}(" + b"".join(unicode(k) + v for k, v in keys.items()) + b"u"
    state = b"N" + d + b"\x86" if slots else d
    return b"\x80\x02" + target + state + b"b."


def nested_call(
    inner: bytes, loader: tuple[str, str] = ("pickle", "loads"), wrap: str = ""
) -> bytes:
    """``loader(inner)``: a pickle that hands a nested pickle to an unpickling callable.
    ``wrap``: ``""`` (a bytes constant), ``"bytesio"`` (``io.BytesIO(bytes)``), ``"base64"``
    (``base64.b64decode(text)``), ``"latin1"`` (``_codecs.encode(text, "latin1")``, as
    protocols 0-2 write bytes)."""
    if wrap == "bytesio":
        arg = global_("_io", "BytesIO") + binbytes(inner) + b"\x85R"
    elif wrap == "base64":
        arg = global_("base64", "b64decode") + unicode(base64.b64encode(inner).decode()) + b"\x85R"
    elif wrap == "latin1":
        arg = global_("_codecs", "encode") + unicode(inner.decode("latin-1")) + unicode("latin1")
        arg += b"\x86R"
    else:
        arg = binbytes(inner)
    return b"\x80\x03" + global_(*loader) + arg + b"\x85R."


def npy_object_payload(payload: bytes) -> bytes:
    """An object ``.npy`` in memory, for ``numpy.load(io.BytesIO(...))``."""
    return npy_bytes("|O", (1,), payload)
