"""scan_path over files and directories."""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from pathlib import Path

import model_signing
import numpy as np
import pytest

from mlsc.scan import scan_path, scanner
from mlsc.scan.findings import Finding, status_of, worst_status
from tests.scan import builders as b
from tests.scan.test_signing import make_model, write_key


def model_dir(root: Path) -> Path:
    d = root / "org--model"
    (d / ".git").mkdir(parents=True)
    (d / ".git" / "evil.pkl").write_bytes(b.reduce_call("os", "system", "id"))  # never looked at
    (d / "README.md").write_text("# model\n")
    (d / "config.json").write_text("{}")
    b.torch_zip(d / "pytorch_model.bin", b.torch_state_dict_pickle())
    b.torch_zip(d / "optimizer.pt", b.reduce_call("builtins", "exec", "x"))
    (d / "model.safetensors").write_bytes(
        b.safetensors_bytes({"w": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}}, bytes(4))
    )
    (d / "bad.safetensors").write_bytes(b.safetensors_bytes({"w": {"dtype": "U8"}}, b""))
    (d / "training_args.bin").write_bytes(b.reduce_call("argparse", "Namespace", "x"))
    (d / "sub").mkdir()
    np.save(d / "sub" / "arr.npy", np.arange(3))
    (d / "sub" / "broken.pkl").write_bytes(b"\x80\x04\x95garbage")
    return d


def test_a_directory(tmp_path: Path) -> None:
    d = model_dir(tmp_path)
    report = scan_path(d)
    by = {f.path: f for f in report.files}
    assert list(by) == [
        "README.md",
        "bad.safetensors",
        "config.json",
        "model.safetensors",
        "optimizer.pt",
        "pytorch_model.bin",
        "sub/arr.npy",
        "sub/broken.pkl",
        "training_args.bin",
    ]
    assert {p: f.status for p, f in by.items()} == {
        "README.md": "skipped",
        "bad.safetensors": "warning",
        "config.json": "skipped",
        "model.safetensors": "clean",
        "optimizer.pt": "critical",
        "pytorch_model.bin": "clean",
        "sub/arr.npy": "clean",
        "sub/broken.pkl": "critical",  # pickle.load would still read it: never below that
        "training_args.bin": "clean",  # argparse.Namespace is on the safe list
    }
    assert by["optimizer.pt"].imports == ("builtins.exec",)
    assert (by["optimizer.pt"].format, by["optimizer.pt"].container) == ("pickle", "torch-zip")
    assert (by["sub/arr.npy"].format, by["sub/arr.npy"].pickle) == ("numpy", False)
    assert (by["model.safetensors"].format, by["model.safetensors"].pickle) == (
        "safetensors",
        False,
    )
    assert by["README.md"].sha256 == hashlib.sha256(b"# model\n").hexdigest()
    assert by["pytorch_model.bin"].size == (d / "pytorch_model.bin").stat().st_size
    assert report.status == "critical"
    assert report.is_dir and report.root == str(d) and report.signature is not None
    assert report.signature.status == "unsigned"
    counts = report.counts()
    assert counts["files"] == 9 and counts["status_critical"] == 2
    assert counts["pickle_files"] == 4 and counts["status_skipped"] == 2
    assert counts["findings_critical"] == 2
    assert all(f.path != ".git/evil.pkl" for f in report.findings)


def test_a_single_file(tmp_path: Path) -> None:
    d = model_dir(tmp_path)
    report = scan_path(d / "optimizer.pt")
    assert [f.path for f in report.files] == ["optimizer.pt"]
    assert (report.is_dir, report.signature, report.root) == (False, None, str(d))
    assert report.status == "critical"


