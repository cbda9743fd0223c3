"""The three-principle scorecard of a model: Transparency, Validity and Separation, each over
its Artifacts, Operations and Actors, with the facts behind every score, and the weakest link
upstream.

    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:                 # doctest: +SKIP
    ...     card = scorecard(store, "quantlab/Evo-8B-g12-GGUF")
    ...     print(card.overall, card.overall_known, card.known_cells, card.weakest_upstream)

What is not known is not assured. A cell's score is the weighted mean of its known facts (a
yes is 1, a no 0, a share its value), and 0 outright when a veto fact scores 0 (a file a
scanner rates critical); a cell with no known fact is unknown. ``overall`` is the mean of all
nine cells with an unknown cell counted as 0: a lower bound, so a model nobody knows anything
about scores 0, never 1. ``overall_known`` is the mean over the known cells only, and
``known_cells`` says how many there are. docs/scoring.md lists every fact with its weight and
works an example through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlsc.graph.store import GraphStore
from mlsc.queries.core import lineage, require_node
from mlsc.queries.discrepancies import discrepancies
from mlsc.queries.scorecard_facts import PRINCIPLES, SUBJECTS, Fact, gather, model_cells

__all__ = ["PRINCIPLES", "SUBJECTS", "Cell", "Fact", "Scorecard", "Weakest", "scorecard"]


@dataclass(frozen=True)
class Cell:
    """One principle over one subject, with its facts."""

    principle: str
    subject: str
    facts: tuple[Fact, ...]

    @property
    def known_facts(self) -> int:
        return sum(1 for f in self.facts if f.score is not None)

    @property
    def vetoed(self) -> bool:
        """Whether a veto fact scores 0 (the cell is then 0)."""
        return any(f.veto and f.score == 0 for f in self.facts)

    @property
    def score(self) -> float | None:
        """The weighted mean of the known facts; 0 when vetoed; None when none is known."""
        known = [f for f in self.facts if f.score is not None]
        if not known:
            return None
        if self.vetoed:
            return 0.0
        total = sum(f.weight for f in known)
        return round(sum(f.weight * (f.score or 0.0) for f in known) / total, 3)

    def to_json(self) -> dict[str, Any]:
        return {
            "principle": self.principle,
            "subject": self.subject,
            "score": self.score,
            "known_facts": self.known_facts,
            "facts": [f.to_json() for f in self.facts],
        }


def _lower_bound(cells: Sequence[Cell]) -> float:
    return round(sum(c.score or 0.0 for c in cells) / len(cells), 3) if cells else 0.0


def _known_mean(cells: Sequence[Cell]) -> float | None:
    known = [c.score for c in cells if c.score is not None]
    return round(sum(known) / len(known), 3) if known else None


def _critical(cells: Sequence[Cell]) -> bool:
    return any(c.vetoed for c in cells)


@dataclass(frozen=True)
class Weakest:
    """The ancestor that pulls a model down most, and the cells why."""

    model: str
    depth: int
    overall: float
    overall_known: float | None
    known_cells: int
    critical: bool
    """Whether a scanner rates one of its files critical (it is then named first)."""
    pulled_down_by: tuple[Cell, ...]
    """Its cells below 0.5, worst first."""

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "depth": self.depth,
            "overall": self.overall,
            "overall_known": self.overall_known,
            "known_cells": self.known_cells,
            "critical": self.critical,
            "pulled_down_by": [
                {
                    "principle": c.principle,
                    "subject": c.subject,
                    "score": c.score,
                    "failing": [
                        f.to_json() for f in c.facts if f.score is not None and f.score < 0.5
                    ],
                }
                for c in self.pulled_down_by
            ],
        }


@dataclass(frozen=True)
class Scorecard:
    """A model's nine cells and its weakest ancestor."""

    model: str
    cells: tuple[Cell, ...]
    weakest_upstream: Weakest | None
    ancestors_scored: int

    @property
    def overall(self) -> float:
        """The mean of the nine cells, unknown ones counted as 0 (a lower bound)."""
        return _lower_bound(self.cells)

    @property
    def overall_known(self) -> float | None:
        """The mean over the known cells only (None when no cell is known)."""
        return _known_mean(self.cells)

    @property
    def known_cells(self) -> int:
        return sum(1 for c in self.cells if c.score is not None)

    def cell(self, principle: str, subject: str) -> Cell:
        return next(c for c in self.cells if (c.principle, c.subject) == (principle, subject))

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "overall": self.overall,
            "overall_known": self.overall_known,
            "known_cells": self.known_cells,
            "cells": [c.to_json() for c in self.cells],
            "weakest_upstream": self.weakest_upstream.to_json() if self.weakest_upstream else None,
            "ancestors_scored": self.ancestors_scored,
        }


def _weakest(model: str, depth: int, cells: tuple[Cell, ...]) -> Weakest:
    low = tuple(
        sorted(
            (c for c in cells if c.score is not None and c.score < 0.5),
            key=lambda c: (c.score or 0.0, c.principle, c.subject),
        )
    )
    return Weakest(
        model,
        depth,
        _lower_bound(cells),
        _known_mean(cells),
        sum(1 for c in cells if c.score is not None),
        _critical(cells),
        low,
    )


def scorecard(store: GraphStore, model: str) -> Scorecard:
    """Score ``model`` and every ancestor; name the weakest ancestor and why.

    The weakest is an ancestor with a file a scanner rates critical if there is one (the
    nearest), else the one with the lowest ``overall``: since unknown counts as 0, an
    ancestor nobody knows about is named before one known to be sound.
    """
    require_node(store, "Model", model)
    ancestors = list(lineage(store, model).ancestors)
    found = discrepancies(store, models=[model, *(a.id for a in ancestors)])
    by_model: dict[str, list[str]] = {}
    for f in found.findings:
        by_model.setdefault(f.model, []).append(f.severity)

    gathered = gather(store, [model, *(a.id for a in ancestors)])

    def cells_of(mid: str) -> tuple[Cell, ...]:
        sev = by_model.get(mid, [])
        worst = "high" if "high" in sev else "medium" if "medium" in sev else "low" if sev else None
        facts = model_cells(gathered[mid], len(sev), worst)
        return tuple(Cell(p, s, facts[(p, s)]) for s in SUBJECTS for p in PRINCIPLES)

    own = cells_of(model)
    scored = [_weakest(a.id, a.depth, cells_of(a.id)) for a in ancestors]
    weakest = min(scored, key=lambda w: (not w.critical, w.overall, w.depth, w.model), default=None)
    return Scorecard(model, own, weakest, len(ancestors))
