"""A query's $parameters are found outside strings, quoted names and comments; every store
names a missing one before the query is sent."""

from __future__ import annotations

import pytest

from mlsc.errors import InputError
from mlsc.graph.cypher_params import check_parameters, parameters
from mlsc.graph.store import GraphStore


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("MATCH (m:Model {id: $id}) RETURN m LIMIT $n", ["id", "n"]),
        ("RETURN $a, $a, $b", ["a", "b"]),
        ("RETURN '$not', \"$nor\", 'it\\'s $still' AS x", []),
        ("RETURN `$quoted` // $comment\n, $real /* $block\n $more */", ["real"]),
        ("RETURN $`odd name`, $0", ["odd name", "0"]),
        ("RETURN 1 AS `a$b`, '$' + $price", ["price"]),
        ("RETURN 5 AS dollars", []),
    ],
)
def test_parameters_outside_literals(query: str, names: list[str]) -> None:
    assert parameters(query) == names


def test_a_missing_parameter_is_named_with_how_to_pass_it() -> None:
    check_parameters("RETURN $a", {"a": 1})
    with pytest.raises(InputError) as raised:
        check_parameters("MATCH (m {id: $id}) RETURN m LIMIT $n", {"id": "x"})
    assert raised.value.message == "the query uses $n but no value was given for it"
    assert "-p n=VALUE" in (raised.value.hint or "")
    with pytest.raises(InputError, match=r"uses \$id, \$n but no value was given for them"):
        check_parameters("MATCH (m {id: $id}) RETURN m LIMIT $n", None)


def test_every_store_refuses_a_query_missing_a_parameter(store: GraphStore) -> None:
    with pytest.raises(InputError, match=r"\$limit"):
        store.cypher("MATCH (m:Model) RETURN m.id LIMIT $limit")
    rows = store.cypher("RETURN $x AS x, '$y' AS y", {"x": 2}).rows
    assert [list(row) for row in rows] == [[2, "$y"]]
