"""Crawl the Hugging Face Hub with the real ``huggingface_hub`` client into the knowledge base.

    >>> from mlsc.graph import open_store
    >>> from mlsc.ingest.hf import CrawlOptions, crawl_hub
    >>> with open_store() as store:                                        # doctest: +SKIP
    ...     report = crawl_hub(store, CrawlOptions(models=("meta-llama/Llama-3.1-8B",),
    ...                                            descendants=True, depth=1))

What one model costs (requests): its ``model_info`` (card data, tags, config, files with
sizes and LFS sha256, the Hub's security status), then, when the repository has them, its
README.md (card text and front matter, checked here), adapter_config.json and
mergekit_config.yml, and its commit list. Owners are looked up once per crawl (organisation
overview and members, or user overview). Descendants come from listing models by the
``base_model:`` tags (each relation, and the bare tag), ancestors from declared bases.

The crawl is polite and robust: bounded concurrency (``workers``), a shared request rate,
retries with backoff that honour ``Retry-After`` on 429 and 5xx, timeouts. Gated, private,
disabled and missing repositories are recorded and skipped with a reason; a model that was in
the knowledge base and is now gone is marked ``removed``, never deleted. Models are written
in batches, and a journal beside the knowledge base records what is done, so an interrupted
crawl resumes where it stopped; writes are idempotent, so a re-run adds nothing twice.
``since`` re-crawls only what the Hub says changed. Tokens come from ``HF_TOKEN`` or the
user's login (huggingface_hub's own lookup) and are never printed or logged.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from mlsc.errors import InputError, MlscError
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.ingest.interface import MAX_TEXT, Problem, Progress
from mlsc.ingest.lineage import declared_parents
from mlsc.vocab import HUB, file_format, github_repos_in, is_valid_repo_id, utc_iso, utc_now

SOURCE = "hf-crawl"
TAG_RELATIONS = ("finetune", "adapter", "quantized", "merge")
"""The relations the Hub puts in ``base_model:<relation>:<id>`` tags."""
MAX_FILE_BYTES = 1 << 20
"""README, config and adapter files larger than this are not read (real ones are KiBs)."""
MAX_SIBLINGS = 5_000
"""Files per repository beyond this many are cut, with a warning."""

# -- options and report ---------------------------------------------------------------------


@dataclass(frozen=True)
class CrawlOptions:
    """What to crawl and how politely."""

    models: tuple[str, ...] = ()
    ancestors: bool = False
    descendants: bool = False
    depth: int | None = None
    """Hops from the seed models for ancestors and descendants (None: no limit)."""
    authors: tuple[str, ...] = ()
    search: str | None = None
    limit: int | None = None
    """At most this many models are fetched in all."""
    since: str | None = None
    """ISO date or ``last`` (the previous complete crawl of the same plan)."""
    workers: int = 4
    rate: float = 10.0
    """Requests per second across all workers; 0 for no limit."""
    retries: int = 5
    max_wait: float = 300.0
    """Longest single wait for Retry-After or backoff, in seconds."""
    timeout: float = 30.0
    commits: bool = True
    owners: bool = True
    endpoint: str | None = None
    """Hub URL; default ``HF_ENDPOINT`` or https://huggingface.co."""
    token: str | bool | None = None
    """None: ``HF_TOKEN`` or the stored login; False: anonymous."""
    journal: Path | None = None
    """Where the resumable crawl state lives; None: no journal."""
    batch: int = 100
    """Models per write."""
    observed_at: str | None = None

    def plan_key(self) -> str:
        """Identifies the crawl plan (not its politeness) for resuming and ``since last``."""
        plan = [
            sorted(self.models),
            self.ancestors,
            self.descendants,
            self.depth,
            sorted(self.authors),
            self.search,
            self.limit,
            self.endpoint,
        ]
        return hashlib.sha256(orjson.dumps(plan)).hexdigest()[:16]


@dataclass
class CrawlReport:
    """Counts of a crawl. Mutable while it runs; read it at the end."""

    endpoint: str
    models: int = 0
    unchanged: int = 0
    placeholders: int = 0
    edges: Counter[str] = field(default_factory=Counter)
    evidence: Counter[str] = field(default_factory=Counter)
    files: int = 0
    pickle_files: int = 0
    commits: int = 0
    actors: int = 0
    organisations: int = 0
    memberships: int = 0
    datasets: int = 0
    aliases: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    requests: int = 0
    resumed: int = 0
    seconds: float = 0.0
    since: str | None = None

    def add(self, problem: Problem) -> None:
        (self.skipped if problem.severity == "skipped" else self.warnings)[problem.reason] += 1
        if len(self.problems) < 10_000:
            self.problems.append(problem)

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "models": self.models,
            "unchanged": self.unchanged,
            "placeholders": self.placeholders,
            "edges": sum(self.edges.values()),
            "edges_by_relation": dict(sorted(self.edges.items())),
            "evidence": dict(sorted(self.evidence.items())),
            "files": self.files,
            "pickle_files": self.pickle_files,
            "commits": self.commits,
            "actors": self.actors,
            "organisations": self.organisations,
            "memberships": self.memberships,
            "datasets": self.datasets,
            "aliases": dict(sorted(self.aliases.items())),
            "removed": sorted(self.removed),
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
            "warnings_by_reason": dict(sorted(self.warnings.items())),
            "requests": self.requests,
            "requests_per_model": round(self.requests / self.models, 2) if self.models else None,
            "resumed": self.resumed,
            "since": self.since,
            "seconds": round(self.seconds, 3),
            "problems": [p.to_json() for p in self.problems],
        }


