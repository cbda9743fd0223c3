"""The shape of a hubgen graph: proportions, owners, names, and the small draws built on
them (see ``benchmarks/hubgen.py`` for what they produce)."""

from __future__ import annotations

import time
from functools import cache

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
