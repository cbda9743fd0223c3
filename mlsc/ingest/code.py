"""Applications in the graph: the models a code repository or a local checkout loads.

    >>> from mlsc.code import read_references
    >>> from mlsc.graph import open_store
    >>> with open_store() as store:                                        # doctest: +SKIP
    ...     report = ingest_code(store, Path("my-app"), repo="github.com/acme/my-app")

The reader (:mod:`mlsc.code`) finds every reference; :func:`code_batch` turns them into one
``CodeRepository`` node, one ``USES_MODEL`` edge per (application, model) and a placeholder
``Model`` (with its owner, as the snapshot writes one for a base it has not seen) for each
model the knowledge base does not hold yet. An edge describes the model's least pinned
reference (``none`` < ``branch`` < ``tag`` < ``commit``; ties: the first by file and line);
``pinned`` is true only when every reference pins a commit. Dynamic references (an id
computed at run time) and ``torch.hub`` references (code on GitHub, not a model on the Hub)
write no edge; the report counts them.

The application is ``--repo HOST/OWNER/NAME``; else the checkout's remote, detected as
``mlsc ingest git`` detects it; else ``local:<absolute path>`` (host ``local``: a host name
has no ``:``, so it never collides with a repository id). A reading is the authority on what
the application loads now: re-ingesting replaces every ``USES_MODEL`` edge out of it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlsc.code.references import CodeReading, ModelReference
from mlsc.errors import InputError
from mlsc.graph.reads_code import stored_models, uses_by
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.ingest.git import identify, remote_url, work_tree
from mlsc.ingest.interface import MAX_TEXT, Problem
from mlsc.vocab import HUB, is_github_repo, is_valid_repo_id, namespace_of, utc_iso, utc_now

SOURCE = "code"
LOCAL = "local"
"""The host of an application known only by its path."""
PINNING_ORDER = {"none": 0, "branch": 1, "tag": 2, "commit": 3}
"""Least pinned first."""
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::\d{1,5})?$")


@dataclass(frozen=True)
class Application:
    """Which ``CodeRepository`` node a reading belongs to."""

    id: str
    host: str
    url: str | None = None


def parse_repo(repo: str) -> Application:
    """``HOST/OWNER/NAME`` (``github.com/acme/app``; ``https://`` and ``.git`` are dropped)."""
    text = repo.strip().removeprefix("https://").removeprefix("http://").strip("/")
    text = text.removesuffix(".git")
    parts = text.split("/")
    if (
        len(parts) != 3
        or not _HOST.match(parts[0].lower())
        or not is_github_repo("/".join(parts[1:]))
    ):
        raise InputError(
            f"{repo[:120]!r} is not HOST/OWNER/NAME", hint="e.g. --repo github.com/acme/chatbot"
        )
    host = parts[0].lower()
    rid = f"{host}/{parts[1]}/{parts[2]}"
    return Application(rid, host, f"https://{rid}")


def local_application(path: Path) -> Application:
    """The id of a checkout known only by where it is."""
    return Application(f"{LOCAL}:{path.resolve()}", LOCAL, None)


def detect_application(path: Path, repo: str | None = None) -> Application:
    """``repo`` when given; else the work tree's remote as ``mlsc ingest git`` reads it;
    else the local id of ``path``."""
    if repo is not None:
        return parse_repo(repo)
    top = work_tree(path if path.is_dir() else path.parent)
    url = remote_url(top) if top is not None else None
    if top is None or url is None:
        return local_application(path)
    identity = identify(url)
    if identity.label != "CodeRepository":
        raise InputError(
            f"{path} is a clone of the Hugging Face model {identity.id}, not an application",
            hint="Pass --repo HOST/OWNER/NAME to record its code as an application.",
        )
    return Application(identity.id, identity.host or LOCAL, identity.url)


@dataclass(frozen=True)
class Use:
    """Every reference of one application to one model, folded into its edge."""

    model: str
    revision: str | None
    revision_kind: str
    pinned: bool
    file: str
    line: int
    references: int
    evidence: tuple[str, ...]
    confidence: float

    def props(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "revision_kind": self.revision_kind,
            "pinned": self.pinned,
            "file": self.file,
            "line": self.line,
            "references": self.references,
            "evidence": list(self.evidence),
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Uses:
    """What a reading gives the graph: the uses, and what it could not use."""

    uses: tuple[Use, ...]
    """One per model, ordered by model id."""
    problems: tuple[Problem, ...]
    references: int
    """Hub references with a valid model id (the ones folded into ``uses``)."""
    dynamic: int
    """References whose model id is computed at run time: no edge."""
    torch_hub: int
    """``torch.hub`` references (code on GitHub): no edge."""


def fold(reading: CodeReading, prefix: str = "") -> Uses:
    """The uses of a reading (``prefix``: the read root's path inside the repository)."""
    problems = [Problem(0, u.file[:MAX_TEXT], "unreadable", u.reason, "skipped")
                for u in reading.skipped]  # fmt: skip
    by_model: dict[str, list[ModelReference]] = {}
    dynamic = torch_hub = 0
    for ref in reading.references:
        if ref.hub != "huggingface":
            torch_hub += 1
        elif ref.model is None:
            dynamic += 1
            problems.append(
                Problem(ref.line, ref.file[:MAX_TEXT], "dynamic-model",
                        f"{ref.call}: the model id is computed at run time", "warning")
            )  # fmt: skip
        elif not is_valid_repo_id(ref.model):
            problems.append(
                Problem(ref.line, ref.file[:MAX_TEXT], "invalid-id",
                        f"{ref.model[:120]!r} is not a Hub model id", "skipped")
            )  # fmt: skip
        else:
            by_model.setdefault(ref.model, []).append(ref)
    uses = []
    for model, refs in sorted(by_model.items()):
        least = min(refs, key=lambda r: (PINNING_ORDER[r.revision_kind], r.file, r.line))
        uses.append(
            Use(
                model,
                least.revision[:MAX_TEXT] if least.revision is not None else None,
                least.revision_kind,
                all(r.pinned for r in refs),
                f"{prefix}{least.file}"[:MAX_TEXT],
                least.line,
                len(refs),
                tuple(sorted({r.evidence for r in refs})),
                min(r.confidence for r in refs),
            )
        )
    return Uses(tuple(uses), tuple(problems), sum(u.references for u in uses), dynamic, torch_hub)


def placeholders(models: Collection[str], prov: dict[str, Any]) -> list[NodeRecord | EdgeRecord]:
    """Placeholder models (``ingested = false``) with their owners, as the snapshot writes
    them for a base it has not seen: written only where no node exists yet."""
    records: list[NodeRecord | EdgeRecord] = []
    for model in sorted(models):
        owner = namespace_of(model)
        records.append(NodeRecord("Model", model, {"hub": HUB, "author": owner,
                                                   "ingested": False, **prov}, True))  # fmt: skip
        if owner:
            records.append(NodeRecord("Actor", owner, {"hub": HUB, **prov}, True))
            records.append(EdgeRecord("OWNS", "Actor", owner, "Model", model, prov))
    return records


def code_batch(
    reading: CodeReading,
    application: str,
    *,
    host: str | None = None,
    url: str | None = None,
    observed_at: str | None = None,
    known: Collection[str] | None = None,
    prefix: str = "",
    source: str = SOURCE,
) -> GraphBatch:
    """The application's node, its ``USES_MODEL`` edges (replacing the stored ones) and
    placeholders for the models not in ``known`` (None: placeholders for all of them)."""
    uses = fold(reading, prefix).uses
    return uses_batch(uses, Application(application, host or LOCAL, url),
                      observed_at or utc_now(), known, source)  # fmt: skip


def uses_batch(
    uses: Sequence[Use],
    app: Application,
    observed_at: str,
    known: Collection[str] | None,
    source: str = SOURCE,
) -> GraphBatch:
    prov = {"source": source, "observed_at": observed_at}
    nodes: list[NodeRecord] = [
        NodeRecord("CodeRepository", app.id, {"host": app.host, "url": app.url, **prov})
    ]
    edges: list[EdgeRecord] = []
    unknown = [u.model for u in uses if known is None or u.model not in known]
    for record in placeholders(unknown, prov):
        (nodes if isinstance(record, NodeRecord) else edges).append(record)  # type: ignore[arg-type]
    edges += [
        EdgeRecord("USES_MODEL", "CodeRepository", app.id, "Model", u.model, {**u.props(), **prov})
        for u in uses
    ]
    return GraphBatch(nodes, edges, replace_outgoing={"USES_MODEL": [app.id]})


@dataclass
class CodeReport:
    """What an ingestion of an application's code did."""

    path: str
    application: str = ""
    files_read: int = 0
    references: int = 0
    """Hub references with a valid model id."""
    models: int = 0
    """Distinct models referenced: one ``USES_MODEL`` edge each."""
    pinned: int = 0
    """Of those, edges whose every reference pins a commit."""
    revision_kinds: Counter[str] = field(default_factory=Counter)
    """Edges by the kind of their least pinned reference."""
    placeholders: int = 0
    """Models the knowledge base did not hold: written as placeholders."""
    dynamic: int = 0
    torch_hub: int = 0
    removed: list[str] = field(default_factory=list)
    """Models the application no longer references: their edges were removed."""
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> Counter[str]:
        return Counter(p.reason for p in self.problems if p.severity == "skipped")

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "application": self.application,
            "files_read": self.files_read,
            "references": self.references,
            "models": self.models,
            "pinned": self.pinned,
            "revision_kinds": dict(sorted(self.revision_kinds.items())),
            "placeholders": self.placeholders,
            "dynamic": self.dynamic,
            "torch_hub": self.torch_hub,
            "edges_removed": len(self.removed),
            "removed": sorted(self.removed),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
            "problems": [p.to_json() for p in self.problems],
        }


def ingest_reading(
    store: GraphStore,
    reading: CodeReading,
    app: Application,
    *,
    observed_at: str | None = None,
    prefix: str = "",
    source: str = SOURCE,
) -> CodeReport:
    """Write what ``reading`` found as the uses of ``app``; the report says what changed."""
    report = CodeReport(reading.root, app.id, reading.files_read)
    folded = fold(reading, prefix)
    report.problems = list(folded.problems)
    report.references, report.dynamic, report.torch_hub = (
        folded.references, folded.dynamic, folded.torch_hub
    )  # fmt: skip
    report.models = len(folded.uses)
    report.pinned = sum(u.pinned for u in folded.uses)
    report.revision_kinds = Counter(u.revision_kind for u in folded.uses)
    before = {u.model for u in uses_by(store, [app.id])}
    report.removed = sorted(before - {u.model for u in folded.uses})
    known = stored_models(store, [u.model for u in folded.uses])
    report.placeholders = len(folded.uses) - len(known)
    stamp = utc_iso(observed_at) if observed_at else utc_now()
    # A null never overwrites a stored property, so an edge whose reference lost its
    # revision would keep the old one: clear the application's edges, then write them.
    if before:
        store.write(GraphBatch(replace_outgoing={"USES_MODEL": [app.id]}))
    store.write(uses_batch(folded.uses, app, stamp or utc_now(), known, source))
    return report


def ingest_code(
    store: GraphStore,
    path: Path,
    *,
    repo: str | None = None,
    observed_at: str | None = None,
) -> CodeReport:
    """Read the code under ``path`` and write its model references as the application's."""
    from mlsc.code import read_references

    root = path.expanduser()
    if not root.exists():
        raise InputError(f"{root} does not exist", hint="Give the path of an application's code.")
    app = detect_application(root, repo)
    top = work_tree(root if root.is_dir() else root.parent) if repo is None else None
    prefix = ""
    if top is not None and not app.id.startswith(f"{LOCAL}:") and root.is_dir():
        inside = root.resolve().relative_to(top.resolve()).as_posix()
        prefix = "" if inside == "." else f"{inside}/"
    return ingest_reading(store, read_references(root), app, observed_at=observed_at,
                          prefix=prefix)  # fmt: skip