class HubUnreachable(MlscError):
    """The Hub (or the configured endpoint) does not answer at all."""


class _Skip(Exception):
    """A repository that cannot be crawled, with the reason recorded in the report."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


# -- the polite client ------------------------------------------------------------------------


class _RateLimit:
    """At most ``rate`` calls per second across threads (0: unlimited)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


def _retry_after(headers: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


_CALLER: ContextVar[_Client | None] = ContextVar("mlsc_hf_caller", default=None)
_HOOK_LOCK = threading.Lock()


def _count_request(request: Any) -> None:
    """An httpx request hook: counts every request the client sends inside a crawl's call
    (each redirect hop and each page included), for the crawl that made it."""
    caller = _CALLER.get()
    if caller is not None:
        caller._count()


def _hook_session() -> None:
    """Put the request counter on huggingface_hub's shared session (once per session)."""
    from huggingface_hub.utils._http import get_session

    hooks = get_session().event_hooks["request"]
    if _count_request not in hooks:
        with _HOOK_LOCK:
            if _count_request not in hooks:
                hooks.append(_count_request)


class _Client:
    """huggingface_hub's HfApi with our rate limit, retries and error classification."""

    def __init__(
        self, options: CrawlOptions, report: CrawlReport, sleep: Callable[[float], None]
    ) -> None:
        from huggingface_hub import HfApi, constants

        self.options = options
        self.endpoint = (options.endpoint or constants.ENDPOINT).rstrip("/")
        self.api = HfApi(endpoint=self.endpoint, token=options.token)
        self.report = report
        self._limit = _RateLimit(options.rate)
        self._lock = threading.Lock()
        self._sleep = sleep
        self._answered = False

    def _count(self) -> None:
        with self._lock:
            self.report.requests += 1

    def call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one Hub call (one request, or one page of a listing) with retries; raise
        _Skip when it cannot succeed, HubUnreachable when the Hub never answered at all.
        Every request it sends (redirect hops included) counts in ``report.requests``."""
        import httpx2
        from huggingface_hub.errors import (
            DisabledRepoError,
            GatedRepoError,
            HfHubHTTPError,
            RemoteEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        attempt = 0
        while True:
            self._limit.wait()
            _hook_session()
            caller = _CALLER.set(self)
            try:
                result = fn()
                self._answered = True
                return result
            except GatedRepoError:
                self._answered = True
                raise _Skip("gated", f"{what}: gated; accept its conditions on the Hub") from None
            except DisabledRepoError:
                self._answered = True
                raise _Skip("disabled", f"{what}: disabled by the Hub") from None
            except RepositoryNotFoundError:
                self._answered = True
                raise _Skip(
                    "missing", f"{what}: not found (deleted, renamed away, or private)"
                ) from None
            except (RevisionNotFoundError, RemoteEntryNotFoundError):
                self._answered = True
                raise _Skip("missing-file", f"{what}: not found") from None
            except HfHubHTTPError as exc:
                self._answered = True
                response = exc.response
                status = response.status_code if response is not None else 0
                if status == 401:
                    raise _Skip("private", f"{what}: needs authentication (private?)") from None
                if status == 429 or status >= 500:
                    reason = "rate-limited" if status == 429 else "server-error"
                    wait = _retry_after(response.headers if response is not None else None)
                    if attempt >= self.options.retries:
                        raise _Skip(
                            reason, f"{what}: HTTP {status} after {attempt + 1} attempts"
                        ) from None
                    backoff = wait if wait is not None else min(2.0**attempt, 60.0)
                    if backoff > self.options.max_wait:
                        raise _Skip(
                            reason,
                            f"{what}: HTTP {status}, Retry-After {backoff:.0f} s exceeds "
                            f"--max-wait {self.options.max_wait:.0f} s",
                        ) from None
                    attempt += 1
                    self._sleep(backoff)
                    continue
                raise _Skip(f"http-{status}", f"{what}: HTTP {status}") from None
            except (json.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
                self._answered = True
                raise _Skip(
                    "malformed-response", f"{what}: unreadable answer ({type(exc).__name__})"
                ) from None
            except (httpx2.TransportError, OSError) as exc:
                if attempt >= self.options.retries:
                    if not self._answered:
                        raise HubUnreachable(
                            f"the Hub at {self.endpoint} does not answer ({type(exc).__name__})",
                            hint="Check the network, HF_ENDPOINT or --endpoint.",
                        ) from None
                    raise _Skip("unreachable", f"{what}: {type(exc).__name__}") from None
                attempt += 1
                self._sleep(min(2.0**attempt, 30.0))
            finally:
                _CALLER.reset(caller)

    # -- the calls -------------------------------------------------------------------------

    def model_info(self, repo_id: str) -> Any:
        return self.call(
            repo_id,
            lambda: self.api.model_info(
                repo_id, files_metadata=True, securityStatus=True, timeout=self.options.timeout
            ),
        )

    def text_file(self, repo_id: str, revision: str | None, filename: str) -> str | None:
        """A small text file of the repository, or None when absent or too large."""
        from huggingface_hub import hf_hub_url
        from huggingface_hub.utils._headers import build_hf_headers
        from huggingface_hub.utils._http import get_session, hf_raise_for_status

        url = hf_hub_url(repo_id, filename, revision=revision, endpoint=self.endpoint)

        def fetch() -> str | None:
            headers = build_hf_headers(token=self.options.token)
            with get_session().stream(
                "GET", url, headers=headers, follow_redirects=True, timeout=self.options.timeout
            ) as response:
                hf_raise_for_status(response)
                data = b""
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_FILE_BYTES:
                        return None
            return data.decode("utf-8", errors="replace")

        try:
            result: str | None = self.call(f"{repo_id}/{filename}", fetch)
        except _Skip as skip:
            if skip.reason in ("missing-file", "missing"):
                return None
            raise
        return result

    def pages(
        self, what: str, url: str, params: dict[str, Any], parse: Callable[[Any], Any]
    ) -> list[Any]:
        """Every item of a paginated Hub listing, ``parse``d. Each page is one call, so one
        request retried and waited for as this crawl says: huggingface_hub's own paging
        retries each page 5 times and sleeps up to Retry-After + 1 s each time, whatever
        --retries and --max-wait say, and a failed page would restart the whole walk."""
        from huggingface_hub.utils._headers import build_hf_headers
        from huggingface_hub.utils._http import get_session, hf_raise_for_status

        headers = build_hf_headers(token=self.options.token)
        items: list[Any] = []
        target: str | None = url
        query: dict[str, Any] | None = params
        while target is not None:

            def page(
                target: str = target, query: dict[str, Any] | None = query
            ) -> tuple[list[Any], str | None]:
                response = get_session().get(
                    target, params=query, headers=headers, timeout=self.options.timeout
                )
                hf_raise_for_status(response)
                data = response.json()
                if not isinstance(data, list):
                    raise TypeError("a listing page is not a JSON array")
                found = [parse(item) for item in data]
                return found, response.links.get("next", {}).get("url")

            found, target = self.call(what, page)
            items.extend(found)
            query = None  # the next page's link carries the query
        return items

    def commits(self, repo_id: str) -> list[Any]:
        from huggingface_hub.hf_api import GitCommitInfo
        from huggingface_hub.utils._datetime import parse_datetime

        def commit(item: dict[str, Any]) -> GitCommitInfo:  # as HfApi.list_repo_commits
            return GitCommitInfo(
                commit_id=item["id"],
                authors=[author["user"] for author in item["authors"]],
                created_at=parse_datetime(item["date"]),
                title=item["title"],
                message=item["message"],
                formatted_title=None,
                formatted_message=None,
            )

        url = f"{self.endpoint}/api/models/{repo_id}/commits/main"
        return self.pages(f"{repo_id} commits", url, {}, commit)

    def listing(self, what: str, **kwargs: Any) -> list[Any]:
        """A whole model listing (all pages), ids and lastModified only."""
        from huggingface_hub.hf_api import ModelInfo

        def model(item: dict[str, Any]) -> ModelInfo:  # as HfApi.list_models
            return ModelInfo(**{"siblings": None, **item})  # type: ignore[no-untyped-call]

        params = {"expand": ["lastModified", "sha"], **kwargs}
        return self.pages(what, f"{self.endpoint}/api/models", params, model)

    def owner(self, name: str) -> tuple[str, bool | None, list[str]]:
        """(kind, verified, members) of a namespace: organisation or user."""
        try:
            org = self.call(
                f"organisation {name}", lambda: self.api.get_organization_overview(name)
            )
        except _Skip as skip:
            if not skip.reason.startswith("http-404") and skip.reason != "missing":
                raise
        else:
            members: list[str] = []
            if self.options.owners:
                try:
                    members = self.pages(
                        f"organisation {name} members",
                        f"{self.endpoint}/api/organizations/{name}/members",
                        {},
                        lambda item: str(item["user"]),  # HfApi reads it as User.username
                    )
                except _Skip as skip:
                    self.report.add(Problem(0, name, skip.reason, skip.detail, "warning"))
            return "org", bool(org.is_verified), members
        self.call(f"user {name}", lambda: self.api.get_user_overview(name))
        return "user", None, []


# -- one model's facts -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelFacts:
    """Everything the crawl learned about one repository."""

    requested: str
    id: str
    info: Any
    card: dict[str, Any] | None
    card_text: str | None
    card_problem: str | None
    adapter_base: str | None
    merge_bases: tuple[str, ...]
    config: dict[str, Any]
    commits: tuple[Any, ...]
    problems: tuple[tuple[str, str], ...]


def _front_matter(text: str) -> tuple[dict[str, Any] | None, str, str | None]:
    """(card data, prose, problem) of a README with YAML front matter."""
    body = text.replace("\r\n", "\n")
    if not body.startswith("---\n"):
        return None, body, None
    end = body.find("\n---", 4)
    if end < 0:
        return None, body, "front matter is not closed by ---"
    raw, prose = body[4:end], body[end + 4 :]
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        return None, prose, f"invalid YAML front matter{where}: {getattr(exc, 'problem', exc)}"
    if data is None:
        return {}, prose, None
    if not isinstance(data, dict):
        return None, prose, "front matter is not a mapping"
    return data, prose, None


def _mergekit_bases(text: str) -> tuple[list[str], str | None]:
    """Models a mergekit configuration merges: ``base_model``, ``models[].model`` and
    ``slices[].sources[].model``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return [], "mergekit_config.yml is not valid YAML"
    if not isinstance(data, dict):
        return [], "mergekit_config.yml is not a mapping"
    found: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, dict):
            value = value.get("model")
        if isinstance(value, str) and value not in found:
            found.append(value)

    add(data.get("base_model"))
    for item in data.get("models") or []:
        add(item.get("model") if isinstance(item, dict) else item)
    for piece in data.get("slices") or []:
        if isinstance(piece, dict):
            for src in piece.get("sources") or []:
                if isinstance(src, dict):
                    add(src.get("model"))
    return found, None


