"""OpenSSF model signatures made with model-signing in the test, then checked offline."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

import model_signing
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mlsc.scan.signing import find_signature, public_key_hint, read_bundle, verify_model


def write_key(tmp: Path, name: str) -> tuple[Path, Path, ec.EllipticCurvePrivateKey]:
    """A throwaway P-256 key pair as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = tmp / f"{name}.pem", tmp / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public, key


def make_model(root: Path) -> Path:
    model = root / "model"
    (model / "sub").mkdir(parents=True)
    (model / "config.json").write_text('{"model_type": "bert"}')
    (model / "model.safetensors").write_bytes(b"\x02" * 64)
    (model / "sub" / "tokenizer.json").write_text("{}")
    (model / ".gitattributes").write_text("*.bin filter=lfs\n")
    return model


def hashing(shards: bool = False) -> Any:
    config = model_signing.hashing.Config()
    if shards:
        config.use_shard_serialization(shard_size=16)
    return config.set_ignored_paths(paths=["model.sig"])


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, Path]:
    """A model directory signed with an EC key (signature inside it, as model.sig)."""
    model = make_model(tmp_path)
    private, public, _ = write_key(tmp_path, "signer")
    model_signing.signing.Config().use_elliptic_key_signer(private_key=private).set_hashing_config(
        hashing()
    ).sign(model, model / "model.sig")
    return model, public


def test_round_trip_with_the_public_key(signed: tuple[Path, Path]) -> None:
    model, public = signed
    result = verify_model(model, public_keys=[public])
    assert result.status == "verified", result
    assert (result.kind, result.signature, result.files) == ("key", "model.sig", 3)
    assert result.key_hint == public_key_hint(public)
    assert result.short() == "verified"


def test_a_changed_file_is_invalid(signed: tuple[Path, Path]) -> None:
    model, public = signed
    (model / "config.json").write_text('{"model_type": "evil"}')
    result = verify_model(model, public_keys=[public])
    assert result.status == "invalid"
    assert "changed: config.json" in result.detail


def test_an_added_file_is_invalid(signed: tuple[Path, Path]) -> None:
    model, public = signed
    (model / "payload.pkl").write_bytes(b"\x80\x02.")
    result = verify_model(model, public_keys=[public])
    assert (result.status, "not signed: payload.pkl" in result.detail) == ("invalid", True)


def test_a_removed_file_is_invalid(signed: tuple[Path, Path]) -> None:
    model, public = signed
    (model / "sub" / "tokenizer.json").unlink()
    result = verify_model(model, public_keys=[public])
    assert (result.status, "missing: sub/tokenizer.json" in result.detail) == ("invalid", True)


def test_git_files_are_outside_the_signature(signed: tuple[Path, Path]) -> None:
    model, public = signed
    (model / ".gitattributes").write_text("changed\n")
    assert verify_model(model, public_keys=[public]).status == "verified"


def test_without_the_key_it_is_unverifiable_but_files_are_compared(
    signed: tuple[Path, Path],
) -> None:
    model, public = signed
    result = verify_model(model)
    assert result.status == "unverifiable"
    assert public_key_hint(public)[:16] in result.detail
    assert "files match the signed digests" in result.detail
    (model / "model.safetensors").write_bytes(b"\x03" * 64)
    result = verify_model(model)
    assert result.status == "invalid" and "changed: model.safetensors" in result.detail


def test_the_scan_hashes_are_used_when_given(signed: tuple[Path, Path]) -> None:
    model, public = signed
    wrong = {"config.json": "00" * 32, "model.safetensors": "11" * 32, "sub/tokenizer.json": "22"}
    result = verify_model(model, public_keys=[public], file_sha256=wrong)
    assert result.status == "invalid" and "changed: config.json" in result.detail


def test_another_key_is_invalid(tmp_path: Path, signed: tuple[Path, Path]) -> None:
    model, _ = signed
    _, other, _ = write_key(tmp_path, "other")
    result = verify_model(model, public_keys=[other])
    assert result.status == "invalid" and "not one of the 1 trusted keys" in result.detail


