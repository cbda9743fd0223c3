"""The generator itself: per-model state in compact arrays, one pass that streams the
records, and the facts of what it produced (``GenStats``)."""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from itertools import repeat
from typing import Any

from benchmarks.hubshape.params import (
    _CHAIN_EVERY,
    _DL_ALPHA,
    _DL_CAP,
    _FAMILIES,
    _FAMILY_CUM,
    _GGUF_QUANTS,
    _GGUF_WORDS,
    _HEAVY_KIND_CUM,
    _KIND_CUM,
    _LICENSE_CUM,
    _LICENSE_TAGS,
    _LICENSES,
    _MERGE_OF_MERGE,
    _MERGE_PARENTS_CUM,
    _ORG_STEMS,
    _ORG_SUFFIXES,
    _ORG_ZIPF,
    _Q_PREF,
    _QUANT_ORG_CUM,
    _QUANT_ORG_SHARE,
    _QUANT_ORGS,
    _ROOT_ALPHA,
    _ROOT_CAP,
    _ROOT_SHARE,
    _SEED_ROOTS_EVERY,
    _SIZES,
    _SPAN,
    _T0,
    _USER_STEMS,
    _USER_ZIPF,
    _WORDS,
    ADAPTER,
    FINETUNE,
    MAX_DEPTH,
    MERGE,
    QUANTIZED,
    RELATIONS,
    ROOT,
    _b36,
    _iso,
    _pick_cum,
    _word_index,
    _zipf_rank,
)


