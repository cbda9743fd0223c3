"""Check an OpenSSF model signature (the ``model-signing`` package, v1) on a model directory.

``model_signing`` writes a Sigstore bundle (``model.sig`` by default) whose DSSE payload is
an in-toto statement listing every file of the model with its digest. Three kinds exist:

- ``key``: signed with an elliptic-curve private key; the bundle carries only a hint (the
  SHA-256 of the public key's PEM). Verified offline with the library, given the public key.
- ``certificate``: signed with a key and an X.509 certificate chain in the bundle; verified
  offline with the library, given the trusted root certificate(s).
- ``sigstore``: keyless, a short-lived Fulcio certificate and a Rekor log entry; checking it
  needs Sigstore's trust root (fetched over the network) and the expected signer identity,
  so it is reported ``unverifiable`` here.

Whatever the kind, the files are compared with the signed list of digests (reusing the scan's
SHA-256s when the signature used SHA-256 per file): a file that differs makes the signature
``invalid`` even when the signature itself cannot be checked.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SignatureStatus = Literal["verified", "invalid", "unsigned", "unverifiable"]
SignatureKind = Literal["key", "certificate", "sigstore"]

SIGNATURE_NAMES = ("model.sig",)
"""Names ``model_signing`` uses by default, looked for first."""
SIGNATURE_SUFFIXES = (".sig", ".sigstore", ".sigstore.json")
"""Other top-level files tried as signatures (if they are Sigstore bundles)."""
MAX_SIGNATURE_BYTES = 64 << 20
"""A larger file is not read as a signature."""
BUNDLE_MEDIA_PREFIX = "application/vnd.dev.sigstore.bundle"
PREDICATE_TYPES = ("https://model_signing/signature/v1.0", "https://model_signing/Digests/v0.1")
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")
"""Paths ``model_signing`` leaves out of a manifest by default."""


@dataclass(frozen=True)
class SignatureResult:
    """The outcome of checking a model directory's signature."""

    status: SignatureStatus
    detail: str
    """Why, for a person: the signer's key hint, the first mismatching file, what is missing."""
    signature: str | None = None
    """The signature file, relative to the model directory."""
    kind: SignatureKind | None = None
    key_hint: str | None = None
    """For ``key`` signatures: the SHA-256 of the signer's public key (PEM)."""
    files: int = 0
    """Files the signature lists."""

    def short(self) -> str:
        """``verified``, ``unsigned``, or ``invalid (why)`` / ``unverifiable (why)``."""
        if self.status in ("verified", "unsigned"):
            return self.status
        return f"{self.status} ({self.detail})"


@dataclass(frozen=True)
class Bundle:
    """The parts of a model signature this module reads (no cryptography involved)."""

    kind: SignatureKind
    key_hint: str | None
    serialization: Mapping[str, Any]
    """The predicate's ``serialization``: method, hash_type, allow_symlinks, ignore_paths."""
    resources: Mapping[str, str]
    """Signed name (a path, or ``path:start:end`` for shards) -> hex digest."""


def find_signature(model_dir: Path) -> Path | None:
    """The signature file at the top of a model directory, if any."""
    for name in SIGNATURE_NAMES:
        if (model_dir / name).is_file():
            return model_dir / name
    try:
        candidates = sorted(p for p in model_dir.iterdir() if p.name.endswith(SIGNATURE_SUFFIXES))
    except OSError:
        return None
    for p in candidates:
        try:
            if p.is_file() and p.stat().st_size <= MAX_SIGNATURE_BYTES:
                read_bundle(p)
                return p
        except (OSError, ValueError):
            continue
    return None


def read_bundle(path: Path) -> Bundle:
    """Parse a signature file; ``ValueError`` if it is not a model-signing bundle."""
    if path.stat().st_size > MAX_SIGNATURE_BYTES:
        raise ValueError(f"larger than {MAX_SIGNATURE_BYTES} bytes")
    try:
        doc = json.loads(path.read_bytes())
        media = str(doc.get("mediaType", ""))
        material = doc["verificationMaterial"]
        envelope = doc["dsseEnvelope"]
        statement = json.loads(base64.b64decode(envelope["payload"], validate=True))
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise ValueError(f"not a Sigstore bundle with a DSSE envelope: {e}") from None
    if not media.startswith(BUNDLE_MEDIA_PREFIX):
        raise ValueError(f"media type {media[:80]!r} is not a Sigstore bundle")
    if not isinstance(material, dict) or not isinstance(statement, dict):
        raise ValueError("malformed bundle")
    kind: SignatureKind
    hint: str | None = None
    if "publicKey" in material:
        kind = "key"
        raw_hint = (material.get("publicKey") or {}).get("hint")
        hint = str(raw_hint) if raw_hint else None
    elif "x509CertificateChain" in material:
        kind = "certificate"
    elif "certificate" in material:
        kind = "sigstore"
    else:
        raise ValueError("bundle has no public key, certificate chain or certificate")
    if statement.get("predicateType") not in PREDICATE_TYPES:
        raise ValueError(f"predicate type {str(statement.get('predicateType'))[:80]!r}")
    predicate = statement.get("predicate") or {}
    serialization = predicate.get("serialization") or {}
    resources: dict[str, str] = {}
    if statement["predicateType"] == PREDICATE_TYPES[0]:
        for r in predicate.get("resources") or []:
            resources[str(r["name"])] = str(r["digest"]).lower()
    else:  # v0.2: one subject per file
        for s in statement.get("subject") or []:
            resources[str(s["name"])] = str(s["digest"]["sha256"]).lower()
    return Bundle(kind, hint, serialization, resources)


