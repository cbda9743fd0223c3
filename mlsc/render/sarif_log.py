"""What every SARIF 2.1.0 log mlsc writes shares: the version and schema, the fingerprint
key, the tool's version and home page, relative URI references and strict UTF-8 text.
:mod:`mlsc.render.sarif` (scans) and :mod:`mlsc.render.sarif_audit` (audits) build on it.

    >>> uri("sub dir/m\u00f6del #1.py")
    'sub%20dir/m%C3%B6del%20%231.py'
"""

from __future__ import annotations

from importlib import metadata
from typing import Any
from urllib.parse import quote

import mlsc

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT = "mlscFinding/v1"
"""The ``partialFingerprints`` key (bump the version if what is hashed changes)."""


def tool_version() -> str:
    try:
        return metadata.version("mlsc")
    except metadata.PackageNotFoundError:
        return mlsc.__version__


def information_uri() -> str | None:
    """The project's home page from the installed package's metadata, if it names one."""
    try:
        md = metadata.metadata("mlsc")
    except metadata.PackageNotFoundError:
        return None
    entries: list[str] = [str(e) for e in md.get_all("Project-URL") or ()]
    urls = [e.partition(",")[2].strip() for e in entries]
    urls += [str(h) for h in md.get_all("Home-page") or ()]
    return next((u for u in urls if u.startswith("https://")), None)


def uri(rel: str) -> str:
    """A path relative to the scanned root as a relative URI reference: every character
    outside the unreserved set is percent-encoded (a ``:`` that would read as a scheme, ``?``,
    ``#``, ``%``, spaces, quotes, non-ASCII), ``/`` separates segments. Raises ``ValueError``
    for a ``.`` or ``..`` segment, which a scanned path never has."""
    segments = rel.split("/")
    if any(seg in (".", "..", "") for seg in segments):
        raise ValueError(f"not a path inside the scanned root: {rel!r}")
    return "/".join(quote(seg, safe="", errors="surrogateescape") for seg in segments)


def text(value: Any) -> Any:
    """``value`` with every string made valid UTF-8: a file name that is not (kept by the
    scanner as lone surrogates) gets U+FFFD in its place, so the log is strict JSON."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return value
    if isinstance(value, dict):
        return {k: text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [text(v) for v in value]
    return value
