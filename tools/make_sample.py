#!/usr/bin/env python3
"""Make ``examples/sample-hub.jsonl``, a small synthetic snapshot of the Hugging Face Hub.

Every record is invented, but shaped like one element of the list the Hub returns for
``GET /api/models?full=true&cardData=true``: ``id``, ``author``, ``sha``, ``createdAt``,
``lastModified``, ``downloads``, ``likes``, ``tags``, ``library_name``, ``pipeline_tag``,
``gated``, ``private``, ``cardData``, ``siblings`` and ``config`` (plus ``_id``, ``modelId``,
``disabled`` and, for GGUF repositories, ``gguf``, which the Hub also returns). The base-model
tags follow the Hub: ``base_model:<id>`` plus ``base_model:<relation>:<id>``.

The snapshot holds a few hundred models around three well-known bases (Llama 3.1 8B,
Mistral 7B v0.1, Qwen2.5 7B): fine-tunes with power-law downloads, LoRA adapters, GGUF, GPTQ
and AWQ quantisations, merges and merges of merges, a fine-tune chain more than ten deep, and
the awkward cases real data has: a renamed base (cards naming the old id while tags carry the
new one), bases referenced but absent, a legacy id without a namespace, a lineage cycle,
pickle-only weights, records missing optional fields and a card with HTML in its licence.
See examples/README.md.

Deterministic: a fixed seed, no clock, no network; two runs write identical bytes.
Usage: ``python tools/make_sample.py [OUTPUT]`` (default ``examples/sample-hub.jsonl``).
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20250331
"""The one source of randomness."""
SNAPSHOT_AT = datetime(2025, 3, 31, 12, 0, 0, tzinfo=UTC)
"""Nothing in the sample is created or modified after this instant."""
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "examples" / "sample-hub.jsonl"

ID_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
HOSTILE_LICENSE = "<img src=x onerror=alert(1)>"

LLAMA = "meta-llama/Llama-3.1-8B"
LLAMA_OLD = "meta-llama/Meta-Llama-3.1-8B"
LLAMA_INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
LLAMA_INSTRUCT_OLD = "meta-llama/Meta-Llama-3.1-8B-Instruct"
MISTRAL = "mistralai/Mistral-7B-v0.1"
MISTRAL_INSTRUCT = "mistralai/Mistral-7B-Instruct-v0.1"
MISTRAL_INSTRUCT_V02 = "mistralai/Mistral-7B-Instruct-v0.2"
QWEN = "Qwen/Qwen2.5-7B"
QWEN_INSTRUCT = "Qwen/Qwen2.5-7B-Instruct"
GPT2 = "gpt2"

ABSENT_CREATED = {
    MISTRAL_INSTRUCT_V02: datetime(2023, 12, 11, 13, 18, 44, tzinfo=UTC),
    GPT2: datetime(2022, 3, 2, 23, 29, 4, tzinfo=UTC),
}
"""Creation dates of the bases that are referenced but have no record here."""


@dataclass(frozen=True)
class Family:
    """What the models of one architecture family share."""

    model_type: str
    architecture: str
    license: str
    stems: tuple[str, ...]
    size: str
    shards: int
    parameters: int
    context_length: int
    tokenizer_model: bool


FAMILIES: dict[str, Family] = {
    "llama": Family(
        "llama",
        "LlamaForCausalLM",
        "llama3.1",
        ("Llama-3.1-8B", "Llama3.1-8B", "llama-3.1-8b", "L3.1-8B", "Llama-3.1-8B-Instruct"),
        "8B",
        4,
        8030261248,
        131072,
        False,
    ),
    "mistral": Family(
        "mistral",
        "MistralForCausalLM",
        "apache-2.0",
        ("Mistral-7B", "mistral-7b", "Mistral-7B-v0.1", "mistral-7b-v0.1"),
        "7B",
        2,
        7241732096,
        32768,
        True,
    ),
    "qwen": Family(
        "qwen2",
        "Qwen2ForCausalLM",
        "apache-2.0",
        ("Qwen2.5-7B", "qwen2.5-7b", "Qwen2.5-7B-Instruct", "Q2.5-7B"),
        "7B",
        4,
        7615616512,
        32768,
        False,
    ),
    "gpt2": Family("gpt2", "GPT2LMHeadModel", "mit", ("gpt2",), "124M", 1, 124439808, 1024, False),
}

# Invented accounts. Organisations and prolific accounts publish many models.
QUANTLAB = "quantlab"
GGUFERY = "ggufery"
TENSORFORGE = "tensorforge"
NORTHWIND = "northwind-ai"
HELIO = "helio-research"
MERGEKITCHEN = "mergekitchen"
OPENMED = "openmed-collective"
SVEN_NAMES = ("svenlund", "svenlund-ai", "sven-lund-quants")
MAREN_NAMES = ("marenvik", "marenvik-labs")
CHAIN_AUTHORS = ("ferrite-ai", "lumen-lab", "ohmlaut", "ferrite-ai", "kilnworks", "lumen-lab")

USERS: tuple[str, ...] = (
    "bitsandbeans", "kvcache", "quillon", "tinkerllm", "nadir-ml", "orbweaver", "saltmarsh",
    "zenkai", "pixelmonk", "deltaforge", "moth-ai", "ravenmoss", "lanternfish", "cobaltcat",
    "mkdir-ai", "huxley-ml", "juniperx", "obsidian-owl", "tessera", "vellum-ai", "ember-ml",
    "parsnip", "quokka-lab", "sablewind", "driftwood-ai", "ironbark", "yuzu-lm", "maplebyte",
    "fjordling", "cinder-ml", "nimbus-tune", "pebble-ai", "glasswing", "rookery", "tidepool",
    "kestrel-ml", "wrenfield", "ozone-dev", "basalt-ai", "heron-lab", "gale-ml", "marlin-ai",
    "thistle", "fennec-llm", "umbra-ai", "corvid-lab", "larkspur", "brambleai", "selkie-ml",
    "auroch", "kappa-tune", "mosaic-nlp", "nordlys", "sprachwerk", "hanbit-lab", "sakuraba-ml",
    "anadolu-nlp", "lumiere-ia", "finlake", "sqlsmith", "toolwright", "logicwell", "tutorly",
    "storyloom", "lexbench", "grad-student-42", "j0nas", "mx-tuner", "a1berto", "noor-h",
)

BRANDS: tuple[str, ...] = (
    "Hermit", "Corvus", "Tern", "Gannet", "Wisp", "Kite", "Nebula", "Quill", "Marten",
    "Vesper", "Halcyon", "Solace", "Cairn", "Tundra", "Aster", "Ferro", "Onyx", "Saffron",
    "Juniper", "Lyra", "Pallas", "Riven", "Sorrel", "Umber", "Zephyrine", "Bastion",
)


@dataclass(frozen=True)
class Domain:
    """A fine-tuning theme: its name, the data sets it trains on and its languages."""

    name: str
    datasets: tuple[str, ...]
    language: tuple[str, ...] = ("en",)
    tags: tuple[str, ...] = ()


DOMAINS: tuple[Domain, ...] = (
    Domain("chat", ("opencorpus/chat-mix-200k", "opencorpus/multi-turn-50k")),
    Domain("medical", ("openmed-collective/medqa-dialogues", "openmed-collective/pubmed-sft"),
           tags=("medical", "biology")),
    Domain("legal", ("lexbench/contracts-qa", "lexbench/case-summaries"), tags=("legal",)),
    Domain("code", ("codeharbor/python-instruct-80k", "codeharbor/multi-lang-commits"),
           tags=("code",)),
    Domain("math", ("mathcraft/gsm-style-50k", "logicwell/cot-reasoning-100k"), tags=("math",)),
    Domain("roleplay", ("storyloom/rp-logs-30k",), tags=("roleplay", "not-for-all-audiences")),
    Domain("story", ("storyloom/fiction-10k",), tags=("creative-writing",)),
    Domain("german", ("sprachwerk/german-instruct",), ("de", "en"), ("german",)),
    Domain("japanese", ("sakuraba-ml/ja-chat",), ("ja", "en"), ("japanese",)),
    Domain("korean", ("hanbit-lab/ko-instruct",), ("ko",), ("korean",)),
    Domain("turkish", ("anadolu-nlp/tr-instruct",), ("tr",), ("turkish",)),
    Domain("french", ("lumiere-ia/fr-dialogues",), ("fr", "en"), ("french",)),
    Domain("finance", ("finlake/earnings-qa",), tags=("finance",)),
    Domain("sql", ("sqlsmith/text2sql-30k",), tags=("sql", "text-to-sql")),
    Domain("function-calling", ("toolwright/fc-traces-20k",), tags=("function-calling",)),
    Domain("reasoning", ("logicwell/cot-reasoning-100k",), tags=("reasoning",)),
    Domain("tutor", ("tutorly/socratic-dialogues",), tags=("education",)),
    Domain("summarize", ("summit-nlp/news-summaries",), tags=("summarization",)),
)
METHODS: tuple[str, ...] = ("sft", "sft", "dpo", "orpo", "kto", "simpo", "grpo", "v2", "v0.3")
PREFERENCE_DATA = "prefs/ultra-pairs-60k"
TRAINERS: tuple[str, ...] = ("trl", "unsloth", "axolotl", "generated_from_trainer", "llama-factory")
GGUF_QUANTS: tuple[str, ...] = ("Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0")


@dataclass
class Model:
    """One invented repository, before it is rendered as a Hub record."""

    id: str
    kind: str
    """base | finetune | adapter | gguf | gptq | awq | merge | bare (no card)."""
    family: str
    created: datetime
    modified: datetime
    sha: str
    oid: str
    parents: list[str] = field(default_factory=list)
    """Bases as the Hub's tags name them (redirects resolved)."""
    card_bases: list[str] | None = None
    """Bases as the card names them, when that differs from ``parents``."""
    relation: str | None = None
    state_relation: bool = False
    """Whether the card states ``base_model_relation`` (otherwise the Hub infers it)."""
    base_as_list: bool = False
    downloads: int | None = 0
    likes: int | None = 0
    license: str | None = None
    gated: bool | str = False
    datasets: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=lambda: ["en"])
    extra_tags: list[str] = field(default_factory=list)
    weights: str = "safetensors"
    """safetensors | pickle | both."""
    has_card: bool = True
    has_config: bool = True
    library: str | None = None
    pipeline: str | None = "text-generation"
    training_args: bool = False
    chat: bool = True
    gguf_base_name: str = ""

    @property
    def author(self) -> str:
        return self.id.split("/")[0]

    @property
    def name(self) -> str:
        return self.id.split("/")[-1]


