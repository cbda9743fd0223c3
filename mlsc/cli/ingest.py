"""``mlsc ingest``: write models, owners, derivations and commits into the knowledge base.

$ mlsc ingest snapshot models.jsonl.gz --errors problems.jsonl
$ mlsc ingest hf -m org/model --ancestors --descendants
$ mlsc ingest code ./my-app --repo github.com/acme/my-app
$ mlsc ingest github acme/my-app --code
$ mlsc ingest peatmoss github-to-hf-mapping.csv
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlsc.cli.options import (
    Command,
    ErrorsOption,
    Group,
    connect,
    emit,
    out,
    uses_store,
    write_problems,
)
from mlsc.errors import InputError
from mlsc.render import text_ingest

if TYPE_CHECKING:
    from mlsc.ingest.interface import IngestReport
    from mlsc.render.text import Block

app = typer.Typer(help="Write models, owners and derivations into the knowledge base.", cls=Group)

QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Hide the problem of each record; their counts stay (on stderr).",
    ),
]


def _emit(
    report: Any,
    summary: Callable[..., Iterable[Block]],
    *context: Any,
    quiet: bool,
) -> None:
    """The run's summary; with ``--quiet``, each record's problem becomes one count per
    reason on stderr (``--errors FILE`` still writes them all)."""
    if not quiet:
        emit(report, summary, *context)
        return
    from mlsc.render.text import Note

    problems = getattr(report, "problems", [])
    one_by_one = {str(problem) for problem in problems}

    def kept(blocks: Iterable[Block]) -> Iterator[Block]:
        for block in blocks:
            if isinstance(block, Note) and (
                block.text in one_by_one or block.text.startswith("... and ")
            ):
                continue
            yield block
        if problems:
            reasons = Counter(problem.reason for problem in problems)
            listed = ", ".join(f"{reason}: {n:,}" for reason, n in sorted(reasons.items()))
            yield Note(f"problems {len(problems):,} ({listed}); --errors FILE writes them all")

    emit(report, lambda r, *c: kept(summary(r, *c)), *context)


def _fail_if_nothing_ingested(report: IngestReport, file: Path) -> None:
    """A run that read records and ingested none of them is a failure (exit 1), not a
    success with a page of warnings."""
    if report.read and not report.ingested:
        reasons = ", ".join(f"{r}: {n:,}" for r, n in sorted(report.skipped.items()))
        raise InputError(
            f"nothing was ingested: all {report.read:,} records of {file} were skipped"
            + (f" ({reasons})" if reasons else ""),
            hint="--errors FILE writes each problem with its line. A snapshot is JSON Lines "
            "or one JSON array of Hub model records (GET /api/models?full=true).",
        )


@app.command("snapshot", cls=Command, short_help="Ingest a snapshot of Hugging Face model records.")
@uses_store()
def ingest_snapshot_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="Hub model records: JSON Lines, or one JSON array as the Hub API answers "
            "(.gz is fine)."
        ),
    ],
    errors: ErrorsOption = None,
    observed_at: Annotated[
        str | None,
        typer.Option(help="When the snapshot was taken (ISO 8601) [default: file mtime]."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=0, help="Parser processes [default: one per core for files over 32 MiB]."),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Ingest a snapshot of Hugging Face model records (GET /api/models?full=true shape)."""
    from mlsc.ingest.hub.snapshot import ingest_snapshot

    with (
        connect(read_only=False) as store,
        out.progress(file.name) as bar,
    ):
        report = ingest_snapshot(
            store, file, observed_at=observed_at, progress=bar, workers=workers
        )
    if errors:
        write_problems(errors, report.problems)
    _emit(report, text_ingest.snapshot_summary, file, quiet=quiet)
    _fail_if_nothing_ingested(report, file)


