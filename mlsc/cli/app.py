"""The `mlsc` command line: thin commands that parse, call the library, and render.

Data goes to stdout (a table, or JSON with ``--format json``); progress, warnings and errors
go to stderr. Errors of the library become one readable paragraph and exit code 1.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from mlsc.cli.output import Format, Output, ScanFormat
from mlsc.errors import MlscError

if TYPE_CHECKING:
    from mlsc.graph.store import GraphStore

app = typer.Typer(
    name="mlsc",
    help="A knowledge base of the machine-learning supply chain: lineage, blast radius, reach.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(help="Write models, owners and derivations into the knowledge base.")
top_app = typer.Typer(help="Rank models or actors by reach.")
export_app = typer.Typer(help="Write the knowledge base out for other tools.")
report_app = typer.Typer(help="Security reports over the knowledge base.")
app.add_typer(ingest_app, name="ingest")
app.add_typer(top_app, name="top")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")

out = Output()

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar="MLSC_DB",
        help="Knowledge base directory of the embedded store [default: the user data dir].",
        show_default=False,
    ),
]
BackendOption = Annotated[
    str | None,
    typer.Option("--backend", envvar="MLSC_BACKEND", help="ladybug (embedded, default) or neo4j."),
]
FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="table for people, json for scripts.")
]
ScanFormatOption = Annotated[
    ScanFormat,
    typer.Option("--format", "-f", help="table for people, json for scripts, sarif (2.1.0)."),
]
HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", help="Also write a standalone, offline HTML page to this file."),
]

T = TypeVar("T")


_neo4j: dict[str, str | None] = {}


@app.callback()
def _connection(
    neo4j_uri: Annotated[
        str | None,
        typer.Option(envvar="NEO4J_URI", help="Neo4j: neo4j://, neo4j+s:// (Aura) or bolt://"),
    ] = None,
    neo4j_user: Annotated[str | None, typer.Option(envvar="NEO4J_USERNAME")] = None,
    neo4j_database: Annotated[str | None, typer.Option(envvar="NEO4J_DATABASE")] = None,
) -> None:
    """A knowledge base of the machine-learning supply chain. The Neo4j password is read
    from NEO4J_PASSWORD only, never from the command line."""
    _neo4j.update(uri=neo4j_uri, user=neo4j_user, database=neo4j_database)


@contextmanager
def _store(db: Path | None, backend: str | None, *, read_only: bool) -> Iterator[GraphStore]:
    from mlsc.graph import open_store

    with open_store(db, backend=backend, read_only=read_only, neo4j=_neo4j) as store:
        yield store


def _guard(fn: Callable[[], T]) -> T:
    """Run a command body; library errors become a message on stderr and exit 1."""
    try:
        return fn()
    except MlscError as exc:
        out.error(exc.message)
        if exc.hint:
            out.info(exc.hint)
        raise typer.Exit(1) from None


def _write_problems(path: Path, problems: Iterable[Any]) -> None:
    """Every problem of a run as JSON Lines (``--errors FILE``)."""
    import orjson

    try:
        with path.open("wb") as fh:
            for problem in problems:
                fh.write(orjson.dumps(problem.to_json()) + b"\n")
    except OSError as exc:
        raise MlscError(f"cannot write {path}: {exc.strerror}") from exc


def _counts(counts: Mapping[str, int]) -> str:
    """``a 1, b 2`` (sorted by key), or ``none``."""
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "none"


# -- ingest -----------------------------------------------------------------------------


@ingest_app.command("snapshot")
def ingest_snapshot_cmd(
    file: Annotated[Path, typer.Argument(help="JSON Lines of Hub model records (.gz is fine).")],
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
    errors: Annotated[
        Path | None, typer.Option("--errors", help="Write every problem as JSON Lines here.")
    ] = None,
    observed_at: Annotated[
        str | None,
        typer.Option(help="When the snapshot was taken (ISO 8601) [default: file mtime]."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=0, help="Parser processes [default: one per core for files over 32 MiB]."),
    ] = None,
) -> None:
    """Ingest a snapshot of Hugging Face model records (GET /api/models?full=true shape)."""

    def run() -> None:
        from mlsc.ingest.snapshot import ingest_snapshot

        with _store(db, backend, read_only=False) as store, out.progress(file.name) as bar:
            report = ingest_snapshot(
                store, file, observed_at=observed_at, progress=bar, workers=workers
            )
        if errors:
            _write_problems(errors, report.problems)
        if fmt is Format.json:
            out.json(report.to_json())
        else:
            shown = 0
            for problem in report.problems:
                if problem.severity == "skipped" or problem.reason == "lineage-cycle" or shown < 20:
                    out.info(str(problem))
                    shown += 1
            hidden = len(report.problems) - shown + report.problems_left_out
            if hidden:
                out.info(f"... and {hidden} more problems (--errors FILE writes them all)")
            skipped = ", ".join(f"{r}: {n}" for r, n in sorted(report.skipped.items()))
            rels = ", ".join(f"{r}: {n}" for r, n in sorted(report.edges.items()))
            out.line(f"read {report.read:,} records from {file}")
            out.line(
                f"ingested {report.ingested:,}; skipped {sum(report.skipped.values()):,}"
                + (f" ({skipped})" if skipped else "")
            )
            out.line(f"derivations {sum(report.edges.values()):,}" + (f" ({rels})" if rels else ""))
            out.line(f"base models known only by name: {report.placeholders:,}")
            out.line(f"lineage cycles: {len(report.cycles):,}")

    _guard(run)


@ingest_app.command("git")
def ingest_git_cmd(
    path: Annotated[Path, typer.Argument(help="A local git clone.")],
    model: Annotated[
        str | None, typer.Option(help="The Hugging Face model it is [default: from origin].")
    ] = None,
    repo: Annotated[
        str | None, typer.Option(help="The code repository it is, as HOST/OWNER/NAME.")
    ] = None,
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Ingest a clone's commits: authors, files touched, and signatures as git verifies them."""

    def run() -> None:
        from mlsc.ingest.git import ingest_git

        with _store(db, backend, read_only=False) as store:
            report = ingest_git(store, path, model=model, repo=repo)
        if fmt is Format.json:
            out.json(report.to_json())
            return
        for problem in report.problems:
            out.info(str(problem))
        sigs, kinds = _counts(report.signatures), _counts(report.kinds)
        out.line(f"{report.label} {report.repository}: {report.commits:,} commits in the history")
        out.line(f"new {report.new:,} (merges {report.merges:,}); signatures: {sigs}")
        out.line(f"touched: {kinds}")
        if report.rewritten:
            out.line(f"no longer on any branch (rewritten history): {len(report.rewritten):,}")

    _guard(run)


