"""The values the symbolic pickle machine (:mod:`mlsc.scan.pickle_vm`) pushes, the records
it keeps (where each import is imported and applied, unresolved imports, BUILD injections,
nested payloads), and the few decoders it evaluates on constants (latin-1 ``_codecs.encode``,
base64, hex, zlib, ``io.BytesIO``) so that bytes handed to ``pickle.loads`` can be walked.
"""

from __future__ import annotations

import base64
import binascii
import pickletools
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_NAME = 1_000
"""Strings longer than this are not tracked as names (only as possible encoded payloads)."""
MAX_KEPT = 4 << 20
"""Longest string or bytes value kept as a possible nested pickle."""
MAX_KEPT_TOTAL = 32 << 20
"""Bytes of long values kept per stream (the memo could otherwise hold a whole file)."""
MAX_NESTED = 16
"""Nested payloads recorded per stream."""


class ScanLimitError(Exception):
    """A cap was reached; the scan of this stream stops here."""


@dataclass(frozen=True)
class Site:
    """Where something happened: a byte offset in the stream and the opcode there."""

    offset: int
    opcode: str


class Ref:
    """An imported object pushed on the stack."""

    __slots__ = ("key", "site")

    def __init__(self, key: tuple[str, str], site: Site) -> None:
        self.key = key
        self.site = site


class Result:
    """The value a call produced (REDUCE, NEWOBJ, OBJ, INST)."""

    __slots__ = ("callee", "site")

    def __init__(self, callee: object, site: Site) -> None:
        self.callee = callee
        self.site = site


class Bytes:
    """A bytes value; ``base`` is where its data starts in the stream when it is a constant
    (``None`` when a decoder produced it)."""

    __slots__ = ("base", "data", "site")

    def __init__(self, data: bytes, base: int | None, site: Site) -> None:
        self.data = data
        self.base = base
        self.site = site


class Tup:
    __slots__ = ("items",)

    def __init__(self, items: tuple[object, ...]) -> None:
        self.items = items


TRACKED_KEYS = frozenset({"shape", "dtype", "numpy_array_alignment_bytes", "filename"})
"""Dict keys whose values are kept: what joblib's array placeholder needs
(:mod:`mlsc.scan.joblib_arrays`)."""


class Dct:
    """A dict; only its dunder keys (all a BUILD check needs), the values of the
    :data:`TRACKED_KEYS`, and whether a key was not a constant string are kept."""

    __slots__ = ("dunders", "known", "odd")

    def __init__(self) -> None:
        self.dunders: set[str] | None = None
        self.known: dict[str, object] | None = None
        self.odd = False

    def add_keys(self, flat: list[object]) -> None:
        """Note the keys of ``key, value, key, value ...`` that are dunders or tracked."""
        for k, v in zip(flat[::2], flat[1::2], strict=False):
            if not isinstance(k, str):
                self.odd = True
                continue
            if k in TRACKED_KEYS:
                if self.known is None:
                    self.known = {}
                self.known[k] = v
            elif k.startswith("__") and k.endswith("__"):
                if self.dunders is None:
                    self.dunders = set()
                if len(self.dunders) < 64:
                    self.dunders.add(k)


UNKNOWN = object()
"""Any value the walk does not follow."""


@dataclass
class ImportRecord:
    """Where one import is first imported, and first applied."""

    imported: Site
    called: Site | None = None


@dataclass(frozen=True)
class Unresolved:
    """An import that cannot be known without loading (computed STACK_GLOBAL, EXT code)."""

    detail: str
    site: Site


@dataclass(frozen=True)
class Injection:
    """A BUILD that rewrites behaviour: dunder state, or state set on an imported object."""

    detail: str
    site: Site


@dataclass(frozen=True)
class External:
    """A joblib placeholder whose array ``joblib.load`` reads from another file."""

    detail: str
    site: Site
    critical: bool
    """The file may be a pickle and its name leaves the pickle's directory or is not known."""


@dataclass(frozen=True)
class Payload:
    """Bytes handed to a callable that unpickles them."""

    via: str
    """The loader (``pickle.loads``)."""
    data: bytes
    base: int | None
    """Where the bytes start in the stream, when they are a constant."""
    site: Site
    """The call that hands them over."""


@dataclass(frozen=True)
class ArrayRegion:
    """Bytes ``joblib.load`` reads as a numpy array's data (not as opcodes) after the BUILD
    of its placeholder; ``pickle.load`` would read them as opcodes, so they are probed."""

    site: Site
    """The placeholder's BUILD."""
    start: int
    """Where the bytes start in the stream."""
    size: int
    """How many bytes joblib reads (alignment padding and array data)."""
    head: bytes
    """Their first bytes (at most :data:`mlsc.scan.joblib_arrays.PROBE_BYTES`)."""


