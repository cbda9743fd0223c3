"""The ``$parameters`` a Cypher query uses, found outside string literals, quoted names and
comments, so that a missing one is named before the query is sent.

    >>> parameters("MATCH (m:Model {id: $id}) WHERE m.note <> '$not' RETURN m // $nor")
    ['id']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlsc.errors import InputError

_TOKENS = re.compile(
    r"""
      '(?:[^'\\]|\\.)*'          # 'string'
    | "(?:[^"\\]|\\.)*"          # "string"
    | `[^`]*`                    # `quoted name`
    | //[^\n]*                   # line comment
    | /\*.*?\*/                  # block comment
    | \$(?P<name>[A-Za-z_][A-Za-z0-9_]*|[0-9]+|`[^`]+`)
    """,
    re.VERBOSE | re.DOTALL,
)


def parameters(query: str) -> list[str]:
    """The names of the parameters ``query`` uses, in order of first use."""
    names: dict[str, None] = {}
    for match in _TOKENS.finditer(query):
        name = match.group("name")
        if name is not None:
            names[name.strip("`")] = None
    return list(names)


def check_parameters(query: str, params: Mapping[str, Any] | None) -> None:
    """Raise :class:`InputError` naming every parameter ``query`` uses that ``params`` lacks."""
    given = params or {}
    missing = [name for name in parameters(query) if name not in given]
    if missing:
        listed = ", ".join(f"${name}" for name in missing)
        example = " ".join(f"-p {name}=VALUE" for name in missing)
        raise InputError(
            f"the query uses {listed} but no value was given for "
            + ("it" if len(missing) == 1 else "them"),
            hint=f"Pass each: mlsc cypher QUERY {example} (VALUE is parsed as JSON if it can be).",
        )