def iso(moment: datetime) -> str:
    """The Hub's timestamp format: UTC, milliseconds, ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Hub:
    """Builds the invented snapshot, one repository at a time."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.models: dict[str, Model] = {}
        self.reserved: set[str] = set()
        """Special cases kept out of the random picks (membership tests only)."""

    # -- small helpers -------------------------------------------------------------------

    def hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def created_after(self, parents: Sequence[str], lo: float, hi: float) -> datetime:
        """A moment after every parent's creation, a fraction ``lo..hi`` of the way to the end."""
        start = max(self.created_of(p) for p in parents)
        span = (SNAPSHOT_AT - start).total_seconds()
        moment = start + timedelta(seconds=int(span * self.rng.uniform(lo, hi)))
        return moment.replace(microsecond=0)

    def created_of(self, model_id: str) -> datetime:
        if model_id in self.models:
            return self.models[model_id].created
        if model_id in (LLAMA_OLD, LLAMA_INSTRUCT_OLD):
            return self.models[model_id.replace("Meta-Llama", "Llama")].created
        return ABSENT_CREATED[model_id]

    def downloads(self, scale: float = 20.0, alpha: float = 0.7) -> int:
        """Power-law downloads: most repositories get tens, a few get many thousands.

        Capped, so that the few with millions are the ones chosen by hand.
        """
        return min(int(scale * (self.rng.paretovariate(alpha) - 1.0)), 400_000)

    def likes_for(self, downloads: int) -> int:
        return int((downloads**0.5) * self.rng.uniform(0.02, 0.25))

    def unique_id(self, author: str, name: str) -> str:
        candidate = f"{author}/{name}"
        n = 2
        while candidate in self.models:
            candidate = f"{author}/{name}-v{n}"
            n += 1
        return candidate

    def user(self) -> str:
        """A community account, Zipf-weighted so that a few publish several models."""
        weights = [1.0 / (i + 1) ** 0.45 for i in range(len(USERS))]
        return self.rng.choices(USERS, weights=weights)[0]

    def family_of(self, model_id: str) -> str:
        if model_id in self.models:
            return self.models[model_id].family
        if model_id == GPT2:
            return "gpt2"
        return "mistral" if "istral" in model_id else "llama"

    def license_for(self, family: str) -> str:
        fam = FAMILIES[family]
        roll = self.rng.random()
        if roll < 0.06:
            # A derivative relabelled with another licence: realistic, and worth flagging.
            return self.rng.choice(("apache-2.0", "mit", "cc-by-nc-4.0", "other"))
        return fam.license

    def add(self, model: Model) -> Model:
        if model.id in self.models:
            raise ValueError(f"duplicate id {model.id}")
        for part in model.id.split("/"):
            if not ID_PART.match(part) or len(part) > 96:
                raise ValueError(f"invalid id {model.id}")
        if model.downloads is not None and model.likes == 0:
            model.likes = self.likes_for(model.downloads)
        self.models[model.id] = model
        return model

    def new(
        self,
        model_id: str,
        kind: str,
        parents: Sequence[str],
        relation: str | None,
        *,
        lo: float = 0.02,
        hi: float = 0.6,
        downloads: int | None = None,
        **extra: Any,
    ) -> Model:
        family = extra.pop("family", None) or self.family_of(parents[0])
        created = extra.pop("created", None) or self.created_after(parents, lo, hi)
        modified = created + timedelta(
            seconds=int((SNAPSHOT_AT - created).total_seconds() * self.rng.uniform(0.0, 0.4))
        )
        model = Model(
            id=model_id,
            kind=kind,
            family=family,
            created=created,
            modified=modified,
            sha=self.hex(40),
            oid=f"{int(created.timestamp()):08x}{self.hex(16)}",
            parents=list(parents),
            relation=relation,
            downloads=self.downloads() if downloads is None else downloads,
            license=extra.pop("license", None) or self.license_for(family),
            **extra,
        )
        return self.add(model)

    def domain(self) -> Domain:
        return self.rng.choice(DOMAINS)

    def finetune_name(self, parent: str, domain: Domain, method: str) -> str:
        family = FAMILIES[self.family_of(parent)]
        parent_name = parent.split("/")[-1]
        roll = self.rng.random()
        if parent in self.models and self.models[parent].kind != "base" and roll < 0.4:
            stem = parent_name if len(parent_name) < 40 else self.rng.choice(BRANDS)
            return f"{stem}-{domain.name}"
        if parent not in self.models:
            # An absent base: name the child after it, or give it a brand.
            if roll < 0.6:
                return f"{parent_name}-{domain.name}-{method}"
            return f"{self.rng.choice(BRANDS)}-{family.size}-{domain.name}"
        if roll < 0.45:
            return f"{self.rng.choice(family.stems)}-{domain.name}-{method}"
        if roll < 0.75:
            return f"{self.rng.choice(BRANDS)}-{family.size}-{domain.name}"
        if roll < 0.9:
            return f"{domain.name}-{self.rng.choice(family.stems).lower()}"
        return f"{self.rng.choice(BRANDS)}-{family.size}-v{self.rng.randint(1, 4)}"

    def pick_unique(
        self, candidates: Sequence[str], k: int, bias: float = 30.0, power: float = 0.5
    ) -> list[str]:
        """Up to ``k`` distinct ids, more likely the more downloaded they are."""
        pool = list(candidates)
        chosen: list[str] = []
        while pool and len(chosen) < k:
            weights = [(float(self.models[c].downloads or 0) + bias) ** power for c in pool]
            pick = self.rng.choices(pool, weights=weights)[0]
            pool.remove(pick)
            chosen.append(pick)
        return chosen

    def of_kind(self, *kinds: str, family: str | None = None) -> list[str]:
        return [
            m.id
            for m in self.models.values()
            if m.kind in kinds and (family is None or m.family == family)
            and m.id not in self.reserved
        ]

    # -- the repositories ----------------------------------------------------------------

    def finetune(
        self,
        parent: str,
        author: str | None = None,
        *,
        name: str | None = None,
        card_parent: str | None = None,
        lo: float = 0.02,
        hi: float = 0.6,
        downloads: int | None = None,
        **extra: Any,
    ) -> Model:
        domain = self.domain()
        method = self.rng.choice(METHODS)
        author = author or self.user()
        model_id = self.unique_id(author, name or self.finetune_name(parent, domain, method))
        datasets = list(domain.datasets[: self.rng.randint(1, len(domain.datasets))])
        if method in ("dpo", "orpo", "kto", "simpo"):
            datasets.append(PREFERENCE_DATA)
        roll = self.rng.random()
        weights = "pickle" if roll < 0.025 else "both" if roll < 0.08 else "safetensors"
        extra.setdefault("datasets", datasets)
        extra.setdefault("language", list(domain.language))
        method_tags = [method] if method in ("sft", "dpo", "orpo", "kto", "grpo") else []
        extra.setdefault("extra_tags", [*domain.tags, self.rng.choice(TRAINERS), *method_tags])
        extra.setdefault("weights", weights)
        extra.setdefault("training_args", self.rng.random() < 0.3)
        extra.setdefault("state_relation", self.rng.random() < 0.1)
        extra.setdefault("base_as_list", self.rng.random() < 0.4)
        extra.setdefault("gated", "auto" if self.rng.random() < 0.04 else False)
        extra.setdefault("library", "transformers")
        model = self.new(
            model_id, "finetune", [parent], "finetune", lo=lo, hi=hi, downloads=downloads, **extra
        )
        if card_parent is not None:
            model.card_bases = [card_parent]
        return model

    def adapter(self, parent: str, author: str | None = None, *, card_parent: str | None = None
                ) -> Model:
        domain = self.domain()
        family = FAMILIES[self.family_of(parent)]
        author = author or self.user()
        suffix = self.rng.choice(("lora", "qlora", "LoRA", "adapter", "lora-r16", "peft"))
        stem = parent.split("/")[-1]
        if parent in self.models and self.rng.random() < 0.5:
            stem = self.rng.choice(family.stems)
        model_id = self.unique_id(author, f"{stem}-{domain.name}-{suffix}")
        model = self.new(
            model_id,
            "adapter",
            [parent],
            "adapter",
            downloads=self.downloads(scale=8.0),
            datasets=list(domain.datasets[:1]),
            language=list(domain.language),
            extra_tags=["lora", self.rng.choice(("trl", "sft", "unsloth", "generated_from_trainer"))],
            weights="pickle" if self.rng.random() < 0.05 else "safetensors",
            training_args=self.rng.random() < 0.5,
            state_relation=self.rng.random() < 0.5,
            base_as_list=self.rng.random() < 0.3,
            library="peft",
            pipeline="text-generation" if self.rng.random() < 0.6 else None,
        )
        if card_parent is not None:
            model.card_bases = [card_parent]
        return model

    def gguf(self, parent: str, author: str = QUANTLAB, *, hi: float = 0.15) -> Model:
        base_name = parent.split("/")[-1]
        suffix = "-GGUF" if author != GGUFERY else self.rng.choice(("-GGUF", "-i1-GGUF"))
        model_id = self.unique_id(author, f"{base_name}{suffix}")
        parent_model = self.models.get(parent)
        return self.new(
            model_id,
            "gguf",
            [parent],
            "quantized",
            lo=0.005,
            hi=hi,
            downloads=self.downloads(scale=60.0, alpha=0.75),
            datasets=list(parent_model.datasets) if parent_model else [],
            language=list(parent_model.language) if parent_model else ["en"],
            license=parent_model.license if parent_model else None,
            extra_tags=["imatrix"] if "-i1-" in model_id else [],
            state_relation=self.rng.random() < 0.4,
            base_as_list=self.rng.random() < 0.5,
            library=None if self.rng.random() < 0.7 else "gguf",
            gguf_base_name=base_name,
            has_config=False,
        )

    def gptq_awq(self, parent: str, method: str) -> Model:
        base_name = parent.split("/")[-1]
        suffix = "-GPTQ-Int4" if method == "gptq" else "-AWQ"
        parent_model = self.models[parent]
        return self.new(
            self.unique_id(TENSORFORGE, f"{base_name}{suffix}"),
            method,
            [parent],
            "quantized",
            lo=0.005,
            hi=0.2,
            downloads=self.downloads(scale=40.0),
            language=list(parent_model.language),
            license=parent_model.license,
            extra_tags=["4-bit", method],
            state_relation=self.rng.random() < 0.3,
            library="transformers",
        )

    def merge(self, parents: Sequence[str], author: str | None = None, name: str | None = None
              ) -> Model:
        family = FAMILIES[self.family_of(parents[0])]
        author = author or self.rng.choice((MERGEKITCHEN, MERGEKITCHEN, *USERS[:20]))
        method = self.rng.choice(("slerp", "ties", "dare-ties", "model-stock", "della"))
        if name is None:
            name = f"{self.rng.choice(BRANDS)}-{self.rng.choice(BRANDS)}-{family.size}-{method}"
        return self.new(
            self.unique_id(author, name),
            "merge",
            list(parents),
            "merge",
            lo=0.01,
            hi=0.3,
            downloads=self.downloads(scale=25.0),
            extra_tags=["mergekit", "merge"],
            state_relation=self.rng.random() < 0.4,
            base_as_list=True,
            library="transformers",
        )


