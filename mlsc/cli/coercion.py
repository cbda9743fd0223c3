"""Command-line values converted to the parameters' types without pydantic.

typer 0.29 converts each parameter's value with a pydantic ``TypeAdapter`` it builds on first
use, which costs a process pydantic's import and a schema build per parameter: about 0.1 to
0.2 s of every command. The CLI's parameters use a handful of types (``str``, ``int``,
``float``, ``Path``, a ``StrEnum``, lists of those, ranges by ``min``/``max``), converted here
with the same results and the same messages (``Invalid value for '--limit': Input should be
greater than or equal to 1``). A parameter of any other type is left to typer.

    >>> converter(int, minimum=1, maximum=None)("12")
    12
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args, get_origin

import typer
from typer.core import TyperArgument, TyperOption

Convert = Callable[[Any], Any]

_INT = re.compile(r"[+-]?\d+(?:_\d+)*(?:\.0*)?", re.ASCII)
"""What pydantic's lax mode reads as an integer: digits, ``_`` between them, ``.0`` after."""


class Coercion:
    """One parameter's conversion: typer calls ``coerce`` with the parsed value (a string, a
    tuple of them, or the default)."""

    def __init__(self, convert: Convert, *, many: bool) -> None:
        self.convert = convert
        self.many = many

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        if multi and isinstance(value, str):
            raise typer.BadParameter("Value must be an iterable.", ctx=ctx, param=param)
        try:
            if self.many:
                return [self.convert(item) for item in value]
            return self.convert(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), ctx=ctx, param=param) from None


def coercion(param: TyperOption | TyperArgument) -> Coercion | None:
    """The conversion of ``param``'s values, or None for a type typer should convert."""
    descriptor = param.type_descriptor
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None or info.clamp:
        return None
    annotation: Any = descriptor.annotation
    many = get_origin(annotation) is list
    if many:
        (annotation,) = get_args(annotation)
    convert = converter(annotation, minimum=info.min, maximum=info.max)
    if convert is None or (annotation is Path and not _plain_path(info)):
        return None
    if info.case_sensitive is False and isinstance(annotation, type):
        return None
    return Coercion(convert, many=many)


def converter(annotation: Any, *, minimum: Any, maximum: Any) -> Convert | None:
    """A function from a command-line string (or a default) to ``annotation``."""
    if annotation is str:
        return _to_str
    if annotation is bool:
        return _to_bool
    if annotation is int:
        return _ranged(_to_int, minimum, maximum)
    if annotation is float:
        return _ranged(_to_float, minimum, maximum)
    if annotation is Path:
        return _to_path
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _choice(annotation)
    return None


def _to_str(value: Any) -> str:
    if isinstance(value, bytes):
        return os.fsdecode(value)
    return str(value)


_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"", "0", "false", "f", "no", "n", "off"})


def _to_bool(value: Any) -> bool:
    """A flag is a bool already; a string (from the environment) reads as pydantic reads it
    after typer strips it (empty is false)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError("Input should be a valid boolean, unable to interpret input")


def _to_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not _INT.fullmatch(text):
        raise ValueError("Input should be a valid integer, unable to parse string as an integer")
    return int(text.partition(".")[0])


def _to_float(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    try:
        if not text.isascii():
            raise ValueError
        return float(text)
    except ValueError:
        raise ValueError(
            "Input should be a valid number, unable to parse string as a number"
        ) from None


def _ranged(convert: Convert, minimum: Any, maximum: Any) -> Convert:
    if minimum is None and maximum is None:
        return convert

    def ranged(value: Any) -> Any:
        number = convert(value)
        if minimum is not None and not number >= minimum:
            raise ValueError(f"Input should be greater than or equal to {minimum}")
        if maximum is not None and not number <= maximum:
            raise ValueError(f"Input should be less than or equal to {maximum}")
        return number

    return ranged


def _plain_path(info: Any) -> bool:
    """A path option with typer's defaults: no existence, kind or permission demands."""
    return (
        not info.exists
        and info.file_okay
        and info.dir_okay
        and info.readable
        and not info.writable
        and not info.resolve_path
        and not info.allow_dash
        and info.path_type is None
    )


def _to_path(value: Any) -> Path:
    path = value if isinstance(value, Path) else Path(os.fsdecode(value))
    if os.path.exists(path) and not os.access(path, os.R_OK):
        raise ValueError(f"Path {str(value)!r} is not readable.")
    return path


def _choice(kind: type[enum.Enum]) -> Convert:
    members = list(kind)

    def choose(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        for member in members:
            if str(member.value) == str(value):
                return member
        listed = ", ".join(repr(str(m.value)) for m in members)
        raise ValueError(f"Value error, {value!r} is not one of {listed}.")

    return choose


class Option(TyperOption):
    """An option converted by :func:`coercion` when it can (see ``coerced``)."""

    def get_runtime_param(self) -> Any:
        return coercion(self) or super().get_runtime_param()


class Argument(TyperArgument):
    """An argument converted by :func:`coercion` when it can (see ``coerced``)."""

    def get_runtime_param(self) -> Any:
        return coercion(self) or super().get_runtime_param()


def coerced(params: list[Any]) -> list[Any]:
    """``params``, made to convert their values here. typer creates a command's parameters
    (as ``TyperOption`` and ``TyperArgument``, the help option included) before the command
    class sees them, so they become the subclasses above in place: same state, one method
    more. A command class calls it from ``get_params``."""
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = Option
        elif type(param) is TyperArgument:
            param.__class__ = Argument
    return params