@app.command("git", cls=Command, short_help="Ingest a clone's commits: authors, files, signatures.")
@uses_store()
def ingest_git_cmd(
    path: Annotated[Path, typer.Argument(help="A local git clone.")],
    model: Annotated[
        str | None, typer.Option(help="The Hugging Face model it is [default: from origin].")
    ] = None,
    repo: Annotated[
        str | None, typer.Option(help="The code repository it is, as HOST/OWNER/NAME.")
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Ingest a clone's commits: authors, files touched, and signatures as git verifies them."""
    from mlsc.ingest.git import ingest_git

    with connect(read_only=False) as store:
        report = ingest_git(store, path, model=model, repo=repo)
    _emit(report, text_ingest.git_summary, quiet=quiet)


@app.command("code", cls=Command, short_help="Record the models an application's code loads.")
@uses_store()
def ingest_code_cmd(
    path: Annotated[Path, typer.Argument(help="An application's code: a checkout or a folder.")],
    repo: Annotated[
        str | None,
        typer.Option(help="The application, as HOST/OWNER/NAME [default: from the remote]."),
    ] = None,
    errors: ErrorsOption = None,
    quiet: QuietOption = False,
) -> None:
    """Record the models an application's code loads: one USES_MODEL edge per model, with its pinning, file and line (never imports or runs the code)."""
    from mlsc.ingest.code import ingest_code

    with connect(read_only=False) as store:
        report = ingest_code(store, path, repo=repo)
    if errors:
        write_problems(errors, report.problems)
    _emit(report, text_ingest.code_summary, quiet=quiet)


@app.command(
    "peatmoss", cls=Command, short_help="Ingest PeaTMOSS links from GitHub repositories to models."
)
@uses_store()
def ingest_peatmoss_cmd(
    file: Annotated[
        Path, typer.Argument(help="PeaTMOSS github-to-hf-mapping.csv (repo,model,url,licence).")
    ],
    errors: ErrorsOption = None,
    quiet: QuietOption = False,
) -> None:
    """Ingest the PeaTMOSS links from GitHub repositories to the Hugging Face models they use (pinning unknown)."""
    from mlsc.ingest.peatmoss import ingest_peatmoss

    with connect(read_only=False) as store:
        report = ingest_peatmoss(store, file)
    if errors:
        write_problems(errors, report.problems)
    _emit(report, text_ingest.peatmoss_summary, file, quiet=quiet)
    _fail_if_nothing_ingested(report, file)


@app.command(
    "github", cls=Command, short_help="Ingest GitHub repositories: commits, people, protection."
)
@uses_store()
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
    code: Annotated[
        bool,
        typer.Option(help="Also read each repository's code for the models it loads."),
    ] = False,
    code_files: Annotated[
        int, typer.Option(min=1, help="Files of code fetched per repository at most (--code).")
    ] = 300,
    max_wait: Annotated[
        float, typer.Option(min=0, help="Longest wait for a rate-limit reset, in seconds.")
    ] = 900.0,
    errors: ErrorsOption = None,
    quiet: QuietOption = False,
) -> None:
    """Ingest GitHub repositories: commits and signature verification, collaborators and
    permissions, organisation members, branch protection; with --code, the models their code
    loads at the default branch's head (token from GITHUB_TOKEN)."""
    from mlsc.ingest.github import GitHubOptions, ingest_github

    options = GitHubOptions(
        repos=tuple(repos or ()),
        from_models=from_models,
        base_url=base_url,
        max_commits=max_commits or None,
        members=members,
        max_wait=max_wait,
        code=code,
        code_files=code_files,
    )
    with connect(read_only=False) as store:
        report = ingest_github(store, options)
    if errors:
        write_problems(errors, report.problems)
    _emit(report, text_ingest.github_summary, quiet=quiet)
    if report.stopped_by is not None:  # the counts are out; the exit says the run is partial
        raise report.stopped_by


@app.command("hf", cls=Command, short_help="Crawl the Hugging Face Hub.")
@uses_store()
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
    errors: ErrorsOption = None,
    quiet: QuietOption = False,
) -> None:
    """Crawl the Hugging Face Hub (token from HF_TOKEN or `hf auth login`, never printed)."""
    from mlsc.ingest.hub.crawl import crawl_hub, with_journal
    from mlsc.ingest.hub.options import CrawlOptions, iter_ids

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
    with connect(read_only=False) as store:
        options = with_journal(store, options, restart=restart)
        with out.counter("models", "models") as bar:
            report = crawl_hub(store, options, progress=bar)
    if errors:
        write_problems(errors, report.problems)
    _emit(report, text_ingest.crawl_summary, quiet=quiet)