def build() -> dict[str, Model]:
    """Invent the whole snapshot."""
    hub = Hub(SEED)
    rng = hub.rng

    # Bases and their instruct variants.
    def base(model_id: str, family: str, created: datetime, downloads: int, **extra: Any) -> Model:
        modified = created + timedelta(days=70, hours=3, minutes=17)
        return hub.add(
            Model(
                id=model_id,
                kind="base",
                family=family,
                created=created,
                modified=modified,
                sha=hub.hex(40),
                oid=f"{int(created.timestamp()):08x}{hub.hex(16)}",
                downloads=downloads,
                license=FAMILIES[family].license,
                library="transformers",
                extra_tags=extra.pop("extra_tags", []),
                **extra,
            )
        )

    base(LLAMA, "llama", datetime(2024, 7, 14, 19, 3, 51, tzinfo=UTC), 812_406,
         gated="manual", chat=False, language=["en", "de", "fr", "it", "pt", "hi", "es", "th"],
         extra_tags=["facebook", "meta", "pytorch", "llama-3"])
    base(MISTRAL, "mistral", datetime(2023, 9, 20, 13, 3, 50, tzinfo=UTC), 401_277,
         gated="auto", chat=False, extra_tags=["pretrained"], weights="both")
    base(QWEN, "qwen", datetime(2024, 9, 15, 12, 17, 40, tzinfo=UTC), 530_918, chat=False)
    # The real Llama-3.1-8B-Instruct card names the base by its old id; its tags carry the new.
    hub.finetune(LLAMA, "meta-llama", name="Llama-3.1-8B-Instruct", card_parent=LLAMA_OLD,
                 lo=0.0, hi=0.0005, downloads=5_412_880, gated="manual", datasets=[],
                 language=["en", "de", "fr", "it", "pt", "hi", "es", "th"],
                 extra_tags=["facebook", "meta", "pytorch", "llama-3"], weights="safetensors",
                 training_args=False, state_relation=False, base_as_list=False,
                 license="llama3.1")
    hub.finetune(MISTRAL, "mistralai", name="Mistral-7B-Instruct-v0.1", lo=0.003, hi=0.004,
                 downloads=1_377_304, gated="auto", datasets=[], language=["en"],
                 extra_tags=["finetuned"], weights="both", training_args=False,
                 state_relation=False, base_as_list=False, license="apache-2.0")
    hub.finetune(QWEN, "Qwen", name="Qwen2.5-7B-Instruct", lo=0.0, hi=0.0005,
                 downloads=2_903_115, gated=False, datasets=[], language=["en"],
                 extra_tags=["chat"], weights="safetensors", training_args=False,
                 state_relation=False, base_as_list=False, license="apache-2.0")

    # More cards naming the renamed ids; tags carry the new ones, like on the real Hub.
    for author in ("kvcache", "sprachwerk", "ironbark"):
        hub.finetune(LLAMA, author, card_parent=LLAMA_OLD, lo=0.01, hi=0.1)
    hub.adapter(LLAMA, "quokka-lab", card_parent=LLAMA_OLD)
    for author in ("tidepool", "nordlys"):
        hub.finetune(LLAMA_INSTRUCT, author, card_parent=LLAMA_INSTRUCT_OLD, lo=0.01, hi=0.1)

    # A handful of very popular community fine-tunes (millions of downloads).
    stars = [
        hub.finetune(LLAMA_INSTRUCT, NORTHWIND, name="Northwind-8B-Chat", downloads=3_104_552,
                     lo=0.05, hi=0.1),
        hub.finetune(MISTRAL, "saltmarsh", name="Saltmarsh-7B-Hermit", downloads=1_688_204,
                     lo=0.05, hi=0.1),
        hub.finetune(QWEN_INSTRUCT, HELIO, name="Helio-7B-Reasoner", downloads=1_210_077,
                     lo=0.05, hi=0.15),
        hub.finetune(LLAMA_INSTRUCT, "tessera", name="Tessera-8B-Tool", downloads=644_012,
                     lo=0.05, hi=0.2),
    ]

    # Organisations with many models.
    for _ in range(13):
        hub.finetune(rng.choice((LLAMA, LLAMA_INSTRUCT, LLAMA_INSTRUCT, stars[0].id)), NORTHWIND)
    for _ in range(9):
        hub.finetune(rng.choice((QWEN, QWEN_INSTRUCT, QWEN_INSTRUCT)), HELIO)
    for _ in range(6):
        hub.finetune(rng.choice((LLAMA_INSTRUCT, MISTRAL, QWEN_INSTRUCT)), OPENMED)

    # One person, several accounts: fine-tunes, adapters and their own GGUFs.
    sven = [hub.finetune(rng.choice((MISTRAL, LLAMA_INSTRUCT)), SVEN_NAMES[0]) for _ in range(4)]
    for _ in range(3):
        hub.adapter(rng.choice((MISTRAL, LLAMA)), SVEN_NAMES[1])
    for model in sven[:3]:
        hub.gguf(model.id, SVEN_NAMES[2])
    maren = [hub.finetune(QWEN_INSTRUCT, MAREN_NAMES[0]) for _ in range(3)]
    hub.finetune(maren[0].id, MAREN_NAMES[1])
    hub.merge([maren[1].id, maren[2].id], MAREN_NAMES[1])

    # The long tail of first-generation fine-tunes.
    first_parents = (
        (LLAMA_INSTRUCT, 30), (LLAMA, 10), (MISTRAL, 18), (MISTRAL_INSTRUCT, 6),
        (QWEN_INSTRUCT, 22), (QWEN, 9),
    )
    for parent, count in first_parents:
        for _ in range(count):
            hub.finetune(parent)

    # Bases referenced but absent from the snapshot (placeholder nodes).
    for _ in range(4):
        hub.finetune(MISTRAL_INSTRUCT_V02, family="mistral")
    hub.adapter(MISTRAL_INSTRUCT_V02)
    hub.finetune(GPT2, "driftwood-ai", name="gpt2-shakespeare", weights="pickle",
                 created=datetime(2022, 11, 3, 9, 41, 7, tzinfo=UTC), license="mit",
                 chat=False, language=["en"], datasets=["storyloom/fiction-10k"],
                 extra_tags=["generated_from_trainer"], training_args=True)
    hub.finetune(GPT2, "grad-student-42", name="gpt2-recipes", weights="both",
                 created=datetime(2023, 4, 18, 16, 2, 55, tzinfo=UTC), license="mit",
                 chat=False, language=["en"], datasets=[], extra_tags=[])

    # Second and third generation fine-tunes, mostly of popular ones.
    for _ in range(34):
        candidates = [c for c in hub.of_kind("finetune") if hub.models[c].author not in (
            "meta-llama", "mistralai", "Qwen")]
        (parent,) = hub.pick_unique(candidates, 1, bias=200.0)
        if hub.family_of(parent) == "gpt2":
            continue
        hub.finetune(parent, lo=0.02, hi=0.4)

    # A chain more than ten deep: each a further fine-tune of the previous.
    parent = LLAMA_INSTRUCT
    chain: list[Model] = []
    for step in range(1, 13):
        author = CHAIN_AUTHORS[step % len(CHAIN_AUTHORS)]
        chain.append(hub.finetune(parent, author, name=f"Evo-8B-g{step:02d}", lo=0.02, hi=0.07,
                                  downloads=hub.downloads(scale=6.0)))
        parent = chain[-1].id
        hub.reserved.add(parent)

    # Adapters.
    adapter_parents = (
        (LLAMA, 16), (LLAMA_INSTRUCT, 14), (MISTRAL, 8), (MISTRAL_INSTRUCT, 3), (QWEN_INSTRUCT, 9),
        (QWEN, 3),
    )
    for parent, count in adapter_parents:
        for _ in range(count):
            hub.adapter(parent)
    for parent in hub.pick_unique(hub.of_kind("finetune", family="llama"), 5):
        hub.adapter(parent)

    # Merges of same-family models, then merges of merges.
    for family, count in (("llama", 8), ("mistral", 7), ("qwen", 6)):
        pool = [m for m in hub.of_kind("finetune", family=family) if m not in (LLAMA, MISTRAL)]
        for _ in range(count):
            hub.merge(hub.pick_unique(pool, rng.choice((2, 2, 3, 4))))
    hub.merge([MISTRAL_INSTRUCT_V02, stars[1].id], "kappa-tune")
    hub.merge([MISTRAL_INSTRUCT_V02, *hub.pick_unique(hub.of_kind("finetune", family="mistral"),
                                                      2)])
    for family, count in (("llama", 4), ("mistral", 3), ("qwen", 2)):
        merges = hub.of_kind("merge", family=family)
        finetunes = hub.of_kind("finetune", family=family)
        for _ in range(count):
            parents = hub.pick_unique(merges, rng.choice((1, 2)))
            parents += hub.pick_unique([f for f in finetunes if f not in parents],
                                       rng.choice((1, 2)))
            hub.merge(parents, MERGEKITCHEN)

    # Cycle: two repositories each naming the other as its base, plus a quantisation of one.
    first = hub.finetune(QWEN_INSTRUCT, "loopwright", name="qwen-chat-v1", lo=0.3, hi=0.4)
    second = hub.finetune(first.id, "loopwright", name="qwen-chat-v2", lo=0.1, hi=0.2)
    first.parents = [second.id]
    first.modified = second.modified + timedelta(hours=5, minutes=12)
    hub.reserved.update((first.id, second.id))
    hub.gguf(second.id, GGUFERY)

    # A hostile card: HTML in the licence, to prove the output escapes it.
    hostile = hub.finetune(MISTRAL, "mallory", name="innocent-finetune",
                           license=HOSTILE_LICENSE, gated=False)
    hub.reserved.add(hostile.id)

    # Quantisations: a prolific GGUF account, a smaller one, and a GPTQ/AWQ account.
    quantizable = hub.of_kind("finetune", "merge")
    for parent in [LLAMA_INSTRUCT, QWEN_INSTRUCT, MISTRAL_INSTRUCT, MISTRAL, chain[-1].id]:
        hub.gguf(parent)
    for parent in hub.pick_unique([q for q in quantizable if q not in (
            LLAMA_INSTRUCT, QWEN_INSTRUCT, MISTRAL_INSTRUCT, chain[-1].id)], 40, bias=50.0):
        hub.gguf(parent)
    for parent in hub.pick_unique(quantizable, 10, bias=100.0):
        hub.gguf(parent, GGUFERY)
    hub.gguf(MISTRAL_INSTRUCT_V02, GGUFERY)
    for i, parent in enumerate(hub.pick_unique(quantizable, 14, bias=500.0)):
        hub.gptq_awq(parent, "gptq" if i % 2 == 0 else "awq")
    hub.gguf(stars[0].id, NORTHWIND)

    # Repositories with no model card at all (so no declared base).
    for i in range(6):
        family = rng.choice(("llama", "mistral", "qwen"))
        hub.new(
            hub.unique_id(hub.user(), rng.choice(("test-model", "my-model", "checkpoint", "exp"))
                          + f"-{i + 1}"),
            "bare",
            [],
            None,
            family=family,
            created=datetime(2024, 10, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 200_000)),
            downloads=hub.downloads(scale=3.0),
            has_card=False,
            library="transformers" if i % 3 else None,
            pipeline="text-generation" if i % 3 else None,
            weights="pickle" if i % 2 else "safetensors",
            language=[],
            chat=False,
        )

    # Optional fields missing here and there (never on the special cases above).
    special = {LLAMA, MISTRAL, QWEN, LLAMA_INSTRUCT, MISTRAL_INSTRUCT, QWEN_INSTRUCT}
    special.update(m.id for m in chain)
    plain = [m for m in hub.models.values()
             if m.kind in ("finetune", "adapter") and m.id not in special and m.card_bases is None
             and m.author not in ("loopwright", "mallory")]
    gaps = ("downloads", "likes", "library", "config", "language", "license")
    for i, model in enumerate(rng.sample(plain, 2 * len(gaps))):
        what = gaps[i % len(gaps)]
        if what == "downloads":
            model.downloads = None
            model.likes = None
        elif what == "likes":
            model.likes = None
        elif what == "library":
            model.library = None
            model.pipeline = None
        elif what == "config":
            model.has_config = False
        elif what == "language":
            model.language = []
        else:
            model.license = None
    return hub.models


