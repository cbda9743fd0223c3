"""The data a replayed Hugging Face Hub serves: models, files, commits, organisations, faults.

A :class:`Hub` is a registry of immutable records (:class:`HubModel`, :class:`HubFile`,
:class:`Commit`, :class:`Organization`, :class:`User`), renamed ids (``aliases``) and injected
:class:`Fault` rules. :class:`tests.replay.hf.HubServer` turns it into HTTP responses shaped
like the real Hub's, for the real ``huggingface_hub`` client.

Two loaders:

* :meth:`Hub.from_records` reads real ``GET /api/models/{id}`` exchanges recorded by
  huggingface_hub's own test cassettes (``tests/replay/data/records``, Apache-2.0, see the
  README there): the model bodies as recorded, the 307 renames as aliases, and the sample cards
  (``cards/*.md``, some deliberately broken) as extra models under ``card-samples/``.
  What the records do not hold is made up, deterministically, and only that: file sizes and
  blob ids (the records list file names only), file contents other than ``README.md`` (rendered
  from the recorded ``cardData``) and ``config.json`` (from the recorded ``config``), and one
  commit per model whose id is the recorded ``sha``.
* :func:`synthetic_hub` builds a realistic, seeded Hub with every lineage shape the ingester
  has to settle: fine-tunes, adapters named only by ``adapter_config.json``, GGUF/GPTQ/AWQ
  quantisations, mergekit merges of several bases, distilled and pruned models named only by
  their card text and name, a renamed base, gated and private models, pickle-only repos, a card
  with invalid YAML, and a base with more than 1,000 direct children.

Tags follow the Hub: a card's ``base_model`` yields ``base_model:<id>`` and
``base_model:<relation>:<id>`` with relation in adapter, merge, quantized, finetune (the
relation is the card's ``base_model_relation``, else merge for several bases, else finetune).

    >>> hub = synthetic_hub(seed=0, wide_children=5)
    >>> hub.model("alice/acme-7b-chat").base_models
    ('acme-ai/acme-7b',)
    >>> hub.canonical_id("acme-ai/Acme-7B")
    'acme-ai/acme-7b'
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; huggingface_hub needs it

from tests.replay.serving import FaultRule

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

DATA = Path(__file__).resolve().parent / "data"
"""The real records and cards copied into the repository (Apache-2.0, see data/README.md)."""

Gated = Literal[False, "auto", "manual"]
RELATIONS = ("adapter", "merge", "quantized", "finetune")
"""The relations the Hub writes into ``base_model:<relation>:<id>`` tags."""

LFS_SUFFIXES = (
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".h5",
    ".msgpack",
    ".onnx",
    ".gguf",
    ".ot",
    ".tflite",
    ".mlmodel",
    ".model",
    ".npz",
    ".pkl",
    ".pb",
    ".wav",
)
"""Suffixes the Hub's default ``.gitattributes`` stores with Git LFS."""

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def iso(moment: datetime) -> str:
    """The Hub's timestamp format: ``2024-02-19T11:06:12.000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def sha1_hex(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def git_blob_oid(data: bytes) -> str:
    """The git object id of a blob, as the Hub reports it for non-LFS files."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_lfs_path(path: str) -> bool:
    return path.lower().endswith(LFS_SUFFIXES)


def render_card(card_data: Mapping[str, Any] | None, body: str) -> str:
    """A model card: YAML front matter (when there is card data) then the markdown body."""
    if not card_data:
        return body
    front = yaml.dump(
        dict(card_data), Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=100
    )
    return f"---\n{front}---\n\n{body}"


def parse_card_data(text: str) -> dict[str, Any] | None:
    """The card data the Hub derives from a card: its front matter when that is a mapping.

    None for no front matter, invalid YAML, or front matter that is not a mapping (the Hub
    then returns no ``cardData``).
    """
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---", 4)
    if end < 0:
        return None
    try:
        data = yaml.safe_load(text[4:end])
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def lineage_tags(bases: Sequence[str], relation: str | None = None) -> tuple[str, ...]:
    """The tags the Hub derives from a card's ``base_model`` and ``base_model_relation``."""
    if not bases:
        return ()
    rel = relation or ("merge" if len(bases) > 1 else "finetune")
    if rel not in RELATIONS:
        raise ValueError(f"the Hub has no base_model relation {rel!r}")
    return tuple(f"base_model:{b}" for b in bases) + tuple(f"base_model:{rel}:{b}" for b in bases)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class LfsInfo:
    """Git LFS metadata of a file: the content's sha256 and size."""

    sha256: str
    size: int

    @property
    def pointer(self) -> bytes:
        """The pointer file git stores in place of the content."""
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
            f"size {self.size}\n"
        ).encode()


