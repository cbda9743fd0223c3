"""The neo4j-admin CSV fields written a column at a time: the same text and the same
problems as :func:`mlsc.graph.transfer._field`, the one definition of the dialect, value by
value (the real import of the whole export is in ``test_transfer.py``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mlsc.graph.records import ARROW_TYPES
from mlsc.graph.transfer import (
    DELIMITER_IN_LIST,
    EMPTY_LIST,
    _csv_fields,
    _field,
    _write_rows,
)
from tests.graph.test_store_contract import HOSTILE

COLUMNS: dict[str, list[Any]] = {
    "STRING": [
        "meta-llama/Llama-3.1-8B",
        None,
        "",
        'say "hi", then\nleave',
        '""',
        HOSTILE,
        "unicode: ünïcødé ✓ \u202e",
        "a\x1fb",
    ],
    "INT64": [0, None, -5, 2**62, 1_234_567],
    "BOOLEAN": [True, None, False],
    "DOUBLE": [0.9, None, 1.0, -0.0, 1e-05, 1e16, math.nan, math.inf, -math.inf],
    "STRING[]": [
        ["tag:base_model:finetune", "card:base_model"],
        None,
        [],
        ["one"],
        ['quote " inside', "comma, inside", "new\nline"],
        ["x\x1fy", "z"],
        [""],
        ["", ""],
    ],
}


def expected(values: list[Any], prop_type: str) -> tuple[list[str], list[tuple[int, str]]]:
    fields, problems = [], []
    for i, value in enumerate(values):
        text, problem = _field(value, prop_type)
        fields.append(text)
        if problem:
            problems.append((i, problem))
    return fields, problems


@pytest.mark.parametrize("prop_type", sorted(COLUMNS))
@pytest.mark.parametrize("form", ["arrow", "chunked", "list"])
def test_a_column_converts_as_each_value_would(prop_type: str, form: str) -> None:
    values = COLUMNS[prop_type]
    column: Any = values
    if form != "list":
        column = pa.array(values, ARROW_TYPES[prop_type])
        if form == "chunked":
            column = pa.chunked_array([column.slice(0, 2), column.slice(2)])
    fields, problems = _csv_fields(column, prop_type)
    assert (fields.to_pylist(), problems) == expected(values, prop_type)


def test_a_list_with_a_missing_element_and_a_dictionary_column_convert_as_before() -> None:
    lists = [["a", None], ["b"]]
    fields, problems = _csv_fields(pa.array(lists, pa.list_(pa.string())), "STRING[]")
    assert (fields.to_pylist(), problems) == expected(lists, "STRING[]")
    coded = pa.array(["x", "x", None, 'q"']).dictionary_encode()
    fields, _ = _csv_fields(coded, "STRING")
    assert fields.to_pylist() == expected(["x", "x", None, 'q"'], "STRING")[0]


def test_rows_are_written_whole_with_their_problems_in_row_order(tmp_path: Path) -> None:
    keys = ["o/a", 'o/"b"', "o/c"]
    evidence = [["card:x"], [], ["p\x1fq"]]
    problems: list[str] = []
    n = _write_rows(
        tmp_path / "rels.csv",
        [":START_ID(Model)", ":END_ID(Model)", "evidence:string[]"],
        ["STRING", "STRING", "STRING[]"],
        iter(
            [
                (pa.array(keys[:2]), ["base", "base"], pa.array(evidence[:2])),
                (keys[2:], ["base"], evidence[2:]),
            ]
        ),
        lambda row: f"{row[0]!r} -> {row[1]!r}",
        problems,
    )
    assert n == 3
    assert (tmp_path / "rels.csv").read_bytes() == (
        ':START_ID(Model),:END_ID(Model),evidence:string[]\n"o/a","base","card:x"\n'
        '"o/""b""","base",\n"o/c","base","p\ufffdq"\n'
    ).encode()
    assert problems == [
        f"'o/\"b\"' -> 'base': {EMPTY_LIST}",
        f"'o/c' -> 'base': {DELIMITER_IN_LIST}",
    ]