# -- rendering -----------------------------------------------------------------------------


def weight_files(model: Model, family: Family) -> list[str]:
    shards = family.shards
    files: list[str] = []
    if model.weights in ("safetensors", "both"):
        if shards == 1:
            files.append("model.safetensors")
        else:
            files += [f"model-{i:05d}-of-{shards:05d}.safetensors" for i in range(1, shards + 1)]
            files.append("model.safetensors.index.json")
    if model.weights in ("pickle", "both"):
        if shards == 1:
            files.append("pytorch_model.bin")
        else:
            files += [f"pytorch_model-{i:05d}-of-{shards:05d}.bin" for i in range(1, shards + 1)]
            files.append("pytorch_model.bin.index.json")
    return files


def tokenizer_files(family: Family) -> list[str]:
    if family.model_type == "gpt2":
        return ["merges.txt", "vocab.json", "tokenizer.json", "tokenizer_config.json"]
    files = ["special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"]
    if family.tokenizer_model:
        files.append("tokenizer.model")
    if family.model_type == "qwen2":
        files += ["merges.txt", "vocab.json"]
    return files


def siblings(model: Model) -> list[str]:
    family = FAMILIES[model.family]
    files = [".gitattributes"]
    if model.has_card:
        files.append("README.md")
    if model.kind == "adapter":
        files += ["adapter_config.json"]
        files.append(
            "adapter_model.bin" if model.weights == "pickle" else "adapter_model.safetensors"
        )
        files += tokenizer_files(family)
    elif model.kind == "gguf":
        files += [f"{model.gguf_base_name}.{q}.gguf" for q in GGUF_QUANTS]
        if "-i1-" in model.id:
            files.append("imatrix.dat")
    elif model.kind in ("gptq", "awq"):
        files += ["config.json", "generation_config.json", "model.safetensors"]
        files += tokenizer_files(family)
        if model.kind == "gptq":
            files.append("quantize_config.json")
    else:
        files += ["config.json", "generation_config.json"]
        files += weight_files(model, family)
        files += tokenizer_files(family)
        if model.kind == "merge":
            files.append("mergekit_config.yml")
        if model.kind == "base" and model.id == LLAMA:
            files += ["LICENSE", "USE_POLICY.md", "original/consolidated.00.pth",
                      "original/params.json", "original/tokenizer.model"]
    if model.training_args:
        files.append("training_args.bin")
    return sorted(files)


