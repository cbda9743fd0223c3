"""The queries: lineage, blast radius, reach, the rankings, counts, users' own Cypher, and a
copy of the whole knowledge base between the two stores.

    $ mlsc lineage org/model --html lineage.html
    $ mlsc top actors -n 10 -f json
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from mlsc.cli.options import (
    RUN,
    Command,
    Group,
    HtmlOption,
    connect,
    embedded_store,
    emit,
    out,
    uses_store,
    write_page,
)
from mlsc.errors import MlscError
from mlsc.render import text, text_reports

if TYPE_CHECKING:
    from mlsc.graph.store import GraphStore
    from mlsc.queries.results import BlastRadius

app = typer.Typer()
"""The query commands at the root: lineage, blast-radius, reach, stats, cypher, copy."""
top_app = typer.Typer(help="Rank models or actors by reach.", cls=Group)


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


class Layout(StrEnum):
    """How the lineage page lays the models out."""

    layers = "layers"
    physics = "physics"


def _write_html(store: GraphStore, result: Any, path: Path, layout: Layout | None = None) -> None:
    from mlsc.queries.results import LineageResult
    from mlsc.render.html import render_blast_radius, render_lineage

    details = _Lazy(lambda key: store.node("Model", key))
    edges = _Lazy(lambda pair: store.derivation(pair[0], pair[1]))
    if isinstance(result, LineageResult):
        chosen: Literal["layers", "physics"] = "physics" if layout is Layout.physics else "layers"
        page = render_lineage(result, details, edges, layout=chosen)
    else:
        page = render_blast_radius(result, details, edges)
    write_page(path, page)


@app.command(cls=Command)
@uses_store()
def lineage(
    model: Annotated[str, typer.Argument(help="Model id, e.g. meta-llama/Llama-3.1-8B.")],
    html: HtmlOption = None,
    layout: Annotated[
        Layout,
        typer.Option(
            help="The --html page's layout: rows by depth, ancestors above and descendants "
            "below (layers), or settled by forces (physics)."
        ),
    ] = Layout.layers,
) -> None:
    """Where MODEL came from (ancestors to the roots) and what derives from it."""
    from mlsc.queries import lineage as query

    with connect(read_only=True) as store:
        result = query(store, model)
        if html:
            _write_html(store, result, html, layout)
    emit(result, text.lineage_summary, model)


@app.command("blast-radius", cls=Command)
@uses_store()
def blast_radius_cmd(
    target: Annotated[
        str, typer.Argument(help="A model id, a user or organisation name, or a commit sha.")
    ],
    actor: Annotated[
        bool, typer.Option("--actor", help="TARGET is an actor even if a model has that name.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            help="The date of the compromise. For an actor: follow only its commits made at "
            "or after it. For every target: an application pinned to a commit dated before it "
            "is pinned-before (not exposed); any other reference stays exposed."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown in the table (JSON has all).")] = 50,
    html: HtmlOption = None,
) -> None:
    """What is affected downstream if TARGET is compromised: the models, then the applications that load one of them and whether each reference is pinned."""
    if not actor and since is None and html is None:
        saved = _saved_blast_radius(target)
        if saved is not None:
            emit(saved, text.blast_radius_summary, target, limit)
            return
    from mlsc.queries import blast_radius

    with connect(read_only=True) as store:
        result = blast_radius(store, target, kind="actor" if actor else None, since=since)
        if html:
            _write_html(store, result, html)
    emit(result, text.blast_radius_summary, target, limit)


def _saved_blast_radius(model: str) -> BlastRadius | None:
    """The blast radius of MODEL from the lineage index saved beside the embedded store,
    without opening the store, when that index is current and tells the whole answer (see
    :mod:`mlsc.queries.saved`); else None."""
    directory = embedded_store()
    if directory is None:
        return None
    from mlsc.queries.saved import saved_blast_radius

    result = saved_blast_radius(directory, model)
    if result is not None:
        RUN.read = True
    return result


@app.command("reach", cls=Command)
@uses_store()
def reach_cmd(
    actor: Annotated[str, typer.Argument(help="A user or organisation name.")],
) -> None:
    """Maintainer reach: how much of the hub ACTOR can influence."""
    from mlsc.queries import reach

    with connect(read_only=True) as store:
        result = reach(store, actor)
    emit(result, text.reach_summary, actor)


def _top(kind: str, n: int) -> None:
    from mlsc.errors import EmptyStoreError
    from mlsc.queries import top_actors, top_models

    with connect(read_only=True) as store:
        if store.counts().get("Model", 0) == 0:
            raise EmptyStoreError(store.location)
        rows = top_models(store, n) if kind == "models" else top_actors(store, n)
    emit(
        rows,
        text.top_summary,
        kind,
        as_json=lambda ranked: [{"rank": i, **r.to_json()} for i, r in enumerate(ranked, 1)],
    )


TopN = Annotated[int, typer.Option("-n", "--limit", min=1, help="How many to show.")]


@top_app.command("models", cls=Command, short_help="Models with the largest package reach.")
@uses_store()
def top_models_cmd(
    n: TopN = 20,
) -> None:
    """Models with the largest package reach (distinct descendants)."""
    _top("models", n)


@top_app.command(
    "actors", cls=Command, short_help="Users and organisations with the largest maintainer reach."
)
@uses_store()
def top_actors_cmd(
    n: TopN = 20,
) -> None:
    """Users and organisations with the largest maintainer reach."""
    _top("actors", n)


@app.command(cls=Command)
@uses_store()
def stats() -> None:
    """How many nodes and edges of each kind the knowledge base holds."""
    with connect(read_only=True) as store:
        counts, location = store.counts(), store.location
    emit(counts, text.stats_summary, location, as_json=lambda c: {"location": location, **c})


@app.command(cls=Command)
@uses_store()
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
) -> None:
    """Run Cypher against the knowledge base (read-only unless --write)."""
    params = _params(param or [])
    with connect(read_only=not write) as store:
        result = store.cypher(query, params, write=write, timeout=timeout)
    emit(result, text.cypher_summary, as_json=text.cypher_json)


@app.command("copy", cls=Command)
@uses_store(backend=False)
def copy_cmd(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="neo4j: copy the embedded knowledge base (--db) into Neo4j; "
            "ladybug: copy Neo4j into the embedded one at --db.",
        ),
    ],
) -> None:
    """Copy a whole knowledge base between the embedded store and Neo4j (merging into it)."""
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
        connect(read_only=True, backend=source_backend) as source,
        connect(read_only=False, backend=target_backend) as target,
    ):
        out.info(f"copying {source.location} -> {target.location}")
        report = copy_graph(source, target, progress=progress)
    emit(report, text_reports.copy_summary)


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