def test_a_pickle_named_safetensors_is_a_mismatch_and_is_scanned(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(b.stack_global_call("os", "system", "id"))
    [f] = scan_path(path).files
    assert f.status == "critical" and f.format == "pickle"
    assert {x.kind for x in f.findings} == {"format_mismatch", "dangerous_import"}


def test_a_pickle_under_an_innocent_name(tmp_path: Path) -> None:
    path = tmp_path / "vocab"
    path.write_bytes(pickle.dumps(OrderedDict(a=1), protocol=2))
    [f] = scan_path(path).files
    assert f.pickle and f.status == "warning"
    assert [x.kind for x in f.findings if x.severity == "warning"] == ["format_mismatch"]


def test_symlinked_files_are_followed_as_in_a_hub_cache(tmp_path: Path) -> None:
    blobs = tmp_path / "blobs"
    blobs.mkdir()
    (blobs / "abc123").write_bytes(b.reduce_call("os", "system", "id"))
    snap = tmp_path / "snapshots" / "main"
    snap.mkdir(parents=True)
    (snap / "model.pkl").symlink_to(blobs / "abc123")
    [f] = scan_path(snap).files
    assert (f.path, f.status) == ("model.pkl", "critical")


def test_max_files(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"f{i}.txt").write_text(str(i))
    report = scan_path(tmp_path, max_files=3)
    assert report.truncated and len(report.files) == 3


def test_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        scan_path(tmp_path / "nope")


def test_an_unreadable_file_is_unparseable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model.pkl").write_bytes(b"\x80\x02.")

    def refuse(path: Path) -> object:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(scanner, "sniff", refuse)
    [f] = scan_path(tmp_path).files
    assert (f.status, f.sha256, f.findings[0].kind) == ("unparseable", None, "unparseable")
    assert "Permission denied" in f.findings[0].detail


def test_a_signed_directory(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    private, public, _ = write_key(tmp_path, "k")
    model_signing.signing.Config().use_elliptic_key_signer(private_key=private).set_hashing_config(
        model_signing.hashing.Config().set_ignored_paths(paths=["model.sig"])
    ).sign(model, model / "model.sig")
    assert scan_path(model, public_keys=[public]).signature.status == "verified"  # type: ignore[union-attr]
    assert scan_path(model).signature.status == "unverifiable"  # type: ignore[union-attr]
    assert scan_path(model, check_signature=False).signature is None
    (model / "config.json").write_text("tampered")
    report = scan_path(model, public_keys=[public])
    assert report.signature is not None and report.signature.status == "invalid"
    assert "changed: config.json" in report.signature.detail


def test_without_second_opinion(tmp_path: Path) -> None:
    path = tmp_path / "p.pkl"
    path.write_bytes(b.dup_call("collections", "OrderedDict", "x"))
    assert {x.engine for x in scan_path(path).files[0].findings} == {"mlsc", "picklescan"}
    assert {x.engine for x in scan_path(path, second_opinion=False).files[0].findings} == {"mlsc"}


def test_status_folding() -> None:
    def f(kind: str, severity: str) -> Finding:
        return Finding("p", kind, severity, "d")  # type: ignore[arg-type]

    assert status_of([]) == "clean"
    assert status_of([], scanned=False) == "skipped"
    assert status_of([f("pickle", "info")]) == "clean"
    assert status_of([f("unknown_import", "warning")]) == "warning"
    assert status_of([f("unknown_import", "warning"), f("unparseable", "warning")]) == "unparseable"
    assert status_of([f("unparseable", "warning"), f("dangerous_import", "critical")]) == "critical"
    assert worst_status(["clean", "skipped", "warning"]) == "warning"
    assert worst_status([]) == "skipped"


def test_with_findings_adds_another_sources_verdicts(tmp_path: Path) -> None:
    d = model_dir(tmp_path)
    report = scan_path(d, check_signature=False)
    assert {f.path: f.status for f in report.files}["model.safetensors"] == "clean"
    peer = Finding("model.safetensors", "peer_verdict", "critical", "the hub says unsafe",
                   engine="hub")  # fmt: skip
    stray = Finding("not/scanned.bin", "peer_verdict", "critical", "ignored", engine="hub")
    merged = scanner.with_findings(report, [peer, stray])
    by = {f.path: f for f in merged.files}
    assert by["model.safetensors"].status == "critical"
    assert by["model.safetensors"].findings[-1] == peer
    assert len(merged.files) == len(report.files) and merged.status == "critical"
    assert {f.path: f.status for f in report.files}["model.safetensors"] == "clean"  # unchanged
    assert scanner.with_findings(report, []) is report
