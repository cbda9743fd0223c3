"""A local Hugging Face Hub on 127.0.0.1 for the real ``huggingface_hub`` client (2.4.x).

    >>> from huggingface_hub import HfApi                                   # doctest: +SKIP
    >>> with HubServer(synthetic_hub()) as server:                          # doctest: +SKIP
    ...     api = HfApi(endpoint=server.url, token=False)
    ...     api.model_info("acme-ai/acme-7b").tags
    ...     server.requests["model_info"]

Point the client at it with ``HfApi(endpoint=server.url)`` and ``hf_hub_download(...,
endpoint=server.url)``: ``huggingface_hub.constants.ENDPOINT`` (``HF_ENDPOINT``) is read once,
at import, so setting the variable later has no effect; ``endpoint=`` always works. Run the
client inside :func:`hf_client_env` so it never reads the user's token or cache.

Endpoints, and the real Hub behaviour each mirrors (checked against huggingface_hub 2.4.0's
``hf_api.py``, ``utils/_http.py``, ``utils/_pagination.py`` and ``file_download.py``, and the
recorded exchanges in ``data/records``):

``GET /api/models/{id}`` and ``/api/models/{id}/revision/{rev}`` (``model_info``)
    Full model info with the recorded field order: ``_id, id, private, pipeline_tag,
    library_name, tags, downloads, likes, modelId, author, sha, lastModified, gated, disabled,
    config, cardData, siblings, spaces, createdAt, safetensors, usedStorage`` (plus recorded
    extras). ``blobs=true`` (``files_metadata=True``) adds ``size``, ``blobId`` and
    ``lfs{sha256,size,pointerSize}`` to siblings; ``securityStatus=true`` adds
    ``securityRepoStatus``. ``expand=X`` (the client sends ``expand=a&expand=b``;
    ``expand[]=`` works too) returns ``_id``, ``id`` and only the asked properties, including
    the computed ``baseModels {relation, models[{id}]}`` and ``childrenModelCount``; an
    unknown property is a 400. A revision other than ``main`` or a commit of the model is
    ``404 X-Error-Code: RevisionNotFound``.
``GET /api/models`` (``list_models``)
    Filters ``filter`` (every value must be a tag, e.g. ``base_model:finetune:X``),
    ``author``, ``search`` (case-insensitive substring of the id), ``pipeline_tag``,
    ``gated``; ``sort`` (descending unless ``direction=1``); fields like the Hub's: a default
    set, ``full=true`` adds author, sha, lastModified, gated, disabled, siblings;
    ``cardData=true`` / ``config=true`` add those; ``expand`` as for model_info. Pages of
    ``Paging.models`` (1,000, the Hub's maximum; ``limit`` lowers it) linked by
    ``Link: <url&cursor=...>; rel="next"`` exactly like the Hub's cursor pagination. Private
    models are never listed.
``GET /api/models/{id}/commits/{rev}`` (``list_repo_commits``)
    Items ``id, title, message, authors[{user, avatar}], date`` newest first from ``rev``,
    pages of ``Paging.commits`` (50) linked with ``?p=N``; ``expand[]=formatted`` adds
    ``formatted{title,message}``. Authors are users: an organisation of the Hub is never
    listed (the one commit made up for a recorded model names its owner, maybe an org).
``GET /api/models/{id}/tree/{rev}[/{path}]`` (``list_repo_tree``)
    Entries ``{type: file, path, size, oid, lfs{oid,size,pointerSize}}`` and
    ``{type: directory, path, size: 0, oid}``; ``recursive=true`` lists the whole subtree;
    ``expand=true`` adds ``lastCommit{id,title,date}`` and ``securityFileStatus`` and lowers
    the page to ``Paging.tree_expand`` (50, as the Hub); cursor pagination via ``Link``.
``HEAD``/``GET /{id}/resolve/{rev}/{filename}`` (``hf_hub_download``, ``get_hf_file_metadata``)
    200 with ``X-Repo-Commit``, ``ETag`` (the quoted git blob id; the sha256 for LFS files,
    which also carry ``X-Linked-Etag`` and ``X-Linked-Size``), ``Content-Length``,
    ``Accept-Ranges`` and ``Range`` support. An LFS file without content answers 302 to a CDN
    host that never resolves (``cdn-lfs.replay.invalid``) with the ``X-Linked-*`` headers, as
    the Hub redirects LFS downloads off-host: metadata works, downloading weights does not.
    Missing file: ``404 EntryNotFound`` (with ``X-Repo-Commit``, which the client uses to
    cache the absence). Files of a gated model other than README.md and .gitattributes:
    ``401`` (no token) or ``403`` (token) with ``X-Error-Code: GatedRepo``; model info, tree
    and commits of gated models stay public, as on the Hub.
``GET /api/organizations/{name}/members`` (``list_organization_members``), ``/overview``
(``get_organization_overview``) and ``GET /api/users/{name}/overview`` (``get_user_overview``)
    Member items ``user, fullname, avatarUrl, isPro, type, isFollowing`` (cursor pages of
    ``Paging.members``); overviews with ``name``/``user``, ``fullname``, ``isVerified``,
    ``numModels``, ``numUsers``, ``orgs`` ... as the client's ``Organization`` and ``User``
    parse them. Unknown names are a 404 without an error code (``HfHubHTTPError``).
Renamed repositories (``Hub.aliases``)
    ``307`` with ``Location`` the same path under the new id, query string kept, and a
    ``text/plain`` body ``Temporary Redirect. Redirecting to ...``, byte for byte the
    recorded ``bert-base-uncased -> google-bert/bert-base-uncased`` exchange. Applies to every
    ``/api/models/{old}/...`` and ``/{old}/resolve/...`` path.
Missing or private repositories
    ``X-Error-Code: RepoNotFound``, ``401`` without an ``Authorization`` header and ``404``
    with one, as the Hub answers (it hides private repos behind the same reply).

Findings about the real client (huggingface_hub 2.4.0, httpx2 transport), pinned by
``test_hf.py``:

* Redirects: the shared ``httpx2.Client`` is built with ``follow_redirects=True``, so
  ``model_info("bert-base-uncased")`` silently follows the 307 and returns the ModelInfo of
  ``google-bert/bert-base-uncased`` (two requests; ``info.id`` is the new id). ``list_*``
  calls follow the same way. ``hf_hub_download``'s HEAD goes through
  ``_httpx2_follow_hub_redirects_with_backoff``: it follows redirects itself, but only to the
  same origin or a known Hub host; a redirect elsewhere (a CDN) stops there and the
  ``X-Linked-Etag``/``X-Linked-Size``/``Location`` of that 3xx are the file metadata.
* Retries: ``model_info`` and the overview calls use ``get_session().get`` and never retry:
  a 429 or 503 raises ``HfHubHTTPError`` at once (one request). Paginated calls
  (``list_models``, ``list_repo_commits``, ``list_repo_tree``, ``list_organization_members``)
  go through ``http_backoff``, for the first page and every ``Link`` page: up to 5 retries
  (6 requests) on 408/429/500/502/503/504 and network errors, sleeping 1, 2, 4, 8, 8 s, or
  ``Retry-After`` + 1 s (the ``RateLimit`` reset + 1 s when it says ``r=0``), then
  ``hf_raise_for_status``. ``hf_hub_download`` first HEADs with no retry; on a 429/5xx (and
  no cached copy) it HEADs again with that backoff, then GETs with retries on 408/429 only
  (and resumes 5 times, 1 s apart, on connection errors).
* Errors come from headers, not bodies: ``X-Error-Code`` ``GatedRepo`` -> GatedRepoError (a
  RepositoryNotFoundError), ``RepoNotFound`` -> RepositoryNotFoundError, ``RevisionNotFound``
  -> RevisionNotFoundError, ``EntryNotFound`` -> RemoteEntryNotFoundError;
  ``X-Error-Message: Access to this resource is disabled.`` -> DisabledRepoError. A bare
  401 maps to RepositoryNotFoundError only for ``https://`` URLs (``REPO_API_REGEX``), so on
  this ``http://`` server the error code header is what makes it a RepositoryNotFoundError.
* ``hf_hub_download`` needs, on the HEAD: ``X-Repo-Commit`` and an ``ETag`` (or
  ``X-Linked-Etag``); without them it raises ``LocalEntryNotFoundError`` (caused by
  ``FileMetadataError``) unless the file is already cached. The size comes from
  ``X-Linked-Size`` or ``Content-Length``, and the file is stored under
  ``snapshots/<X-Repo-Commit>/``.
* A truncated JSON body raises ``json.JSONDecodeError`` from ``response.json()`` (not an
  ``HfHubHTTPError``), and is not retried.
* Exact URLs: ``GET /api/models/{id}?blobs=true&securityStatus=true&expand=a&expand=b``;
  ``GET /api/models?filter=a&filter=b&author=..&search=..&sort=..&limit=..&full=true`` then
  the ``Link`` URLs verbatim; ``GET /api/models/{id}/commits/main``;
  ``GET /api/models/{id}/tree/main[/{quote(path, safe='')}]?recursive=true&expand=false``;
  ``HEAD`` then ``GET /{id}/resolve/main/{quote(filename)}`` (the HEAD sends
  ``Accept-Encoding: identity``); ``GET /api/organizations/{name}/members`` and
  ``/overview``; ``GET /api/users/{name}/overview``. Every request carries
  ``X-Amzn-Trace-Id`` and a ``user-agent``; downloads add ``X-HF-Download-Counter: 1``.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email.message import Message
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from tests.replay.hub import (
    Commit,
    Fault,
    FaultRule,
    Hub,
    HubFile,
    HubModel,
    Organization,
    User,
    sha1_hex,
)
from tests.replay.serving import ReplayHandler, ThreadedServer

__all__ = [
    "EXPANDABLE",
    "HubServer",
    "LoggedRequest",
    "Paging",
    "hf_client_env",
]

EXPANDABLE: Final = frozenset(
    {
        "author",
        "baseModels",
        "cardData",
        "childrenModelCount",
        "config",
        "createdAt",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "evalResults",
        "gated",
        "gguf",
        "inference",
        "inferenceProviderMapping",
        "lastModified",
        "library_name",
        "likes",
        "mask_token",
        "model-index",
        "pipeline_tag",
        "private",
        "resourceGroup",
        "safetensors",
        "sha",
        "siblings",
        "spaces",
        "tags",
        "transformersInfo",
        "trendingScore",
        "usedStorage",
        "widgetData",
    }
)
"""The ``expand`` properties of models (huggingface_hub's ``ExpandModelProperty_T``)."""

MODEL_INFO_FIELDS: Final = (
    "_id",
    "id",
    "private",
    "pipeline_tag",
    "library_name",
    "tags",
    "downloads",
    "likes",
    "modelId",
    "author",
    "sha",
    "lastModified",
    "gated",
    "inference",
    "disabled",
    "mask_token",
    "widgetData",
    "model-index",
    "config",
    "cardData",
    "transformersInfo",
    "siblings",
    "spaces",
    "createdAt",
    "safetensors",
    "gguf",
    "inferenceProviderMapping",
    "usedStorage",
)
"""``GET /api/models/{id}`` fields, in the order of the recorded responses."""

LIST_FIELDS: Final = (
    "_id",
    "id",
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
)
"""``GET /api/models`` default fields."""

LIST_FULL_FIELDS: Final = (
    "_id",
    "id",
    "author",
    "gated",
    "inference",
    "lastModified",
    "likes",
    "trendingScore",
    "private",
    "sha",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
    "disabled",
    "siblings",
)
"""``GET /api/models?full=true`` fields."""

PUBLIC_GATED_FILES: Final = frozenset({"README.md", ".gitattributes"})
"""Files of a gated repo anyone may download (the card is public)."""

CDN: Final = "https://cdn-lfs.replay.invalid"
"""Where LFS files without content redirect: ``.invalid`` never resolves (RFC 2606)."""

REPO_KINDS: Final = frozenset({"model_info", "commits", "tree", "resolve", "repo_other"})
"""Request kinds about one repository (they go through the rename and existence checks)."""

SORTABLE: Final = frozenset(
    {"downloads", "downloadsAllTime", "likes", "createdAt", "lastModified", "trendingScore", "id"}
)
"""``sort`` keys of ``GET /api/models`` (an unknown one is a 400, as on the Hub)."""

_MISSING: Final = object()
_SUBROUTES: Final = frozenset({"revision", "commits", "tree", "refs", "paths-info", "discussions"})
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_AVATAR = "https://cdn-avatars.huggingface.co/v1/production/uploads/{}.png"


@dataclass(frozen=True)
class Paging:
    """Page sizes. The defaults are the Hub's; lower them to make tests page."""

    models: int = 1000
    tree: int = 1000
    tree_expand: int = 50
    commits: int = 50
    members: int = 500


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server answered.

    ``kind``: model_info, list_models, commits, tree, resolve, org_members, org_overview,
    user_overview or unknown. ``repo_id``: as requested (before a rename), for repo paths.
    ``fault``: the injected fault's kind, if one answered; ``redirect`` for a rename.
    ``headers``: the request headers (the client's user-agent, X-Amzn-Trace-Id, ...).
    """

    method: str
    path: str
    query: str
    kind: str
    repo_id: str | None
    status: int
    fault: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        """A request header, matched case-insensitively."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = "application/json; charset=utf-8"
    tag: str | None = None


# ------------------------------------------------------------------------- rendering


def _json(data: Any, status: int = 200, headers: Sequence[tuple[str, str]] = ()) -> _Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    etag = f'W/"{len(body):x}-{sha1_hex(body)[:27]}"'
    return _Response(status, body, [("ETag", etag), *headers])


def _error(status: int, message: str, code: str | None = None, **headers: str) -> _Response:
    hdrs = [("X-Error-Message", message), *headers.items()]
    if code is not None:
        hdrs.append(("X-Error-Code", code))
    return _json({"error": message}, status, [(k.replace("_", "-"), v) for k, v in hdrs])


def _fault_response(fault: Fault) -> _Response:
    return _Response(fault.status, fault.body, list(fault.headers), fault.content_type, fault.kind)


def _flag(query: Mapping[str, list[str]], name: str) -> bool:
    return any(v.lower() in ("true", "1", "") for v in query.get(name, []))


def _expand(query: Mapping[str, list[str]]) -> list[str]:
    values = [*query.get("expand", []), *query.get("expand[]", [])]
    return [v for item in values for v in item.split(",") if v]


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _offset(query: Mapping[str, list[str]]) -> int:
    raw = query.get("cursor", [""])[0]
    if not raw:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["offset"])
    except (ValueError, KeyError, TypeError):
        return 0


def _sibling(f: HubFile, blobs: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"rfilename": f.path}
    if blobs:
        item["size"] = f.size
        item["blobId"] = f.oid
        if f.lfs is not None:
            item["lfs"] = {
                "sha256": f.lfs.sha256,
                "size": f.lfs.size,
                "pointerSize": len(f.lfs.pointer),
            }
    return item


def _commit_json(c: Commit, formatted: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "message": c.message,
        "authors": [{"user": a, "avatar": _AVATAR.format(a)} for a in c.authors],
        "date": c.date,
    }
    if formatted:
        item["formatted"] = {"title": f"<p>{c.title}</p>", "message": f"<p>{c.message}</p>"}
    return item


def _user_item(user: User) -> dict[str, Any]:
    return {
        "avatarUrl": _AVATAR.format(user.name),
        "fullname": user.fullname or user.name,
        "isPro": user.is_pro,
        "user": user.name,
        "type": "user",
        "isFollowing": False,
    }


def _org_item(org: Organization) -> dict[str, Any]:
    return {
        "avatarUrl": _AVATAR.format(org.name),
        "fullname": org.fullname or org.name,
        "name": org.name,
        "isVerified": org.verified,
        "type": "org",
    }


class _Router:
    """Maps a request to a response. No sockets: HubServer feeds it."""

    def __init__(self, hub: Hub, paging: Paging, base_url: str) -> None:
        self.hub = hub
        self.paging = paging
        self.base_url = base_url

    # -- classification
    def split_repo(self, segments: list[str]) -> tuple[str, list[str]]:
        """``[ns, name, *rest]`` or ``[legacy-name, *rest]`` -> (repo id, rest)."""
        known = self.hub.models.keys() | self.hub.aliases.keys()
        if len(segments) >= 2 and f"{segments[0]}/{segments[1]}" in known:
            return f"{segments[0]}/{segments[1]}", segments[2:]
        if segments[0] in known or len(segments) == 1 or segments[1] in _SUBROUTES:
            return segments[0], segments[1:]
        return f"{segments[0]}/{segments[1]}", segments[2:]

    def classify(self, path: str) -> tuple[str, str | None, list[str]]:
        """(kind, repo id or org/user name, remaining unquoted segments).

        Kinds of repo paths are in REPO_KINDS; ``repo_other`` is a repo path this server does
        not serve (after the repo checks it is a 404, logged as ``unknown``).
        """
        segments = [unquote(s) for s in path.strip("/").split("/")]
        if path.rstrip("/") == "/api/models":
            return "list_models", None, []
        if path.startswith("/api/models/") and len(segments) > 2:
            repo_id, rest = self.split_repo(segments[2:])
            first = rest[0] if rest else ""
            kind = {
                "": "model_info",
                "revision": "model_info",
                "commits": "commits",
                "tree": "tree",
            }.get(first, "repo_other")
            return kind, repo_id, rest
        if len(segments) == 4 and segments[:2] == ["api", "organizations"]:
            kind = {"members": "org_members", "overview": "org_overview"}.get(
                segments[3], "unknown"
            )
            return kind, segments[2], []
        if len(segments) == 4 and segments[:2] == ["api", "users"] and segments[3] == "overview":
            return "user_overview", segments[2], []
        if len(segments) >= 4 and segments[2] == "resolve":
            return "resolve", f"{segments[0]}/{segments[1]}", segments[3:]
        if len(segments) >= 3 and segments[1] == "resolve":
            return "resolve", segments[0], segments[2:]
        return "unknown", None, []

    # -- dispatch
    def respond(
        self, method: str, target: str, headers: Message
    ) -> tuple[_Response, str, str | None]:
        """(response, kind, repo id or org/user name) for one request."""
        parts = urlsplit(target)
        path, raw_query = parts.path, parts.query
        query = parse_qs(raw_query, keep_blank_values=True)
        kind, name, rest = self.classify(path)
        try:
            resp = self.dispatch(method, path, raw_query, query, kind, name, rest, headers)
        except Exception as exc:  # a bug here must reach the test as a 500, not a reset
            resp = _error(500, f"replay server error: {exc!r}")
        return resp, kind, name

    def dispatch(
        self,
        method: str,
        path: str,
        raw_query: str,
        query: Mapping[str, list[str]],
        kind: str,
        name: str | None,
        rest: list[str],
        headers: Message,
    ) -> _Response:
        for rule in self.hub.faults:
            fault = rule.fire(method, path)
            if fault is not None:
                return _fault_response(fault)
        if method not in ("GET", "HEAD"):
            return _error(405, f"Method {method} not allowed")
        authenticated = "authorization" in {k.lower() for k in headers}
        if kind in REPO_KINDS and name is not None:
            model = self.hub.models.get(name)
            if model is None:
                new = self.hub.canonical_id(name)
                if new is not None:
                    return self.rename(path, raw_query, name, new)
            if model is None or model.private:
                status = 404 if authenticated else 401
                return _error(status, "Repository not found", "RepoNotFound")
            if kind == "model_info":
                return self.model_info(model, rest, query)
            if kind == "commits":
                return self.commits(model, rest, query, path)
            if kind == "tree":
                return self.tree(model, rest, query, path)
            if kind == "resolve":
                return self.resolve(method, model, rest, headers, authenticated)
        if kind == "list_models":
            return self.list_models(query, path)
        if kind in ("org_members", "org_overview") and name is not None:
            return self.organization(kind, name, query, path)
        if kind == "user_overview" and name is not None:
            return self.user_overview(name)
        return _error(404, "Sorry, we can't find the page you are looking for.")

    def rename(self, path: str, raw_query: str, old: str, new: str) -> _Response:
        """The Hub's reply for a renamed repo: 307 to the same path under the new id."""
        prefix = "/api/models/" if path.startswith("/api/models/") else "/"
        location = prefix + new + path[len(prefix) + len(old) :]
        if raw_query:
            location += "?" + raw_query
        return _fault_response(Fault.redirect(location))

    def revision(self, model: HubModel, rev: str) -> int | None:
        """Index in ``model.commits`` of a branch name or commit id (None if unknown)."""
        if rev == "main":
            return 0
        for i, c in enumerate(model.commits):
            if c.id == rev or (len(rev) >= 7 and c.id.startswith(rev)):
                return i
        return None

    def link(self, path: str, params: Mapping[str, list[str]] | Sequence[tuple[str, str]]) -> str:
        return f'<{self.base_url}{path}?{urlencode(params, doseq=True)}>; rel="next"'

    # -- models
    def prop(
        self, model: HubModel, name: str, *, blobs: bool = False, sha: str | None = None
    ) -> Any:
        """One model-info property, or _MISSING when the Hub would leave it out."""
        extra = model.extra
        match name:
            case "_id":
                return extra.get("_id", sha1_hex("_id", model.id)[:24])
            case "id" | "modelId":
                return model.id
            case "author":
                return model.author if model.author is not None else _MISSING
            case "sha":
                return sha or model.sha
            case "createdAt":
                return model.created_at
            case "lastModified":
                return model.last_modified
            case "private":
                return model.private
            case "gated":
                return model.gated
            case "disabled":
                return model.disabled
            case "downloads":
                return model.downloads
            case "downloadsAllTime":
                return extra.get(name, model.downloads * 12)
            case "likes":
                return model.likes
            case "trendingScore":
                return extra.get(name, 0)
            case "tags":
                return list(model.tags)
            case "library_name" | "pipeline_tag":
                value = getattr(model, name)
                return _MISSING if value is None else value
            case "cardData":
                return dict(model.card_data) if model.card_data is not None else _MISSING
            case "config":
                return dict(model.config) if model.config is not None else _MISSING
            case "siblings":
                return [_sibling(f, blobs) for f in model.files]
            case "safetensors":
                return dict(model.safetensors) if model.safetensors else _MISSING
            case "securityRepoStatus":
                return dict(model.security_status) if model.security_status else _MISSING
            case "spaces":
                return extra.get(name, [])
            case "usedStorage":
                return extra.get(name, sum(f.size for f in model.files))
            case "baseModels":
                if not model.base_models:
                    return _MISSING
                relation = model.base_relation or "finetune"
                return {"relation": relation, "models": [{"id": b} for b in model.base_models]}
            case "childrenModelCount":
                return len(self.hub.children(model.id))
            case _:
                return extra.get(name, _MISSING)

    def model_json(
        self,
        model: HubModel,
        fields: Sequence[str],
        *,
        blobs: bool = False,
        sha: str | None = None,
        listing: bool = False,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in fields:
            value = self.prop(model, name, blobs=blobs, sha=sha)
            if value is _MISSING:
                continue
            if listing and name == "inferenceProviderMapping" and isinstance(value, dict):
                value = [{"provider": k, **v} for k, v in value.items()]
            out[name] = value
        return out

    def model_info(
        self, model: HubModel, rest: list[str], query: Mapping[str, list[str]]
    ) -> _Response:
        sha = model.sha
        if rest:  # ["revision", rev...]
            rev = "/".join(rest[1:])
            index = self.revision(model, rev) if len(rest) > 1 else None
            if index is None:
                return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            sha = model.commits[index].id if model.commits else model.sha
        expand = _expand(query)
        if expand:
            unknown = sorted(set(expand) - EXPANDABLE)
            if unknown:
                return _error(400, f'"expand" contains unknown properties: {", ".join(unknown)}')
            fields: list[str] = ["_id", "id", *dict.fromkeys(expand)]
            return _json(self.model_json(model, fields, sha=sha))
        fields = list(MODEL_INFO_FIELDS)
        if _flag(query, "securityStatus"):
            fields.insert(fields.index("siblings"), "securityRepoStatus")
        data = self.model_json(model, fields, blobs=_flag(query, "blobs"), sha=sha)
        return _json(data)

    def list_models(self, query: Mapping[str, list[str]], path: str) -> _Response:
        filters = query.get("filter", [])
        author = query.get("author", [None])[0]
        search = (query.get("search", [""])[0] or "").lower()
        pipeline = query.get("pipeline_tag", [None])[0]
        gated = query.get("gated", [None])[0]
        hits: list[HubModel] = []
        for m in self.hub.models.values():
            if m.private:
                continue
            tags = {*m.tags, m.library_name, m.pipeline_tag}
            if filters and not all(f in tags for f in filters):
                continue
            if author and m.namespace != author:
                continue
            if search and search not in m.id.lower():
                continue
            if pipeline and m.pipeline_tag != pipeline:
                continue
            if gated is not None and (m.gated is not False) != (gated.lower() == "true"):
                continue
            hits.append(m)
        sort = query.get("sort", [None])[0]
        if sort and sort not in SORTABLE:
            return _error(400, f'"sort" must be one of {", ".join(sorted(SORTABLE))}')
        if sort:
            descending = query.get("direction", ["-1"])[0] != "1"
            hits.sort(key=lambda m: self.prop(m, sort), reverse=descending)
        expand = _expand(query)
        if expand:
            unknown = sorted(set(expand) - EXPANDABLE)
            if unknown:
                return _error(400, f'"expand" contains unknown properties: {", ".join(unknown)}')
            fields: list[str] = ["_id", "id", *dict.fromkeys(expand)]
        else:
            fields = list(LIST_FULL_FIELDS if _flag(query, "full") else LIST_FIELDS)
            if _flag(query, "config"):
                fields.append("config")
            if _flag(query, "cardData"):
                fields.append("cardData")
        size = self.paging.models
        if query.get("limit"):
            size = max(1, min(size, int(query["limit"][0])))
        start = _offset(query)
        page = [self.model_json(m, fields, listing=True) for m in hits[start : start + size]]
        headers: list[tuple[str, str]] = []
        if start + size < len(hits):
            params = {k: v for k, v in query.items() if k != "cursor"}
            params["cursor"] = [_cursor(start + size)]
            headers.append(("Link", self.link(path, params)))
        return _json(page, headers=headers)

    def commits(
        self, model: HubModel, rest: list[str], query: Mapping[str, list[str]], path: str
    ) -> _Response:
        rev = "/".join(rest[1:]) or "main"
        first = self.revision(model, rev)
        if first is None:
            return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        page_no = int(query.get("p", ["0"])[0] or 0)
        size = self.paging.commits
        history = model.commits[first:]
        formatted = "formatted" in _expand(query)
        # The Hub lists users as commit authors, never an organisation: a commit made up for a
        # recorded model (authored by its owner) loses an owner that is an organisation here
        orgs = self.hub.organizations
        items = [
            _commit_json(
                replace(c, authors=tuple(a for a in c.authors if a not in orgs)), formatted
            )
            for c in history[page_no * size : (page_no + 1) * size]
        ]
        headers: list[tuple[str, str]] = [("X-Total-Count", str(len(history)))]
        if (page_no + 1) * size < len(history):
            params = {k: v for k, v in query.items() if k != "p"}
            params["p"] = [str(page_no + 1)]
            headers.append(("Link", self.link(path, params)))
        return _json(items, headers=headers)

    def tree(
        self, model: HubModel, rest: list[str], query: Mapping[str, list[str]], path: str
    ) -> _Response:
        rev = rest[1] if len(rest) > 1 else "main"
        index = self.revision(model, rev)
        if index is None:
            return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        prefix = "/".join(rest[2:]).strip("/")
        recursive = _flag(query, "recursive")
        expand = _flag(query, "expand")
        directories: set[str] = set()
        for f in model.files:
            parts = f.path.split("/")
            directories.update("/".join(parts[:i]) for i in range(1, len(parts)))
        if prefix and prefix not in directories:
            return _error(404, f"Entry not found: {prefix}", "EntryNotFound")
        under = prefix + "/" if prefix else ""

        def wanted(p: str) -> bool:
            return p.startswith(under) and (recursive or "/" not in p[len(under) :])

        commit = model.commits[index] if model.commits else None
        last = {"id": commit.id, "title": commit.title, "date": commit.date} if commit else None
        entries: list[dict[str, Any]] = []
        for d in sorted(p for p in directories if wanted(p)):
            entry: dict[str, Any] = {
                "type": "directory",
                "oid": sha1_hex("tree", model.sha, d),
                "size": 0,
                "path": d,
            }
            if expand and last:
                entry["lastCommit"] = last
            entries.append(entry)
        for f in sorted((f for f in model.files if wanted(f.path)), key=lambda f: f.path):
            entry = {"type": "file", "oid": f.oid, "size": f.size, "path": f.path}
            if f.lfs is not None:
                entry["lfs"] = {
                    "oid": f.lfs.sha256,
                    "size": f.lfs.size,
                    "pointerSize": len(f.lfs.pointer),
                }
            if expand:
                if last:
                    entry["lastCommit"] = last
                entry["securityFileStatus"] = _security(f)
            entries.append(entry)
        size = self.paging.tree_expand if expand else self.paging.tree
        start = _offset(query)
        headers: list[tuple[str, str]] = []
        if start + size < len(entries):
            params = {k: v for k, v in query.items() if k != "cursor"}
            params["cursor"] = [_cursor(start + size)]
            headers.append(("Link", self.link(path, params)))
        return _json(entries[start : start + size], headers=headers)

    def resolve(
        self,
        method: str,
        model: HubModel,
        rest: list[str],
        headers: Message,
        authenticated: bool,
    ) -> _Response:
        if len(rest) < 2:
            return _error(404, "Entry not found", "EntryNotFound")
        rev, filename = rest[0], "/".join(rest[1:])
        index = self.revision(model, rev)
        if index is None:
            return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        commit = model.commits[index].id if model.commits else model.sha
        if model.gated and filename not in PUBLIC_GATED_FILES:
            return _fault_response(Fault.gated(model.id, authenticated=authenticated))
        f = model.file(filename)
        if f is None:
            return _error(404, "Entry not found", "EntryNotFound", X_Repo_Commit=commit)
        common = [("X-Repo-Commit", commit), ("Accept-Ranges", "bytes")]
        if f.lfs is not None:
            etag = f'"{f.lfs.sha256}"'
            common += [("X-Linked-Etag", etag), ("X-Linked-Size", str(f.size))]
        else:
            etag = f'"{f.oid}"'
        if f.content is None:
            assert f.lfs is not None
            location = f"{CDN}/repos/{sha1_hex(model.id)[:2]}/{sha1_hex(model.id)}/{f.lfs.sha256}"
            body = f"Found. Redirecting to {location}".encode()
            return _Response(
                302, body, [*common, ("Location", location)], "text/plain; charset=utf-8"
            )
        disposition = f"inline; filename*=UTF-8''{quote(filename.rsplit('/', 1)[-1])}"
        out_headers = [*common, ("ETag", etag), ("Content-Disposition", disposition)]
        content_type = (
            "application/octet-stream"
            if f.lfs is not None
            else (mimetypes.guess_type(filename)[0] or "text/plain") + "; charset=utf-8"
        )
        body = f.content
        match = _RANGE.match(headers.get("Range", "") or "")
        if method == "GET" and match and (match.group(1) or match.group(2)):
            first, last = match.groups()
            total = len(body)
            if first:
                lo, hi = int(first), min(int(last) if last else total - 1, total - 1)
            else:
                lo, hi = max(total - int(last), 0), total - 1
            if lo >= total:
                return _Response(416, b"", [("Content-Range", f"bytes */{total}")], "text/plain")
            out_headers.append(("Content-Range", f"bytes {lo}-{hi}/{total}"))
            return _Response(206, body[lo : hi + 1], out_headers, content_type)
        return _Response(200, body, out_headers, content_type)

    # -- organisations and users
    def organization(
        self, kind: str, name: str, query: Mapping[str, list[str]], path: str
    ) -> _Response:
        org = self.hub.organizations.get(name)
        if org is None:
            return _error(404, "Organization not found")
        if kind == "org_overview":
            return _json(
                {
                    **_org_item(org),
                    "details": org.details or "",
                    "isFollowing": False,
                    "numUsers": len(org.members),
                    "numModels": sum(1 for m in self.hub.models_of(name) if not m.private),
                    "numSpaces": 0,
                    "numDatasets": 0,
                    "numFollowers": org.num_followers,
                    "numPapers": 0,
                }
            )
        members = [self.hub.users.get(u) or User(u) for u in org.members]
        start, size = _offset(query), self.paging.members
        headers: list[tuple[str, str]] = []
        if start + size < len(members):
            params = {k: v for k, v in query.items() if k != "cursor"}
            params["cursor"] = [_cursor(start + size)]
            headers.append(("Link", self.link(path, params)))
        return _json([_user_item(u) for u in members[start : start + size]], headers=headers)

    def user_overview(self, name: str) -> _Response:
        user = self.hub.users.get(name)
        if user is None:
            return _error(404, "User not found")
        orgs = [o for o in self.hub.organizations.values() if name in o.members]
        models = [m for m in self.hub.models_of(name) if not m.private]
        return _json(
            {
                "_id": sha1_hex("user", name)[:24],
                **_user_item(user),
                "details": user.details or "",
                "numModels": len(models),
                "numDatasets": 0,
                "numSpaces": 0,
                "numDiscussions": 0,
                "numPapers": 0,
                "numUpvotes": 0,
                "numLikes": 0,
                "numFollowing": 0,
                "numFollowers": 0,
                "orgs": [_org_item(o) for o in orgs],
                "createdAt": user.created_at,
            }
        )


def _security(f: HubFile) -> dict[str, Any]:
    pickle_scan = None
    if f.is_pickle:
        pickle_scan = {
            "highestSafetyLevel": "innocuous",
            "imports": [
                {"module": "torch._utils", "name": "_rebuild_tensor_v2", "safety": "innocuous"},
                {"module": "collections", "name": "OrderedDict", "safety": "innocuous"},
            ],
        }
    return {
        "status": "safe",
        "avScan": {"virusFound": False, "virusNames": None},
        "pickleImportScan": pickle_scan,
    }


# ---------------------------------------------------------------------------- server


class _Handler(ReplayHandler):
    server_version = "hub-replay/1.0"
    timeout = 10  # idle keep-alive connections close after this many seconds
    server: _HTTPServer

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        resp = self.server.owner._handle(method, self.path, self.headers)
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        self.send_header("X-Request-Id", f"Root=1-{uuid.uuid4().hex[:24]}")
        self.send_header("X-Powered-By", "huggingface-moon")
        for key, value in resp.headers:
            self.send_header(key, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(resp.body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], owner: HubServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class HubServer(ThreadedServer):
    """A threaded Hub on ``host:port`` (port 0: a free one) serving ``hub``.

    Use as a context manager (or ``start()``/``stop()``). Counters, for tests and benchmarks:
    ``requests`` (Counter by kind: model_info, list_models, commits, tree, resolve,
    org_members, org_overview, user_overview, unknown), ``repo_requests`` (Counter by
    requested repo id), ``log`` (every :class:`LoggedRequest`, in arrival order).
    """

    thread_name = "hub-replay"

    def __init__(
        self,
        hub: Hub,
        *,
        paging: Paging | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
    ) -> None:
        self.hub = hub
        self.latency = latency
        """Seconds each answer waits first: the round trip of a real network, for benchmarks."""
        self.paging = paging or Paging()
        self.requests: Counter[str] = Counter()
        self.repo_requests: Counter[str] = Counter()
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd = _HTTPServer((host, port), self)
        self.host: str = host
        self.port: int = self._httpd.server_port
        self.url = f"http://{self.host}:{self.port}"
        self._router = _Router(hub, self.paging, self.url)
        self._thread: threading.Thread | None = None

    # -- faults
    def add_fault(self, pattern: str, fault: Fault) -> FaultRule:
        """Answer requests whose path matches the glob ``pattern`` with ``fault``."""
        return self.hub.add_fault(pattern, fault)

    # -- counters
    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.repo_requests.clear()
            self.log.clear()

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def count(self, kind: str | None = None, repo_id: str | None = None) -> int:
        """Requests of one kind and/or for one repo id (as requested)."""
        with self._lock:
            return sum(
                1
                for r in self.log
                if (kind is None or r.kind == kind) and (repo_id is None or r.repo_id == repo_id)
            )

    def requests_per_model(self) -> float:
        """Requests per distinct model asked for (repo paths only), for benchmark reports."""
        with self._lock:
            models = len(self.repo_requests)
            return sum(self.repo_requests.values()) / models if models else 0.0

    def _handle(self, method: str, target: str, headers: Message) -> _Response:
        if self.latency:
            time.sleep(self.latency)
        resp, kind, name = self._router.respond(method, target, headers)
        parts = urlsplit(target)
        is_repo = kind in REPO_KINDS
        kind = "unknown" if kind == "repo_other" else kind
        entry = LoggedRequest(
            method,
            parts.path,
            parts.query,
            kind,
            name if is_repo else None,
            resp.status,
            resp.tag,
            tuple(headers.items()),
        )
        with self._lock:
            self.requests[kind] += 1
            if is_repo and name is not None:
                self.repo_requests[name] += 1
            self.log.append(entry)
        return resp

    def __repr__(self) -> str:
        state = "running" if self._thread else "stopped"
        return f"HubServer({self.url}, {state}, {self.total} requests, {self.hub!r})"


# ------------------------------------------------------------------------ client env


@contextmanager
def hf_client_env(home: Path) -> Iterator[None]:
    """Run the real huggingface_hub client isolated under ``home``; restore on exit.

    Sets ``HF_HOME`` (and the cache and token paths) to ``home``, ``HF_HUB_DISABLE_TELEMETRY``
    and ``HF_HUB_DISABLE_IMPLICIT_TOKEN``, unsets ``HF_HUB_OFFLINE``, ``HF_TOKEN`` and
    ``HF_ENDPOINT``, and patches the matching ``huggingface_hub.constants`` (read at import)
    so the user's token and cache are never touched and requests are allowed. Still pass
    ``endpoint=server.url`` (and ``token=False`` for good measure) to every call.
    """
    import huggingface_hub.constants as constants
    from huggingface_hub.utils.tqdm import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    env = {
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(home / "hub"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    unset = (
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_ENDPOINT",
    )
    patches: dict[str, Any] = {
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(home / "hub"),
        "HUGGINGFACE_HUB_CACHE": str(home / "hub"),
        "HF_ASSETS_CACHE": str(home / "assets"),
        "HF_TOKEN_PATH": str(home / "token"),
        "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
        "HF_HUB_OFFLINE": False,
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": True,
    }
    saved_env = {k: os.environ.get(k) for k in (*env, *unset)}
    saved_constants = {k: getattr(constants, k) for k in patches if hasattr(constants, k)}
    bars_were_disabled = are_progress_bars_disabled()
    home.mkdir(parents=True, exist_ok=True)
    try:
        for k in unset:
            os.environ.pop(k, None)
        os.environ.update(env)
        for k, v in patches.items():
            setattr(constants, k, v)
        disable_progress_bars()
        yield
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        for k, v in saved_constants.items():
            setattr(constants, k, v)
        if not bars_were_disabled:
            enable_progress_bars()
