"""What every HTML page mlsc writes shares: escaping, the Content-Security-Policy and the
formatting of values.

    >>> from mlsc.render.page import esc, csp
    >>> esc('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    >>> csp()
    "default-src 'none'; style-src 'unsafe-inline'"

Model ids, owners, licences and the rest are attacker-controlled: every string written as
HTML goes through :func:`esc` (printable, cut to a length, then `html.escape`d), every value
written inside a ``<script>`` element through :func:`script_json`. The policy forbids any
fetch: a page loads nothing and runs only its own inline scripts, named by hash.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from collections.abc import Iterable
from typing import Any

from mlsc.render.text import count  # pages and text count alike

__all__ = [
    "TEXT_LIMIT",
    "as_int",
    "clean",
    "count",
    "csp",
    "esc",
    "fmt",
    "fmt_int",
    "script_json",
    "static_page",
]

TEXT_LIMIT = 300
"""Longest attacker-controlled value shown as it is (the rest is cut with an ellipsis)."""


def clean(value: object, limit: int = TEXT_LIMIT) -> str:
    """`value` as printable text: lone surrogates replaced, controls dropped, length cut."""
    text = value if isinstance(value, str) else str(value)
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = "".join(ch for ch in text if ch in "\n\t" or not (ord(ch) < 32 or ord(ch) == 127))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def esc(value: object, limit: int = TEXT_LIMIT) -> str:
    """HTML-escaped text, safe in element content and in quoted attribute values."""
    return html.escape(clean(value, limit), quote=True)


def script_json(value: Any) -> str:
    """JSON that may sit inside a ``<script>`` element: it cannot close or comment it."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    # '<', '>' and '&' occur only inside JSON strings, where \\uXXXX means the same.
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def csp(*scripts: str) -> str:
    """The Content-Security-Policy of a page that runs exactly `scripts` (inline, by hash).

    Without scripts the page may run none and gets the short policy: nothing but inline
    styles.
    """
    if not scripts:
        return "default-src 'none'; style-src 'unsafe-inline'"
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
        for s in scripts
    )
    return (
        "default-src 'none'; "
        f"script-src {hashes}; "
        "style-src 'unsafe-inline'; "
        "img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def as_int(value: object) -> int | None:
    """`value` as an int, or None (booleans and what does not parse are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return None


def fmt_int(value: int | None) -> str:
    """``1,234`` or ``unknown``."""
    return "unknown" if value is None else f"{value:,}"


def fmt(value: object) -> str:
    """A stored value as printable text: ``unknown``, ``yes``/``no``, 3 significant digits."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}" if math.isfinite(value) else "unknown"
    return clean(value)


def static_page(title: str, style: str, body: Iterable[str], script: str = "") -> str:
    """A whole page: `body`'s HTML under an escaped `title`, `style` inline. Without `script`
    it runs none and gets the short policy; with one it runs that script only (by hash)."""
    tail = f"<script>{script}</script>" if script else ""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{csp(script) if script else csp()}\">"
        f"<title>{esc(title)}</title><style>{style}</style></head><body>"
        + "".join(body)
        + tail
        + "</body></html>"
    )
