"""Which models a discrepancy can be about: one pass over columns of every derivation edge,
so the exact checks of :mod:`mlsc.queries.discrepancies` read only those models' edges.

    >>> from mlsc.graph import reads_population as rp
    >>> models = candidates(rp.derivation_table(store), rp.file_format_table(store),
    ...                     rp.chat_template_table(store), store.derivation_cycles())  # doctest: +SKIP

Every check is about the child of an edge (``quantized-with-children`` about its parent,
``lineage-cycle`` about the models of a cycle), and each has a condition the columns decide
without Python objects per edge: this pass keeps every model for which that condition
holds. It may keep a model without a finding (the exact check decides), never the other way
round: a model left out has no finding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

QUANTIZED_ONLY = {"gguf", "ggml"}
"""File formats that make a model a quantization when they are all its weights."""
CARD_RELATION = "card:base_model_relation="
TAG_RELATION = "tag:base_model:"


def candidates(
    edges: pa.Table, formats: pa.Table, templates: pa.Table, cycles: Sequence[tuple[str, ...]]
) -> list[str]:
    """The sorted ids of the models a discrepancy may be about, from every derivation edge
    (:func:`~mlsc.graph.reads_population.derivation_table`), file format and chat template
    of the knowledge base, and the lineage cycles."""
    child, parent = edges.column("child"), edges.column("parent")
    relation = edges.column("relation")
    quantized = pc.filter(
        formats.column("model"),
        pc.is_in(formats.column("format"), value_set=pa.array(sorted(QUANTIZED_ONLY))),
    )
    hit = pc.or_(
        _known(edges.column("types_differ")),  # architecture-mismatch
        _known(edges.column("parent_odd")),  # missing-base, renamed-base (by alias)
    )
    files_say = pc.and_(  # relation-vs-files
        pc.is_in(relation, value_set=pa.array(["finetune", "adapter"])),
        pc.is_in(child, value_set=pc.unique(quantized)),
    )
    hit = pc.or_(hit, pc.or_(_known(files_say), _known(pc.less(edges.column("confidence"), 0.7))))
    created, base_created = edges.column("child_created_at"), edges.column("parent_created_at")
    early = pc.and_(  # child-before-parent
        pc.and_(pc.not_equal(created, ""), pc.not_equal(base_created, "")),
        pc.less(created, base_created),
    )
    hit = pc.or_(hit, _known(early))
    mask = np.asarray(_known(hit).to_numpy(zero_copy_only=False), dtype=bool)
    mask[_evidence_rows(edges.column("evidence"))] = True
    digests = templates.select(["model", "digest"]).group_by(["model", "digest"]).aggregate([])
    mask[_template_rows(digests.rename_columns(["id", "digest"]), edges)] = True
    models = set(pc.filter(child, pa.array(mask)).to_pylist())
    models.update(_quantized_with_children(child, parent, relation))
    models.update(m for cycle in cycles for m in cycle)
    return sorted(models)


def _known(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A condition with unknown (null) as false."""
    return pc.fill_null(values, False)


def _evidence_rows(evidence: pa.ChunkedArray) -> np.ndarray:
    """Rows whose evidence names a renamed base, an adapter_config that differs, or a card
    relation that the Hub's tags contradict (each as the exact checks read them)."""
    lists = evidence.combine_chunks()
    flat = pc.list_flatten(lists)
    rows = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
    odd = pc.or_(
        pc.ends_with(flat, "(renamed)"),
        pc.and_(pc.starts_with(flat, "adapter_config:"), pc.ends_with(flat, "(differs)")),
    )
    found = [rows[np.asarray(_known(odd).to_numpy(zero_copy_only=False), dtype=bool)]]
    card = _first(flat, rows, pc.starts_with(flat, CARD_RELATION), len(CARD_RELATION))
    tagged = pc.and_(pc.starts_with(flat, TAG_RELATION), pc.equal(pc.count_substring(flat, ":"), 2))
    tag = _first(flat, rows, tagged, len(TAG_RELATION))
    both, at_card, at_tag = np.intersect1d(card[0], tag[0], return_indices=True)
    differ = pc.not_equal(card[1].take(pa.array(at_card)), tag[1].take(pa.array(at_tag)))
    found.append(both[np.asarray(_known(differ).to_numpy(zero_copy_only=False), dtype=bool)])
    return np.concatenate(found)


def _first(
    flat: pa.Array, rows: np.ndarray, mask: pa.Array, prefix: int
) -> tuple[np.ndarray, pa.Array]:
    """(rows, value after ``prefix``) of the first element of each row where ``mask``."""
    keep = np.asarray(_known(mask).to_numpy(zero_copy_only=False), dtype=bool)
    where = np.flatnonzero(keep)
    first_rows, first = np.unique(rows[where], return_index=True)
    values = pc.utf8_slice_codeunits(flat.take(pa.array(where[first])), prefix)
    return first_rows, values


def _template_rows(digests: pa.Table, edges: pa.Table) -> np.ndarray:
    """Rows whose child carries a chat template digest none of its parent's files carries,
    the parent carrying some (``digests``: distinct ``id``, ``digest``)."""
    if not digests.num_rows:
        return np.zeros(0, dtype=np.int64)
    templated = pc.unique(digests.column("id"))
    both = pc.and_(
        pc.is_in(edges.column("child"), value_set=templated),
        pc.is_in(edges.column("parent"), value_set=templated),
    )
    rows = np.flatnonzero(np.asarray(_known(both).to_numpy(zero_copy_only=False), dtype=bool))
    pairs = pa.table(
        {
            "row": pa.array(rows, pa.int64()),
            "child": edges.column("child").take(pa.array(rows)),
            "parent": edges.column("parent").take(pa.array(rows)),
        }
    )
    mine = pairs.join(digests, keys="child", right_keys="id", join_type="inner")
    theirs = digests.append_column("known", pa.array(np.ones(digests.num_rows, dtype=bool)))
    matched = mine.join(theirs, keys=["parent", "digest"], right_keys=["id", "digest"])
    new = matched.filter(pc.is_null(matched.column("known")))
    return np.unique(np.asarray(new.column("row").to_numpy(), dtype=np.int64))


def _quantized_with_children(
    child: pa.ChunkedArray, parent: pa.ChunkedArray, relation: pa.ChunkedArray
) -> set[str]:
    """Models made only by quantization that others derive from."""
    quantized = _known(pc.equal(relation, "quantized"))
    made_otherwise = pc.unique(pc.filter(child, pc.invert(quantized)))
    only = pc.filter(child, quantized)
    only = pc.filter(only, pc.invert(pc.is_in(only, value_set=made_otherwise)))
    return set(pc.filter(parent, pc.is_in(parent, value_set=pc.unique(only))).to_pylist())
