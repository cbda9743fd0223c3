"""Neo4j's bad states on a real server: wrong password, nothing listening, no such database."""

from __future__ import annotations

import dataclasses

import pytest
from typer.testing import CliRunner

from mlsc.cli.app import app
from mlsc.errors import StoreUnavailableError
from mlsc.graph.neo4j import Neo4jSettings, Neo4jStore
from tests.conftest import neo4j_settings


@pytest.fixture
def settings() -> Neo4jSettings:
    found = neo4j_settings()
    if found is None:
        pytest.skip("Neo4j not running: `make neo4j-up` starts one (needs java, mvn)")
    return found


def test_wrong_password_names_the_uri_never_the_password(settings: Neo4jSettings) -> None:
    wrong = dataclasses.replace(settings, password="not-" + settings.password)
    with pytest.raises(StoreUnavailableError) as caught:
        Neo4jStore(wrong)
    text = caught.value.diagnostics()
    assert settings.uri in text and "wrong user or password" in text
    assert wrong.password not in text and settings.password not in text


def test_nothing_listening_is_a_clear_error() -> None:
    down = Neo4jSettings(uri="bolt://127.0.0.1:9", user="neo4j", password="secret-pw")
    with pytest.raises(StoreUnavailableError) as caught:
        Neo4jStore(down)
    assert "bolt://127.0.0.1:9 is not reachable" in caught.value.message
    assert "make neo4j-up" in (caught.value.hint or "")


def test_missing_database_is_named(settings: Neo4jSettings) -> None:
    other = dataclasses.replace(settings, database="nosuchdb")
    with pytest.raises(StoreUnavailableError, match="no database 'nosuchdb'"):
        Neo4jStore(other)


def test_the_cli_exits_1_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", "secret-pw")
    result = CliRunner().invoke(
        app, ["--neo4j-uri", "bolt://127.0.0.1:9", "stats", "--backend", "neo4j"]
    )
    assert result.exit_code == 1
    assert "bolt://127.0.0.1:9 is not reachable" in result.stderr
    assert "Traceback" not in result.output and "secret-pw" not in result.output


def test_settings_never_show_the_password() -> None:
    assert "secret-pw" not in repr(Neo4jSettings("bolt://h:1", "neo4j", "secret-pw"))
