"""Fast generator of hub-shaped model graphs, as Hugging Face Hub API records (JSON Lines).

Each record has the shape of one element of ``GET /api/models?full=true&cardData=true``
(``id``, ``author``, ``sha``, ``createdAt``, ``lastModified``, ``downloads``, ``likes``,
``tags``, ``library_name``, ``pipeline_tag``, ``gated``, ``private``, ``cardData``,
``siblings`` and, on some, ``config``), small but realistic. It is meant to benchmark
ingestion and graph queries at 100k to 1M models.

Shape of the graph (child -> parent lineage, as the Hub declares it):

* about 15% roots (base models, no parent; the first n/500 models are all roots); every
  other model derives from earlier models chosen by preferential attachment (a Price model:
  with probability ``_Q_PREF`` a parent is drawn in proportion to the children it already
  has, otherwise from a pool of the models that attract derivatives, where a root weighs a
  Pareto-distributed "fitness" so a few late base models still become hubs), so in-degree
  follows a power law: at 1M about 85% of models have no child, the biggest hub has ~14k
  direct children and a handful of models have tens of thousands of descendants;
* relations among derived models in roughly the Hub's proportions: finetune 55, quantized 25,
  adapter 12, merge 2 (normalised, so about 58/27/13/2 percent of derived models); a merge
  has 2 to 5 distinct parents, and merges of merges happen since merges attract derivatives;
  quantized models and adapters are leaves (nothing derives from them);
* a few forced finetune-of-finetune chains (one per 250k models, at least one) spread over
  the stream, so the longest derivation is exactly ``MAX_DEPTH`` (40) and a leaf sits at
  depth 40 on a single-parent path; no model is ever deeper than that;
* owners: about n/8 users and n/200 organisations, picked with Zipf-like weights (a few own
  thousands of models at 1M) plus three quantizer organisations (the largest,
  ``QuantBloke``, owns most of their quantized models); ``author`` is the id's namespace;
* parents are always earlier records (so no cycles, no self-edges), and a child is created
  after its parents (``createdAt`` grows strictly along the stream).

The *merge-heavy* variant (``merge_heavy=True``, ``--merge-heavy``) stresses merges of
merges: merge 38, finetune 40, quantized 14, adapter 8 among derived models, and each parent
of a merge is, with probability ``_MERGE_OF_MERGE``, drawn uniformly from the earlier merges
(below the depth cap), so merges nest many levels deep and the number of distinct paths
between a model and its ancestors grows exponentially with depth. The default stream is
unchanged by this option (it draws no extra random numbers unless enabled).

Output is deterministic for a given seed. Records are streamed, never held all at once;
the generator keeps a few compact arrays of per-model state (peak RSS about 110 MB at 1M).

Usage: ``python benchmarks/hubgen.py N OUT.jsonl[.gz] [--seed S] [--merge-heavy]`` (stats as
JSON on stderr).
"""

from __future__ import annotations

import argparse
import gzip
import queue
import random
import sys
import threading
import time
from array import array
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any

import orjson

MAX_DEPTH = 40
"""The longest derivation chain (in hops from a root) the generator produces."""

ROOT, FINETUNE, QUANTIZED, ADAPTER, MERGE = range(5)
RELATIONS = ("root", "finetune", "quantized", "adapter", "merge")
"""Kind of a model by index; every kind but ``root`` is also the relation to its parents."""

