"""Terminal summaries of ingestion runs: problems as notes (stderr), counts as lines (stdout).

    for block in snapshot_summary(report, Path("models.jsonl.gz")):
        ...  # the CLI writes a Line to stdout, a Note to stderr

The number of problems a terminal shows is capped here; ``--errors FILE`` writes them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mlsc.render.text import Block, Line, Note, count, counts

if TYPE_CHECKING:
    from mlsc.ingest.code import CodeReport
    from mlsc.ingest.git import GitReport
    from mlsc.ingest.github import GitHubReport
    from mlsc.ingest.hub.options import CrawlReport
    from mlsc.ingest.interface import IngestReport
    from mlsc.ingest.peatmoss import PeatmossReport

PROBLEMS_SHOWN = 20
"""Problems a snapshot shows on a terminal besides every skip and lineage cycle."""
CRAWL_PROBLEMS_SHOWN = 30
"""Problems a GitHub or Hub crawl shows on a terminal (``--errors FILE`` writes them all)."""


def snapshot_summary(report: IngestReport, file: Path) -> Iterator[Block]:
    """Every skip and lineage cycle and the first other problems; what was read and written."""
    shown = 0
    for problem in report.problems:
        if (
            problem.severity == "skipped"
            or problem.reason == "lineage-cycle"
            or shown < PROBLEMS_SHOWN
        ):
            yield Note(str(problem))
            shown += 1
    hidden = len(report.problems) - shown + report.problems_left_out
    if hidden:
        yield Note(f"... and {hidden} more problems (--errors FILE writes them all)")
    skipped = ", ".join(f"{r}: {n}" for r, n in sorted(report.skipped.items()))
    rels = ", ".join(f"{r}: {n}" for r, n in sorted(report.edges.items()))
    yield Line(f"read {report.read:,} records from {file}")
    yield Line(
        f"ingested {report.ingested:,}; skipped {sum(report.skipped.values()):,}"
        + (f" ({skipped})" if skipped else "")
    )
    yield Line(f"derivations {sum(report.edges.values()):,}" + (f" ({rels})" if rels else ""))
    yield Line(f"base models known only by name: {report.placeholders:,}")
    yield Line(f"lineage cycles: {len(report.cycles):,}")


def git_summary(report: GitReport) -> Iterator[Block]:
    """Commits of a clone, signatures and the kinds of files touched."""
    for problem in report.problems:
        yield Note(str(problem))
    sigs, kinds = counts(report.signatures), counts(report.kinds)
    yield Line(f"{report.label} {report.repository}: {report.commits:,} commits in the history")
    yield Line(f"new {report.new:,} (merges {report.merges:,}); signatures: {sigs}")
    yield Line(f"touched: {kinds}")
    if report.rewritten:
        yield Line(f"no longer on any branch (rewritten history): {len(report.rewritten):,}")


def github_summary(report: GitHubReport) -> Iterator[Block]:
    """Repositories, commits, collaborators, members and protection from GitHub."""
    for problem in report.problems[:CRAWL_PROBLEMS_SHOWN]:
        yield Note(str(problem))
    sigs = counts(report.signatures)
    yield Line(f"repositories {report.repositories:,}; commits {report.commits:,} ({sigs})")
    yield Line(
        f"collaborators {report.collaborators:,} (access unknown on "
        f"{len(report.access_unknown):,}); contributors {report.contributors:,}; "
        f"organisation members {report.members:,}"
    )
    yield Line(
        f"protected default branches {report.protected:,}; models linked {report.linked_models:,}"
    )
    for read in report.code:
        code = read.report
        cut = f", {read.files_cut:,} cut by --code-files" if read.files_cut else ""
        truncated = "; GitHub truncated the tree: files may be missing" if read.tree_truncated \
            else ""  # fmt: skip
        yield Line(
            f"code {read.repository} at {read.revision} ({read.branch}): "
            f"fetched {read.files_fetched:,} of {read.files_listed:,} files{cut}, "
            f"read {code.files_read:,}, skipped {sum(code.skipped.values()):,}; "
            f"references {code.references:,} to {code.models:,} models, pinned to a commit "
            f"{code.pinned:,}; removed {len(code.removed):,}; requests {read.requests:,}"
            f"{truncated}"
        )
    skipped = counts(report.skipped)
    yield Line(
        f"skipped {sum(report.skipped.values()):,} ({skipped}); requests {report.requests:,}"
    )
    if len(report.requests_by_repository) > 1:
        yield Line(
            "requests by repository: "
            + ", ".join(f"{n} {c:,}" for n, c in report.requests_by_repository.items())
        )
    if report.stopped_by is not None:
        yield Note(f"stopped early: {report.stopped_by.message}")


def crawl_summary(report: CrawlReport) -> Iterator[Block]:
    """A Hub crawl: what it fetched, renamed, marked removed and skipped, at what cost."""
    for problem in report.problems[:CRAWL_PROBLEMS_SHOWN]:
        yield Note(str(problem))
    if len(report.problems) > CRAWL_PROBLEMS_SHOWN:
        more = len(report.problems) - CRAWL_PROBLEMS_SHOWN
        yield Note(f"... and {more} more (--errors FILE writes them all)")

    yield Line(f"crawled {report.endpoint} in {report.seconds:.1f} s")
    if report.resumed:
        yield Line(f"resumed an interrupted crawl: {report.resumed:,} models were already done")
    yield Line(
        f"models {report.models:,}"
        + (f" (unchanged since {report.since}: {report.unchanged:,})" if report.since else "")
    )
    yield Line(f"derivations {sum(report.edges.values()):,} ({counts(report.edges)})")
    yield Line(f"evidence {counts(report.evidence)}")
    yield Line(
        f"files {report.files:,} (pickle-based {report.pickle_files:,}); "
        f"commits {report.commits:,}; datasets {report.datasets:,}"
    )
    yield Line(
        f"owners looked up {report.actors:,} (organisations {report.organisations:,}, "
        f"memberships {report.memberships:,})"
    )
    if report.aliases:
        yield Line(f"renamed {counts({f'{a} -> {b}': 1 for a, b in report.aliases.items()})}")
    if report.removed:
        yield Line(f"marked removed {len(report.removed):,}: {', '.join(report.removed[:10])}")
    yield Line(f"skipped {sum(report.skipped.values()):,} ({counts(report.skipped)})")
    rpm = f"{report.requests / report.models:.1f}" if report.models else "-"
    yield Line(f"requests {report.requests:,} ({rpm} per model)")


def code_summary(report: CodeReport) -> Iterator[Block]:
    """An application's references: models, pinning, what wrote no edge, what changed."""
    for problem in report.problems[:CRAWL_PROBLEMS_SHOWN]:
        yield Note(str(problem))
    if len(report.problems) > CRAWL_PROBLEMS_SHOWN:
        more = len(report.problems) - CRAWL_PROBLEMS_SHOWN
        yield Note(f"... and {more} more (--errors FILE writes them all)")
    yield Line(f"application {report.application}: read {count(report.files_read, 'file')}")
    yield Line(
        f"references {report.references:,} to {report.models:,} models; "
        f"pinned to a commit {report.pinned:,} of {report.models:,} "
        f"(least pinned reference: {counts(report.revision_kinds)})"
    )
    yield Line(
        f"no edge: dynamic model ids {report.dynamic:,}, torch.hub (GitHub code) "
        f"{report.torch_hub:,}; skipped {sum(report.skipped.values()):,} "
        f"({counts(report.skipped)})"
    )
    yield Line(f"models known only by name (placeholders written): {report.placeholders:,}")
    if report.removed:
        yield Line(
            f"no longer referenced (edges removed) {len(report.removed):,}: "
            + ", ".join(report.removed[:10])
        )


def peatmoss_summary(report: PeatmossReport, file: Path) -> Iterator[Block]:
    """PeaTMOSS links: rows read, links written, what was skipped and why."""
    for problem in report.problems[:CRAWL_PROBLEMS_SHOWN]:
        yield Note(str(problem))
    hidden = len(report.problems) - CRAWL_PROBLEMS_SHOWN + report.problems_left_out
    if hidden > 0:
        yield Note(f"... and {hidden} more problems (--errors FILE writes them all)")
    yield Line(f"read {report.read:,} rows from {file}")
    yield Line(
        f"links {report.ingested:,} (USES_MODEL, pinning unknown); applications "
        f"{report.applications:,}; models {report.models:,}"
    )
    if report.kept:
        yield Line(f"links left as the code reader wrote them: {report.kept:,}")
    yield Line(f"models known only by name (placeholders written): {report.placeholders:,}")
    yield Line(
        f"skipped {sum(report.skipped.values()):,} ({counts(report.skipped)}); "
        f"warnings {sum(report.warnings.values()):,} ({counts(report.warnings)})"
    )