def _fetch(client: _Client, repo_id: str, want_commits: bool) -> ModelFacts:
    info = client.model_info(repo_id)
    rid = str(info.id)
    problems: list[tuple[str, str]] = []
    names = {s.rfilename for s in (info.siblings or [])}
    sha = info.sha
    card_data: dict[str, Any] | None = None
    if info.card_data is not None:
        card_data = info.card_data.to_dict()

    def read(filename: str) -> str | None:
        """A file of the repository; None, with a warning, when it is gated (the model's
        info, file list and card are public on the Hub, only its files are gated)."""
        try:
            return client.text_file(rid, sha, filename)
        except _Skip as skip:
            if skip.reason != "gated":
                raise
            problems.append(("gated-file", skip.detail))
            return None

    card_text = card_problem = None
    if "README.md" in names:
        readme = read("README.md")
        if readme is not None:
            parsed, card_text, card_problem = _front_matter(readme)
            if card_data is None and parsed is not None:
                card_data = parsed
    adapter_base = None
    if "adapter_config.json" in names:
        raw = read("adapter_config.json")
        try:
            value = json.loads(raw).get("base_model_name_or_path") if raw else None
        except (json.JSONDecodeError, AttributeError):
            problems.append(("malformed-file", "adapter_config.json is not a JSON object"))
            value = None
        adapter_base = value if isinstance(value, str) and value.strip() else None
    merge_bases: list[str] = []
    if "mergekit_config.yml" in names:
        raw = read("mergekit_config.yml")
        if raw:
            merge_bases, problem = _mergekit_bases(raw)
            if problem:
                problems.append(("malformed-file", problem))
    config = info.config if isinstance(info.config, dict) else {}
    if not config and "config.json" in names:
        raw = read("config.json")
        try:
            loaded = json.loads(raw) if raw else {}
            config = loaded if isinstance(loaded, dict) else {}
        except json.JSONDecodeError:
            problems.append(("malformed-file", "config.json is not valid JSON"))
    commits: list[Any] = []
    if want_commits:
        try:
            commits = client.commits(rid)
        except _Skip as skip:
            problems.append((skip.reason, f"commits: {skip.detail}"))
    return ModelFacts(
        repo_id,
        rid,
        info,
        card_data,
        card_text,
        card_problem,
        adapter_base,
        tuple(merge_bases),
        config,
        tuple(commits),
        tuple(problems),
    )