_ROOT_SHARE = 0.15
# Cumulative thresholds over derived models: finetune 55, quantized 25, adapter 12, merge 2.
_KIND_CUM = (55 / 94, 80 / 94, 92 / 94)
_MERGE_PARENTS_CUM = (0.5, 0.75, 0.9)  # 2, 3, 4, else 5 parents
# Merge-heavy variant: finetune 40, quantized 14, adapter 8, merge 38.
_HEAVY_KIND_CUM = (40 / 100, 54 / 100, 62 / 100)
_MERGE_OF_MERGE = 0.6
"""Merge-heavy variant: probability that a merge's parent is drawn from the earlier merges."""
_Q_PREF = 0.7
"""Probability that a parent is drawn by its child count rather than uniformly."""
_ROOT_ALPHA = 1.3
_ROOT_CAP = 300
"""A root enters the uniform pool with a Pareto(_ROOT_ALPHA) number of copies, capped: most
base models are obscure, a few are major releases that attract waves of derivatives."""
_SEED_ROOTS_EVERY = 500
"""The first n/500 models are all roots: the Hub started with many base models, and a
population at the start keeps the very first ones from taking over the whole graph."""
_CHAIN_EVERY = 250_000
_DL_ALPHA = 0.8
_DL_CAP = 80_000_000
_T0 = 1_609_459_200  # 2021-01-01T00:00:00Z
_SPAN = 150_000_000  # about 4.75 years
_USER_ZIPF = 0.8
_ORG_ZIPF = 0.6
_QUANT_ORGS = ("QuantBloke", "gguf-factory", "quant-labs")
_QUANT_ORG_CUM = (0.55, 0.85)
_QUANT_ORG_SHARE = 0.12

# (name stem, model_type, architecture), popular families first.
_FAMILIES = (
    ("Llama-3", "llama", "LlamaForCausalLM"),
    ("Qwen2.5", "qwen2", "Qwen2ForCausalLM"),
    ("Mistral", "mistral", "MistralForCausalLM"),
    ("gemma-2", "gemma2", "Gemma2ForCausalLM"),
    ("Phi-3", "phi3", "Phi3ForCausalLM"),
    ("Mixtral", "mixtral", "MixtralForCausalLM"),
    ("falcon", "falcon", "FalconForCausalLM"),
    ("OLMo", "olmo", "OlmoForCausalLM"),
    ("gpt2", "gpt2", "GPT2LMHeadModel"),
    ("SmolLM", "llama", "LlamaForCausalLM"),
    ("DeepSeek", "deepseek_v2", "DeepseekV2ForCausalLM"),
    ("StableLM", "stablelm", "StableLmForCausalLM"),
)
_FAMILY_CUM = tuple(
    sum(1 / (r + 1) for r in range(k + 1)) / sum(1 / (r + 1) for r in range(len(_FAMILIES)))
    for k in range(len(_FAMILIES))
)
_SIZES = ("0.5B", "1B", "1.5B", "3B", "7B", "8B", "13B", "14B", "32B", "70B")
_LICENSES = ("apache-2.0", "mit", "llama3", "other", "cc-by-nc-4.0", "gemma", "openrail")
_LICENSE_CUM = (0.45, 0.6, 0.72, 0.84, 0.93, 0.97)
_LICENSE_TAGS = tuple("license:" + lic for lic in _LICENSES)
_WORDS = (
    ("base", "Instruct", "chat", "pt", "v0.1", "it"),
    ("sft", "dpo", "orpo", "Instruct-ft", "roleplay", "math", "code", "chat-ft", "uncensored"),
    ("GGUF", "Q4_K_M-GGUF", "i1-GGUF", "Q8_0-GGUF", "GPTQ", "AWQ", "bnb-4bit"),
    ("lora", "qlora", "LoRA-adapter", "peft"),
    ("merge", "slerp", "ties", "dare-ties", "passthrough", "MoE-merge"),
)
_GGUF_WORDS = 4
"""Quantized models whose name word is among the first four are GGUF, the others not."""
_GGUF_QUANTS = ("Q4_K_M", "Q5_K_M", "Q8_0", "Q6_K", "IQ4_XS")
_USER_STEMS = (
    "alex", "sam", "jordan", "kai", "li", "maria", "noah", "yuki", "omar", "eva", "ivan",
    "nina", "raj", "chen", "lea", "tom", "ana", "ben", "zoe", "max",
)  # fmt: skip
_ORG_STEMS = (
    "open", "deep", "neural", "nous", "tensor", "vector", "lumen", "arc", "sigma", "nova",
    "cortex", "atlas", "hyper", "zephyr",
)  # fmt: skip
_ORG_SUFFIXES = ("labs", "ai", "research", "ml")


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


