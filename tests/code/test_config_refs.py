"""Notebooks and YAML/JSON configs."""

from __future__ import annotations

import json

import pytest

from mlsc.code.config_refs import NotebookCellError, config_references, notebook_references


def test_yaml_keys_lists_revisions_and_documents() -> None:
    text = (
        "base_model:\n  - acme/one\n  - acme/two\nrevision: 0123456789abcdef0123456789abcdef01234567\n"
        "---\nmodel: gpt2\nnested:\n  deeper:\n    model_id: acme/three\n    model_revision: dev\n"
        "anchor: &a\n  repo_id: acme/four\nalias: *a\nother: ./local/dir\n"
    )
    refs = config_references(text, "c.yaml", "yaml")
    assert [(r.line, r.model, r.revision, r.revision_kind, r.evidence) for r in refs] == [
        (2, "acme/one", "0123456789abcdef0123456789abcdef01234567", "commit", "yaml"),
        (3, "acme/two", "0123456789abcdef0123456789abcdef01234567", "commit", "yaml"),
        (9, "acme/three", "dev", "branch", "yaml"),
        (12, "acme/four", None, "none", "yaml"),  # once: an alias is the same node
    ]  # fmt: skip


def test_yaml_alias_bomb_is_walked_once() -> None:
    lines = ['a0: &a0 {model: "acme/x"}']
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    refs = config_references("\n".join(lines) + "\n", "bomb.yaml", "yaml")
    assert [(r.line, r.model) for r in refs] == [(1, "acme/x")]


def test_json_lines_follow_the_text() -> None:
    text = json.dumps({"train": {"model_name_or_path": "acme/a", "revision": "v1"},
                       "eval": [{"model": "acme/b"}], "model": "acme/a"}, indent=2)  # fmt: skip
    refs = config_references(text, "c.json", "json")
    assert [(r.line, r.model, r.revision) for r in refs] == [
        (3, "acme/a", "v1"), (8, "acme/b", None), (11, "acme/a", None)
    ]  # fmt: skip


def test_notebook_lines_and_magics() -> None:
    cells = [
        {"cell_type": "code", "source": ["!pip install transformers\n", "import transformers\n"]},
        {"cell_type": "markdown", "source": ['AutoModel.from_pretrained("acme/no")']},
        {"cell_type": "code", "source": 'transformers.AutoModel.from_pretrained("acme/yes")'},
    ]
    text = json.dumps({"cells": cells, "nbformat": 4}, indent=1)
    refs = notebook_references(text, "nb.ipynb")
    line = text.splitlines().index('   "source": "transformers.AutoModel.from_pretrained(\\"acme/yes\\")"') + 1
    assert [(r.line, r.model, r.evidence) for r in refs] == [(line, "acme/yes", "notebook")]


def test_a_bad_cell_keeps_the_others() -> None:
    cells = [{"cell_type": "code", "source": ["from transformers import AutoModel\n"]},
             {"cell_type": "code", "source": ["def (:\n"]},
             {"cell_type": "code", "source": ['AutoModel.from_pretrained("acme/m")\n']}]  # fmt: skip
    with pytest.raises(NotebookCellError) as caught:
        notebook_references(json.dumps({"cells": cells}, indent=1), "nb.ipynb")
    assert caught.value.reason == "cell 2 does not parse (line 12): invalid syntax"
    assert [r.model for r in caught.value.references] == ["acme/m"]


def test_not_a_notebook() -> None:
    with pytest.raises(ValueError, match="no list of cells"):
        notebook_references("[1, 2]", "nb.ipynb")