# -- facts to records --------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:MAX_TEXT]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class _Records:
    """Nodes and edges accumulated for the next write."""

    def __init__(self, observed_at: str) -> None:
        self.nodes: list[NodeRecord] = []
        self.edges: list[EdgeRecord] = []
        self.replace: list[str] = []
        self.prov = {"source": SOURCE, "observed_at": observed_at}

    def node(self, label: str, key: str, create_only: bool = False, **props: Any) -> None:
        self.nodes.append(NodeRecord(label, key, {**props, **self.prov}, create_only))

    def edge(self, etype: str, sl: str, src: str, dl: str, dst: str, **props: Any) -> None:
        self.edges.append(EdgeRecord(etype, sl, src, dl, dst, {**props, **self.prov}))

    def batch(self) -> GraphBatch:
        return GraphBatch(
            self.nodes, self.edges, replace_outgoing={"DERIVED_FROM": list(self.replace)}
        )

    def resolve(self, aliases: dict[str, str]) -> None:
        """Point derivations from a base named by its old id at the current id: a rename
        learned after these records were made (an ancestor fetched later in the crawl). The
        old id's placeholder and its owner guessed from the old namespace are dropped."""
        self.nodes = [
            n for n in self.nodes if not (n.label == "Model" and n.create_only and n.key in aliases)
        ]
        self.edges = [
            replace(e, dst=aliases[e.dst]) if e.type == "DERIVED_FROM" and e.dst in aliases else e
            for e in self.edges
            if not (e.type == "OWNS" and e.dst in aliases)
        ]

    def __len__(self) -> int:
        return len(self.replace)


