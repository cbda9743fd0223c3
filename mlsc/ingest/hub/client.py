"""huggingface_hub's ``HfApi`` with the crawl's rate limit, retries and error classification.

    >>> from mlsc.ingest.hub.options import CrawlOptions, CrawlReport
    >>> client = HubClient(CrawlOptions(rate=5), CrawlReport(endpoint=""), time.sleep)  # doctest: +SKIP
    >>> client.model_info("gpt2").sha                                                  # doctest: +SKIP

Every request (redirect hops and listing pages included) is counted in the report. What
cannot be fetched raises :class:`Skipped` with a stable reason (gated, disabled, missing,
private, rate-limited, ...); a Hub that never answered raises :class:`HubUnreachable`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from mlsc.errors import MlscError
from mlsc.ingest.hub.blobs import BlobCache
from mlsc.ingest.hub.options import CrawlOptions, CrawlReport
from mlsc.ingest.interface import Problem

MAX_FILE_BYTES = 1 << 20
"""README, config and adapter files larger than this are not read (real ones are KiBs)."""


class HubUnreachable(MlscError):
    """The Hub (or the configured endpoint) does not answer at all."""


class Skipped(Exception):
    """A repository that cannot be crawled, with the reason recorded in the report."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


class RateLimit:
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


def retry_after(headers: Any) -> float | None:
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


_CALLER: ContextVar[HubClient | None] = ContextVar("mlsc_hf_caller", default=None)
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


