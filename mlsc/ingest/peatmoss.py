"""Ingest the PeaTMOSS mapping from GitHub repositories to the Hugging Face models they use.

    >>> from mlsc.graph import open_store
    >>> with open_store() as store:                                        # doctest: +SKIP
    ...     report = ingest_peatmoss(store, Path("github-to-hf-mapping.csv"))

PeaTMOSS (Jiang et al., MSR 2024; PurdueDualityLab/PeaTMOSS-Artifact, Apache-2.0) links
GitHub repositories to the pre-trained models their code reuses. Its mapping is a CSV without
a header: ``github_repo,hf_model_id,hf_url,hf_license``. Each row becomes a
``CodeRepository`` (``github.com/OWNER/NAME``), a placeholder ``Model`` where the knowledge
base has none (with its owner, as the snapshot writes one), and a ``USES_MODEL`` edge with
evidence ``peatmoss``, confidence 0.8 and pinning unknown (``pinned``, ``revision`` null).

What PeaTMOSS says never overwrites what mlsc saw itself: the repository node and the
placeholder are written only where no node exists, and a link is left alone where the code
reader (``mlsc ingest code``) already wrote an edge for the same (repository, model). The
licence column is not recorded: it is PeaTMOSS's observation at its crawl, of unknown date,
and on a placeholder it would outlive a later crawl that found no licence.

Bad rows (wrong column count, an invalid repository or model id, bytes that are not UTF-8)
are reported with their line and reason; the rest goes on. Repeated links merge.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlsc.errors import InputError
from mlsc.graph.reads_code import stored_models, stored_uses
from mlsc.graph.records import EdgeTable, GraphBatch, NodeTable
from mlsc.graph.store import GraphStore
from mlsc.ingest.interface import IngestReport, Problem
from mlsc.vocab import HUB, is_github_repo, is_valid_repo_id, namespace_of, utc_iso, utc_stamp

SOURCE = "peatmoss"
CONFIDENCE = 0.8
"""PeaTMOSS matched model ids in code by pattern; an edge is likely, not certain."""
HOST = "github.com"


@dataclass
class PeatmossReport(IngestReport):
    """An :class:`IngestReport` with the applications and models the links name."""

    applications: int = 0
    models: int = 0
    kept: int = 0
    """Links the code reader had written already: left as they are."""

    def to_json(self) -> dict[str, Any]:
        return {
            **super().to_json(),
            "applications": self.applications,
            "models": self.models,
            "links_kept": self.kept,
        }


def _short(value: str) -> str:
    return value[:120]


def read_links(path: Path, report: PeatmossReport) -> dict[tuple[str, str], int]:
    """(application id, model id) -> the line that first names it; bad rows into ``report``."""
    links: dict[tuple[str, str], int] = {}
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            report.read += 1
            try:
                text = raw.decode("utf-8")
                row = next(csv.reader([text]))
            except (UnicodeDecodeError, csv.Error) as exc:
                report.add(Problem(number, None, "invalid-csv", str(exc)[:200], "skipped"))
                continue
            if len(row) != 4:
                report.add(Problem(number, _short(row[0]) if row else None, "wrong-columns",
                                   f"{len(row)} columns, expected github_repo,hf_model_id,"
                                   "hf_url,hf_license", "skipped"))  # fmt: skip
                continue
            repo, model, url = row[0].strip(), row[1].strip(), row[2].strip()
            name = repo.removeprefix(f"{HOST}/")
            if name == repo or not is_github_repo(name):
                report.add(Problem(number, _short(repo), "invalid-repo",
                                   f"{_short(repo)!r} is not github.com/OWNER/NAME", "skipped"))  # fmt: skip
                continue
            if not is_valid_repo_id(model):
                report.add(Problem(number, _short(repo), "invalid-id",
                                   f"{_short(model)!r} is not a Hub model id", "skipped"))  # fmt: skip
                continue
            if url and url.rstrip("/") != f"https://huggingface.co/{model}":
                report.add(Problem(number, model, "url-mismatch",
                                   f"hf_url {_short(url)!r} names another repository; "
                                   "the model id column was used", "warning"))  # fmt: skip
            key = (f"{HOST}/{name}", model)
            if key in links:
                report.add(Problem(number, model, "duplicate",
                                   f"{key[0]} -> {model} again (first on line {links[key]})",
                                   "warning"))  # fmt: skip
                continue
            links[key] = number
    return links


def peatmoss_batch(
    links: list[tuple[str, str]], known: set[str], observed_at: str
) -> tuple[GraphBatch, int]:
    """Columns for the links: repositories, placeholders with owners, USES_MODEL edges; and
    how many placeholders it holds."""
    repos = sorted({a for a, _ in links})
    models = sorted({m for _, m in links})
    unknown = [m for m in models if m not in known]
    owners = {m: namespace_of(m) for m in unknown}
    owned = [m for m in unknown if owners[m]]
    actors = sorted({o for o in owners.values() if o})

    def prov(n: int) -> dict[str, list[str]]:
        return {"source": [SOURCE] * n, "observed_at": [observed_at] * n}

    n = len(links)
    batch = GraphBatch(
        node_tables=[
            NodeTable(
                "CodeRepository",
                repos,
                {"host": [HOST] * len(repos), "url": [f"https://{r}" for r in repos]}
                | prov(len(repos)),
                True,
            ),
            NodeTable(
                "Model",
                unknown,
                {
                    "hub": [HUB] * len(unknown),
                    "author": [owners[m] for m in unknown],
                    "ingested": [False] * len(unknown),
                }
                | prov(len(unknown)),
                True,
            ),
            NodeTable("Actor", actors, {"hub": [HUB] * len(actors)} | prov(len(actors)), True),
        ],
        edge_tables=[
            EdgeTable(
                "OWNS", "Actor", "Model", [owners[m] for m in owned], owned, prov(len(owned))
            ),
            EdgeTable(
                "USES_MODEL",
                "CodeRepository",
                "Model",
                [a for a, _ in links],
                [m for _, m in links],
                {"evidence": [[SOURCE]] * n, "confidence": [CONFIDENCE] * n} | prov(n),
            ),
        ],
    )
    return batch, len(unknown)


def ingest_peatmoss(
    store: GraphStore, path: Path, *, observed_at: str | None = None
) -> PeatmossReport:
    """Ingest the mapping at ``path``; ``observed_at`` defaults to the file's mtime, so a
    second run over the same file leaves the same graph."""
    report = PeatmossReport(source=f"{SOURCE}:{path.name}")
    links = read_links(path, report)
    if observed_at is None:
        stamp = utc_stamp(datetime.fromtimestamp(os.stat(path).st_mtime, UTC))
    else:
        stamp = utc_iso(observed_at) or ""
    stored = stored_uses(store, [a for a, _ in links])
    kept = {k for k, source in stored.items() if source != SOURCE}
    fresh = [k for k in links if k not in kept]
    report.kept = len(links) - len(fresh)
    report.applications = len({a for a, _ in links})
    report.models = len({m for _, m in links})
    known = stored_models(store, [m for _, m in fresh])
    batch, report.placeholders = peatmoss_batch(fresh, known, stamp)
    stats = store.write(batch)
    report.ingested = len(fresh)
    report.nodes_created, report.nodes_updated = stats.nodes_created, stats.nodes_updated
    report.edges["USES_MODEL"] = len(fresh)
    return report