def _model_records(
    facts: ModelFacts, records: _Records, report: CrawlReport, aliases: dict[str, str]
) -> list[str]:
    """Write one model's facts as records; return the ids of its declared bases."""
    info, rid = facts.info, facts.id

    def problem(severity: str, reason: str, detail: str) -> None:
        report.add(Problem(0, rid, reason, detail, severity))  # type: ignore[arg-type]

    if facts.card_problem:
        problem("warning", "invalid-card", f"README.md: {facts.card_problem}")
    if facts.requested != rid:
        aliases[facts.requested] = rid
        report.aliases[facts.requested] = rid
        problem("warning", "renamed", f"{facts.requested!r} is now {rid!r}")
    siblings = list(info.siblings or [])
    if len(siblings) > MAX_SIBLINGS:
        problem("warning", "too-many-files", f"{len(siblings)} files; kept {MAX_SIBLINGS}")
        siblings = siblings[:MAX_SIBLINGS]
    file_names = [s.rfilename for s in siblings]
    card = facts.card or {}
    tags = [t for t in (info.tags or []) if isinstance(t, str)]
    # A base named by its old id resolves to the new one (the old id stays an alias).
    tags = [_resolve_tag(t, aliases) for t in tags]
    card_for_lineage = dict(card)
    if "base_model" in card_for_lineage:
        card_for_lineage["base_model"] = [
            aliases.get(b, b) for b in _strings(card.get("base_model"))
        ]
    declared = declared_parents(
        rid,
        card=card_for_lineage,
        tags=tags,
        files=file_names,
        config=facts.config,
        adapter_base=aliases.get(facts.adapter_base or "", facts.adapter_base),
        merge_bases=[aliases.get(b, b) for b in facts.merge_bases],
        text=facts.card_text,
        thorough=True,
    )
    for reason, detail in declared.problems:
        problem("warning", reason, detail)
    author = info.author or (rid.split("/", 1)[0] if "/" in rid else None)
    security = getattr(info, "security_repo_status", None)
    gated = info.gated
    config = facts.config
    architectures = _strings(config.get("architectures"))
    records.node(
        "Model",
        rid,
        hub=HUB,
        author=author,
        sha=_text(info.sha),
        created_at=utc_iso(info.created_at.isoformat() if info.created_at else None),
        last_modified=utc_iso(info.last_modified.isoformat() if info.last_modified else None),
        downloads=info.downloads,
        likes=info.likes,
        library=_text(info.library_name),
        pipeline_tag=_text(info.pipeline_tag),
        license=_text(card.get("license"))
        if not isinstance(card.get("license"), list)
        else _text(",".join(_strings(card.get("license")))),
        gated="no" if gated is False else (gated if gated in ("auto", "manual") else None),
        private=info.private,
        model_type=_text(config.get("model_type")),
        architectures=architectures,
        ingested=True,
        aliases=sorted(old for old, new in aliases.items() if new == rid) or None,
        security_status=_text(orjson.dumps(security).decode()) if security else None,
        removed=False,
        code_links=[
            f"github.com/{r}"
            for r in github_repos_in(
                [orjson.dumps(card, default=str).decode(), facts.card_text or ""]
            )[:20]
        ]
        or None,
    )
    records.replace.append(rid)
    report.models += 1
    if author:
        records.node("Actor", author, hub=HUB)
        records.edge("OWNS", "Actor", author, "Model", rid)
    parents = []
    for p in declared.parents:
        records.node("Model", p.parent, create_only=True, hub=HUB, ingested=False)
        owner = p.parent.split("/", 1)[0] if "/" in p.parent else None
        if owner:
            records.node("Actor", owner, create_only=True, hub=HUB)
            records.edge("OWNS", "Actor", owner, "Model", p.parent)
        records.edge(
            "DERIVED_FROM",
            "Model",
            rid,
            "Model",
            p.parent,
            relation=p.relation,
            evidence=list(p.evidence),
            confidence=p.confidence,
        )
        report.edges[p.relation] += 1
        # each kind once per edge: "card:base_model=<old id> (renamed)" is card:base_model too
        report.evidence.update({e.split("=", 1)[0] for e in p.evidence})
        parents.append(p.parent)
    for dataset in _strings(card.get("datasets"))[:200]:
        if is_valid_repo_id(dataset):
            records.node("Dataset", dataset, hub=HUB)
            records.edge("TRAINED_ON", "Model", rid, "Dataset", dataset)
            report.datasets += 1
    for s in siblings:
        fmt, pickle = file_format(s.rfilename)
        lfs = s.lfs
        key = f"{rid}/{s.rfilename}"
        records.node(
            "File",
            key,
            repo=rid,
            path=_text(s.rfilename),
            size=s.size,
            sha256=lfs.sha256 if lfs is not None else None,
            format=fmt,
            pickle=pickle,
        )
        records.edge("HAS_FILE", "Model", rid, "File", key)
        report.files += 1
        report.pickle_files += pickle
    for c in facts.commits:
        sha = str(c.commit_id)
        records.node(
            "Commit",
            sha,
            repo=rid,
            sha=sha,
            title=_text(c.title),
            authored_at=utc_iso(c.created_at.isoformat() if c.created_at else None),
        )
        records.edge("HAS_COMMIT", "Model", rid, "Commit", sha)
        for user in c.authors or []:
            if isinstance(user, str) and user and len(user) <= 96:
                records.node("Actor", user, hub=HUB, kind="user")
                records.edge("AUTHORED", "Actor", user, "Commit", sha, role="author")
        report.commits += 1
    return parents


