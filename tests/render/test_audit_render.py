"""An audit as a terminal table and as SARIF 2.1.0, checked against the OASIS schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from mlsc.graph.ladybug import LadybugStore
from mlsc.queries.audit import AuditResult, audit
from mlsc.render.sarif import FINGERPRINT
from mlsc.render.sarif_audit import AUDIT_RULES, ROOT_BASE_ID, render_audit_sarif
from mlsc.render.text import Line, Note, Table, Warn
from mlsc.render.text_audit import audit_summary
from tests.queries.test_audit import SHA, knowledge_base, reading, ref
from tests.render.test_sarif import validator  # noqa: F401  (the OASIS schema fixture)


def audited(tmp_path: Path, *, empty: bool = False) -> AuditResult:
    with LadybugStore(tmp_path / "kb") as store:
        if not empty:
            store.write(knowledge_base())
        return audit(store, reading(
            ref("serve.py", 3, "acme/llama-ft", "v1.0", "tag"),
            ref("sub dir/mödel #1.py", 7, "goodco/child", SHA, "commit"),
            ref("train.py", 2, "goodco/child", SHA, "commit"),
            ref("train.py", 4, "meta-llama/Llama-3.1-8B", SHA, "commit"),
            ref("train.py", 9, None),
        ), path=str(tmp_path), fix_pins=True)  # fmt: skip


def test_sarif_validates_with_file_and_line(
    tmp_path: Path,
    validator: jsonschema.Draft4Validator,  # noqa: F811
) -> None:
    result = audited(tmp_path)
    log: dict[str, Any] = json.loads(json.dumps(render_audit_sarif(result)))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
    assert errors == []
    (run,) = log["runs"]
    assert run["originalUriBaseIds"][ROOT_BASE_ID]["uri"] == tmp_path.resolve().as_uri() + "/"
    results = run["results"]
    assert len(results) == len(result.findings)
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(set(rule_ids)) == len(AUDIT_RULES) and all(i.startswith("MLSCA") for i in rule_ids)
    critical = [r for r in results if r["properties"]["severity"] == "critical"]
    assert [(r["level"], r["ruleId"]) for r in critical] == [("error", "MLSCA010")] * 2
    location = critical[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "sub%20dir/m%C3%B6del%20%231.py", "uriBaseId": ROOT_BASE_ID}  # fmt: skip
    assert location["region"] == {"startLine": 7}
    levels = {(r["properties"]["kind"], r["level"]) for r in results}
    assert {("unpinned", "warning"), ("unverified-owner", "note")} <= levels
    assert all(len(r["partialFingerprints"][FINGERPRINT]) == 64 for r in results)
    # the same finding in two files is two results with different fingerprints
    assert len({r["partialFingerprints"][FINGERPRINT] for r in critical}) == 2


def test_sarif_of_an_empty_knowledge_base_says_so(
    tmp_path: Path,
    validator: jsonschema.Draft4Validator,  # noqa: F811
) -> None:
    log = render_audit_sarif(audited(tmp_path, empty=True))
    assert list(validator.iter_errors(log)) == []
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["empty-knowledge-base", "skipped"]


def test_table_most_severe_first_then_summary_pins_and_skipped(tmp_path: Path) -> None:
    blocks = list(audit_summary(audited(tmp_path)))
    table = blocks[0]
    assert isinstance(table, Table)
    severities = [row[1] for row in table.rows]
    order = ["critical", "high", "medium", "low"]
    assert severities == sorted(severities, key=order.index)
    assert table.rows[0][:3] == ("sub dir/mödel #1.py:7", "critical", "scan-verdict")
    lines = [b.text for b in blocks if isinstance(b, Line)]
    assert lines[0] == ("5 references in 3 files: 2 unpinned; critical 2, high 0, medium 3, low 5")
    assert lines[1] == (
        f"serve.py:3 acme/llama-ft -> revision {'2' * 40}  # 2025-03-01T00:00:00.000Z"
    )
    assert (
        lines[2]
        == "train.py:9 (dynamic): no revision to pin to (the model id is computed at run time)"
    )
    notes = [b.text for b in blocks if isinstance(b, Note)]
    assert notes == ["skipped broken.py: syntax error at line 3", "read 4 files, skipped 1"]
    assert not any(isinstance(b, Warn) for b in blocks)