@ingest_app.command("github")
def ingest_github_cmd(
    repos: Annotated[list[str] | None, typer.Argument(help="OWNER/NAME repositories.")] = None,
    from_models: Annotated[
        bool, typer.Option(help="Also the github.com repositories ingested model cards link.")
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option(
            envvar="GITHUB_API_URL", help="API URL (GitHub Enterprise).", show_default=False
        ),
    ] = None,
    max_commits: Annotated[
        int, typer.Option(min=0, help="Newest commits per repository on a first run (0: all).")
    ] = 1000,
    members: Annotated[bool, typer.Option(help="Organisation members and roles.")] = True,
    max_wait: Annotated[
        float, typer.Option(min=0, help="Longest wait for a rate-limit reset, in seconds.")
    ] = 900.0,
    errors: Annotated[
        Path | None, typer.Option("--errors", help="Write every problem as JSON Lines here.")
    ] = None,
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Ingest GitHub repositories: commits and signature verification, collaborators and
    permissions, organisation members, branch protection (token from GITHUB_TOKEN)."""

    def run() -> None:
        from mlsc.ingest.github import GitHubOptions, ingest_github

        options = GitHubOptions(
            repos=tuple(repos or ()),
            from_models=from_models,
            base_url=base_url,
            max_commits=max_commits or None,
            members=members,
            max_wait=max_wait,
        )
        with _store(db, backend, read_only=False) as store:
            report = ingest_github(store, options)
        if errors:
            _write_problems(errors, report.problems)
        if fmt is Format.json:
            out.json(report.to_json())
            return
        for problem in report.problems[:30]:
            out.info(str(problem))
        sigs = _counts(report.signatures)
        out.line(f"repositories {report.repositories:,}; commits {report.commits:,} ({sigs})")
        out.line(
            f"collaborators {report.collaborators:,} (access unknown on "
            f"{len(report.access_unknown):,}); contributors {report.contributors:,}; "
            f"organisation members {report.members:,}"
        )
        out.line(
            f"protected default branches {report.protected:,}; models linked {report.linked_models:,}"
        )
        skipped = _counts(report.skipped)
        out.line(
            f"skipped {sum(report.skipped.values()):,} ({skipped}); requests {report.requests:,}"
        )

    _guard(run)


def _journal_path(store: GraphStore, plan: str) -> Path:
    """Where a crawl plan's resumable state lives: beside an embedded knowledge base, or in
    the user state directory for a server (one file per server, database and plan)."""
    import hashlib

    if store.backend == "ladybug":
        return Path(store.location) / "crawls" / f"hf-{plan}.json"
    from platformdirs import user_state_path

    where = hashlib.sha256(store.location.encode()).hexdigest()[:12]
    return user_state_path("mlsc") / "crawls" / f"hf-{where}-{plan}.json"


@ingest_app.command("hf")
def ingest_hf_cmd(
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="A model id (repeatable).")
    ] = None,
    ancestors: Annotated[
        bool, typer.Option(help="Also crawl what the models derive from.")
    ] = False,
    descendants: Annotated[
        bool, typer.Option(help="Also crawl what derives from them (by base_model: tags).")
    ] = False,
    depth: Annotated[
        int | None, typer.Option(min=0, help="Hops from the given models [default: no limit].")
    ] = None,
    author: Annotated[
        list[str] | None, typer.Option("--author", "-a", help="Every model of a user or org.")
    ] = None,
    search: Annotated[str | None, typer.Option(help="Models whose id contains this.")] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Fetch at most this many models.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Re-crawl only what changed since this date, or `last` (crawl)."),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Concurrent requests.")] = 4,
    rate: Annotated[
        float, typer.Option(min=0, help="Requests per second in all; 0 for no limit.")
    ] = 10.0,
    retries: Annotated[int, typer.Option(min=0, help="Retries on 429, 5xx and timeouts.")] = 5,
    max_wait: Annotated[
        float, typer.Option(min=0, help="Longest Retry-After to wait for, in seconds.")
    ] = 300.0,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds per request.")] = 30.0,
    commits: Annotated[bool, typer.Option(help="Fetch each model's commit list.")] = True,
    owners: Annotated[
        bool, typer.Option(help="Look up owners: organisation verification and members.")
    ] = True,
    endpoint: Annotated[
        str | None, typer.Option(envvar="HF_ENDPOINT", help="The Hub's URL.", show_default=False)
    ] = None,
    restart: Annotated[
        bool, typer.Option(help="Ignore an interrupted crawl of the same plan; start over.")
    ] = False,
    errors: Annotated[
        Path | None, typer.Option("--errors", help="Write every problem as JSON Lines here.")
    ] = None,
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Crawl the Hugging Face Hub (token from HF_TOKEN or `hf auth login`, never printed)."""

    def run() -> None:
        from mlsc.ingest.hf import CrawlOptions, crawl_hub, iter_ids

        options = CrawlOptions(
            models=tuple(iter_ids(model or [])),
            ancestors=ancestors,
            descendants=descendants,
            depth=depth,
            authors=tuple(iter_ids(author or [])),
            search=search,
            limit=limit,
            since=since,
            workers=workers,
            rate=rate,
            retries=retries,
            max_wait=max_wait,
            timeout=timeout,
            commits=commits,
            owners=owners,
            endpoint=endpoint,
        )
        with _store(db, backend, read_only=False) as store:
            journal = _journal_path(store, options.plan_key())
            if restart:
                journal.unlink(missing_ok=True)
            options = dataclasses.replace(options, journal=journal)
            with out.counter("models", "models") as bar:
                report = crawl_hub(store, options, progress=bar)
        if errors:
            _write_problems(errors, report.problems)
        if fmt is Format.json:
            out.json(report.to_json())
            return
        for problem in report.problems[:30]:
            out.info(str(problem))
        if len(report.problems) > 30:
            out.info(f"... and {len(report.problems) - 30} more (--errors FILE writes them all)")

        out.line(f"crawled {report.endpoint} in {report.seconds:.1f} s")
        if report.resumed:
            out.line(f"resumed an interrupted crawl: {report.resumed:,} models were already done")
        out.line(
            f"models {report.models:,}"
            + (f" (unchanged since {report.since}: {report.unchanged:,})" if report.since else "")
        )
        out.line(f"derivations {sum(report.edges.values()):,} ({_counts(report.edges)})")
        out.line(f"evidence {_counts(report.evidence)}")
        out.line(
            f"files {report.files:,} (pickle-based {report.pickle_files:,}); "
            f"commits {report.commits:,}; datasets {report.datasets:,}"
        )
        out.line(
            f"owners looked up {report.actors:,} (organisations {report.organisations:,}, "
            f"memberships {report.memberships:,})"
        )
        if report.aliases:
            out.line(f"renamed {_counts({f'{a} -> {b}': 1 for a, b in report.aliases.items()})}")
        if report.removed:
            out.line(f"marked removed {len(report.removed):,}: {', '.join(report.removed[:10])}")
        out.line(f"skipped {sum(report.skipped.values()):,} ({_counts(report.skipped)})")
        rpm = f"{report.requests / report.models:.1f}" if report.models else "-"
        out.line(f"requests {report.requests:,} ({rpm} per model)")

    _guard(run)


# -- queries ----------------------------------------------------------------------------


class _Lazy(Mapping[Any, Any]):
    """Node or edge properties fetched only for what the page really draws."""

    def __init__(self, fetch: Callable[[Any], dict[str, Any] | None]) -> None:
        self._fetch = fetch
        self._cache: dict[Any, dict[str, Any]] = {}

    def __getitem__(self, key: Any) -> dict[str, Any]:
        if key not in self._cache:
            value = self._fetch(key)
            if value is None:
                raise KeyError(key)
            self._cache[key] = value
        return self._cache[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cache)

    def __len__(self) -> int:
        return len(self._cache)


def _write_page(path: Path, page: str) -> None:
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise MlscError(f"cannot write {path}: {exc.strerror}") from exc
    out.info(f"wrote {path}")


def _write_html(store: GraphStore, result: Any, path: Path) -> None:
    from mlsc.queries.results import LineageResult
    from mlsc.render.html import render_blast_radius, render_lineage

    details = _Lazy(lambda key: store.node("Model", key))
    edges = _Lazy(lambda pair: store.derivation(pair[0], pair[1]))
    render = render_lineage if isinstance(result, LineageResult) else render_blast_radius
    try:
        path.write_text(render(result, details, edges), encoding="utf-8")
    except OSError as exc:
        raise MlscError(f"cannot write {path}: {exc.strerror}") from exc
    out.info(f"wrote {path}")


@app.command()
def lineage(
    model: Annotated[str, typer.Argument(help="Model id, e.g. meta-llama/Llama-3.1-8B.")],
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
    html: HtmlOption = None,
) -> None:
    """Where MODEL came from (ancestors to the roots) and what derives from it."""

    def run() -> None:
        from mlsc.queries import lineage as query

        with _store(db, backend, read_only=True) as store:
            result = query(store, model)
            if html:
                _write_html(store, result, html)
        if fmt is Format.json:
            out.json(result.to_json())
            return
        cols = ("depth", "id", "relation", "via", "owner", "downloads")
        for title, entries in (
            ("ancestors", result.ancestors),
            ("descendants", result.descendants),
        ):
            out.table(
                f"{title} of {model}: {len(entries)}",
                cols,
                [(e.depth, e.id, e.relation, e.via, e.author, e.downloads) for e in entries],
            )
        for cycle in result.cycles:
            out.warn("lineage cycle: " + " -> ".join(cycle))

    _guard(run)


@app.command("blast-radius")
def blast_radius_cmd(
    target: Annotated[
        str, typer.Argument(help="A model id, a user or organisation name, or a commit sha.")
    ],
    actor: Annotated[
        bool, typer.Option("--actor", help="TARGET is an actor even if a model has that name.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(help="For an actor: follow only its commits made at or after this date."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown in the table (JSON has all).")] = 50,
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
    html: HtmlOption = None,
) -> None:
    """What is affected downstream if TARGET is compromised."""

    def run() -> None:
        from mlsc.queries import blast_radius

        with _store(db, backend, read_only=True) as store:
            result = blast_radius(store, target, kind="actor" if actor else None, since=since)
            if html:
                _write_html(store, result, html)
        if fmt is Format.json:
            out.json(result.to_json())
            return
        out.line(
            f"blast radius of {result.kind} {target}: {result.count:,} models "
            f"({len(result.seeds):,} compromised directly), {result.downloads:,} downloads, "
            f"{len(result.owners):,} owners to notify"
        )
        if result.commits:
            shown = result.commits[:limit]
            out.table(
                "commits" + (f" since {result.since}" if result.since else ""),
                ("sha", "repository", "at"),
                [(c.sha[:12], c.repository, c.at) for c in shown],
            )
        if result.repositories:
            out.line("code repositories: " + ", ".join(result.repositories))
        out.table(
            "by depth",
            ("depth", "models"),
            [(d, n) for d, n in result.by_depth.items()],
        )
        out.table("by relation", ("relation", "models"), list(result.by_relation.items()))
        rows = [(a.depth, a.id, a.relation, a.via, a.owner, a.downloads) for a in result.affected]
        out.table(
            f"affected models (first {min(limit, len(rows))} of {len(rows):,} by depth, downloads)",
            ("depth", "id", "relation", "via", "owner", "downloads"),
            rows[:limit],
        )

    _guard(run)


FAIL_LEVELS = {"critical": 2, "warning": 1, "none": 99}
"""``--fail-on`` levels: the least file status rank that makes ``mlsc scan`` exit 3."""
STATUS_RANKS = {"clean": 0, "skipped": 0, "warning": 1, "unparseable": 1, "critical": 2}


@app.command("scan")
def scan_cmd(
    path: Annotated[Path, typer.Argument(help="A model file or a local model directory.")],
    model: Annotated[
        str | None,
        typer.Option(
            help="The model in the knowledge base this directory is a copy of: the scan is "
            "recorded beside what the hub said (never over it). It must exist."
        ),
    ] = None,
    key: Annotated[
        list[Path] | None,
        typer.Option("--key", help="A trusted public key (PEM) for model signatures."),
    ] = None,
    cert_chain: Annotated[
        list[Path] | None,
        typer.Option("--cert-chain", help="Trusted CA certificates (PEM) for model signatures."),
    ] = None,
    store_results: Annotated[
        bool, typer.Option("--store/--no-store", help="Record the findings on File nodes.")
    ] = True,
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 3 when a file is this bad or worse: critical (the default, as "
            "pip-audit and picklescan fail a CI job), warning (also unknown imports and "
            "unparseable files), or none (always exit 0 after a scan)."
        ),
    ] = "critical",
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: ScanFormatOption = ScanFormat.table,
) -> None:
    """Unsafe serialisation without loading anything: pickle imports, archives, safetensors
    headers, OpenSSF model signatures; what downstream inherits a flagged model.

    Exit status: 0 when no file reaches --fail-on, 3 when one does (by default: anything
    critical), 1 on an error (a path that does not exist, an unknown --model)."""
    if fail_on not in FAIL_LEVELS:
        out.error(f"--fail-on {fail_on!r}: use critical, warning or none")
        raise typer.Exit(1)

    def run() -> str:
        from mlsc.cli.scan_output import show_scan
        from mlsc.queries.scans import ScanContext, scan_context
        from mlsc.scan import scan_path, scan_records

        if not path.exists():
            raise MlscError(f"{path} does not exist")
        context: ScanContext | None = None
        if model is not None:  # an unknown model is an error before anything is scanned
            with _store(db, backend, read_only=True) as store:
                context = scan_context(store, model)
        report = scan_path(
            path, public_keys=tuple(key or ()), certificate_chain=tuple(cert_chain or ())
        )
        downstream: dict[str, Any] = {}
        if store_results:
            from mlsc.queries import blast_radius

            known = tuple(context.files) if context else ()
            with _store(db, backend, read_only=False) as store:
                store.write(
                    scan_records(report, model, known_files=known, observed_at=report.scanned_at)
                )
                if model and report.status == "critical" and report.is_dir:
                    radius = blast_radius(store, model)
                    downstream = {
                        "model": model,
                        "inherit": [a.id for a in radius.affected if a.depth > 0],
                        "downloads": radius.downloads,
                    }
        return show_scan(out, report, context, downstream, fmt.value)

    status = _guard(run)
    if STATUS_RANKS.get(status, 0) >= FAIL_LEVELS[fail_on]:
        raise typer.Exit(3)