def public_key_hint(public_key: Path) -> str:
    """The hint ``model_signing`` records for a public key: SHA-256 of its PEM encoding."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(public_key.read_bytes())
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(pem).hexdigest()


def _ignored(rel: str, ignore: Iterable[str]) -> bool:
    return any(rel == p or rel.startswith(p.rstrip("/") + "/") for p in ignore)


def _ignore_list(bundle: Bundle, sig_rel: str | None) -> list[str]:
    listed = [str(p).strip("/") for p in bundle.serialization.get("ignore_paths") or []]
    return [*listed, *GIT_PATHS, *([sig_rel] if sig_rel else [])]


def _library() -> tuple[Any, Any] | None:
    """``(model_signing.hashing, model_signing.verifying)``, or ``None`` if not installed."""
    try:
        return (
            importlib.import_module("model_signing.hashing"),
            importlib.import_module("model_signing.verifying"),
        )
    except Exception:
        return None


def _hashing_config(hashing: Any, bundle: Bundle, ignore: Sequence[str]) -> Any:
    """A ``model_signing.hashing.Config`` that reproduces the signer's serialization."""
    s = bundle.serialization
    method, algorithm = s.get("method", "files"), s.get("hash_type", "sha256")
    config = hashing.Config()
    if method == "shards":
        config.use_shard_serialization(
            hashing_algorithm=algorithm, shard_size=int(s["shard_size"]), allow_symlinks=True
        )
    elif method == "files":
        config.use_file_serialization(hashing_algorithm=algorithm, allow_symlinks=True)
    else:
        raise ValueError(f"unknown serialization method {str(method)[:40]!r}")
    return config.set_ignored_paths(paths=list(ignore), ignore_git_paths=True)


def _digest_mismatch(actual: Mapping[str, str], expected: Mapping[str, str]) -> str | None:
    """A short description of how two name -> digest maps differ (``None`` if they match)."""
    changed = sorted(n for n in expected.keys() & actual.keys() if expected[n] != actual[n])
    missing = sorted(expected.keys() - actual.keys())
    extra = sorted(actual.keys() - expected.keys())
    parts = []
    if changed:
        parts.append(f"changed: {', '.join(changed[:3])}" + (" ..." if len(changed) > 3 else ""))
    if missing:
        parts.append(f"missing: {', '.join(missing[:3])}" + (" ..." if len(missing) > 3 else ""))
    if extra:
        parts.append(f"not signed: {', '.join(extra[:3])}" + (" ..." if len(extra) > 3 else ""))
    return "; ".join(parts) or None


def _sha256_digests(
    bundle: Bundle, ignore: Sequence[str], file_sha256: Mapping[str, str] | None
) -> dict[str, str] | None:
    """The model's name -> digest map from the scan's SHA-256s, when the signature used
    per-file SHA-256 (the default); ``None`` when it used anything else."""
    s = bundle.serialization
    if file_sha256 is None or (s.get("method", "files"), s.get("hash_type", "sha256")) != (
        "files",
        "sha256",
    ):
        return None
    return {n: d for n, d in file_sha256.items() if not _ignored(n, ignore)}


def _actual_digests(
    model_dir: Path,
    bundle: Bundle,
    ignore: Sequence[str],
    file_sha256: Mapping[str, str] | None,
) -> dict[str, str]:
    """The model's current name -> digest map, in the signature's own terms."""
    cheap = _sha256_digests(bundle, ignore, file_sha256)
    if cheap is not None:
        return cheap
    lib = _library()
    if lib is None:
        raise RuntimeError("model-signing is not installed")
    manifest = _hashing_config(lib[0], bundle, ignore).hash(model_dir)
    return {str(rd.identifier): rd.digest.digest_hex for rd in manifest.resource_descriptors()}