@dataclass
class Walk:
    """The mutable state of one stream's walk (all its pickles)."""

    imports: dict[tuple[str, str], ImportRecord] = field(default_factory=dict)
    unresolved: list[Unresolved] = field(default_factory=list)
    injections: list[Injection] = field(default_factory=list)
    payloads: list[Payload] = field(default_factory=list)
    arrays: list[ArrayRegion] = field(default_factory=list)
    """Array bytes joblib skips that start like a pickle (probed after the walk)."""
    external: list[External] = field(default_factory=list)
    """joblib placeholders whose array ``joblib.load`` reads from another file."""
    opcodes: int = 0
    protocol: int | None = None
    kept: int = 0
    max_opcodes: int = 10_000_000

    def add(self, module: str, name: str, site: Site) -> Ref:
        self.imports.setdefault((module, name), ImportRecord(site))
        return Ref((module, name), site)

    def mark_called(self, ref: Ref, site: Site) -> None:
        record = self.imports[ref.key]
        if record.called is None:
            record.called = site

    def keep(self, n: int) -> bool:
        """Whether a long value of ``n`` bytes may be kept (within the stream's budget)."""
        if n > MAX_KEPT or self.kept + n > MAX_KEPT_TOTAL:
            return False
        self.kept += n
        return True


_FIRST_BYTES = frozenset(op.code.encode("latin-1")[0] for op in pickletools.opcodes) | {0x78}
"""First bytes of what a loader could unpickle: any opcode (``PK`` zips start with PERSID's
``P``, ``.npy`` with STACK_GLOBAL's ``\\x93``) or a zlib header (``x``)."""


def worth_keeping(data: bytes) -> bool:
    """Whether a bytes constant could be a nested pickle (array data mostly cannot)."""
    return bool(data) and data[0] in _FIRST_BYTES


_LATIN1 = frozenset({"latin1", "latin-1", "latin_1", "iso-8859-1", "iso8859-1", "l1"})
RECONSTRUCTORS = frozenset({"__newobj__", "__newobj_ex__", "_reconstructor"})
STATE_SETTERS: dict[tuple[str, str], int] = {
    ("torch._utils", "_rebuild_parameter_with_state"): 3,
    ("torch._tensor", "_rebuild_from_type_v2"): 3,
    ("torch._utils", "_rebuild_wrapper_subclass"): 8,
}
"""Safe-listed rebuild functions that set attributes from a state argument (at this
position) on what they rebuild, as BUILD does: a dunder there is an injection."""
BYTES_HEADER = {"SHORT_BINBYTES": 2, "BINBYTES": 5, "BINBYTES8": 9, "BYTEARRAY8": 9}


def _data(value: object) -> bytes | None:
    if isinstance(value, Bytes):
        return value.data
    if isinstance(value, str):
        return value.encode("latin-1", "replace")
    return None


def decode(module: str, name: str, args: tuple[object, ...]) -> bytes | None:
    """What a decoder returns for constant arguments, or ``None``."""
    if not args:
        return None
    first = args[0]
    try:
        if (module, name) in (("codecs", "encode"), ("codecs", "decode")):
            enc = args[1] if len(args) > 1 else "utf-8"
            if not isinstance(enc, str):
                return None
            enc = enc.lower()
            if module == "codecs" and name == "encode" and isinstance(first, str):
                return first.encode("latin-1") if enc in _LATIN1 else None
            raw = _data(first)
            if raw is not None and enc in ("base64", "base_64", "base64_codec"):
                return base64.b64decode(raw)
            if raw is not None and enc in ("hex", "hex_codec"):
                return binascii.unhexlify(raw)
            return None
        raw = _data(first)
        if raw is None:
            return None
        if module == "base64" and name in ("b64decode", "standard_b64decode", "decodebytes"):
            return base64.b64decode(raw)
        if module == "base64" and name == "urlsafe_b64decode":
            return base64.urlsafe_b64decode(raw)
        if module == "binascii" and name == "a2b_base64":
            return binascii.a2b_base64(raw)
        if (module, name) in (("binascii", "unhexlify"), ("binascii", "a2b_hex")) or (
            module == "builtins" and name == "bytes.fromhex"
        ):
            return binascii.unhexlify(raw)
        if module == "zlib" and name == "decompress":
            return zlib.decompressobj().decompress(raw, MAX_KEPT)
        if (module, name) in (("io", "BytesIO"), ("builtins", "bytes"), ("builtins", "bytearray")):
            return raw if isinstance(first, Bytes) else None
    except (ValueError, TypeError, zlib.error, binascii.Error, UnicodeError):
        return None
    return None


def payloads(value: object, depth: int = 0) -> Iterator[Bytes]:
    """Every bytes value in call arguments (tuples, ``io.BytesIO`` results)."""
    if depth > 4:
        return
    if isinstance(value, Bytes):
        yield value
    elif isinstance(value, Tup):
        for item in value.items:
            yield from payloads(item, depth + 1)


def describe(value: object, depth: int = 0) -> str:
    """A short account of a symbolic value, for a finding's detail."""
    if isinstance(value, str):
        return repr(value[:60])
    if isinstance(value, Ref):
        return ".".join(value.key)
    if isinstance(value, Result):
        callee = describe(value.callee, depth + 1) if depth < 4 else "..."
        return f"the result of calling {callee} ({value.site.opcode} at byte {value.site.offset})"
    if isinstance(value, Bytes):
        return f"{len(value.data)} bytes"
    return "a value not known before loading"


def dunders(state: object) -> list[str]:
    """Dunder keys a BUILD state sets (in the dict, or in either half of a (dict, slots)
    pair)."""
    found: list[str] = []
    parts = state.items if isinstance(state, Tup) else (state,)
    for part in parts:
        if isinstance(part, Dct) and part.dunders:
            found += sorted(part.dunders)
    return found