def tags(model: Model) -> list[str]:
    family = FAMILIES[model.family]
    out: list[str] = []
    if model.kind == "adapter":
        out += ["peft", "pytorch" if model.weights == "pickle" else "safetensors"]
    elif model.kind == "gguf":
        out += ["gguf"]
    else:
        if model.library == "transformers" or model.kind in ("base", "finetune", "merge"):
            out.append("transformers")
        if model.weights in ("pickle", "both"):
            out.append("pytorch")
        if model.weights in ("safetensors", "both") or model.kind in ("gptq", "awq"):
            out.append("safetensors")
        out.append(family.model_type)
    if model.pipeline:
        out.append(model.pipeline)
    out += [t for t in model.extra_tags if t not in out]
    if model.chat and model.kind != "adapter":
        out.append("conversational")
    out += model.language
    out += [f"dataset:{d}" for d in model.datasets]
    for parent in model.parents:
        out.append(f"base_model:{parent}")
        out.append(f"base_model:{model.relation}:{parent}")
    if model.license and model.has_card:
        out.append(f"license:{model.license}")
    if model.kind in ("base", "finetune", "merge", "gptq", "awq") and model.pipeline:
        out += ["autotrain_compatible", "text-generation-inference"]
    if model.kind != "adapter":
        out.append("endpoints_compatible")
    out.append("region:us")
    return out


