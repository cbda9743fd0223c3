"""The words every layer shares, each written once.

    >>> is_valid_repo_id("meta-llama/Llama-3.1-8B"), is_valid_repo_id("a--b/c")
    (True, False)
    >>> utc_iso("2024-07-23T16:32:00+02:00")
    '2024-07-23T14:32:00.000Z'
    >>> file_format("unet/diffusion_pytorch_model.bin"), file_kind("README.md")
    (('pickle', True), 'card')
    >>> github_repos_in(["see https://github.com/acme-ml/vision-models.git"])
    ['acme-ml/vision-models']

- the repository-id rule of the Hugging Face Hub (:func:`is_valid_repo_id`);
- the one timestamp form the graph stores (:func:`utc_stamp`, :func:`utc_now`,
  :func:`utc_iso`): ISO 8601 in UTC with milliseconds and ``Z``, the Hub's own form;
- file formats by name (:data:`SUFFIX_FORMATS`: one table, read two ways: as the Hub's
  file-format column (:func:`file_format`) and as the scanner's name claim
  (:data:`SCAN_NAME_FORMATS`)), and file kinds (:func:`file_kind`);
- GitHub repository links (:func:`github_repos_in`, :data:`GITHUB_REPO`).

This module imports nothing from mlsc: every layer may stand on it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, overload

# -- repository ids -----------------------------------------------------------------------------

HUB = "huggingface"
"""The ``hub`` property of a model or actor that lives on the Hugging Face Hub."""

_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?"
REPO_ID = re.compile(rf"^(?:{_PART}/)?{_PART}$")
"""A Hub repository id: ``namespace/name``, or a legacy name without namespace (``gpt2``).
The Hub's own rule (``huggingface_hub.utils.validate_repo_id``), in ASCII: word characters,
``-`` and ``.``, starting and ending with a word character, at most 96 per part."""


def is_valid_repo_id(value: object) -> bool:
    """True for a syntactically valid Hub repository id."""
    return isinstance(value, str) and _valid_repo_id(value)


@functools.lru_cache(maxsize=1 << 16)  # popular bases are named by thousands of records
def _valid_repo_id(value: str) -> bool:
    return (
        REPO_ID.match(value) is not None
        and "--" not in value
        and ".." not in value
        and not value.endswith(".git")
    )


def namespace_of(repo_id: str) -> str | None:
    """The namespace (owner) part of ``owner/name``; None for a legacy id without one."""
    return repo_id.split("/", 1)[0] if "/" in repo_id else None


# -- timestamps ---------------------------------------------------------------------------------

_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@overload
def utc_stamp(moment: datetime) -> str: ...
@overload
def utc_stamp(moment: None) -> None: ...
@overload
def utc_stamp(moment: datetime | None) -> str | None: ...


def utc_stamp(moment: datetime | None) -> str | None:
    """``moment`` as the graph stores times (a naive moment is taken as UTC; None stays None)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def utc_now() -> str:
    """The current time as the graph stores times."""
    return utc_stamp(datetime.now(UTC))


def utc_iso(value: Any) -> str | None:
    """An ISO 8601 string as the graph stores times; None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 24 and _CANONICAL_TIME.fullmatch(value):
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return utc_stamp(parsed)


# -- file formats and kinds ---------------------------------------------------------------------

SUFFIX_FORMATS: tuple[tuple[str, str | None, str | None], ...] = (
    # suffix          the Hub's File.format   the scanner's name claim
    (".safetensors", "safetensors", "safetensors"),
    (".gguf", "gguf", "gguf"),
    (".ggml", "ggml", "ggml"),
    (".onnx", "onnx", "onnx"),
    (".onnx_data", "onnx", "onnx"),
    (".pkl", "pickle", "pickle"),
    (".pickle", "pickle", "pickle"),
    (".joblib", "pickle", "pickle"),
    (".pt", "pickle", "pickle"),
    (".pth", "pickle", "pickle"),
    (".ckpt", "pickle", "pickle"),
    (".bin", "pickle", "pickle"),  # the Hub's column narrows .bin by name: see file_format
    (".npy", "pickle", "numpy"),  # a weights file on the Hub; NumPy's own format to a scanner
    (".dat", None, "pickle"),  # not a weights file by name; joblib writes pickles so named
    (".npz", "mlx", "npz"),
    (".zip", None, "zip"),
    (".mar", None, "zip"),
    (".tar", None, "tar"),
    (".tar.gz", None, "tar"),
    (".tgz", None, "tar"),
    (".tar.bz2", None, "tar"),
    (".tar.xz", None, "tar"),
    (".7z", None, "7z"),
    (".h5", "keras", "keras"),
    (".keras", "keras", "keras"),
    (".hdf5", "keras", "keras"),
    (".tflite", "tflite", "tflite"),
    (".msgpack", "msgpack", "msgpack"),
    (".mlmodel", "coreml", None),
    (".mlpackage", "coreml", None),
    (".xml", "openvino", None),  # only model*/openvino* names: see file_format
    (".engine", "tensorrt", None),
    (".plan", "tensorrt", None),
)
"""Every file-name suffix mlsc knows, and what it means in the two places that ask: the
``format`` of a Hub ``File`` node (also which files are weights) and the format a name
claims to the scanner, which checks the claim against the file's first bytes. No suffix in
the table ends another, so the order of rows does not matter."""


def _grouped(column: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
    groups: dict[str, list[str]] = {}
    for row in SUFFIX_FORMATS:
        fmt = row[column]
        if fmt is not None:
            groups.setdefault(fmt, []).append(row[0])
    return tuple((fmt, tuple(suffixes)) for fmt, suffixes in groups.items())


HUB_FORMATS = _grouped(1)
"""(format, suffixes) of weights files on the Hub."""
SCAN_NAME_FORMATS = _grouped(2)
"""(format, suffixes) a file's name claims to the scanner."""
HUB_PICKLE_SUFFIXES = dict(HUB_FORMATS)["pickle"]
"""Names of pickle-based weights files on the Hub."""