class HubClient:
    """huggingface_hub's HfApi with our rate limit, retries and error classification."""

    def __init__(
        self, options: CrawlOptions, report: CrawlReport, sleep: Callable[[float], None]
    ) -> None:
        from huggingface_hub import HfApi, constants

        self.options = options
        self.endpoint = (options.endpoint or constants.ENDPOINT).rstrip("/")
        self.api = HfApi(endpoint=self.endpoint, token=options.token)
        self.report = report
        self._limit = RateLimit(options.rate)
        self._lock = threading.Lock()
        self._sleep = sleep
        self._answered = False
        self.blobs = BlobCache(options.blobs) if options.blobs is not None else None
        """Files read before, by git blob id (None: every file is downloaded)."""

    def _count(self) -> None:
        with self._lock:
            self.report.requests += 1

    def call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one Hub call (one request, or one page of a listing) with retries; raise
        Skipped when it cannot succeed, HubUnreachable when the Hub never answered at all.
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
                raise Skipped("gated", f"{what}: gated; accept its conditions on the Hub") from None
            except DisabledRepoError:
                self._answered = True
                raise Skipped("disabled", f"{what}: disabled by the Hub") from None
            except RepositoryNotFoundError:
                self._answered = True
                raise Skipped(
                    "missing", f"{what}: not found (deleted, renamed away, or private)"
                ) from None
            except (RevisionNotFoundError, RemoteEntryNotFoundError):
                self._answered = True
                raise Skipped("missing-file", f"{what}: not found") from None
            except HfHubHTTPError as exc:
                self._answered = True
                response = exc.response
                status = response.status_code if response is not None else 0
                if status == 401:
                    raise Skipped("private", f"{what}: needs authentication (private?)") from None
                if status == 429 or status >= 500:
                    reason = "rate-limited" if status == 429 else "server-error"
                    wait = retry_after(response.headers if response is not None else None)
                    if attempt >= self.options.retries:
                        raise Skipped(
                            reason, f"{what}: HTTP {status} after {attempt + 1} attempts"
                        ) from None
                    backoff = wait if wait is not None else min(2.0**attempt, 60.0)
                    if backoff > self.options.max_wait:
                        raise Skipped(
                            reason,
                            f"{what}: HTTP {status}, Retry-After {backoff:.0f} s exceeds "
                            f"--max-wait {self.options.max_wait:.0f} s",
                        ) from None
                    attempt += 1
                    self._sleep(backoff)
                    continue
                raise Skipped(f"http-{status}", f"{what}: HTTP {status}") from None
            except (json.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
                self._answered = True
                raise Skipped(
                    "malformed-response", f"{what}: unreadable answer ({type(exc).__name__})"
                ) from None
            except (httpx2.TransportError, OSError) as exc:
                if attempt >= self.options.retries:
                    if not self._answered:
                        raise HubUnreachable(
                            f"the Hub at {self.endpoint} does not answer ({type(exc).__name__})",
                            hint="Check the network, HF_ENDPOINT or --endpoint.",
                        ) from None
                    raise Skipped("unreachable", f"{what}: {type(exc).__name__}") from None
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

    def text_file(
        self,
        repo_id: str,
        revision: str | None,
        filename: str,
        *,
        blob_id: str | None = None,
        size: int | None = None,
    ) -> str | None:
        """A small text file of the repository, or None when absent; ``Skipped`` with reason
        ``file-too-large`` when it is over ``MAX_FILE_BYTES`` (with the file's ``size`` from
        the model's info, such a file is not asked for); with its
        ``blob_id``, the blob cache (``options.blobs``) answers when it holds those bytes, and
        keeps them when it does not."""
        from huggingface_hub import hf_hub_url
        from huggingface_hub.utils._headers import build_hf_headers
        from huggingface_hub.utils._http import get_session, hf_raise_for_status

        def too_large(seen: int) -> Skipped:
            return Skipped(
                "file-too-large",
                f"{filename} is {seen:,} bytes or more; mlsc reads files up to "
                f"{MAX_FILE_BYTES:,} bytes, so what it says (bases, relations) is not in the graph",
            )

        if size is not None and size > MAX_FILE_BYTES:
            raise too_large(size)
        if self.blobs is not None and blob_id:
            kept = self.blobs.get(blob_id)
            if kept is not None:
                return kept.decode("utf-8", errors="replace")
        url = hf_hub_url(repo_id, filename, revision=revision, endpoint=self.endpoint)

        def fetch() -> bytes | None:
            headers = build_hf_headers(token=self.options.token)
            with get_session().stream(
                "GET", url, headers=headers, follow_redirects=True, timeout=self.options.timeout
            ) as response:
                hf_raise_for_status(response)
                data = b""
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_FILE_BYTES:
                        raise too_large(len(data))
            return data

        try:
            data: bytes | None = self.call(f"{repo_id}/{filename}", fetch)
        except Skipped as skip:
            if skip.reason in ("missing-file", "missing"):
                return None
            raise
        if data is None:
            return None
        if self.blobs is not None and blob_id:
            self.blobs.put(blob_id, data)
        return data.decode("utf-8", errors="replace")

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
        """A whole model listing (all pages): ids, lastModified, sha and how many models
        name each as their base (``childrenModelCount``: a leaf's children need no listing)."""
        from huggingface_hub.hf_api import ModelInfo

        def model(item: dict[str, Any]) -> ModelInfo:  # as HfApi.list_models
            return ModelInfo(**{"siblings": None, **item})  # type: ignore[no-untyped-call]

        params = {"expand": ["lastModified", "sha", "childrenModelCount"], **kwargs}
        return self.pages(what, f"{self.endpoint}/api/models", params, model)

    def owner(self, name: str, first: str = "org") -> tuple[str, bool | None, list[str]]:
        """(kind, verified, members) of a namespace: asked as ``first`` (``org`` or ``user``),
        then as the other kind when the Hub does not know it as the first (a 404). An
        organisation's members are listed unless its overview counts none (``numUsers`` 0)."""
        kinds = ("org", "user") if first == "org" else ("user", "org")
        try:
            return self._organisation(name) if kinds[0] == "org" else self._user(name)
        except Skipped as skip:
            if not skip.reason.startswith("http-404") and skip.reason != "missing":
                raise
        return self._organisation(name) if kinds[1] == "org" else self._user(name)

    def _user(self, name: str) -> tuple[str, bool | None, list[str]]:
        self.call(f"user {name}", lambda: self.api.get_user_overview(name))
        return "user", None, []

    def _organisation(self, name: str) -> tuple[str, bool | None, list[str]]:
        org = self.call(f"organisation {name}", lambda: self.api.get_organization_overview(name))
        members: list[str] = []
        # the overview counts the members (numUsers): none counted, none to list
        if self.options.owners and org.num_users != 0:
            try:
                members = self.pages(
                    f"organisation {name} members",
                    f"{self.endpoint}/api/organizations/{name}/members",
                    {},
                    lambda item: str(item["user"]),  # HfApi reads it as User.username
                )
            except Skipped as skip:
                self.report.add(Problem(0, name, skip.reason, skip.detail, "warning"))
        return "org", bool(org.is_verified), members