@app.command("reach")
def reach_cmd(
    actor: Annotated[str, typer.Argument(help="A user or organisation name.")],
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Maintainer reach: how much of the hub ACTOR can influence."""

    def run() -> None:
        from mlsc.queries import reach

        with _store(db, backend, read_only=True) as store:
            result = reach(store, actor)
        if fmt is Format.json:
            out.json(result.to_json())
            return
        out.table(
            f"reach of {actor}",
            ("direct", "transitive", "total", "organisations"),
            [
                (
                    result.direct,
                    result.transitive,
                    result.total,
                    ", ".join(result.organisations) or None,
                )
            ],
        )

    _guard(run)


def _top(kind: str, n: int, db: Path | None, backend: str | None, fmt: Format) -> None:
    def run() -> None:
        from mlsc.errors import EmptyStoreError
        from mlsc.queries import top_actors, top_models

        with _store(db, backend, read_only=True) as store:
            if store.counts().get("Model", 0) == 0:
                raise EmptyStoreError(store.location)
            rows = top_models(store, n) if kind == "models" else top_actors(store, n)
        if fmt is Format.json:
            out.json([r.to_json() for r in rows])
            return
        direct = "children" if kind == "models" else "controls"
        out.table(
            f"top {len(rows)} {kind} by reach",
            ("rank", "id", "reach", direct),
            [(i, r.id, r.reach, r.direct) for i, r in enumerate(rows, start=1)],
        )

    _guard(run)


TopN = Annotated[int, typer.Option("-n", "--limit", min=1, help="How many to show.")]


@top_app.command("models")
def top_models_cmd(
    n: TopN = 20,
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Models with the largest package reach (distinct descendants)."""
    _top("models", n, db, backend, fmt)


@top_app.command("actors")
def top_actors_cmd(
    n: TopN = 20,
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Users and organisations with the largest maintainer reach."""
    _top("actors", n, db, backend, fmt)


@app.command()
def stats(
    db: DbOption = None, backend: BackendOption = None, fmt: FormatOption = Format.table
) -> None:
    """How many nodes and edges of each kind the knowledge base holds."""

    def run() -> None:
        with _store(db, backend, read_only=True) as store:
            counts, location = store.counts(), store.location
        if fmt is Format.json:
            out.json({"location": location, **counts})
            return
        out.table(f"knowledge base at {location}", ("kind", "count"), list(counts.items()))

    _guard(run)


@app.command()
def cypher(
    query: Annotated[str, typer.Argument(help="A Cypher query; pass values with --param.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="NAME=VALUE (JSON values are parsed), repeatable."),
    ] = None,
    write: Annotated[bool, typer.Option("--write", help="Allow the query to write.")] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            help="Stop the query after this many seconds [default: 300, or MLSC_QUERY_TIMEOUT].",
        ),
    ] = None,
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Run Cypher against the knowledge base (read-only unless --write)."""

    def run() -> None:
        params = _params(param or [])
        with _store(db, backend, read_only=not write) as store:
            result = store.cypher(query, params, write=write, timeout=timeout)
        if fmt is Format.json:
            out.json([dict(zip(result.columns, row, strict=True)) for row in result.rows])
            return
        out.table(None, result.columns, result.rows)

    _guard(run)


@app.command("copy")
def copy_cmd(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="neo4j: copy the embedded knowledge base (--db) into Neo4j; "
            "ladybug: copy Neo4j into the embedded one at --db.",
        ),
    ],
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Copy a whole knowledge base between the embedded store and Neo4j (merging into it)."""

    def run() -> None:
        from mlsc.graph.transfer import copy_graph

        target_backend = to.lower()
        if target_backend not in ("neo4j", "ladybug"):
            raise MlscError(f"--to {to!r}: copy goes to neo4j or to ladybug")
        source_backend = "ladybug" if target_backend == "neo4j" else "neo4j"
        done: dict[str, int] = {}

        def progress(kind: str, rows: int) -> None:
            done[kind] = done.get(kind, 0) + rows
            out.info(f"{kind}: {done[kind]:,} copied")

        with (
            _store(db, source_backend, read_only=True) as source,
            _store(db, target_backend, read_only=False) as target,
        ):
            out.info(f"copying {source.location} -> {target.location}")
            report = copy_graph(source, target, progress=progress)
        if fmt is Format.json:
            out.json(report.to_json())
            return
        rows = [
            (k, report.copied[k], report.source_counts[k], report.target_counts[k])
            for k in report.copied
        ]
        out.table(f"copied in {report.seconds:.1f} s", ("kind", "copied", "source", "target"), rows)
        if not report.mirrored:
            out.warn(
                "the target holds more than the source (it was not empty before): "
                "the copy merged into it"
            )

    _guard(run)


@report_app.command("signing")
def report_signing_cmd(
    author: Annotated[
        str | None, typer.Option("--author", help="Only this owner's repositories.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown per table (JSON has all).")] = 30,
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Commit signing per repository and per organisation: signed, verified, since when."""

    def run() -> None:
        from mlsc.queries.signing import signing_report

        with _store(db, backend, read_only=True) as store:
            report = signing_report(store, author=author)
        if fmt is Format.json:
            out.json(report.to_json())
            return
        columns = ("id", "commits", "signed", "verified", "unknown", "first signed")
        for title, rows in (
            ("repositories", report.repositories),
            ("organisations", report.organisations),
        ):
            out.table(
                f"{title} ({len(rows):,}; first {min(limit, len(rows))} by commits)",
                columns,
                [
                    (r.id, r.commits, r.signed, r.verified, r.unknown, r.first_signed)
                    for r in rows[:limit]
                ],
            )
        if not report.repositories:
            out.info(
                "no commits yet: `mlsc ingest git PATH`, `mlsc ingest github` or `mlsc ingest hf`"
            )

    _guard(run)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


@report_app.command("practices")
def report_practices_cmd(
    author: Annotated[
        str | None, typer.Option("--author", help="Only this owner's models.")
    ] = None,
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
    html: HtmlOption = None,
) -> None:
    """Signing, verification, gating, pickles and writer concentration, beside published figures."""

    def run() -> None:
        from mlsc.queries.practices import practices

        with _store(db, backend, read_only=True) as store:
            report = practices(store, author=author)
        if html:
            from mlsc.render.reports import render_practices

            _write_page(html, render_practices(report))
        if fmt is Format.json:
            out.json(report.to_json())
            return
        out.table(
            f"practices over {report.models:,} ingested models" + (f" of {author}" if author else ""),
            ("figure", "share", "of", "published", "source"),
            [
                (f.label, _pct(f.value), f"{f.numerator:,}/{f.denominator:,}",
                 _pct(f.published), f.source or "")
                for f in report.figures
            ],
        )  # fmt: skip
        for title, d in (
            ("accounts that can write, per model", report.writers_per_model),
            ("models each account can write", report.models_per_writer),
        ):
            out.line(
                f"{title}: median {d.p50:g}, p90 {d.p90:g}, p99 {d.p99:g}, max {d.max:,} "
                f"(over {d.count:,}); most: " + ", ".join(f"{k} {v:,}" for k, v in d.top[:5])
            )

    _guard(run)


@report_app.command("discrepancies")
def report_discrepancies_cmd(
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Only findings about these.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown (JSON has all).")] = 50,
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """What models claim against what they are: each finding with its evidence and severity."""

    def run() -> None:
        from mlsc.queries.discrepancies import discrepancies

        with _store(db, backend, read_only=True) as store:
            report = discrepancies(store, models=model or None)
        if fmt is Format.json:
            out.json(report.to_json())
            return
        counts = ", ".join(f"{k} {v:,}" for k, v in report.by_severity.items()) or "none"
        out.line(f"{len(report.findings):,} findings ({counts})")
        out.table(
            f"findings (first {min(limit, len(report.findings))}, most severe first)",
            ("severity", "kind", "model", "detail"),
            [(f.severity, f.kind, f.model, f.detail) for f in report.findings[:limit]],
        )

    _guard(run)


@report_app.command("scorecard")
def report_scorecard_cmd(
    model: Annotated[str, typer.Argument(help="A model id.")],
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
    html: HtmlOption = None,
) -> None:
    """Transparency, Validity, Separation over artifacts, operations and actors; the weakest
    link upstream."""

    def run() -> None:
        from mlsc.queries.scorecard import PRINCIPLES, SUBJECTS, scorecard

        with _store(db, backend, read_only=True) as store:
            card = scorecard(store, model)
        if html:
            from mlsc.render.reports import render_scorecard

            _write_page(html, render_scorecard(card))
        if fmt is Format.json:
            out.json(card.to_json())
            return

        def score(value: float | None) -> str:
            return "unknown" if value is None else f"{value:.2f}"

        out.line(
            f"scorecard of {model}: overall {score(card.overall)} (unknown counts as 0); "
            f"{score(card.overall_known)} over the {card.known_cells} of 9 cells known"
        )
        out.table(
            "scores (0 worst, 1 best; unknown: no known fact, counted as 0 in overall)",
            ("", *SUBJECTS),
            [(p, *(score(card.cell(p, s).score) for s in SUBJECTS)) for p in PRINCIPLES],
        )
        out.table(
            "facts",
            ("principle", "subject", "fact", "value", "score"),
            [
                (c.principle, c.subject, f.name + (" (veto)" if f.veto else ""), f.value,
                 score(f.score))
                for c in card.cells
                for f in c.facts
            ],
        )  # fmt: skip
        weak = card.weakest_upstream
        if weak is None:
            out.line(f"no scored ancestor ({card.ancestors_scored} ancestors)")
            return
        why = "a file a scanner rates critical; " if weak.critical else ""
        out.line(
            f"weakest link upstream: {weak.model} (depth {weak.depth}), overall "
            f"{score(weak.overall)}, {weak.known_cells} of 9 cells known; {why}pulled down by: "
            + (
                ", ".join(
                    f"{c.principle} of {c.subject} {score(c.score)}" for c in weak.pulled_down_by
                )
                or "nothing below 0.5"
            )
        )
        if weak.critical:
            out.line(f"who else inherits it: mlsc blast-radius {weak.model}")

    _guard(run)


@export_app.command("cyclonedx")
def export_cyclonedx_cmd(
    model: Annotated[str, typer.Argument(help="A model id.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """A CycloneDX 1.6 ML-BOM of MODEL: card fields, file hashes, licences, datasets, and
    its whole lineage as pedigree ancestors (relation kept as a property)."""

    def run() -> None:
        from mlsc.queries.bom import ml_bom_facts
        from mlsc.render.cyclonedx import ml_bom_json

        with _store(db, backend, read_only=True) as store:
            facts = ml_bom_facts(store, model)
        document = ml_bom_json(facts)
        if output is None:
            out.line(document)
        else:
            _write_page(output, document)

    _guard(run)


@export_app.command("neo4j-admin")
def export_neo4j_admin_cmd(
    directory: Annotated[Path, typer.Argument(help="A new or empty directory for the CSV files.")],
    database: Annotated[str, typer.Option(help="Database name in the import command.")] = "neo4j",
    db: DbOption = None,
    backend: BackendOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """CSV files for `neo4j-admin database import full`: a hub-scale initial load of Neo4j."""

    def run() -> None:
        from mlsc.graph.transfer import export_neo4j_admin

        with _store(db, backend, read_only=True) as store:
            report = export_neo4j_admin(store, directory, database=database)
        for problem in report.problems:
            out.warn(problem)
        if fmt is Format.json:
            out.json(report.to_json())
            return
        out.table(f"written to {report.directory}", ("file", "rows"), list(report.files.items()))
        out.info("Import with the database stopped (run it in that directory):")
        out.line(" ".join(report.command))

    _guard(run)


def _params(items: list[str]) -> dict[str, Any]:
    import orjson

    params: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise MlscError(f"--param {item!r} is not NAME=VALUE")
        try:
            params[name] = orjson.loads(value)
        except orjson.JSONDecodeError:
            params[name] = value
    return params


def main() -> None:
    """Entry point of the `mlsc` script."""
    try:
        app()
    except KeyboardInterrupt:
        out.error("interrupted")
        sys.exit(130)
