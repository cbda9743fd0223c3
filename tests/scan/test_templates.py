"""Chat-template analysis: sandbox-escape payloads are critical, real templates stay clean, and
the tokenizer-config engine reads every template a loader could pick."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from mlsc.scan import scan_path
from mlsc.scan.records import file_props
from mlsc.scan.scanner import FileScan
from mlsc.scan.templates import analyse, templates_sha256
from tests.scan import gguf_bytes as g


@pytest.mark.parametrize("name", sorted(g.BENIGN_TEMPLATES))
def test_real_templates_have_no_gadgets(name: str) -> None:
    a = analyse(g.BENIGN_TEMPLATES[name])
    assert a.parsed and a.gadgets == (), a.gadgets


CRITICAL = {
    "mro-subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "escaped-dunder": "{{ cycler|attr('\\x5f\\x5finit\\x5f\\x5f') }}",
    "list-join": "{{ x|attr(['_' * 2, 'class', '_' * 2]|join) }}",
    "dict-keys": "{{ x[dict(__class__=1)|list|first] }}",
    "percent-c": "{{ x|attr('%c%cglobals%c%c'|format(95, 95, 95, 95)) }}",
    "chained-set": "{% set a = '__clas' %}{% set b = a ~ 's__' %}{{ x|attr(b) }}",
    "for-constant": "{% for n in ['__init__'] %}{{ cycler|attr(n) }}{% endfor %}",
    "reversed": "{{ joiner|attr('__slabolg__'[::-1]) }}",
    "method-join": "{{ x|attr(''.join(['__', 'globals', '__'])) }}",
    "getattribute": "{{ x.__getattribute__('x') }}",
    "format-field": "{{ '{0.__init__.__globals__}'.format(cycler) }}",
    "flask-config": "{{ config.items() }}",
    "called-system": "{{ x.system('id') }}",
    "map-attribute": "{{ messages|map(attribute='__class__')|list }}",
    "dotted-attribute": "{{ messages|map(attribute='content.__class__')|list }}",
    "opaque-pieces": "{{ x|attr((lipsum|string)[0] ~ 'class') }}",
    "frame": "{{ x.gi_frame.f_globals }}",
}


@pytest.mark.parametrize("name", sorted(CRITICAL))
def test_sandbox_escapes_are_critical(name: str) -> None:
    a = analyse(CRITICAL[name])
    assert a.parsed and a.severity == "critical", a.gadgets


@pytest.mark.parametrize(
    "template",
    [
        "{{ message._private }}",
        "{{ self }}",
        "{% include 'other.jinja' %}",
        "{% for k in message %}{{ x|attr('tool_' ~ k) }}{% endfor %}",
    ],
)
def test_odd_but_not_escapes_are_warnings(template: str) -> None:
    a = analyse(template)
    assert a.severity == "warning", a.gadgets


def test_data_keys_are_not_flagged() -> None:
    template = "{% for k in message %}{{ message[k] }}{{ message['tool_' ~ k] }}{% endfor %}"
    assert analyse(template).gadgets == ()


def test_evidence_names_the_line_and_expression() -> None:
    a = analyse("{{ bos_token }}\n\n{{ lipsum.__globals__ }}")
    assert (a.gadgets[0].line, a.gadgets[0].expression) == (3, "lipsum.__globals__")


def test_unparseable_templates_are_searched_as_text() -> None:
    broken = analyse("{% for m in messages %}{{ m.content }")
    assert not broken.parsed and "line 1" in (broken.error or "") and broken.gadgets == ()
    hidden = analyse("{% for %}{{ ().__class__.__subclasses__() }}")
    assert not hidden.parsed and hidden.severity == "critical"
    deep = analyse("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}")
    assert deep.severity is None  # too deep to parse or walk, and nothing named


def test_hashes() -> None:
    assert templates_sha256([("default", "x")]) == hashlib.sha256(b"x").hexdigest()
    two = templates_sha256([("default", "x"), ("tool_use", "y")])
    assert (
        two
        == templates_sha256([("tool_use", "y"), ("default", "x")])
        != templates_sha256([("default", "x"), ("tool_use", "z")])
    )


def _scan(path: Path) -> FileScan:
    return scan_path(path, check_signature=False).files[0]


def test_every_duplicate_chat_template_is_analysed(tmp_path: Path) -> None:
    path = tmp_path / "tokenizer_config.json"
    evil, benign = json.dumps(g.LIPSUM_GLOBALS), json.dumps(g.CHATML)
    path.write_text(f'{{"chat_template": {evil}, "chat_template": {benign}}}')
    f = _scan(path)
    assert f.status == "critical"  # json.load keeps the benign last one; we read both
    assert any("more than once" in x.detail for x in f.findings)


def test_config_without_template_and_odd_configs(tmp_path: Path) -> None:
    (tmp_path / "tokenizer_config.json").write_text('{"bos_token": "<s>"}')
    plain = _scan(tmp_path / "tokenizer_config.json")
    assert (plain.status, plain.facts, plain.format) == ("clean", (), "tokenizer-config")
    (tmp_path / "processor_config.json").write_text('{"size": 3}')
    assert _scan(tmp_path / "processor_config.json").status == "skipped"
    (tmp_path / "b" / "tokenizer_config.json").parent.mkdir()
    (tmp_path / "b" / "tokenizer_config.json").write_text('{"chat_template": 3}')
    assert _scan(tmp_path / "b" / "tokenizer_config.json").findings[0].rule.id == "MLSC352"
    bad = tmp_path / "tokenizer_config.json"
    bad.write_text('{"chat_template": "{{ x.__globals__ }}",,}')
    f = _scan(bad)
    assert f.status == "critical" and {x.kind for x in f.findings} == {
        "unparseable",
        "template_injection",
    }


def test_jinja_file_and_graph_fact(tmp_path: Path) -> None:
    path = tmp_path / "chat_template.jinja"
    path.write_text(g.CYCLER_ATTR_CONCAT)
    f = _scan(path)
    assert f.status == "critical" and all(x.rule.id == "MLSC350" for x in f.findings)
    assert f.findings[0].how_to_check() == f"cat -n {path.name}"
    props = file_props(f, "local:x", "2024-01-01T00:00:00.000Z")
    assert (
        props["chat_template_sha256"] == hashlib.sha256(g.CYCLER_ATTR_CONCAT.encode()).hexdigest()
    )


def test_strings_built_anywhere_are_folded() -> None:
    macro = "{% macro m(a) %}{{ x|attr(a) }}{% endmacro %}{{ m('__cla' ~ 'ss__') }}"
    ns = "{% set ns = namespace(k=['__glo', 'bals__']|join) %}{{ lipsum|attr(ns.k) }}"
    for template in (macro, ns):
        assert analyse(template).severity == "critical", template


def test_a_nul_hides_the_rest_from_c_string_readers() -> None:
    # llama.cpp returns metadata strings up to the NUL: the renderer sees a valid template
    hidden = "{{ x|attr('__cla' ~ 'ss__') }}\0{% for"
    a = analyse(hidden)
    assert a.parsed and a.severity == "critical"
    assert any("NUL" in g.why for g in a.gadgets)


def test_hostile_shapes_stay_fast_and_bounded() -> None:
    start = time.perf_counter()
    for template in (
        "{{ x|attr('%999999999s'|format('a')) }}",  # would allocate a gigabyte if folded
        "{{ x|attr(((('aaaa' * 64) * 64) * 64) * 64) }}",
        "{{ x" + "|attr('a' ~ 'b')" * 800 + " }}",  # deep: quadratic with jinja2's find_all
        "{{ x }}\n" * 40_000,  # over the size parsed: searched as text, reported
    ):
        analyse(template)
    assert time.perf_counter() - start < 5
    assert not analyse("{{ x }}\n" * 40_000).parsed