@dataclass(frozen=True)
class GenStats:
    """What a generation produced (the facts a benchmark asserts against)."""

    models: int
    roots: int
    edges: dict[str, int]
    """Edges (child -> parent) by relation; a merge counts one edge per parent."""
    merges: int
    """Merge models (each has 2 to 5 parents)."""
    max_merge_levels: int
    """Most merges on one derivation path from a root (merges of merges of ...)."""
    max_depth: int
    """Longest derivation, in hops from a root (``MAX_DEPTH`` unless n is tiny)."""
    biggest_hub: str
    biggest_hub_children: int
    """Direct children of ``biggest_hub``."""
    biggest_org: str
    biggest_org_models: int
    deep_leaf: str
    """A childless model at ``deep_leaf_depth`` whose ancestors each have a single parent."""
    deep_leaf_depth: int
    users: int
    """Size of the user pool (not all of them end up owning a model)."""
    orgs: int
    """Size of the organisation pool, quantizer organisations included."""
    owners_with_models: int
    seed: int
    merge_heavy: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Generator:
    """Per-model state in compact arrays; ``records()`` streams the records once."""

    def __init__(self, n: int, seed: int, merge_heavy: bool = False) -> None:
        if n < 0:
            raise ValueError("n must be >= 0")
        self.n = n
        self.seed = seed
        self.merge_heavy = merge_heavy
        self.n_users = max(1, n // 8)
        self.n_orgs = max(1, n // 200) + len(_QUANT_ORGS)
        self.owner = array("I", bytes(4 * n))
        self.family = array("B", bytes(n))
        self.size = array("B", bytes(n))
        self.kind = array("B", bytes(n))
        self.depth = array("B", bytes(n))
        self.merge_levels = array("B", bytes(n))
        self.license = array("B", bytes(n))
        self.children = array("I", bytes(4 * n))
        self.owned = array("I", bytes(4 * (self.n_orgs + self.n_users)))
        self.edges = dict.fromkeys(RELATIONS[1:], 0)
        self.chain_leaves: list[int] = []
        self._names: dict[int, str] = {}
        self.done = False

    # -- names -------------------------------------------------------------------------

    def owner_name(self, o: int) -> str:
        """Owners 0..n_orgs-1 are organisations (quantizers first), the rest users."""
        name = self._names.get(o)
        if name is None:
            if o < len(_QUANT_ORGS):
                name = _QUANT_ORGS[o]
            elif o < self.n_orgs:
                k = o - len(_QUANT_ORGS)
                a = _ORG_STEMS[k % len(_ORG_STEMS)]
                if k < len(_ORG_STEMS):
                    name = f"{a}-{_ORG_SUFFIXES[k % len(_ORG_SUFFIXES)]}"
                else:
                    b = _ORG_STEMS[(k // len(_ORG_STEMS) + 3) % len(_ORG_STEMS)]
                    name = f"{a}-{b}-{_b36(k)}"
            else:
                k = o - self.n_orgs
                name = f"{_USER_STEMS[k % len(_USER_STEMS)]}{_b36(k * 7919 % 1_000_003 + k)}"
            self._names[o] = name
        return name

    def model_id(self, i: int) -> str:
        """The id of model i, derived from its state (ids are not stored)."""
        words = _WORDS[self.kind[i]]
        word = words[_word_index(i, len(words))]
        fam = _FAMILIES[self.family[i]][0]
        return f"{self.owner_name(self.owner[i])}/{fam}-{_SIZES[self.size[i]]}-{word}-{i:x}"

    # -- the stream --------------------------------------------------------------------

    def _chain_schedule(self) -> dict[int, int]:
        """Index -> chain number for the forced chains (chain step k at depth k)."""
        n = self.n
        if n < 2 * (MAX_DEPTH + 1):
            return {}
        n_chains = 1 + n // _CHAIN_EVERY
        sched: dict[int, int] = {}
        for j in range(n_chains):
            start = (n * (1 + 4 * j)) // (100 * n_chains)
            end = n - 1 - (n * j) // (50 * n_chains)
            for k in range(MAX_DEPTH + 1):
                pos = start + (k * (end - start)) // MAX_DEPTH
                while pos in sched:
                    pos += 1
                if pos < n:
                    sched[pos] = j
        return sched

    def records(self) -> Iterator[dict[str, Any]]:
        if self.done:
            raise RuntimeError("a generator streams its records once")
        self.done = True
        n = self.n
        rng = random.Random(self.seed)
        rand = rng.random
        bits = rng.getrandbits
        owner, family, size, kind = self.owner, self.family, self.size, self.kind
        depth, lic_of, children, owned = self.depth, self.license, self.children, self.owned
        merge_levels = self.merge_levels
        heavy = self.merge_heavy
        kind_cum = _HEAVY_KIND_CUM if heavy else _KIND_CUM
        merge_pool = array("I")  # merge-heavy: earlier merges below the depth cap
        edges = self.edges
        model_id = self.model_id
        n_users, n_orgs = self.n_users, self.n_orgs
        n_gen_orgs = n_orgs - len(_QUANT_ORGS)
        targets = array("I")  # the parent of every edge so far: preferential attachment
        pool = array("I")  # models that attract derivatives (uniform part)
        sched = self._chain_schedule()
        n_seed = max(10, n // _SEED_ROOTS_EVERY)
        chain_tip: dict[int, int] = {}
        parent_ids: dict[int, str] = {}  # ids of models that have children (~15% of them)
        step = max(1, _SPAN // max(n, 1))
        max_depth_cap = MAX_DEPTH - 1  # a parent deeper than this would exceed MAX_DEPTH
        pipeline = "text-generation"

        def pick() -> int:
            if targets and rand() < _Q_PREF:
                return targets[int(rand() * len(targets))]
            return pool[int(rand() * len(pool))]

        for i in range(n):
            created = _T0 + i * step + int(rand() * step)
            chain = sched.get(i)
            parents: tuple[int, ...] | list[int]
            if chain is not None:
                tip = chain_tip.get(chain)
                if tip is None:
                    k, parents = ROOT, ()
                else:
                    k, parents = FINETUNE, (tip,)
                chain_tip[chain] = i
            elif i < n_seed or rand() < _ROOT_SHARE:
                k, parents = ROOT, ()
            else:
                u = rand()
                k = _pick_cum(u, kind_cum) + 1
                if k == MERGE:
                    want = _pick_cum(rand(), _MERGE_PARENTS_CUM) + 2
                    chosen: list[int] = []
                    for _ in range(want * 8):
                        if heavy and merge_pool and rand() < _MERGE_OF_MERGE:
                            p = merge_pool[int(rand() * len(merge_pool))]
                        else:
                            p = pick()
                        if p not in chosen:
                            chosen.append(p)
                            if len(chosen) == want:
                                break
                    parents = chosen
                    if len(chosen) < 2:
                        k = FINETUNE
                else:
                    parents = (pick(),)

            # -- state of the new model
            if parents:
                first = parents[0]
                fam = family[first]
                family[i] = fam
                size[i] = size[first]
                d = 0
                ml = 0
                for p in parents:
                    dp = depth[p]
                    if dp > d:
                        d = dp
                    if merge_levels[p] > ml:
                        ml = merge_levels[p]
                    children[p] += 1
                    targets.append(p)
                d += 1
                depth[i] = d
                merge_levels[i] = ml + 1 if k == MERGE else ml
                lic = lic_of[first] if rand() < 0.85 else _pick_cum(rand(), _LICENSE_CUM)
                edges[RELATIONS[k]] += len(parents)
            else:
                fam = _pick_cum(rand(), _FAMILY_CUM)
                family[i] = fam
                size[i] = int(rand() * len(_SIZES))
                d = 0
                lic = _pick_cum(rand(), _LICENSE_CUM)
            kind[i] = k
            lic_of[i] = lic

            # owner
            u = rand()
            if k == QUANTIZED and u < _QUANT_ORG_SHARE:
                o = _pick_cum(rand(), _QUANT_ORG_CUM)
            elif chain is not None:
                o = n_orgs + _zipf_rank(rand(), n_users, _USER_ZIPF)
            elif u < (0.7 if k == ROOT else 0.3):
                o = len(_QUANT_ORGS) + _zipf_rank(rand(), n_gen_orgs, _ORG_ZIPF)
            else:
                o = n_orgs + _zipf_rank(rand(), n_users, _USER_ZIPF)
            owner[i] = o
            owned[o] += 1

            # attractiveness: roots (weighted), finetunes and merges below the depth cap
            copies = 1
            if d <= max_depth_cap:
                if k == ROOT:
                    copies = min(int((1.0 - rand()) ** (-1.0 / _ROOT_ALPHA)), _ROOT_CAP)
                    pool.extend(repeat(i, copies))
                elif k in (FINETUNE, MERGE):
                    pool.append(i)
                    if heavy and k == MERGE:
                        merge_pool.append(i)
            if chain is not None and d == MAX_DEPTH:
                self.chain_leaves.append(i)

            # -- the record
            mid = model_id(i)
            author = mid[: mid.index("/")]
            dl = int((1.0 - rand()) ** (-1.0 / _DL_ALPHA)) - 1
            if k == ROOT:
                dl *= 1 + copies  # major releases are downloaded most
            if dl > _DL_CAP:
                dl = _DL_CAP
            likes = int(dl**0.55 * rand() * 0.08) if dl > 20 else 0
            _, model_type, arch = _FAMILIES[fam]
            card: dict[str, Any] = {}
            record: dict[str, Any] = {
                "id": mid,
                "author": author,
                "sha": f"{bits(160):040x}",
                "createdAt": _iso(created),
                "lastModified": _iso(created + int(rand() * rand() * 20_000_000)),
                "private": False,
                "gated": False,
                "downloads": dl,
                "likes": likes,
            }
            name = mid[len(author) + 1 :]
            if k == QUANTIZED and _word_index(i, len(_WORDS[QUANTIZED])) < _GGUF_WORDS:
                library = "gguf"
                tags = ["gguf", model_type]
                quant = _GGUF_QUANTS[i % len(_GGUF_QUANTS)]
                siblings = [f"{name}.{quant}.gguf", "README.md", ".gitattributes"]
            elif k == ADAPTER:
                library = "peft"
                tags = ["peft", "safetensors"]
                siblings = ["adapter_model.safetensors", "adapter_config.json", "README.md"]
            else:
                library = "transformers"
                tags = ["transformers", "safetensors", model_type]
                if k == QUANTIZED:
                    tags.append("4-bit")
                siblings = ["model.safetensors", "config.json", "README.md"]
            tags.append(pipeline)
            if parents:
                rel = RELATIONS[k]
                pids = []
                for p in parents:
                    pid = parent_ids.get(p)
                    if pid is None:
                        pid = parent_ids[p] = model_id(p)
                    pids.append(pid)
                for pid in pids:
                    tags.append("base_model:" + pid)
                    tags.append(f"base_model:{rel}:{pid}")
                if k == MERGE:
                    tags.append("mergekit")
                    card["base_model"] = pids
                elif rand() < 0.05:
                    card["base_model"] = pids  # a list of one: still not a merge
                else:
                    card["base_model"] = pids[0]
                if rand() < (0.6 if k == QUANTIZED else 0.3):
                    card["base_model_relation"] = rel
            elif k == ROOT and rand() < 0.06:
                record["gated"] = "manual" if rand() < 0.5 else "auto"
            tags.append(_LICENSE_TAGS[lic])
            card["license"] = _LICENSES[lic]
            record["tags"] = tags
            record["pipeline_tag"] = pipeline
            record["library_name"] = library
            if library == "transformers" and rand() < 0.8:
                record["config"] = {"model_type": model_type, "architectures": [arch]}
            record["cardData"] = card
            record["siblings"] = [{"rfilename": f} for f in siblings[: 1 + int(rand() * 3)]]
            yield record

    # -- summary -----------------------------------------------------------------------

    def stats(self) -> GenStats:
        if not self.done:
            raise RuntimeError("stats are known only once the records were streamed")
        n = self.n
        children, depth, owned = self.children, self.depth, self.owned
        hub = max(range(n), key=children.__getitem__) if n else -1
        org = max(range(self.n_orgs), key=owned.__getitem__)
        max_depth = max(depth) if n else 0
        # a forced chain's leaf has a single-parent path; otherwise any deepest model
        leaf = self.chain_leaves[0] if self.chain_leaves else depth.index(max_depth) if n else -1
        return GenStats(
            models=n,
            roots=self.kind.count(ROOT),
            edges=dict(self.edges),
            merges=self.kind.count(MERGE),
            max_merge_levels=max(self.merge_levels) if n else 0,
            max_depth=max_depth,
            biggest_hub=self.model_id(hub) if n else "",
            biggest_hub_children=children[hub] if n else 0,
            biggest_org=self.owner_name(org),
            biggest_org_models=owned[org],
            deep_leaf=self.model_id(leaf) if n else "",
            deep_leaf_depth=depth[leaf] if n else 0,
            users=self.n_users,
            orgs=self.n_orgs,
            owners_with_models=sum(1 for c in owned if c),
            seed=self.seed,
            merge_heavy=self.merge_heavy,
        )