def _library_verify(
    model_dir: Path,
    sig: Path,
    bundle: Bundle,
    ignore: Sequence[str],
    *,
    public_key: Path | None = None,
    certificate_chain: Sequence[Path] = (),
) -> str | None:
    """Verify with ``model_signing``; ``None`` if verified, else why not."""
    lib = _library()
    if lib is None:
        raise RuntimeError("model-signing is not installed")
    hashing, verifying = lib
    config = verifying.Config()
    if public_key is not None:
        config.use_elliptic_key_verifier(public_key=public_key)
    else:
        config.use_certificate_verifier(certificate_chain=list(certificate_chain))
    config.set_hashing_config(_hashing_config(hashing, bundle, ignore))
    try:
        config.verify(model_dir, sig)
    except Exception as e:
        text = str(e) or type(e).__name__
        if type(e).__name__ == "InvalidSignature":
            text = "the signature does not match its payload"
        return text.replace("\n", " ")[:240]
    return None


def verify_model(
    model_dir: Path,
    *,
    signature: Path | None = None,
    public_keys: Sequence[Path] = (),
    certificate_chain: Sequence[Path] = (),
    file_sha256: Mapping[str, str] | None = None,
) -> SignatureResult:
    """Check a model directory's OpenSSF model signature; never raises.

    ``signature`` defaults to :func:`find_signature`'s pick. ``public_keys`` are the trusted
    keys for ``key`` signatures (the one whose hint matches is used), ``certificate_chain``
    the trusted root and intermediate certificates for ``certificate`` ones. Without them
    the result is ``unverifiable`` (if the files match the signed digests) or ``invalid``
    (if they do not). ``file_sha256`` (relative path -> SHA-256 hex, e.g. from a scan) saves
    hashing the model again when the signature uses per-file SHA-256.
    """
    model_dir = Path(model_dir)
    sig = signature if signature is not None else find_signature(model_dir)
    if sig is None:
        return SignatureResult("unsigned", "no signature file (model.sig) in the directory")
    try:
        sig_rel: str | None = sig.resolve().relative_to(model_dir.resolve()).as_posix()
    except ValueError:
        sig_rel = None
    shown = sig_rel or str(sig)
    try:
        bundle = read_bundle(sig)
    except (OSError, ValueError) as e:
        return SignatureResult("invalid", f"unreadable signature: {e}"[:240], shown)
    ignore = _ignore_list(bundle, sig_rel)

    def result(status: SignatureStatus, detail: str) -> SignatureResult:
        return SignatureResult(
            status, detail, shown, bundle.kind, bundle.key_hint, len(bundle.resources)
        )

    def files_differ() -> str | None:
        try:
            mismatch = _digest_mismatch(
                _actual_digests(model_dir, bundle, ignore, file_sha256), bundle.resources
            )
        except Exception:
            return None
        return None if mismatch is None else f"files differ from the signed digests ({mismatch})"

    cheap = _sha256_digests(bundle, ignore, file_sha256)
    if cheap is not None and (differ := files_differ()) is not None:
        return result("invalid", differ[:240])

    trusted: list[Path] = []
    if bundle.kind == "key" and public_keys:
        for key in public_keys:
            try:
                hint = public_key_hint(Path(key))
            except Exception as e:
                return result("unverifiable", f"cannot read public key {key}: {e}"[:240])
            if bundle.key_hint is None or hint == bundle.key_hint:
                trusted.append(Path(key))
        if not trusted:
            return result(
                "invalid",
                f"signed by key sha256:{(bundle.key_hint or '?')[:16]}, "
                f"not one of the {len(public_keys)} trusted keys",
            )
    if trusted or (bundle.kind == "certificate" and certificate_chain):
        try:
            errors = [
                _library_verify(model_dir, sig, bundle, ignore, public_key=k) for k in trusted
            ] or [
                _library_verify(
                    model_dir, sig, bundle, ignore, certificate_chain=list(certificate_chain)
                )
            ]
        except Exception as e:
            return result("unverifiable", f"{type(e).__name__}: {e}"[:240])
        if any(err is None for err in errors):
            who = f"key sha256:{bundle.key_hint[:16]}" if bundle.key_hint else bundle.kind
            return result("verified", f"{len(bundle.resources)} files signed by {who}")
        error = next(e for e in errors if e is not None)
        if error.startswith("Signature mismatch"):
            error = (files_differ() if cheap is None else None) or error
        return result("invalid", error[:240])

    # No trusted material to check the signature itself: compare the files at least.
    why = "files match the signed digests"
    if cheap is None:
        try:
            actual = _actual_digests(model_dir, bundle, ignore, file_sha256)
        except Exception as e:
            why = f"files not compared ({type(e).__name__}: {e})"[:160]
        else:
            mismatch = _digest_mismatch(actual, bundle.resources)
            if mismatch is not None:
                return result("invalid", f"files differ from the signed digests ({mismatch})"[:240])
    if bundle.kind == "sigstore":
        reason = (
            "Sigstore keyless signature: checking it needs Sigstore's trust root and "
            "transparency log over the network, and the expected signer identity"
        )
    elif bundle.kind == "key":
        reason = f"signed by key sha256:{(bundle.key_hint or '?')[:16]}; no public key given"
    else:
        reason = "signed with a certificate; no trusted certificate chain given"
    return result("unverifiable", f"{reason}; {why}")