def _resolve_tag(tag: str, aliases: dict[str, str]) -> str:
    if not tag.startswith("base_model:") or not aliases:
        return tag
    head, _, base = tag.rpartition(":")
    return f"{head}:{aliases.get(base, base)}"


# -- the journal --------------------------------------------------------------------------------


@dataclass
class _Journal:
    """Resumable state of one crawl plan: what is done, what is still to do."""

    path: Path | None
    done: set[str] = field(default_factory=set)
    pending: list[tuple[str, int, str, bool]] = field(default_factory=list)
    last_complete: str | None = None
    started: str | None = None
    owners: set[str] = field(default_factory=set)
    """Owners already looked up and written (a resumed crawl does not ask again)."""

    @classmethod
    def load(cls, path: Path | None) -> _Journal:
        if path is None or not path.is_file():
            return cls(path)
        try:
            data = orjson.loads(path.read_bytes())
            return cls(
                path,
                set(data.get("done", [])),
                [(str(m), int(d), str(w), bool(f)) for m, d, w, f in data.get("pending", [])],
                data.get("last_complete"),
                data.get("started"),
                set(data.get("owners", [])),
            )
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise InputError(
                f"the crawl journal {path} is unreadable ({exc})",
                hint="Delete it to start this crawl afresh (writes are idempotent).",
            ) from exc

    def save(self, complete: bool = False) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "done": [] if complete else sorted(self.done),
            "pending": [] if complete else self.pending,
            "last_complete": self.last_complete,
            "started": None if complete else self.started,
            "owners": [] if complete else sorted(self.owners),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(data))
        tmp.replace(self.path)


# -- the crawl ----------------------------------------------------------------------------------

"""Called with (models fetched, models known so far) as the crawl goes."""

_Item = tuple[str, int, str, bool]
"""(model id, hops from a seed, direction: seed/up/down, fetch it or only list its children)."""