def card(model: Model) -> dict[str, Any]:
    data: dict[str, Any] = {}
    bases = model.card_bases if model.card_bases is not None else model.parents
    if bases:
        data["base_model"] = list(bases) if model.base_as_list or len(bases) > 1 else bases[0]
    if model.state_relation and model.relation:
        data["base_model_relation"] = model.relation
    if model.datasets:
        data["datasets"] = list(model.datasets)
    if model.language:
        data["language"] = model.language[0] if len(model.language) == 1 else list(model.language)
    if model.library:
        data["library_name"] = model.library
    if model.license:
        data["license"] = model.license
    if model.pipeline:
        data["pipeline_tag"] = model.pipeline
    if model.extra_tags:
        data["tags"] = list(model.extra_tags)
    return data


def config(model: Model) -> dict[str, Any] | None:
    family = FAMILIES[model.family]
    if not model.has_config:
        return None
    if model.kind == "adapter":
        parent = (model.card_bases or model.parents)[0]
        return {"peft": {"base_model_name_or_path": parent, "task_type": "CAUSAL_LM"}}
    result: dict[str, Any] = {"architectures": [family.architecture],
                              "model_type": family.model_type}
    if model.kind in ("gptq", "awq"):
        result["quantization_config"] = {"bits": 4, "quant_method": model.kind}
    return result


