"""What every HTML page shares: escaping, JSON inside a script, the policy, the shell."""

from __future__ import annotations

import base64
import hashlib
import json

from mlsc.render.page import clean, count, csp, esc, fmt, fmt_int, script_json, static_page


def test_esc_escapes_quotes_and_tags_and_drops_controls() -> None:
    assert esc('<a href="x">\'&\x00\x1b</a>') == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&lt;/a&gt;"


def test_clean_cuts_with_an_ellipsis_and_replaces_lone_surrogates() -> None:
    assert clean("abcdef", 4) == "abc…"
    assert clean("a\ud800b") == "a?b"
    assert clean("tab\tand\nnewline") == "tab\tand\nnewline"


def test_script_json_cannot_close_its_element_and_means_the_same() -> None:
    value = {"id": "</script><!-- & -->"}
    text = script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def test_csp_names_each_script_by_hash_and_forbids_the_rest() -> None:
    digest = base64.b64encode(hashlib.sha256(b"run();").digest()).decode()
    policy = csp("run();")
    assert policy.startswith("default-src 'none'; ")
    assert f"script-src 'sha256-{digest}';" in policy
    assert csp() == "default-src 'none'; style-src 'unsafe-inline'"


def test_formatting_of_values() -> None:
    assert (fmt(None), fmt(True), fmt(0.123456), fmt(float("nan"))) == (
        "unknown",
        "yes",
        "0.123",
        "unknown",
    )
    assert (fmt_int(None), fmt_int(1234)) == ("unknown", "1,234")
    assert (count(1, "seed"), count(1234, "seed")) == ("1 seed", "1,234 seeds")


def test_static_page_runs_no_script_and_escapes_its_title() -> None:
    page = static_page("<b>t</b>", "p{}", ["<p>body</p>"])
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>&lt;b&gt;t&lt;/b&gt;</title>" in page
    assert "script-src" not in page and "<script" not in page
    assert page.endswith("<p>body</p></body></html>")
