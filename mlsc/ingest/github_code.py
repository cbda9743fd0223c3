"""The models a GitHub repository's code loads, read from GitHub without cloning it.

    >>> read_github_code(client, store, repo, rid, host, stamp)       # doctest: +SKIP

``mlsc ingest github --code`` calls this for each repository it ingests: the default branch's
commit (``GET /repos/{o}/{r}/git/ref/heads/{branch}``), its whole tree in one request
(``GET /repos/{o}/{r}/git/trees/{sha}?recursive=1``), then one ``GET .../git/blobs/{sha}``
per file the code reader reads (Python, notebooks, YAML and JSON configs), skipping what
``mlsc ingest code`` skips locally (:mod:`mlsc.code.walk`: vendored and build directories,
virtual environments, lock and tokenizer files, files over the size limits) and symbolic
links (never followed; GitHub lists them as blobs of mode ``120000``) and submodules. At most
``code_files`` files are fetched, the first by path; the rest are reported as cut.

The files are written under a temporary directory with their paths, read by
:func:`mlsc.code.read_references` and ingested by :func:`mlsc.ingest.code.ingest_reading`
as the application ``HOST/OWNER/NAME`` (the repository's own node). The ``USES_MODEL`` edges
carry ``source = "github"`` and the run's ``observed_at``; the commit read is in the report
(:class:`~mlsc.ingest.github_client.CodeRead`). A tree GitHub truncated (over 100,000
entries or 7 MB) is read as far as it was listed, and reported.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from mlsc.code import read_references
from mlsc.code.references import Unreadable
from mlsc.code.walk import SIZE_LIMITS, file_kind, skipped_dir
from mlsc.graph.store import GraphStore
from mlsc.ingest.code import Application, ingest_reading
from mlsc.ingest.github_client import CodeRead, GitHubClient

SOURCE = "github"
LINK_MODE = "120000"
"""A symbolic link's mode in a git tree."""


@dataclass(frozen=True)
class Listed:
    """One file of the tree to fetch, or to report (``problem``)."""

    path: str
    sha: str
    size: int
    problem: str | None = None


def pick(entries: list[Any]) -> tuple[list[Listed], list[Unreadable]]:
    """The tree's files the reader reads, sorted by path, and those it reports instead."""
    venvs = {
        str(PurePosixPath(e.path).parent) for e in entries
        if e.type == "blob" and PurePosixPath(e.path).name == "pyvenv.cfg"
    }  # fmt: skip
    wanted: list[Listed] = []
    skipped: list[Unreadable] = []
    for e in entries:
        path = PurePosixPath(e.path)
        parents = [str(p) for p in path.parents if str(p) != "."]
        if any(skipped_dir(p.name) for p in path.parents) or venvs.intersection(parents):
            continue
        if e.type == "commit":
            skipped.append(Unreadable(e.path, f"submodule at {e.sha}, not read"))
            continue
        if e.type != "blob":
            continue
        kind = file_kind(path.name)
        if kind is None:
            continue
        if e.mode == LINK_MODE:
            skipped.append(Unreadable(e.path, "symbolic link, not followed"))
        elif not _safe(e.path):
            skipped.append(Unreadable(e.path[:200], "a path that leaves the tree, not read"))
        elif (e.size or 0) > SIZE_LIMITS[kind]:
            skipped.append(Unreadable(
                e.path, f"too large ({e.size:,} bytes; the limit is {SIZE_LIMITS[kind]:,})"))  # fmt: skip
        else:
            wanted.append(Listed(e.path, e.sha, e.size or 0))
    wanted.sort(key=lambda listed: listed.path)
    return wanted, skipped


def _safe(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return (
        bool(parts)
        and not path.startswith("/")
        and "\0" not in path
        and all(p not in ("..", ".") for p in parts)
    )


def read_github_code(
    client: GitHubClient,
    store: GraphStore,
    repo: Any,
    rid: str,
    host: str,
    stamp: str,
) -> CodeRead:
    """Fetch ``repo``'s code at its default branch's head and write what it loads.

    Raises :class:`~mlsc.ingest.github_client.Gone` when GitHub refuses or does not answer
    (the caller reports it for this repository and goes on)."""
    start = client.report.requests
    name, branch = repo.full_name, repo.default_branch
    ref = client.call(f"{name} ref", lambda: repo.get_git_ref(f"heads/{branch}").object.sha)
    revision = str(ref)
    tree = client.call(f"{name} tree", lambda: repo.get_git_tree(revision, recursive=True))
    wanted, skipped = pick(list(tree.tree))
    limit = client.options.code_files
    fetch, cut = wanted[:limit], wanted[limit:]
    with tempfile.TemporaryDirectory(prefix="mlsc-github-code-") as tmp:
        root = Path(tmp)
        for listed in fetch:
            blob = client.call(f"{name} {listed.path}", partial(repo.get_git_blob, listed.sha))
            try:
                data = base64.b64decode(blob.content or "")
            except (binascii.Error, ValueError):
                skipped.append(Unreadable(listed.path, "blob content is not base64, not read"))
                continue
            target = root / listed.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        reading = read_references(root)
    reading = replace(
        reading,
        root=f"{rid}@{revision}",
        skipped=tuple(sorted((*reading.skipped, *skipped), key=lambda u: u.file)),
    )
    report = ingest_reading(store, reading, Application(rid, host, repo.html_url),
                            observed_at=stamp, source=SOURCE)  # fmt: skip
    return CodeRead(
        repository=rid,
        revision=revision,
        branch=branch,
        files_listed=len(wanted),
        files_fetched=len(fetch),
        files_cut=len(cut),
        tree_truncated=bool(tree.truncated),
        requests=client.report.requests - start,
        report=report,
    )


__all__ = ["Listed", "pick", "read_github_code"]