def _b36(i: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        i, r = divmod(i, 36)
        out = digits[r] + out
        if not i:
            return out


def _zipf_rank(u: float, size: int, s: float) -> int:
    """Rank in [0, size) for u in [0, 1), P(rank r) roughly proportional to (r + 1) ** -s."""
    a = 1.0 - s
    x = (1.0 + u * ((size + 1) ** a - 1.0)) ** (1.0 / a)
    return min(int(x) - 1, size - 1)


def _pick_cum(u: float, cum: tuple[float, ...]) -> int:
    for k, c in enumerate(cum):
        if u < c:
            return k
    return len(cum)


def _word_index(i: int, size: int) -> int:
    """A fixed pseudo-random index for model i's name word (not drawn from the RNG)."""
    return (i * 2_654_435_761 >> 13) % size


@cache
def _clock() -> tuple[str, ...]:
    """Every second of a day as ``THH:MM:SS.000Z`` (strftime per record is the slow part)."""
    return tuple(
        f"T{h:02d}:{m:02d}:{s:02d}.000Z" for h in range(24) for m in range(60) for s in range(60)
    )


_DAYS: dict[int, str] = {}


def _iso(t: int) -> str:
    """Unix seconds as ISO 8601 in UTC with milliseconds, e.g. 2024-05-01T12:00:00.000Z."""
    day, sec = divmod(t, 86_400)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = time.strftime("%Y-%m-%d", time.gmtime(t - sec))
    return date + _clock()[sec]


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


def generate(n: int, seed: int = 0, merge_heavy: bool = False) -> Iterator[dict[str, Any]]:
    """Stream n Hub API model records, parents always before their children."""
    yield from _Generator(n, seed, merge_heavy).records()


def write(n: int, path: str | Path, seed: int = 0, merge_heavy: bool = False) -> GenStats:
    """Write n records as JSON Lines to path (gzip if it ends in .gz); return the stats.

    Serialisation runs here, compression and file writes on a helper thread (zlib and
    file I/O release the GIL, so on two cores compression is mostly hidden).
    """
    gen = _Generator(n, seed, merge_heavy)
    path = Path(path)
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
    failure: list[BaseException] = []

    def sink() -> None:
        try:
            gz = path.suffix == ".gz"
            with gzip.open(path, "wb", compresslevel=3) if gz else path.open("wb") as out:
                while (chunk := chunks.get()) is not None:
                    out.write(chunk)
        except BaseException as exc:  # pragma: no cover - surfaced below
            failure.append(exc)
            while chunks.get() is not None:
                pass

    writer = threading.Thread(target=sink, name="hubgen-writer", daemon=True)
    writer.start()
    dumps = orjson.dumps
    opt = orjson.OPT_APPEND_NEWLINE
    batch: list[bytes] = []
    try:
        for record in gen.records():
            batch.append(dumps(record, option=opt))
            if len(batch) == 2048:
                chunks.put(b"".join(batch))
                batch = []
        if batch:
            chunks.put(b"".join(batch))
    finally:
        chunks.put(None)
        writer.join()
    if failure:
        raise failure[0]
    return gen.stats()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", type=int, help="number of models")
    parser.add_argument("out", type=Path, help="output .jsonl or .jsonl.gz")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--merge-heavy", action="store_true", help="the merge-heavy variant (merges of merges)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    stats = write(args.n, args.out, seed=args.seed, merge_heavy=args.merge_heavy)
    report = stats.to_json()
    report["seconds"] = round(time.perf_counter() - started, 2)
    sys.stderr.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
