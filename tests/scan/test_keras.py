"""The Keras engine: configs in .keras zips, HDF5 attributes and keras_metadata.pb."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from mlsc.scan import scan_path
from mlsc.scan.keras_config import check_config, rate_callable
from mlsc.scan.rules import RULES
from tests.scan import format_builders as fb


def _scan(path: Path) -> Any:
    report = scan_path(path, check_signature=False)
    assert len(report.files) == 1
    return report.files[0]


def test_lambda_finding_names_layer_member_rule_and_check(tmp_path: Path) -> None:
    f = _scan(fb.keras_zip(tmp_path / "m.keras", fb.sequential(fb.keras3_lambda())))
    assert f.format == "keras" and f.status == "critical"
    (finding,) = f.findings
    assert finding.kind == "keras_lambda" and finding.rule.id == "MLSC301"
    assert "'evil_lambda'" in finding.detail and finding.member == "config.json"
    assert finding.how_to_check() == "unzip -p m.keras config.json | python -m json.tool"


def test_plain_keras_functions_are_not_flagged(tmp_path: Path) -> None:
    layer = fb.function_lambda("keras.activations", "relu", {})
    f = _scan(fb.keras_zip(tmp_path / "m.keras", fb.sequential(fb.dense("a"), layer)))
    assert f.status == "clean", [x.short() for x in f.findings]


@pytest.mark.parametrize(
    ("module", "name", "severity"),
    [
        ("builtins", "exec", "critical"),
        ("os", "system", "critical"),
        ("keras.src.utils.file_utils", "get_file", "critical"),
        ("keras.saving", "load_model", "critical"),
        ("tensorflow.io", "write_file", "critical"),
        ("my_project.layers", "Block", "warning"),
    ],
)
def test_rate_callable(module: str, name: str, severity: str) -> None:
    rated = rate_callable(module, name)
    assert rated is not None and rated[0] == severity


def test_keras_names_are_fine() -> None:
    assert rate_callable("keras.layers", "Dense") is None
    assert rate_callable("keras", "Sequential") is None


def test_legacy_function_lambda_and_tfoplambda() -> None:
    config = {
        "class_name": "Functional",
        "config": {
            "layers": [
                {
                    "class_name": "Lambda",
                    "config": {"name": "l", "function": "system", "function_type": "function",
                               "module": "os"},
                },
                {"class_name": "TFOpLambda", "config": {"name": "t", "function": "io.write_file"}},
                {"class_name": "TFOpLambda", "config": {"name": "ok", "function": "math.add"}},
                {"class_name": "Lambda", "config": {"name": "s", "function": ["Y29kZQ==", None,
                 None], "function_type": "lambda", "output_shape_type": "lambda"}},
            ]
        },
    }  # fmt: skip
    issues, cut = check_config(config)
    assert not cut
    got = sorted((i.layer, i.kind) for i in issues)
    assert got == [
        ("l", "keras_unsafe_object"),
        ("s", "keras_lambda"),
        ("s", "keras_lambda"),
        ("t", "keras_unsafe_object"),
    ]


def test_lambda_nested_deep_in_wrappers_is_found() -> None:
    inner: dict[str, Any] = fb.keras3_lambda()
    for _ in range(300):  # TimeDistributed(TimeDistributed(...)): deeper than naive recursion
        inner = {"class_name": "TimeDistributed", "config": {"name": "td", "layer": inner}}
    issues, _ = check_config(fb.sequential(inner))
    assert [i.kind for i in issues] == ["keras_lambda"]


def test_keras_zip_without_config_or_with_bad_json_is_unparseable(tmp_path: Path) -> None:
    p = tmp_path / "a.keras"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("metadata.json", "{}")
    assert _scan(p).status == "unparseable"
    q = tmp_path / "b.keras"
    with zipfile.ZipFile(q, "w") as zf:
        zf.writestr("config.json", "{not json")
    assert _scan(q).status == "unparseable"


def test_keras_version_fact(tmp_path: Path) -> None:
    from mlsc.scan.keras import scan_keras_zip

    p = fb.keras_zip(tmp_path / "m.keras", fb.sequential(fb.dense("a")))
    assert ("keras_version", "3.10.0") in scan_keras_zip(p, "m.keras").facts


def test_h5_training_config_is_checked_too(tmp_path: Path) -> None:
    import h5py

    p = fb.legacy_h5(tmp_path / "m.h5", [fb.legacy_dense("a")])
    with h5py.File(p, "a") as f:
        loss = {"class_name": "function", "module": "builtins", "config": "eval"}
        f.attrs["training_config"] = json.dumps({"loss": loss})
    f2 = _scan(p)
    assert f2.status == "critical"
    assert "training_config" in f2.findings[0].how_to_check()


def test_broken_hdf5_falls_back_to_raw_bytes(tmp_path: Path) -> None:
    p = tmp_path / "m.h5"
    body = json.dumps(fb.sequential(fb.keras3_lambda())).encode()
    p.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\xff" * 64 + body)
    f = _scan(p)
    assert f.status == "critical"
    kinds = {x.kind for x in f.findings}
    assert kinds == {"unparseable", "keras_lambda"}


def test_broken_hdf5_without_lambda_is_unparseable_not_clean(tmp_path: Path) -> None:
    p = tmp_path / "m.h5"
    p.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    assert _scan(p).status == "unparseable"


def test_non_model_named_h5_is_unparseable(tmp_path: Path) -> None:
    p = tmp_path / "m.h5"
    p.write_bytes(b"just text")
    assert _scan(p).status == "unparseable"


def test_keras_metadata_bad_json_is_unparseable(tmp_path: Path) -> None:
    from mlsc.scan.protobuf import encode_field as fld

    p = tmp_path / "keras_metadata.pb"
    p.write_bytes(fld(1, fld(3, "root") + fld(5, "{nope")))
    assert _scan(p).status == "unparseable"


def test_rule_ids_in_range() -> None:
    for kind in ("keras_lambda", "keras_unsafe_object", "keras_custom_object"):
        assert 300 <= int(RULES[kind].id[4:]) <= 349