def render(model: Model) -> dict[str, Any]:
    """The record as the Hub's list endpoint returns it, keys in the Hub's order."""
    family = FAMILIES[model.family]
    record: dict[str, Any] = {"_id": model.oid, "id": model.id, "private": False}
    if model.pipeline:
        record["pipeline_tag"] = model.pipeline
    if model.library:
        record["library_name"] = model.library
    record["tags"] = tags(model)
    if model.downloads is not None:
        record["downloads"] = model.downloads
    if model.likes is not None:
        record["likes"] = model.likes
    record["modelId"] = model.id
    record["author"] = model.author
    record["sha"] = model.sha
    record["lastModified"] = iso(model.modified)
    record["gated"] = model.gated
    record["disabled"] = False
    model_config = config(model)
    if model_config is not None:
        record["config"] = model_config
    if model.has_card:
        record["cardData"] = card(model)
    record["siblings"] = [{"rfilename": name} for name in siblings(model)]
    if model.kind == "gguf":
        record["gguf"] = {
            "total": family.parameters,
            "architecture": family.model_type,
            "context_length": family.context_length,
        }
    record["createdAt"] = iso(model.created)
    return record


def main(argv: Sequence[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    models = build()
    # Like ``?sort=downloads``: most downloaded first, so children often precede parents.
    ordered = sorted(models.values(), key=lambda m: (-(m.downloads or 0), m.id))
    lines = [json.dumps(render(m), ensure_ascii=False, separators=(", ", ": ")) for m in ordered]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} records to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
