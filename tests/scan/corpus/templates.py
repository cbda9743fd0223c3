"""GGUF files and chat templates: metadata and Jinja templates that reach Python objects,
GGUF headers whose counts and lengths overflow a trusting loader, and the benign files real
tools write."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

from tests.scan import gguf_bytes as g
from tests.scan.corpus import Sample

_ARCH = g.kv_str("general.architecture", "llama")


def _gguf(name: str, data: bytes) -> Callable[[Path], Path]:
    return lambda d: g.write(d / name, data)


def _template_gguf(template: str, key: str = "tokenizer.chat_template") -> bytes:
    return g.gguf(
        [
            _ARCH,
            g.kv_str_array("tokenizer.ggml.tokens", ["<s>", "</s>", "a"]),
            g.kv_str(key, template),
        ]
    )


def _config(template: object) -> Callable[[Path], Path]:
    return lambda d: g.tokenizer_config(d / "tokenizer_config.json", template)


def _jinja(template: str) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        (d / "chat_template.jinja").write_text(template)
        return d / "chat_template.jinja"

    return build


def _benign_gguf(d: Path) -> Path:
    """A GGUF written by gguf-py (llama.cpp's own writer) with a Llama 3 template."""
    import gguf
    import numpy as np

    path = d / "model.Q8_0.gguf"
    w = gguf.GGUFWriter(path, "llama")
    w.add_block_count(1)
    w.add_chat_template(g.LLAMA3)
    w.add_tokenizer_model("gpt2")
    w.add_token_list(["<s>", "</s>", "hello"])
    w.add_tensor("token_embd.weight", np.zeros((4, 32), dtype=np.float32))
    w.add_tensor("output.weight", np.ones((2, 32), dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def _benign_repo(d: Path) -> Path:
    """A model directory: tokenizer config with named templates, a .jinja file."""
    named = [
        {"name": "default", "template": g.QWEN25},
        {"name": "tool_use", "template": g.LLAMA31_TOOLS},
    ]
    g.tokenizer_config(d / "tokenizer_config.json", named)
    (d / "chat_template.jinja").write_text(g.GEMMA)
    return d


_BIG = (1 << 64) - 1
_TEMPLATE = "tokenizer.chat_template"

SAMPLES: list[Sample] = [
    Sample(
        "gguf-llama-drama-template",
        "CVE-2024-34359 / GHSA-56xg-wfcc-g829 'Llama Drama': llama-cpp-python rendered a GGUF's "
        "tokenizer.chat_template unsandboxed; ().__class__.__base__.__subclasses__() -> "
        "warnings.catch_warnings()._module.__builtins__['__import__']('os').popen",
        True,
        _gguf("model.gguf", _template_gguf(g.LLAMA_DRAMA)),
    ),
    Sample(
        "gguf-named-template-lipsum-globals",
        "CVE-2026-5760 (SGLang, unsandboxed jinja2.Environment) and the vLLM report: "
        "lipsum.__globals__['os'].popen, hidden in tokenizer.chat_template.tool_use",
        True,
        _gguf("model.gguf", _template_gguf(g.LIPSUM_GLOBALS, _TEMPLATE + ".tool_use")),
    ),
    Sample(
        "gguf-duplicate-template-key",
        "two tokenizer.chat_template keys: llama.cpp's gguf_find_key takes the first (benign), "
        "gguf-py's reader the last (the Llama Drama payload): a parser-differential hide",
        True,
        _gguf(
            "model.gguf",
            g.gguf([_ARCH, g.kv_str(_TEMPLATE, g.CHATML), g.kv_str(_TEMPLATE, g.LLAMA_DRAMA)]),
        ),
    ),
    Sample(
        "gguf-big-endian-template",
        "CVE-2024-34359 payload in a big-endian GGUF (version bytes swapped), which readers "
        "that assume little-endian skip",
        True,
        _gguf("model.gguf", g.gguf([g.kv_str(_TEMPLATE, g.TEMPLATE_REFERENCE, e=">")], e=">")),
    ),
    Sample(
        "gguf-template-after-unknown-type",
        "a Llama Drama template placed after a value of unknown type, so a parser that stops "
        "at the unknown type never sees the template (evasion of header-only readers)",
        True,
        _gguf(
            "model.gguf",
            g.gguf(
                [
                    _ARCH,
                    g.gstr("x") + struct.pack("<I", 99) + b"\0" * 8,
                    g.kv_str(_TEMPLATE, g.LLAMA_DRAMA),
                ]
            ),
        ),
    ),
    Sample(
        "gguf-string-length-wraps",
        "CVE-2024-23496 (TALOS-2024-1915): gguf_fread_str trusted a string length of 2**64-1; "
        "malloc(len + 1) allocates nothing and the read overflows the heap",
        True,
        _gguf("model.gguf", g.gguf([g.gstr("general.name", length=_BIG) + b"AAAA"])),
    ),
    Sample(
        "gguf-n-kv-overflow",
        "CVE-2024-23605 (TALOS-2024-1914): header.n_kv sized an allocation that overflowed",
        True,
        _gguf("model.gguf", g.gguf([_ARCH], n_kv=1 << 61)),
    ),
    Sample(
        "gguf-n-tensors-overflow",
        "CVE-2024-21836 (TALOS-2024-1913): header.n_tensors times the record size wraps",
        True,
        _gguf("model.gguf", g.gguf([_ARCH], n_tensors=(1 << 64) // 24 + 1)),
    ),
    Sample(
        "gguf-array-count-overflow",
        "CVE-2024-21825 (TALOS-2024-1912): an array of strings whose count overflows the "
        "allocation of its elements",
        True,
        _gguf("model.gguf", g.gguf([g.kv_str_array("tokenizer.ggml.tokens", ["a"], count=_BIG)])),
    ),
    Sample(
        "gguf-tensor-ndims-overflow",
        "CVE-2024-21802 (TALOS-2024-1916): n_dims above GGML_MAX_DIMS (4) writes past the "
        "tensor's ne[] array",
        True,
        _gguf("model.gguf", g.gguf([_ARCH], [g.tensor_info("w", [1] * 8)], b"\0" * 32)),
    ),
    Sample(
        "gguf-tensor-data-past-eof",
        "tensor dimensions that claim more data than the file holds: a loader that trusts "
        "them reads out of bounds (the class of Ollama's 'Bleeding Llama', CVE-2026-7482)",
        True,
        _gguf("model.gguf", g.gguf([_ARCH], [g.tensor_info("w", [4096, 4096])], b"\0" * 64)),
    ),
    Sample(
        "tokenizer-config-lipsum-globals",
        "CVE-2024-34359 class in a transformers tokenizer_config.json chat_template "
        "(rendered unsandboxed by servers that reuse it: vLLM, SGLang CVE-2026-5760)",
        True,
        _config(g.LIPSUM_GLOBALS),
    ),
    Sample(
        "tokenizer-config-named-attr-concat",
        "a named chat template (list form) building '__globals__' from pieces with ~ and "
        "|join, then |attr(): the filter-bypass SSTI style",
        True,
        _config(
            [
                {"name": "default", "template": g.CHATML},
                {"name": "tool_use", "template": g.CYCLER_ATTR_CONCAT},
            ]
        ),
    ),
    Sample(
        "gguf-template-nul-hides-tail",
        "parser differential: llama.cpp returns GGUF metadata as C strings, so a renderer "
        "sees the template up to a NUL (a CVE-2024-34359 payload built from pieces) while a "
        "scanner of the whole string sees an unparseable template",
        True,
        _gguf(
            "model.gguf",
            _template_gguf("{{ cycler|attr('__in' ~ 'it__')|attr('__glo' ~ 'bals__') }}\0{% for"),
        ),
    ),
    Sample(
        "tokenizer-config-macro-pieces",
        "SSTI filter bypass: the attribute name passed to a macro as pieces ('__cla' ~ "
        "'ss__'), so no literal names a dunder",
        True,
        _config(
            "{% macro m(o, a) %}{{ o|attr(a) }}{% endmacro %}{{ m(m(cycler, '__in' ~ "
            "'it__'), '__glo' ~ 'bals__') }}"
        ),
    ),
    Sample(
        "chat-template-jinja-self-context",
        "chat_template.jinja using self._TemplateReference__context to reach cycler globals",
        True,
        _jinja(g.TEMPLATE_REFERENCE),
    ),
    Sample(
        "benign-gguf-gguf-py",
        "a GGUF written by gguf-py's GGUFWriter with a Llama 3 chat template and two tensors",
        False,
        _benign_gguf,
        "clean",
    ),
    Sample(
        "benign-chat-template-repo",
        "tokenizer_config.json with Qwen2.5 and Llama 3.1 tool templates, Gemma .jinja",
        False,
        _benign_repo,
        "clean",
    ),
    *(
        Sample(
            f"benign-template-{name}",
            f"a real-style {name} chat template",
            False,
            _config(text),
            "clean",
        )
        for name, text in g.BENIGN_TEMPLATES.items()
    ),
]
