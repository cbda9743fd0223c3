"""Model references in notebooks and in YAML and JSON configuration files.

    >>> refs = config_references('model_name_or_path: mistralai/Mistral-7B-v0.1\\n'
    ...                          'revision: v0.1\\n', "train.yaml", "yaml")
    >>> [(r.line, r.model, r.revision, r.call, r.confidence) for r in refs]
    [(1, 'mistralai/Mistral-7B-v0.1', 'v0.1', 'config', 0.7)]

**Notebooks** (``.ipynb``): every code cell is read by the Python reader, the cells sharing
one namespace (an import or a constant in cell 1 counts in cell 5). Lines starting with ``%``
or ``!`` (IPython magics, shell escapes) are blanked, and a cell starting with a ``%%`` cell
magic is not Python and is left out. A reference's line is the line of the ``.ipynb`` file
where its source line is written (nbformat writes one source line per JSON line); when that
line cannot be found in the file's text, it is the line of the cell's ``"source"`` key. A
cell that does not parse is reported (:class:`NotebookCellError`) after the others are read.

**Configs** (YAML, JSON): a string under one of :data:`MODEL_KEYS` (or a list of them), with an
optional sibling ``revision`` key, at confidence 0.7 and call ``config``. Only ``owner/name``
values count: a single word under ``model:`` is too often not a Hub id.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from mlsc.code.python_refs import hub_id, references_in_modules
from mlsc.code.references import ModelReference, revision_kind

MODEL_KEYS = frozenset({
    "model", "model_name", "model_name_or_path", "pretrained_model_name_or_path", "base_model",
    "model_id", "repo_id", "tokenizer_name", "tokenizer_name_or_path", "base_model_name_or_path",
    "model_path",
})  # fmt: skip
REVISION_KEYS = ("revision", "model_revision")
CONFIDENCE = 0.7
MAX_NODES = 200_000
"""Nodes of one config walked at most (YAML aliases can make a small file a huge tree)."""
_MAGIC = re.compile(r"^\s*[%!]")

try:  # the C loader is much faster; it is there when PyYAML was built with libyaml
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


class NotebookCellError(ValueError):
    """Some cells of a notebook do not parse; ``references`` holds what the others gave."""

    def __init__(self, reason: str, references: list[ModelReference]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.references = references


# -- notebooks ----------------------------------------------------------------------------------


def notebook_references(text: str, file: str) -> list[ModelReference]:
    """References in a notebook's code cells (``ValueError`` when it is not notebook JSON)."""
    document = json.loads(text)
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a notebook: no list of cells")
    starts = _line_starts(text)
    modules = []
    errors: list[str] = []
    cursor = 0
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        lines = source if isinstance(source, list) else [source]
        if not all(isinstance(line, str) for line in lines):
            continue
        file_lines, cursor = _locate(text, starts, lines, cursor)
        if cell.get("cell_type") != "code" or "".join(lines).lstrip().startswith("%%"):
            continue
        code = "".join(lines).splitlines()
        code = ["" if _MAGIC.match(line) else line for line in code]
        try:
            tree = ast.parse("\n".join(code))
        except SyntaxError as error:
            where = file_lines(error.lineno or 1)
            errors.append(f"cell {number} does not parse (line {where}): {error.msg}")
            continue
        modules.append((tree, file_lines))
    found = references_in_modules(modules, file, "notebook")
    if errors:
        raise NotebookCellError("; ".join(errors), found)
    return found


def _line_starts(text: str) -> list[int]:
    return [0, *(match.end() for match in re.finditer("\n", text))]