class _Crawl:
    """One run of a crawl plan: a work queue walked level by level with a thread pool."""

    def __init__(
        self,
        store: GraphStore,
        options: CrawlOptions,
        client: _Client,
        report: CrawlReport,
        journal: _Journal,
        observed_at: str,
        since: str | None,
    ) -> None:
        self.store, self.options, self.client, self.report = store, options, client, report
        self.journal, self.observed_at, self.since = journal, observed_at, since
        self.records = _Records(observed_at)
        self.aliases: dict[str, str] = _known_aliases(store)
        self.owners: dict[str, tuple[str, bool | None, list[str]]] = {
            name: ("known", None, []) for name in journal.owners
        }
        self.parents: set[str] = set()
        self.queue: list[_Item] = list(journal.pending)
        self.seen: set[str] = set(journal.done) | {q[0] for q in self.queue}
        self.fetched = 0

    def problem(self, record: str | None, severity: str, reason: str, detail: str) -> None:
        self.report.add(Problem(0, record, reason, detail, severity))  # type: ignore[arg-type]

    def enqueue(self, mid: str, depth: int, direction: str, fetch: bool = True) -> None:
        mid = self.aliases.get(mid, mid)
        if mid not in self.seen:
            self.seen.add(mid)
            self.queue.append((mid, depth, direction, fetch))

    def within(self, depth: int) -> bool:
        return self.options.depth is None or depth < self.options.depth

    def changed(self, listed: Any) -> bool:
        """Whether a listed model needs fetching: modified since ``since``, or not stored."""
        if self.since is None or listed.last_modified is None:
            return True
        modified = utc_iso(listed.last_modified.isoformat())
        if modified is None or modified >= self.since:
            return True
        node = self.store.node("Model", str(listed.id))
        return node is None or not node.get("ingested") or bool(node.get("removed"))

    # -- seeds ---------------------------------------------------------------------------

    def seed(self) -> None:
        for mid in self.options.models:
            self.enqueue(mid, 0, "seed")
        for author in self.options.authors:
            try:
                listed = self.client.listing(f"models of {author}", author=author)
            except _Skip as exc:
                self.problem(author, "skipped", exc.reason, exc.detail)
                continue
            ids = {str(m.id) for m in listed}
            for mid in self.store.owned_models([author]):
                if mid not in ids:
                    self.confirm_removed(mid)
            for m in listed:
                if self.changed(m):
                    self.enqueue(str(m.id), 0, "seed")
                else:
                    self.report.unchanged += 1
        if self.options.search:
            try:
                found = self.client.listing(
                    f"search {self.options.search!r}", search=self.options.search
                )
            except _Skip as exc:
                self.problem(self.options.search, "skipped", exc.reason, exc.detail)
                found = []
            for m in found:
                if self.changed(m):
                    self.enqueue(str(m.id), 0, "seed")
                else:
                    self.report.unchanged += 1

    # -- removed models ------------------------------------------------------------------

    def mark_removed(self, mid: str) -> None:
        """A model the knowledge base holds that the Hub no longer serves: mark it."""
        node = self.store.node("Model", mid)
        if node is not None and node.get("ingested") and not node.get("removed"):
            self.records.node("Model", mid, removed=True, removed_at=self.observed_at)
            self.report.removed.append(mid)

    def confirm_removed(self, mid: str) -> None:
        """A stored model that dropped out of a listing: removed if the Hub says it is gone
        (it may only have changed its base, or gone private)."""
        node = self.store.node("Model", mid)
        if node is None or not node.get("ingested") or node.get("removed"):
            return
        try:
            self.client.call(mid, lambda: self.client.api.model_info(mid, expand=["sha"]))
        except _Skip as exc:
            if exc.reason == "missing":
                self.mark_removed(mid)

    def children(self, mid: str) -> list[Any]:
        """Every model whose ``base_model:`` tags name ``mid``, once."""
        found: dict[str, Any] = {}
        for tag in [f"base_model:{mid}", *(f"base_model:{r}:{mid}" for r in TAG_RELATIONS)]:
            for m in self.client.listing(f"children of {mid} ({tag})", filter=tag):
                found.setdefault(str(m.id), m)
        return list(found.values())

    def known_children(self, mid: str) -> list[str]:
        rows = self.store.cypher(
            "MATCH (c:Model)-[:DERIVED_FROM]->(:Model {id: $p}) "
            "WHERE c.ingested = true AND c.source = $source RETURN c.id",
            {"p": mid, "source": SOURCE},
        ).rows
        return [r[0] for r in rows]

    # -- the walk --------------------------------------------------------------------------

    def run(self, pool: ThreadPoolExecutor, progress: Progress | None) -> None:
        width = max(self.options.workers * 8, 8)
        while self.queue:
            room = None if self.options.limit is None else self.options.limit - self.fetched
            if room is not None and room <= 0:
                self.problem(
                    None,
                    "warning",
                    "limit",
                    f"stopped at --limit {self.options.limit}; {len(self.queue)} queued left",
                )
                self.queue.clear()
                break
            level: list[_Item] = []
            while self.queue and len(level) < width:
                item = self.queue.pop(0)
                if item[3] and room is not None and sum(i[3] for i in level) >= room:
                    self.queue.insert(0, item)
                    break
                level.append(item)
            fetches = [
                (item, pool.submit(_fetch, self.client, item[0], self.options.commits))
                for item in level
                if item[3]
            ]
            listings: list[tuple[_Item, Any]] = [
                (item, pool.submit(self.children, item[0])) for item in level if not item[3]
            ]
            for item, future in fetches:
                mid, depth, direction, _ = item
                try:
                    facts = future.result()
                except _Skip as exc:
                    self.problem(mid, "skipped", exc.reason, exc.detail)
                    if exc.reason == "missing":
                        self.mark_removed(mid)
                    self.journal.done.add(mid)
                    continue
                self.fetched += 1
                self.seen.add(facts.id)
                parents = _model_records(facts, self.records, self.report, self.aliases)
                self.parents.update(parents)
                for reason, detail in facts.problems:
                    self.problem(facts.id, "warning", reason, detail)
                if self.options.ancestors and direction in ("seed", "up") and self.within(depth):
                    for p in parents:
                        self.enqueue(p, depth + 1, "up")
                if (
                    self.options.descendants
                    and direction in ("seed", "down")
                    and self.within(depth)
                ):
                    listings.append(
                        (
                            (facts.id, depth, direction, False),
                            pool.submit(self.children, facts.id),
                        )
                    )
                if progress:
                    progress(self.fetched, self.fetched + len(self.queue))
            for (mid, depth, _, _), future in listings:
                try:
                    kids = future.result()
                except _Skip as exc:
                    self.problem(mid, "warning", exc.reason, f"children not listed: {exc.detail}")
                    continue
                listed = {str(k.id) for k in kids}
                for known in self.known_children(mid):
                    if known not in listed:
                        self.confirm_removed(known)
                for kid in kids:
                    fetch = self.changed(kid)
                    if not fetch:
                        self.report.unchanged += 1
                    if fetch or self.within(depth + 1):
                        self.enqueue(str(kid.id), depth + 1, "down", fetch)
            if len(self.records) >= self.options.batch or not self.queue:
                self.flush()
        self.flush()

    def flush(self) -> None:
        """Write what is pending, then remember it in the journal."""
        if self.records.nodes or self.records.edges:
            self.records.resolve(self.aliases)
            _owners(self.client, self.records, self.report, self.owners)
            self.store.write(self.records.batch())
            self.journal.done.update(self.records.replace)
            self.journal.owners.update(self.owners)
            self.records = _Records(self.observed_at)
        self.journal.pending = list(self.queue)
        self.journal.save()