def file_format(path: str) -> tuple[str | None, bool]:
    """(format, pickle-based) of a repository file by its name; (None, False) for others."""
    name = path.rsplit("/", 1)[-1].lower()
    for fmt, suffixes in HUB_FORMATS:
        if name.endswith(suffixes):
            if fmt == "openvino" and not name.startswith(("openvino", "model")):
                return None, False
            if fmt == "pickle" and name.endswith(".bin") and "pytorch_model" not in name:
                # .bin is also a raw-weights format (e.g. ggml, tokenizer); call it pickle only
                # when it is a torch checkpoint by name, else "bin".
                if name.startswith(("model", "adapter_model")):
                    return "pickle", True
                return "bin", False
            return fmt, fmt == "pickle"
    return None, False


CODE_SUFFIXES = (
    ".py", ".ipynb", ".js", ".ts", ".sh", ".rs", ".go", ".c", ".cc", ".cpp", ".h", ".java",
    ".rb", ".lua", ".pyx", ".cu", ".jl", ".r",
)  # fmt: skip
CARD_NAMES = ("readme.md", "model_card.md", "modelcard.md")
CONFIG_NAMES = ("config.json", "generation_config.json", "adapter_config.json", "mergekit_config")
CONFIG_SUFFIXES = (".json", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".txt", ".model", ".tiktoken")


def file_kind(path: str) -> str:
    """weights, code, card, config or other, by a file's name."""
    name = path.rsplit("/", 1)[-1].lower()
    fmt, _ = file_format(path)
    if fmt is not None and fmt != "openvino":
        return "weights"
    if name in CARD_NAMES:
        return "card"
    if name.endswith(CODE_SUFFIXES):
        return "code"
    if (
        name.startswith(CONFIG_NAMES)
        or name.startswith("tokenizer")
        or name.endswith(CONFIG_SUFFIXES)
    ):
        return "config"
    return "other"


# -- GitHub links -------------------------------------------------------------------------------

GITHUB_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
"""A GitHub ``owner/name``."""
_GITHUB_LINK = re.compile(r"github\.com/([A-Za-z0-9_.-]{1,100})/([A-Za-z0-9_.-]{1,100})", re.I)
_NOT_OWNERS = ("orgs", "sponsors", "topics", "features", "settings")


def is_github_repo(value: str) -> bool:
    """True for a syntactically valid GitHub ``owner/name`` (``.`` and ``..`` are no names)."""
    return GITHUB_REPO.match(value) is not None and not any(
        part in (".", "..") for part in value.split("/")
    )


def github_repos_in(texts: Iterable[str]) -> list[str]:
    """OWNER/NAME of every github.com repository linked in ``texts``, once, in order."""
    found: dict[str, None] = {}
    for text in texts:
        for owner, name in _GITHUB_LINK.findall(text or ""):
            name = name.removesuffix(".git").rstrip(".")
            if owner.lower() in _NOT_OWNERS:
                continue
            if name and GITHUB_REPO.match(f"{owner}/{name}"):
                found.setdefault(f"{owner}/{name}", None)
    return list(found)
