"""Walk a tree and read its model references; what cannot be read is reported, not raised.

    >>> from pathlib import Path
    >>> reading = read_references(Path(__file__).parent)
    >>> reading.files_read > 0, reading.skipped
    (True, ())

Every file the walk yields (:mod:`mlsc.code.walk`) is read by its kind's reader
(:mod:`mlsc.code.python_refs`, :mod:`mlsc.code.config_refs`). A file that cannot be read
becomes an :class:`Unreadable` with the reason (and the line, where the parser knows it):
binary content, not UTF-8, a syntax error (Python 2, say), nesting too deep for the parser,
broken notebook JSON, a symbolic link, a size over the limit. The walk always goes on.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from mlsc.code.config_refs import NotebookCellError, config_references, notebook_references
from mlsc.code.python_refs import python_references
from mlsc.code.references import CodeReading, ModelReference, Unreadable
from mlsc.code.walk import Entry, walk


def read_references(root: Path) -> CodeReading:
    """Every model reference under ``root`` (a directory or one file), ordered by file, line."""
    references: list[ModelReference] = []
    skipped: list[Unreadable] = []
    files_read = 0
    for entry in walk(root):
        if entry.kind is None:
            skipped.append(Unreadable(entry.relative, entry.problem or "not read"))
            continue
        found, problem = read_file(entry)
        references.extend(found)
        if problem is not None:
            skipped.append(Unreadable(entry.relative, problem))
        if problem is None or found:
            files_read += 1
    references = sorted(set(references), key=_order)
    return CodeReading(str(root), tuple(references), files_read, tuple(skipped))


def _order(ref: ModelReference) -> tuple[str, int, str, str, str]:
    return ref.file, ref.line, ref.call, ref.model or "", ref.revision or ""


def read_file(entry: Entry) -> tuple[list[ModelReference], str | None]:
    """One file's references, and the reason it could not be read (None when it could)."""
    try:
        data = entry.path.read_bytes()
    except OSError as error:
        return [], f"cannot be read: {error.strerror or error}"
    if b"\0" in data:
        return [], "binary content (NUL bytes), not text"
    try:
        if entry.kind == "python":
            # bytes, so that ast honours a PEP 263 coding line (and the BOM)
            return python_references(data, entry.relative), None
        text = data.decode("utf-8-sig")
        if entry.kind == "notebook":
            return notebook_references(text, entry.relative), None
        return config_references(text, entry.relative, entry.kind or "json"), None
    except UnicodeDecodeError as error:
        return [], f"not UTF-8 text (byte {error.start})"
    except NotebookCellError as error:
        return error.references, error.reason
    except SyntaxError as error:
        if "decode" in str(error.msg) or "codec" in str(error.msg):
            return [], f"not UTF-8 text: {error.msg}"
        return [], f"syntax error at line {error.lineno}: {error.msg} (Python 2, or a newer Python?)"
    except RecursionError:
        return [], "nested too deeply to read (recursion limit)"
    except MemoryError:
        return [], "nested too deeply or too large to read (the parser ran out of memory)"
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return [], f"not valid YAML{where}: {getattr(error, 'problem', None) or error}"
    except ValueError as error:  # json.JSONDecodeError included
        line = getattr(error, "lineno", None)
        where = f" at line {line}" if line else ""
        kind = {"notebook": "notebook JSON", "json": "JSON"}.get(entry.kind or "", "text")
        return [], f"not valid {kind}{where}: {getattr(error, 'msg', error)}"