def test_the_right_key_among_several(tmp_path: Path, signed: tuple[Path, Path]) -> None:
    model, public = signed
    _, other, _ = write_key(tmp_path, "other")
    assert verify_model(model, public_keys=[other, public]).status == "verified"


def test_a_forged_payload_is_invalid(signed: tuple[Path, Path]) -> None:
    """The attacker changes a file and rewrites its digest in the payload; the signature no
    longer matches the payload."""
    model, public = signed
    (model / "config.json").write_text("{}")
    sig = model / "model.sig"
    bundle = json.loads(sig.read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    for r in statement["predicate"]["resources"]:
        if r["name"] == "config.json":
            r["digest"] = hashlib.sha256(b"{}").hexdigest()
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    sig.write_text(json.dumps(bundle))
    assert verify_model(model).status == "unverifiable"  # the digests alone now agree
    result = verify_model(model, public_keys=[public])
    assert result.status == "invalid", result


def test_shard_signatures_use_the_library_hashing(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    private, public, _ = write_key(tmp_path, "k")
    model_signing.signing.Config().use_elliptic_key_signer(private_key=private).set_hashing_config(
        hashing(shards=True)
    ).sign(model, model / "model.sig")
    assert verify_model(model, public_keys=[public]).status == "verified"
    assert "files match" in verify_model(model).detail
    (model / "model.safetensors").write_bytes(b"\x02" * 63 + b"\x00")
    result = verify_model(model)
    assert result.status == "invalid" and "model.safetensors:48:64" in result.detail


def test_unsigned(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    assert find_signature(model) is None
    result = verify_model(model)
    assert (result.status, result.short()) == ("unsigned", "unsigned")


def test_a_garbage_signature_is_invalid(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    (model / "model.sig").write_text("not json")
    result = verify_model(model)
    assert result.status == "invalid" and "unreadable signature" in result.detail


def test_other_signature_names_are_found_only_if_they_are_bundles(
    tmp_path: Path, signed: tuple[Path, Path]
) -> None:
    model, public = signed
    (model / "model.sig").rename(model / "bert.sig")
    (model / "aaa.sig").write_text("{}")
    assert find_signature(model) == model / "bert.sig"
    assert verify_model(model, public_keys=[public]).signature == "bert.sig"


def _ca(tmp: Path) -> tuple[Path, Path, Path]:
    """A root CA and a code-signing leaf certificate (with its key), as PEM files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlsc test root")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    leaf_private, _, leaf_key = write_key(tmp, "leaf")
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signer")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(2)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, leaf_pem = tmp / "ca.pem", tmp / "leaf.crt"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    leaf_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    return ca_pem, leaf_pem, leaf_private


def test_certificate_signatures(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    ca, leaf, leaf_key = _ca(tmp_path)
    model_signing.signing.Config().use_certificate_signer(
        private_key=leaf_key, signing_certificate=leaf, certificate_chain=[ca]
    ).set_hashing_config(hashing()).sign(model, model / "model.sig")
    assert read_bundle(model / "model.sig").kind == "certificate"
    assert verify_model(model, certificate_chain=[ca]).status == "verified"
    result = verify_model(model)
    assert result.status == "unverifiable" and "no trusted certificate chain" in result.detail
    other = tmp_path / "other"
    other.mkdir()
    other_ca, _, _ = _ca(other)
    assert verify_model(model, certificate_chain=[other_ca]).status == "invalid"


def test_keyless_sigstore_signatures_are_unverifiable_offline(
    tmp_path: Path, signed: tuple[Path, Path]
) -> None:
    """A bundle shaped like a Sigstore keyless one (a Fulcio certificate, a log entry)."""
    model, _ = signed
    sig = model / "model.sig"
    bundle = json.loads(sig.read_text())
    bundle["verificationMaterial"] = {
        "certificate": {"rawBytes": base64.b64encode(b"not checked").decode()},
        "tlogEntries": [{"logIndex": "1"}],
    }
    sig.write_text(json.dumps(bundle))
    result = verify_model(model)
    assert (result.status, result.kind) == ("unverifiable", "sigstore")
    assert "network" in result.detail and "files match" in result.detail
    (model / "config.json").write_text("changed")
    assert verify_model(model).status == "invalid"
