"""The queries on the embedded store, opened read-only, beside the same work in networkx on
the same graph (loaded in this process) and in igraph: lineage of the deep leaf, blast radius
of the hubs, reach of the organisations, ``top``; each 1 warm-up + 5 timed runs, the answers'
counts checked against networkx. Then the CLI end to end (``cli_timing``)."""

from __future__ import annotations

import gc
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.suite.answers import mlsc_blast, mlsc_lineage, mlsc_reach
from benchmarks.suite.cli_timing import cli_phase
from benchmarks.suite.measure import Json, timed
from benchmarks.suite.report import Row, fmt_ratio, fmt_timing, say
from benchmarks.suite.targets import REPEAT, TARGETS, WARMUP

if TYPE_CHECKING:
    import networkx as nx

    from benchmarks.suite.sizerun import SizeRun
    from mlsc.graph.ladybug import LadybugStore


def org_names(n: int, seed: int) -> list[str]:
    """Every organisation name hubgen can give at size n (users are the other owners)."""
    from benchmarks.hubshape.generator import _Generator

    gen = _Generator(n, seed)  # names only: nothing is generated
    return [gen.owner_name(o) for o in range(gen.n_orgs)]


def queries(run: SizeRun, jsonl: Path, db: Path, gen: Json) -> None:
    """The queries on the embedded store beside networkx, then the CLI end to end."""
    from benchmarks.nxbaseline import (
        most_descendants,
        networkx_baseline,
        nx_org_reach,
        widest_org,
    )
    from mlsc.graph.ladybug import LadybugStore

    res = run.result
    say(f"[{run.label}] loading the networkx graph in this process ...")
    started = time.perf_counter()
    graph = networkx_baseline(jsonl)
    loaded = time.perf_counter()
    say(f"[{run.label}] finding the widest hub and organisation with networkx ...")
    hub_children = gen["biggest_hub"]
    hub_desc, n_desc = most_descendants(graph)
    org_models = gen["biggest_org"]
    org_reach, n_reach = widest_org(graph, org_names(run.n, run.seed))
    res["setup_seconds"] = {
        "networkx_load_in_process": loaded - started,
        "find_subjects": time.perf_counter() - loaded,
    }
    res["subjects"] = {
        "deep_leaf": gen["deep_leaf"],
        "deep_leaf_depth": gen["deep_leaf_depth"],
        "hub_most_children": hub_children,
        "hub_most_children_children": gen["biggest_hub_children"],
        "hub_most_descendants": hub_desc,
        "hub_most_descendants_descendants": n_desc,
        "org_most_models": org_models,
        "org_most_models_models": gen["biggest_org_models"],
        "org_widest_reach": org_reach,
        "org_widest_reach_total": n_reach,
    }
    gc.collect()
    gc.freeze()  # the big graph is long-lived: keep the collector from rescanning it
    q: Json = res.setdefault("queries", {})
    say(f"[{run.label}] queries ({WARMUP} warm-up + {REPEAT} timed each) ...")
    try:
        with LadybugStore(db, read_only=True) as store:
            query_rows(run, store, graph, q, gen, hub_children, hub_desc)
            for key, org in (("org_most_models", org_models), ("org_widest_reach", org_reach)):
                t_ml, ours = timed(partial(mlsc_reach, store, org))
                t_nx, theirs = timed(partial(nx_org_reach, graph, org))
                q[f"reach_{key}"] = {"target": org, "mlsc": t_ml, "networkx": t_nx}
                run.rows.append(
                    Row(
                        f"reach {org} ({ours:,})",
                        fmt_timing(t_ml),
                        fmt_timing(t_nx),
                        fmt_ratio(t_nx["median"], t_ml["median"]),
                        run.check(f"reach_{key}", ours, theirs),
                        f"<= {TARGETS['org_reach_seconds'] * 1000:.0f} ms",
                        run.verdict(f"reach_{key}", t_ml["median"] <= TARGETS["org_reach_seconds"]),
                    )
                )
            top_rows(run, store, q, hub_desc, n_desc)
    except Exception as exc:
        res["errors"].append(f"queries: {type(exc).__name__}: {exc}")
        say(f"[{run.label}] queries FAILED: {type(exc).__name__}: {exc}")
    finally:
        gc.unfreeze()

    cli_phase(run, db, hub_desc)