def _locate(text: str, starts: list[int], lines: list[str], cursor: int) -> tuple[Any, int]:
    """Map a cell's source lines to lines of the notebook file, from ``cursor`` on."""
    key = re.compile(r'"source"\s*:').search(text, cursor)
    if key is None:
        return (lambda _line: 1), cursor
    key_line = bisect.bisect_right(starts, key.start())
    found: list[int] = []
    position = key.end()
    for line in lines:
        for encoded in (json.dumps(line, ensure_ascii=False), json.dumps(line)):
            at = text.find(encoded, position)
            if at >= 0:
                break
        if at < 0:
            found = []
            break
        position = at + len(encoded)
        found.extend([bisect.bisect_right(starts, at)] * max(1, len(line.splitlines())))

    def file_line(line: int) -> int:
        return found[line - 1] if 0 < line <= len(found) else key_line

    return file_line, max(position, key.end())


# -- YAML and JSON ------------------------------------------------------------------------------


def config_references(text: str, file: str, evidence: str) -> list[ModelReference]:
    """References in a YAML (``evidence="yaml"``) or JSON (``"json"``) config.

    ``ValueError`` (``yaml.YAMLError`` included) when it does not parse.
    """
    pairs = list(_yaml_pairs(text) if evidence == "yaml" else _json_pairs(text))
    found = []
    for line, value, revision in pairs:
        if hub_id(value, owner_required=True):
            found.append(ModelReference(
                file=file, line=line, model=value, revision=revision,
                revision_kind=revision_kind(revision), call="config", evidence=evidence,
                confidence=CONFIDENCE,
            ))  # fmt: skip
    return sorted(found, key=lambda ref: (ref.line, ref.model or ""))


def _yaml_pairs(text: str) -> Iterator[tuple[int, str, str | None]]:
    seen: set[int] = set()
    stack: list[yaml.Node] = [
        node for node in yaml.compose_all(text, Loader=_Loader) if node is not None
    ]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            raise ValueError(f"more than {MAX_NODES} YAML nodes")
        if isinstance(node, yaml.MappingNode):
            scalars = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            revision = _yaml_revision(scalars)
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value in MODEL_KEYS:
                    values = value.value if isinstance(value, yaml.SequenceNode) else [value]
                    for item in values:
                        if isinstance(item, yaml.ScalarNode) and isinstance(item.value, str):
                            yield item.start_mark.line + 1, item.value, revision
            stack.extend(reversed([v for _, v in node.value]))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))


def _yaml_revision(scalars: dict[str, yaml.Node]) -> str | None:
    for key in REVISION_KEYS:
        node = scalars.get(key)
        if isinstance(node, yaml.ScalarNode) and node.value:
            return str(node.value)
    return None


def _json_pairs(text: str) -> Iterator[tuple[int, str, str | None]]:
    document = json.loads(text)
    starts = _line_starts(text)
    cursors: dict[tuple[str, str], int] = {}
    stack: list[Any] = [document]
    walked = 0
    while stack:
        node = stack.pop()
        walked += 1
        if walked > MAX_NODES:
            raise ValueError(f"more than {MAX_NODES} JSON values")
        if isinstance(node, dict):
            revision = next(
                (node[k] for k in REVISION_KEYS if isinstance(node.get(k), str) and node[k]), None
            )
            for key, value in node.items():
                if key in MODEL_KEYS:
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, str) and hub_id(item, owner_required=True):
                            at = _find(text, key, item, cursors)
                            yield bisect.bisect_right(starts, max(at, 0)), item, revision
            stack.extend(reversed([v for v in node.values() if isinstance(v, dict | list)]))
        elif isinstance(node, list):
            stack.extend(reversed([v for v in node if isinstance(v, dict | list)]))


def _find(text: str, key: str, item: str, cursors: dict[tuple[str, str], int]) -> int:
    """Where ``"key": "item"`` (or a list item) is written: the next place not yet used."""
    start = cursors.get((key, item), 0)
    for encoded in (json.dumps(item), json.dumps(item, ensure_ascii=False)):
        pair = re.compile(re.escape(json.dumps(key)) + r"\s*:\s*" + re.escape(encoded))
        match = pair.search(text, start)
        at = match.end() - len(encoded) if match else text.find(encoded, start)
        if at >= 0:
            cursors[key, item] = at + len(encoded)
            return at
    return 0