@dataclass(frozen=True)
class HubFile:
    """One file of a repository.

    A regular (git) file always has ``content``. An LFS file has :class:`LfsInfo` and may have
    no content: the server then knows its size and hashes but redirects downloads to a CDN host
    that does not resolve (``*.invalid``), as the real Hub redirects LFS downloads off-host.
    """

    path: str
    size: int
    content: bytes | None = None
    lfs: LfsInfo | None = None

    def __post_init__(self) -> None:
        if self.lfs is None and self.content is None:
            raise ValueError(f"{self.path}: a regular file needs content")
        if self.content is not None and len(self.content) != self.size:
            raise ValueError(f"{self.path}: size {self.size} != {len(self.content)} content bytes")
        if self.lfs is not None and self.lfs.size != self.size:
            raise ValueError(f"{self.path}: LFS size differs from size")

    @classmethod
    def text(cls, path: str, content: str | bytes) -> HubFile:
        """A regular file held in git (README.md, config.json, adapter_config.json...)."""
        data = content.encode() if isinstance(content, str) else content
        return cls(path=path, size=len(data), content=data)

    @classmethod
    def blob(
        cls, path: str, size: int, *, sha256: str | None = None, content: bytes | None = None
    ) -> HubFile:
        """An LFS file (weights); its sha256 is derived from the path unless given."""
        if content is not None:
            size = len(content)
            sha256 = sha256 or hashlib.sha256(content).hexdigest()
        digest = sha256 or hashlib.sha256(f"replay:{path}:{size}".encode()).hexdigest()
        return cls(path=path, size=size, content=content, lfs=LfsInfo(digest, size))

    @property
    def oid(self) -> str:
        """The git blob id: of the content, or of the LFS pointer for an LFS file."""
        if self.lfs is not None:
            return git_blob_oid(self.lfs.pointer)
        assert self.content is not None
        return git_blob_oid(self.content)

    @property
    def is_pickle(self) -> bool:
        return self.path.lower().endswith(PICKLE_SUFFIXES)


@dataclass(frozen=True)
class Commit:
    """One commit of a repository's history, as ``/api/models/{id}/commits/{rev}`` lists it."""

    id: str
    title: str
    date: str
    authors: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class HubModel:
    """A model repository at its head revision.

    ``tags`` are the Hub's tags (lineage tags included); ``card_data`` is what the Hub parsed
    from the README front matter (None when there is none or it is invalid); ``config`` is the
    Hub's summary of config.json (``architectures``, ``model_type``, ``quantization_config``...);
    ``commits`` are newest first and ``commits[0].id == sha``; ``extra`` holds any further
    model-info fields returned as they are (``spaces``, ``widgetData``, ``gguf``,
    ``inferenceProviderMapping``...).
    """

    id: str
    sha: str
    created_at: str
    last_modified: str
    author: str | None = None
    files: tuple[HubFile, ...] = ()
    tags: tuple[str, ...] = ()
    card_data: Mapping[str, Any] | None = None
    config: Mapping[str, Any] | None = None
    pipeline_tag: str | None = None
    library_name: str | None = None
    private: bool = False
    gated: Gated = False
    disabled: bool = False
    downloads: int = 0
    likes: int = 0
    commits: tuple[Commit, ...] = ()
    safetensors: Mapping[str, Any] | None = None
    security_status: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def namespace(self) -> str | None:
        return self.id.split("/", 1)[0] if "/" in self.id else None

    def file(self, path: str) -> HubFile | None:
        return next((f for f in self.files if f.path == path), None)

    @property
    def card(self) -> str | None:
        """The README.md text, if the repository has one."""
        readme = self.file("README.md")
        return None if readme is None or readme.content is None else readme.content.decode()

    @property
    def base_models(self) -> tuple[str, ...]:
        """Parents named by the Hub's ``base_model:<id>`` tags (not by the card or files)."""
        return tuple(
            t.removeprefix("base_model:")
            for t in self.tags
            if t.startswith("base_model:") and t.count(":") == 1
        )

    @property
    def base_relation(self) -> str | None:
        """The relation of the ``base_model:<relation>:<id>`` tags, if any."""
        for t in self.tags:
            parts = t.split(":", 2)
            if len(parts) == 3 and parts[0] == "base_model" and parts[1] in RELATIONS:
                return parts[1]
        return None


@dataclass(frozen=True)
class User:
    """A Hub user (``/api/users/{name}/overview``, organisation member lists)."""

    name: str
    fullname: str = ""
    is_pro: bool = False
    details: str | None = None
    created_at: str = "2022-03-02T23:29:04.000Z"


@dataclass(frozen=True)
class Organization:
    """A Hub organisation (``/api/organizations/{name}/overview`` and ``/members``)."""

    name: str
    fullname: str = ""
    verified: bool = False
    members: tuple[str, ...] = ()
    details: str | None = None
    num_followers: int = 0