def query_rows(
    run: SizeRun,
    store: LadybugStore,
    graph: nx.DiGraph[str],
    q: Json,
    gen: Json,
    hub_children: str,
    hub_desc: str,
) -> None:
    from benchmarks import igraph_baseline
    from benchmarks.nxbaseline import nx_blast, nx_lineage

    leaf = gen["deep_leaf"]
    t_ml, ours = timed(partial(mlsc_lineage, store, leaf))
    t_nx, theirs = timed(partial(nx_lineage, graph, leaf))
    q["lineage_deep_leaf"] = {"target": leaf, "mlsc": t_ml, "networkx": t_nx}
    check = run.check("lineage_deep_leaf", ours, theirs)
    ig = igraph(run, graph, q, "lineage_deep_leaf", igraph_baseline.lineage, leaf, theirs)
    if ig[1] is not None and ig[1] != theirs:
        check += " (igraph MISMATCH)"
    depth = gen["deep_leaf_depth"]
    if ours["max_ancestor_depth"] != depth or ours["ancestors"] != depth:
        check += f" (depth {ours['max_ancestor_depth']} != {depth})"
    run.rows.append(
        Row(
            f"lineage deep leaf (depth {ours['max_ancestor_depth']})",
            fmt_timing(t_ml),
            fmt_timing(t_nx),
            fmt_ratio(t_nx["median"], t_ml["median"]),
            check,
            f"<= {TARGETS['lineage_seconds'] * 1000:g} ms",
            run.verdict("lineage_seconds", t_ml["median"] <= TARGETS["lineage_seconds"]),
            **igraph_cells(ig[0], t_ml),
        )
    )
    hubs = [("hub_most_children", hub_children), ("hub_most_descendants", hub_desc)]
    if hub_desc == hub_children:
        hubs = hubs[1:]
    for key, hub in hubs:
        t_ml, ours = timed(partial(mlsc_blast, store, hub))
        t_nx, theirs = timed(partial(nx_blast, graph, hub))
        q[f"blast_{key}"] = {"target": hub, "mlsc": t_ml, "networkx": t_nx}
        ig = igraph(run, graph, q, f"blast_{key}", igraph_baseline.blast, hub, theirs)
        fast = t_ml["median"] <= TARGETS["hub_blast_radius_seconds"]
        # mlsc's median over igraph's (BFS + the same per-model columns), same process
        vs_igraph = None if ig[0] is None else t_ml["median"] / ig[0]["median"]
        q[f"blast_{key}"]["mlsc_over_igraph"] = vs_igraph
        near = None if vs_igraph is None else vs_igraph <= TARGETS["hub_blast_radius_vs_igraph"]
        label = {
            "hub_most_children": "most children",
            "hub_most_descendants": "most descendants",
        }[key]
        if hub_desc == hub_children:
            label = "most children+desc."
        run.rows.append(
            Row(
                f"blast radius, hub {label} ({ours['count']:,})",
                fmt_timing(t_ml),
                fmt_timing(t_nx),
                fmt_ratio(t_nx["median"], t_ml["median"]),
                run.check(f"blast_{key}", ours, theirs),
                f"<= {TARGETS['hub_blast_radius_seconds'] * 1000:.0f} ms, "
                f"<= {TARGETS['hub_blast_radius_vs_igraph']:g}x igraph",
                " ".join(
                    v
                    for v in (
                        run.verdict(f"blast_{key}_seconds", fast),
                        run.verdict(f"blast_{key}_vs_igraph", near),
                    )
                    if v
                ),
                **igraph_cells(ig[0], t_ml),
            )
        )
        if ig[1] is not None and ig[1] != theirs:
            run.rows[-1].check += " (igraph MISMATCH)"


def top_rows(run: SizeRun, store: LadybugStore, q: Json, hub: str, descendants: int) -> None:
    """``top models`` and ``top actors`` (20 each): exact reach of every model and every
    actor. Checked: the first model is networkx's model with the most descendants."""
    from mlsc.queries import top_actors, top_models

    t_models, models = timed(partial(top_models, store, 20), repeat=3)
    t_actors, actors = timed(partial(top_actors, store, 20), repeat=3)
    q["top"] = {
        "models": t_models,
        "actors": t_actors,
        "first_model": [models[0].id, models[0].reach] if models else None,
        "first_actor": [actors[0].id, actors[0].reach] if actors else None,
    }
    first = (models[0].id, models[0].reach) if models else None
    for name, t in (("top models", t_models), ("top actors", t_actors)):
        run.rows.append(
            Row(
                f"{name} (20, exact reach of all)",
                fmt_timing(t),
                "",
                "",
                run.check("top_models", first, (hub, descendants)) if name == "top models" else "",
                f"<= {TARGETS['top_seconds']:.0f} s",
                run.verdict(name.replace(" ", "_"), t["median"] <= TARGETS["top_seconds"]),
            )
        )


def igraph(
    run: SizeRun, graph: nx.DiGraph[str], q: Json, key: str, fn: Any, subject: str, theirs: Json
) -> tuple[Json | None, Json | None]:
    """igraph's timing and answer of ``fn(base, subject)``, recorded in ``q[key]``; (None,
    None) when igraph is not installed (said once)."""
    from benchmarks import igraph_baseline

    if run.igraph_base is None:
        started = time.perf_counter()
        run.igraph_base = igraph_baseline.load(graph) or False
        if run.igraph_base:
            run.result.setdefault("setup_seconds", {})["igraph_load_in_process"] = (
                time.perf_counter() - started
            )
        else:
            say(f"[{run.label}] igraph not installed: its baseline column is skipped")
            run.result["igraph"] = "not installed"
    if not run.igraph_base:
        return None, None
    t_ig, answer = timed(partial(fn, run.igraph_base, subject))
    q[key]["igraph"] = t_ig
    q[key]["igraph_same_as_networkx"] = answer == theirs
    return t_ig, answer


def igraph_cells(t_ig: Json | None, t_ml: Json) -> dict[str, str]:
    if t_ig is None:
        return {}
    return {"ig": fmt_timing(t_ig), "ig_ratio": fmt_ratio(t_ig["median"], t_ml["median"])}