def crawl_hub(
    store: GraphStore,
    options: CrawlOptions,
    *,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CrawlReport:
    """Crawl what ``options`` asks for into ``store``; return the counts."""
    if not (options.models or options.authors or options.search):
        raise InputError(
            "nothing to crawl", hint="Give --model ID, --author NAME or --search TEXT."
        )
    for mid in options.models:
        if not is_valid_repo_id(mid):
            raise InputError(
                f"{mid[:120]!r} is not a Hugging Face model id", hint="e.g. meta-llama/Llama-3.1-8B"
            )
    started = time.perf_counter()
    observed_at = options.observed_at or utc_now()
    journal = _Journal.load(options.journal)
    since = journal.last_complete if options.since == "last" else options.since
    since_iso = utc_iso(since) if since else None
    if since and since_iso is None:
        raise InputError(f"--since {since[:40]!r} is not a date", hint="e.g. 2026-11-01 or last")
    report = CrawlReport(endpoint="", since=since_iso)
    client = _Client(options, report, sleep)
    report.endpoint = client.endpoint
    resumed = bool(journal.pending)
    report.resumed = len(journal.done) if resumed else 0
    if not resumed:
        journal.done.clear()
        journal.owners.clear()
        journal.started = observed_at
    crawl = _Crawl(store, options, client, report, journal, observed_at, since_iso)
    if not resumed:
        crawl.seed()
    with ThreadPoolExecutor(max(options.workers, 1), thread_name_prefix="mlsc-hf") as pool:
        crawl.run(pool, progress)
    report.placeholders = _placeholders(store, {crawl.aliases.get(p, p) for p in crawl.parents})
    report.seconds = time.perf_counter() - started
    journal.last_complete = journal.started or observed_at
    journal.save(complete=True)
    return report


def _known_aliases(store: GraphStore) -> dict[str, str]:
    """Old id -> current id of every renamed model the knowledge base knows."""
    rows = store.cypher("MATCH (m:Model) WHERE m.aliases IS NOT NULL RETURN m.id, m.aliases").rows
    return {old: mid for mid, olds in rows for old in olds or ()}


def _placeholders(store: GraphStore, parents: set[str]) -> int:
    """How many of the bases named in this crawl the knowledge base knows by name only."""
    ids = sorted(parents)
    known = 0
    for start in range(0, len(ids), 10_000):
        rows = store.cypher(
            "MATCH (m:Model) WHERE m.id IN $ids AND m.ingested = true RETURN count(m)",
            {"ids": ids[start : start + 10_000]},
        ).rows
        known += int(rows[0][0])
    return len(ids) - known


def _owners(
    client: _Client,
    records: _Records,
    report: CrawlReport,
    known: dict[str, tuple[str, bool | None, list[str]]],
) -> None:
    """Kind, verification and members of every owner named by the pending records."""
    if not client.options.owners:
        return
    names = sorted(
        {
            n.key
            for n in records.nodes
            if n.label == "Actor" and not n.create_only and n.props.get("kind") is None
        }
        - set(known)
    )
    for name in names:
        try:
            known[name] = client.owner(name)
        except _Skip as exc:
            report.add(Problem(0, name, exc.reason, f"owner {exc.detail}", "warning"))
            known[name] = ("unknown", None, [])
            continue
        kind, verified, members = known[name]
        report.actors += 1
        records.node("Actor", name, hub=HUB, kind=kind, verified=verified)
        if kind == "org":
            report.organisations += 1
            for member in members:
                records.node("Actor", member, hub=HUB, kind="user")
                records.edge("MEMBER_OF", "Actor", member, "Actor", name)
                report.memberships += 1


def iter_ids(values: Iterable[str]) -> Iterator[str]:
    """Ids from command-line values, split on commas and stripped."""
    for value in values:
        for part in value.split(","):
            if part.strip():
                yield part.strip()


__all__: Sequence[str] = ("CrawlOptions", "CrawlReport", "HubUnreachable", "crawl_hub")