# ---------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """An HTTP response the server sends instead of the real one.

    ``times``: fail only the first ``times`` requests to each matching path, then answer
    normally (a transient failure); None fails every time. ``after``: let that many requests
    to each path through first (fail page 2 of a listing, whose path is page 1's). Build with
    the class methods,
    which set the headers the real Hub sends and ``hf_raise_for_status`` maps to exceptions.
    """

    kind: str
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    times: int | None = None
    after: int = 0
    methods: frozenset[str] = frozenset({"GET", "HEAD"})

    def transient(self, times: int) -> Fault:
        """This fault for the first ``times`` requests to each path, then normal answers."""
        return replace(self, times=times)

    def starting_after(self, requests: int) -> Fault:
        """This fault once ``requests`` requests to each path have been answered normally."""
        return replace(self, after=requests)

    @staticmethod
    def _error(
        kind: str,
        status: int,
        message: str,
        code: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        times: int | None = None,
    ) -> Fault:
        hdrs = [*headers, ("X-Error-Message", message)]
        if code is not None:
            hdrs.append(("X-Error-Code", code))
        body = json.dumps({"error": message}).encode()
        return Fault(kind, status, tuple(hdrs), body, times=times)

    @classmethod
    def rate_limited(
        cls, retry_after: int | None = 1, *, ratelimit: bool = False, times: int | None = None
    ) -> Fault:
        """429. ``Retry-After`` in seconds; ``ratelimit`` adds the IETF ``RateLimit`` headers
        the Hub sends (the client waits their reset time, else ``Retry-After``, plus 1 s)."""
        headers: list[tuple[str, str]] = []
        if retry_after is not None:
            headers.append(("Retry-After", str(retry_after)))
        if ratelimit:
            reset = retry_after or 0
            headers += [
                ("RateLimit", f'"api";r=0;t={reset}'),
                ("RateLimit-Policy", '"fixed window";"api";q=500;w=300'),
            ]
        message = "You have exceeded our hourly quotas for action: api. Retry later."
        return cls._error("rate_limited", 429, message, headers=headers, times=times)

    @classmethod
    def unavailable(cls, *, status: int = 503, times: int | None = None) -> Fault:
        """A server error (503 by default; 500, 502 and 504 work too)."""
        return Fault(
            "unavailable",
            status,
            body=b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
            content_type="text/html",
            times=times,
        )

    @classmethod
    def malformed_json(cls, *, times: int | None = None) -> Fault:
        """200 whose JSON body is cut off mid-way (a truncated response)."""
        return Fault(
            "malformed_json", 200, body=b'{"_id":"6698d8a0","id":"x/y","tags":["tra', times=times
        )

    @classmethod
    def gated(
        cls,
        repo_id: str = "this repository",
        *,
        authenticated: bool = False,
        times: int | None = None,
    ) -> Fault:
        """The Hub's answer on a gated repo's files: 401 without a token, 403 with one."""
        if authenticated:
            message = (
                f"Access to model {repo_id} is restricted and you are not in the authorized "
                f"list. Visit https://huggingface.co/{repo_id} to ask for access."
            )
            return cls._error("gated", 403, message, "GatedRepo", times=times)
        message = (
            f"Access to model {repo_id} is restricted. You must have access to it and be "
            "authenticated to access it. Please log in."
        )
        return cls._error("gated", 401, message, "GatedRepo", times=times)

    @classmethod
    def repo_not_found(cls, *, status: int = 404, times: int | None = None) -> Fault:
        """``X-Error-Code: RepoNotFound`` (the Hub answers 401 to anonymous callers, 404 else)."""
        return cls._error(
            "repo_not_found", status, "Repository not found", "RepoNotFound", times=times
        )

    @classmethod
    def revision_not_found(cls, *, times: int | None = None) -> Fault:
        return cls._error(
            "revision_not_found", 404, "Invalid rev id", "RevisionNotFound", times=times
        )

    @classmethod
    def entry_not_found(cls, *, times: int | None = None) -> Fault:
        return cls._error("entry_not_found", 404, "Entry not found", "EntryNotFound", times=times)

    @classmethod
    def disabled(cls, *, times: int | None = None) -> Fault:
        """A repo disabled by the Hub (``DisabledRepoError`` in the client)."""
        return cls._error("disabled", 403, "Access to this resource is disabled.", times=times)

    @classmethod
    def redirect(cls, location: str, *, status: int = 307, times: int | None = None) -> Fault:
        """A redirect, as the Hub answers for a renamed repo (text/plain body)."""
        return Fault(
            "redirect",
            status,
            (("Location", location),),
            f"Temporary Redirect. Redirecting to {location}".encode(),
            content_type="text/plain; charset=utf-8",
            times=times,
        )


# ------------------------------------------------------------------------------- hub


class Hub:
    """Models, renamed ids, organisations, users and faults: what a HubServer serves.

    Mutable between requests (add models or faults, then query); the records it holds are
    frozen. Model ids are matched exactly, as the Hub matches them case-sensitively in APIs.
    """

    def __init__(
        self,
        models: Iterable[HubModel] = (),
        *,
        organizations: Iterable[Organization] = (),
        users: Iterable[User] = (),
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.models: dict[str, HubModel] = {}
        self.organizations: dict[str, Organization] = {o.name: o for o in organizations}
        self.users: dict[str, User] = {u.name: u for u in users}
        self.aliases: dict[str, str] = dict(aliases or {})
        self.faults: list[FaultRule] = []
        self._children: dict[str, list[str]] | None = None
        for m in models:
            self.add(m)

    # -- building
    def add(self, model: HubModel) -> HubModel:
        self.models[model.id] = model
        self._children = None
        return model

    def rename(self, old: str, new: str) -> None:
        """``old`` now answers with a 307 to ``new``, as the Hub does after a repo rename."""
        if new not in self.models:
            raise KeyError(new)
        self.aliases[old] = new

    def add_organization(self, org: Organization) -> None:
        self.organizations[org.name] = org

    def add_user(self, user: User) -> None:
        self.users[user.name] = user

    def add_fault(self, pattern: str, fault: Fault) -> FaultRule:
        """Answer requests whose path matches ``pattern`` with ``fault`` (first rule wins)."""
        rule = FaultRule(pattern, fault)
        self.faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- queries
    def model(self, repo_id: str) -> HubModel:
        return self.models[repo_id]

    def canonical_id(self, repo_id: str) -> str | None:
        """The current id of ``repo_id`` (following renames), or None if it does not exist."""
        seen: set[str] = set()
        while repo_id in self.aliases and repo_id not in seen:
            seen.add(repo_id)
            repo_id = self.aliases[repo_id]
        return repo_id if repo_id in self.models else None

    def children(self, parent: str) -> list[str]:
        """Ids of the public models whose tags name ``parent`` as a base (any relation)."""
        if self._children is None:
            index: dict[str, list[str]] = defaultdict(list)
            for m in self.models.values():
                for base in () if m.private else m.base_models:
                    index[base].append(m.id)
            self._children = dict(index)
        return self._children.get(parent, [])

    def models_of(self, namespace: str) -> list[HubModel]:
        return [m for m in self.models.values() if m.namespace == namespace]

    def __iter__(self) -> Iterator[HubModel]:
        return iter(self.models.values())

    def __len__(self) -> int:
        return len(self.models)

    def __repr__(self) -> str:
        return (
            f"Hub({len(self.models)} models, {len(self.aliases)} aliases, "
            f"{len(self.organizations)} orgs, {len(self.users)} users, {len(self.faults)} faults)"
        )

    # -- loaders
    @classmethod
    def from_records(cls, directory: Path = DATA) -> Hub:
        """A Hub of the recorded ``GET /api/models/{id}`` exchanges under ``directory``.

        ``directory`` holds ``records/*.json`` (or is that folder) and optionally
        ``cards/*.md``. Several records of one model: the most recent wins; expand-only
        records add their fields (``inferenceProviderMapping``); 307 records become aliases.
        Raises FileNotFoundError when there are no records.
        """
        records_dir = directory / "records" if (directory / "records").is_dir() else directory
        paths = sorted(p for p in records_dir.glob("*.json") if not p.name.startswith("_"))
        if not paths:
            raise FileNotFoundError(f"no records under {records_dir}")
        full: dict[str, tuple[datetime, dict[str, Any]]] = {}
        partial: dict[str, dict[str, Any]] = defaultdict(dict)
        aliases: dict[str, str] = {}
        for path in paths:
            rec = json.loads(path.read_text())
            uri_path = urlsplit(rec["uri"]).path
            if not uri_path.startswith("/api/models/"):
                continue
            if rec["status"] in (301, 302, 307, 308):
                location = rec["response_headers"]["Location"][0]
                aliases[uri_path.removeprefix("/api/models/")] = urlsplit(
                    location
                ).path.removeprefix("/api/models/")
                continue
            body = rec.get("body_json")
            if rec["status"] != 200 or not isinstance(body, dict):
                continue
            when = parsedate_to_datetime(rec["date"])
            if "sha" in body and "siblings" in body:
                if body["id"] not in full or full[body["id"]][0] < when:
                    full[body["id"]] = (when, body)
            else:
                partial[body["id"]].update(
                    {k: v for k, v in body.items() if k not in ("_id", "id")}
                )
        hub = cls()
        for repo_id, (_, body) in sorted(full.items()):
            hub.add(model_from_body({**partial.get(repo_id, {}), **body}))
        for old, new in sorted(aliases.items()):
            if new in hub.models:
                hub.rename(old, new)
        cards_dir = directory / "cards"
        if cards_dir.is_dir():
            for card in sorted(cards_dir.glob("*.md")):
                hub.add(model_from_card(f"card-samples/{card.stem.replace('_', '-')}", card))
        return hub


_BODY_FIELDS = {
    "id",
    "modelId",
    "author",
    "sha",
    "createdAt",
    "lastModified",
    "tags",
    "cardData",
    "config",
    "pipeline_tag",
    "library_name",
    "private",
    "gated",
    "disabled",
    "downloads",
    "likes",
    "siblings",
    "safetensors",
    "securityRepoStatus",
}


def _made_up_size(path: str) -> int:
    return 1_000_000 + int(sha1_hex("size", path)[:8], 16) % 500_000_000


def model_from_body(body: Mapping[str, Any]) -> HubModel:
    """A HubModel from a recorded model-info body (camelCase keys, as the Hub sends)."""
    repo_id: str = body["id"]
    card_data = body.get("cardData")
    config = body.get("config")
    files: list[HubFile] = []
    for sibling in body.get("siblings") or []:
        name: str = sibling["rfilename"]
        if name == "README.md":
            files.append(HubFile.text(name, render_card(card_data, f"# {repo_id}\n")))
        elif name == "config.json" and config:
            content = {k: v for k, v in config.items() if k != "tokenizer_config"}
            files.append(HubFile.text(name, json.dumps(content, indent=2) + "\n"))
        elif is_lfs_path(name):
            files.append(HubFile.blob(name, _made_up_size(f"{repo_id}/{name}")))
        else:
            placeholder = f"{name}: content not recorded (replay placeholder)\n"
            files.append(HubFile.text(name, placeholder))
    created = body.get("createdAt") or body["lastModified"]
    commit = Commit(body["sha"], "Update model", body["lastModified"], (body.get("author") or "",))
    return HubModel(
        id=repo_id,
        sha=body["sha"],
        created_at=created,
        last_modified=body["lastModified"],
        author=body.get("author"),
        files=tuple(files),
        tags=tuple(body.get("tags") or ()),
        card_data=card_data,
        config=config,
        pipeline_tag=body.get("pipeline_tag"),
        library_name=body.get("library_name"),
        private=bool(body.get("private", False)),
        gated=body.get("gated", False),
        disabled=bool(body.get("disabled", False)),
        downloads=int(body.get("downloads", 0)),
        likes=int(body.get("likes", 0)),
        commits=(commit,),
        safetensors=body.get("safetensors"),
        security_status=body.get("securityRepoStatus"),
        extra={k: v for k, v in body.items() if k not in _BODY_FIELDS},
    )


def model_from_card(repo_id: str, card_path: Path) -> HubModel:
    """A minimal model whose README.md is a sample card file (bytes kept, CRLF included)."""
    raw = card_path.read_bytes()
    card_data = parse_card_data(raw.decode())
    sha = sha1_hex("card", repo_id, git_blob_oid(raw))
    date = "2024-01-01T00:00:00.000Z"
    tags = tuple(t for t in (card_data or {}).get("tags", []) if isinstance(t, str))
    return HubModel(
        id=repo_id,
        sha=sha,
        created_at=date,
        last_modified=date,
        author=repo_id.split("/")[0],
        files=(
            HubFile.text(".gitattributes", "*.bin filter=lfs\n"),
            HubFile.text("README.md", raw),
        ),
        tags=tags,
        card_data=card_data,
        commits=(Commit(sha, "Add model card", date, ("card-samples",)),),
    )


# ------------------------------------------------------------------------- synthetic


@dataclass(frozen=True)
class _Arch:
    architecture: str
    model_type: str
    params: int


_ACME = _Arch("AcmeForCausalLM", "llama", 7_241_732_096)
_ACME_SMALL = _Arch("AcmeForCausalLM", "llama", 1_100_048_384)
_OW_BIG = _Arch("MistralForCausalLM", "mistral", 12_772_070_400)
_OW_SMALL = _Arch("MistralForCausalLM", "mistral", 3_002_010_624)
_TINY = _Arch("BertForMaskedLM", "bert", 109_482_240)

USERS = (
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "quantbot",
    "mergemaster",
)


class _Builder:
    """Deterministic ids, hashes, dates and counters for :func:`synthetic_hub`."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.epoch = datetime(2024, 1, 1, tzinfo=UTC)
        self.hub = Hub()

    def dates(self, n_commits: int) -> list[datetime]:
        start = self.epoch + timedelta(
            days=self.rng.randrange(0, 300), seconds=self.rng.randrange(86_400)
        )
        out = [start]
        for _ in range(n_commits - 1):
            out.append(out[-1] + timedelta(hours=self.rng.randrange(1, 24 * 30)))
        return out

    def model(
        self,
        repo_id: str,
        *,
        arch: _Arch | None,
        card_data: Mapping[str, Any] | None,
        body: str,
        tags: Iterable[str] = (),
        files: Iterable[HubFile] = (),
        weights: str | None = "model.safetensors",
        config_extra: Mapping[str, Any] | None = None,
        library_name: str | None = "transformers",
        pipeline_tag: str | None = "text-generation",
        gated: Gated = False,
        private: bool = False,
        committers: Sequence[str] = (),
        card_text: str | None = None,
        extra: Mapping[str, Any] | None = None,
        commits: int | None = None,
    ) -> HubModel:
        namespace = repo_id.split("/")[0]
        authors = tuple(committers) or (namespace,)
        n = commits if commits is not None else self.rng.randrange(1, 4)
        moments = self.dates(n)
        titles = ["Initial commit", "Upload folder using huggingface_hub", "Update README.md"]
        history = tuple(
            Commit(
                id=sha1_hex("commit", self.seed, repo_id, i),
                title=titles[i] if i < len(titles) else f"Update ({i})",
                message="" if i == 0 else f"Commit {i} of {repo_id}",
                date=iso(moments[i]),
                authors=(authors[i % len(authors)],),
            )
            for i in range(n)
        )[::-1]
        all_files: list[HubFile] = [
            HubFile.text(".gitattributes", "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"),
            HubFile.text(
                "README.md", card_text if card_text is not None else render_card(card_data, body)
            ),
        ]
        api_config: dict[str, Any] | None = None
        if arch is not None:
            config = {
                "architectures": [arch.architecture],
                "model_type": arch.model_type,
                "hidden_size": 4096 if arch.params > 5e9 else 2048,
                "torch_dtype": "bfloat16",
                **(config_extra or {}),
            }
            all_files.append(HubFile.text("config.json", json.dumps(config, indent=2) + "\n"))
            api_config = {
                k: config[k]
                for k in ("architectures", "model_type", "quantization_config")
                if k in config
            }
        safetensors = None
        if weights is not None:
            size = (arch.params if arch else 50_000_000) * 2
            all_files.append(HubFile.blob(weights, size))
            if weights.endswith(".safetensors") and arch is not None:
                safetensors = {"parameters": {"BF16": arch.params}, "total": arch.params}
        all_files.extend(files)
        pickles = [f.path for f in all_files if f.is_pickle]
        security = {
            "scansDone": True,
            "filesWithIssues": [{"path": p, "level": "info"} for p in pickles],
        }
        lib_tags = [library_name] if library_name else []
        fmt_tags = (
            ["safetensors"] if any(f.path.endswith(".safetensors") for f in all_files) else []
        )
        if pickles:
            fmt_tags.append("pytorch")
        license_ = (card_data or {}).get("license", "apache-2.0")
        card_tags = [t for t in (card_data or {}).get("tags", []) if t not in tags]
        model = HubModel(
            id=repo_id,
            sha=history[0].id,
            created_at=history[-1].date,
            last_modified=history[0].date,
            author=namespace,
            files=tuple(all_files),
            tags=(
                *lib_tags,
                *fmt_tags,
                *([arch.model_type] if arch else []),
                *([pipeline_tag] if pipeline_tag else []),
                *card_tags,
                *tags,
                *(f"dataset:{d}" for d in (card_data or {}).get("datasets", [])),
                f"license:{license_}",
                "region:us",
            ),
            card_data=card_data if card_text is None else parse_card_data(card_text),
            config=api_config,
            pipeline_tag=pipeline_tag,
            library_name=library_name,
            private=private,
            gated=gated,
            downloads=int(self.rng.paretovariate(1.2) * 100),
            likes=int(self.rng.paretovariate(1.5) * 3) - 3,
            commits=history,
            safetensors=safetensors,
            security_status=security,
            extra=dict(extra or {}),
        )
        return self.hub.add(model)


def synthetic_hub(
    seed: int = 0,
    *,
    wide_children: int = 1_050,
    finetunes_per_base: int = 2,
) -> Hub:
    """A deterministic synthetic Hub covering every lineage shape (see the module docstring).

    ``wide_children``: direct fine-tunes of ``acme-ai/acme-1b`` (above 1,000, the Hub's page
    size, a descendant crawl must follow ``Link`` pages). ``finetunes_per_base``: fine-tunes of
    each other base. Same seed, same Hub (ids, hashes, dates, counts).

    Notable ids: bases ``acme-ai/acme-7b`` (renamed from ``acme-ai/Acme-7B``), ``acme-ai/acme-1b``
    (the wide one), ``openweights/ow-13b`` (gated manual), ``openweights/ow-3b`` (gated auto),
    ``tinylab/tiny-base`` (pickle-only, unverified org); adapters ``bob/acme-7b-lora-sql`` and
    ``carol/ow-13b-qlora`` (parent only in adapter_config.json); quantised
    ``quantbot/acme-7b-GGUF``, ``quantbot/acme-7b-GPTQ``, ``quantbot/ow-13b-AWQ``; merges
    ``mergemaster/acme-chat-slerp`` (2 bases) and ``mergemaster/frankenmerge-3way`` (3 bases);
    ``grace/acme-7b-distilled-1b`` and ``heidi/ow-13b-pruned-50`` (named by text only);
    ``ivan/tiny-base-ft`` (model.pt only); ``judy/broken-card`` (invalid YAML);
    ``alice/private-experiment`` (private).
    """
    b = _Builder(seed)
    hub = b.hub
    for name in USERS:
        hub.add_user(User(name, name.capitalize(), is_pro=b.rng.random() < 0.3))
    hub.add_organization(
        Organization(
            "acme-ai", "Acme AI", verified=True, members=("alice", "bob"), num_followers=900
        )
    )
    hub.add_organization(
        Organization(
            "openweights", "Open Weights Collective", verified=True, members=("carol", "erin")
        )
    )
    hub.add_organization(Organization("tinylab", "Tiny Lab", verified=False, members=("dave",)))

    def card(bases: Sequence[str] = (), relation: str | None = None, **more: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"license": "apache-2.0", "language": ["en"], **more}
        if len(bases) == 1:
            data["base_model"] = bases[0]
        elif bases:
            data["base_model"] = list(bases)
        if relation:
            data["base_model_relation"] = relation
        return data

    # Bases
    bases: dict[str, tuple[_Arch, Gated, tuple[str, ...]]] = {
        "acme-ai/acme-7b": (_ACME, False, ("alice", "bob")),
        "acme-ai/acme-1b": (_ACME_SMALL, False, ("bob",)),
        "openweights/ow-13b": (_OW_BIG, "manual", ("carol",)),
        "openweights/ow-3b": (_OW_SMALL, "auto", ("erin",)),
        "tinylab/tiny-base": (_TINY, False, ("dave",)),
    }
    for repo_id, (arch, gated, committers) in bases.items():
        pickle_only = repo_id == "tinylab/tiny-base"
        b.model(
            repo_id,
            arch=arch,
            card_data=card(
                tags=["pretrained"],
                **(
                    {"extra_gated_prompt": "You agree to the Open Weights licence."}
                    if gated
                    else {}
                ),
            ),
            body=f"# {repo_id.split('/')[1]}\n\nA base model pre-trained from scratch.\n",
            weights="pytorch_model.bin" if pickle_only else "model.safetensors",
            pipeline_tag="fill-mask" if pickle_only else "text-generation",
            gated=gated,
            committers=committers,
        )
    hub.rename("acme-ai/Acme-7B", "acme-ai/acme-7b")

    def finetune(
        repo_id: str, base: str, arch: _Arch, *, card_base: str | None = None, **kw: Any
    ) -> HubModel:
        return b.model(
            repo_id,
            arch=arch,
            card_data=card([card_base or base], datasets=["replay/instructions"]),
            body=f"# {repo_id.split('/')[1]}\n\nFine-tuned from {card_base or base}.\n",
            tags=lineage_tags([base], "finetune"),
            **kw,
        )

    # Fine-tunes of each base; the first fine-tune of acme-7b still names the old id in its card
    suffixes = ("chat", "instruct", "code", "math", "medical", "legal")
    people = [u for u in USERS if u not in ("quantbot", "mergemaster")]
    for repo_id, (arch, _, _) in bases.items():
        if repo_id == "acme-ai/acme-1b":
            continue
        short = repo_id.split("/")[1]
        for i in range(finetunes_per_base):
            user = people[(i + len(short)) % len(people)] if i else "alice"
            old_name = "acme-ai/Acme-7B" if repo_id == "acme-ai/acme-7b" and i == 0 else None
            finetune(
                f"{user}/{short}-{suffixes[i % len(suffixes)]}", repo_id, arch, card_base=old_name
            )
    # Second generation: a DPO fine-tune of a fine-tune
    if "alice/acme-7b-chat" in hub.models:
        finetune("erin/acme-7b-chat-dpo", "alice/acme-7b-chat", _ACME)

    # The wide base: more direct children than one page of /api/models
    for i in range(wide_children):
        user = people[i % len(people)]
        finetune(f"{user}/acme-1b-ft-{i:04d}", "acme-ai/acme-1b", _ACME_SMALL, commits=1)

    # Adapters: the parent is only in adapter_config.json (no card base_model, no tag)
    for repo_id, base, rank in (
        ("bob/acme-7b-lora-sql", "acme-ai/acme-7b", 16),
        ("carol/ow-13b-qlora", "openweights/ow-13b", 64),
    ):
        adapter_config = {
            "base_model_name_or_path": base,
            "peft_type": "LORA",
            "task_type": "CAUSAL_LM",
            "r": rank,
            "lora_alpha": rank * 2,
            "target_modules": ["q_proj", "v_proj"],
        }
        b.model(
            repo_id,
            arch=None,
            card_data=card(tags=["lora", "sql"] if "sql" in repo_id else ["qlora"]),
            body=f"# {repo_id.split('/')[1]}\n\nA LoRA adapter.\n",
            library_name="peft",
            weights=None,
            files=(
                HubFile.text("adapter_config.json", json.dumps(adapter_config, indent=2) + "\n"),
                HubFile.blob("adapter_model.safetensors", rank * 1_048_576),
            ),
            tags=("lora",),
        )

    # Quantisations
    b.model(
        "quantbot/acme-7b-GGUF",
        arch=None,
        card_data=card(["acme-ai/acme-7b"], "quantized", quantized_by="quantbot"),
        body="# acme-7b GGUF\n\nGGUF quantisations of acme-ai/acme-7b.\n",
        library_name=None,
        weights=None,
        files=(
            HubFile.blob("acme-7b.Q4_K_M.gguf", 4_368_438_976),
            HubFile.blob("acme-7b.Q8_0.gguf", 7_695_857_952),
        ),
        tags=("gguf", *lineage_tags(["acme-ai/acme-7b"], "quantized")),
        extra={"gguf": {"total": _ACME.params, "architecture": "llama", "context_length": 4096}},
    )
    for repo_id, base, arch, method in (
        ("quantbot/acme-7b-GPTQ", "acme-ai/acme-7b", _ACME, "gptq"),
        ("quantbot/ow-13b-AWQ", "openweights/ow-13b", _OW_BIG, "awq"),
    ):
        b.model(
            repo_id,
            arch=arch,
            card_data=card([base], "quantized"),
            body=f"# {repo_id.split('/')[1]}\n\n4-bit {method.upper()} quantisation of {base}.\n",
            config_extra={
                "quantization_config": {"quant_method": method, "bits": 4, "group_size": 128}
            },
            tags=(method, "4-bit", *lineage_tags([base], "quantized")),
        )

    # Merges: mergekit_config.yml names every base; the card lists them all
    for repo_id, merged, method in (
        ("mergemaster/acme-chat-slerp", ["acme-ai/acme-7b", "alice/acme-7b-chat"], "slerp"),
        (
            "mergemaster/frankenmerge-3way",
            ["acme-ai/acme-7b", "alice/acme-7b-chat", "erin/acme-7b-chat-dpo"],
            "ties",
        ),
    ):
        merged = [m for m in merged if m in hub.models]
        mergekit = {
            "merge_method": method,
            "base_model": merged[0],
            "models": [
                {"model": m, "parameters": {"weight": round(1 / len(merged), 3)}} for m in merged
            ],
            "dtype": "bfloat16",
        }
        b.model(
            repo_id,
            arch=_ACME,
            card_data=card(merged, tags=["mergekit", "merge"]),
            body=f"# {repo_id.split('/')[1]}\n\nA {method} merge made with mergekit.\n",
            files=(
                HubFile.text(
                    "mergekit_config.yml", yaml.dump(mergekit, Dumper=_DUMPER, sort_keys=False)
                ),
            ),
            tags=("mergekit", "merge", *lineage_tags(merged, "merge" if len(merged) > 1 else None)),
        )

    # Distilled and pruned: named by card text and repo name only
    b.model(
        "grace/acme-7b-distilled-1b",
        arch=_ACME_SMALL,
        card_data=card(tags=["distillation"]),
        body="# acme-7b-distilled-1b\n\nThis model was distilled from acme-ai/acme-7b "
        "(teacher) into a 1B student with logit matching.\n",
    )
    b.model(
        "heidi/ow-13b-pruned-50",
        arch=_OW_BIG,
        card_data=card(tags=["pruning"]),
        body="# ow-13b-pruned-50\n\nWe pruned 50% of the weights of openweights/ow-13b "
        "with magnitude pruning.\n",
    )

    # Pickle-only: a fine-tune that ships model.pt only
    finetune(
        "ivan/tiny-base-ft",
        "tinylab/tiny-base",
        _TINY,
        weights="model.pt",
        pipeline_tag="fill-mask",
    )

    # A card whose YAML does not parse: the Hub then has no cardData and no lineage tags
    b.model(
        "judy/broken-card",
        arch=_ACME_SMALL,
        card_data=None,
        body="",
        card_text="---\nbase_model: [acme-ai/acme-1b\nlicense: mit\n  tags: : -\n---\n\n# broken-card\n\n"
        "Fine-tuned from acme-ai/acme-1b.\n",
    )

    # A private model: absent from listings, 401 RepoNotFound when asked for by id
    b.model(
        "alice/private-experiment",
        arch=_ACME_SMALL,
        card_data=card(["acme-ai/acme-1b"]),
        body="# private\n",
        tags=lineage_tags(["acme-ai/acme-1b"]),
        private=True,
    )
    return hub


def relation_counts(hub: Hub) -> Counter[str]:
    """How many models carry each ``base_model:<relation>:`` tag relation (a quick census)."""
    return Counter(m.base_relation or "none" for m in hub)
