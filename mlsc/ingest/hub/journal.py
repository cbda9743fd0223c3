"""A crawl plan's resumable state: what is done, what is still to do, which owners were asked.

    >>> journal = Journal.load(None)   # no file: nothing done yet, nothing saved
    >>> journal.done, journal.pending
    (set(), [])

The journal lives beside an embedded knowledge base (``crawls/hf-<plan>.json``) or in the user
state directory for a server; :func:`with_journal` gives a crawl's options the journal of their
plan and the knowledge base's blob cache (:mod:`.blobs`), which is what the CLI crawls with.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson

from mlsc.errors import InputError
from mlsc.graph.store import GraphStore
from mlsc.ingest.hub.options import CrawlOptions


@dataclass
class Journal:
    """Resumable state of one crawl plan: what is done, what is still to do."""

    path: Path | None
    done: set[str] = field(default_factory=set)
    pending: list[tuple[str, int, str, bool]] = field(default_factory=list)
    last_complete: str | None = None
    started: str | None = None
    owners: set[str] = field(default_factory=set)
    """Owners already looked up and written (a resumed crawl does not ask again)."""
    unlisted: set[str] = field(default_factory=set)
    """Known children a listing no longer named, to check at the end of the crawl."""

    @classmethod
    def load(cls, path: Path | None) -> Journal:
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
                set(data.get("unlisted", [])),
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
            "unlisted": [] if complete else sorted(self.unlisted),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(data))
        tmp.replace(self.path)


def journal_path(store: GraphStore, plan: str) -> Path:
    """Where a crawl plan's resumable state lives: beside an embedded knowledge base, or in
    the user state directory for a server (one file per server, database and plan)."""
    if store.backend == "ladybug":
        return Path(store.location) / "crawls" / f"hf-{plan}.json"
    from platformdirs import user_state_path

    where = hashlib.sha256(store.location.encode()).hexdigest()[:12]
    return user_state_path("mlsc") / "crawls" / f"hf-{where}-{plan}.json"


def with_journal(
    store: GraphStore, options: CrawlOptions, *, restart: bool = False
) -> CrawlOptions:
    """``options`` with the journal of its plan for ``store`` (deleted first on ``restart``,
    so the crawl starts over) and, unless they name one, the blob cache of ``store``'s crawls
    (kept on ``restart``: what it holds is keyed by content): what the CLI crawls with."""
    journal = journal_path(store, options.plan_key())
    if restart:
        journal.unlink(missing_ok=True)
    return replace(options, journal=journal, blobs=options.blobs or blobs_path(store))


def blobs_path(store: GraphStore) -> Path:
    """Where the files crawls read are kept by git blob id: beside an embedded knowledge
    base, or in the user cache directory for a server (one directory per server and
    database)."""
    if store.backend == "ladybug":
        return Path(store.location) / "crawls" / "hf-blobs"
    from platformdirs import user_cache_path

    where = hashlib.sha256(store.location.encode()).hexdigest()[:12]
    return user_cache_path("mlsc") / "crawls" / f"hf-blobs-{where}"
