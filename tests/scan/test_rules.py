"""Every finding kind has a rule with a unique id and a check a person can run."""

from __future__ import annotations

from typing import get_args

from mlsc.scan.findings import Finding, Kind
from mlsc.scan.rules import RULES


def test_every_kind_has_one_rule() -> None:
    assert set(get_args(Kind)) == set(RULES)
    ids = [r.id for r in RULES.values()]
    assert len(ids) == len(set(ids))


def test_checks_quote_hostile_paths() -> None:
    f = Finding("x; rm -rf ~.pkl", "dangerous_import", "critical", "d", member="a b/data.pkl")
    check = f.how_to_check()
    assert "'x; rm -rf ~.pkl'" in check and "'a b/data.pkl'" in check
    assert f.to_json()["rule"] == "MLSC101"
    plain = Finding("m.pkl", "dangerous_import", "critical", "d")
    assert plain.how_to_check().startswith("python -m pickletools m.pkl")
