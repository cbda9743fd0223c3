"""A private Neo4j engine for tests that must stop, restart or import into a server.

The shared dev server (``make neo4j-up``) serves the contract suite; a test that kills its
server or imports an offline database gets one of its own from the same launcher jar
(``tools/neo4j-dev``), on its own home directory and port.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from mlsc.graph.neo4j import Neo4jSettings

REPO = Path(__file__).resolve().parents[1]
JAR = REPO / "tools" / "neo4j-dev" / "target" / "neo4j-dev.jar"
JAVA_OPTS = ["-Xmx768m", "-XX:+UseG1GC", "-Dlog4j2.disable.jmx=true"]


def require_launcher() -> str:
    """The java binary, or a skip (an error under MLSC_REQUIRE_NEO4J) naming what is missing."""
    java = shutil.which("java")
    missing = None if java and JAR.is_file() else ("java" if not java else f"{JAR}")
    if missing:
        message = f"a private Neo4j engine needs {missing}: run `make neo4j-up` once to build it"
        if os.environ.get("MLSC_REQUIRE_NEO4J"):
            raise RuntimeError(message)
        pytest.skip(message)
    assert java is not None
    return java


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Engine:
    """One launcher process on ``home``; ``start`` and ``stop`` may be called repeatedly."""

    def __init__(
        self,
        home: Path,
        port: int | None = None,
        *,
        heap: str | None = None,
        pagecache: str | None = None,
    ) -> None:
        """``heap`` (e.g. ``"4g"``) replaces the default ``-Xmx768m``; ``pagecache`` (e.g.
        ``"2g"``) the launcher's default of 512m."""
        self.home = home
        self.port = port or free_port()
        self.heap = heap
        self.pagecache = pagecache
        self.password = secrets.token_hex(16)
        self.log = home.parent / f"{home.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The JVM's process id while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def settings(self) -> Neo4jSettings:
        return Neo4jSettings(f"bolt://127.0.0.1:{self.port}", "neo4j", self.password)

    def start(self, timeout: float = 180) -> None:
        java = require_launcher()
        env = {**os.environ, "NEO4J_DEV_PASSWORD": self.password}
        opts = JAVA_OPTS
        if self.heap is not None:
            opts = [f"-Xmx{self.heap}" if o.startswith("-Xmx") else o for o in JAVA_OPTS]
        extra = ["--pagecache", self.pagecache] if self.pagecache else []
        args = [*opts, "-jar", str(JAR), "--port", str(self.port), *extra, str(self.home)]
        with self.log.open("ab") as log:
            self._proc = subprocess.Popen(
                [java, *args],
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
            )
        assert self._proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self._proc.stdout.readline()
            if line.startswith(b"READY "):
                return
            if not line and self._proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"private Neo4j did not start; see {self.log}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(60)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None


@contextmanager
def engine(home: Path) -> Iterator[Engine]:
    """A started private engine, stopped on exit whatever happens."""
    running = Engine(home)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def admin_import(home: Path, workdir: Path, command: Sequence[str], *, timeout: float = 300) -> str:
    """Run ``neo4j-admin <command[1:]>`` (the real import tool, from the launcher's class
    path) with ``home`` as NEO4J_HOME, in ``workdir``; returns its output."""
    java = require_launcher()
    (home / "conf").mkdir(parents=True, exist_ok=True)
    (home / "conf" / "neo4j.conf").touch()
    assert command[0] == "neo4j-admin"
    done = subprocess.run(
        [java, *JAVA_OPTS, "-cp", str(JAR), "org.neo4j.cli.AdminTool", *command[1:]],
        cwd=workdir,
        env={**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"neo4j-admin failed ({done.returncode}):\n{done.stdout[-3000:]}")
    return done.stdout
