"""tools/neo4j-dev/neo4j-dev.sh run on a copy of itself, with a stand-in for ``java``.

The stand-in answers ``-version`` like a JDK 17 and otherwise behaves as the launcher jar
does, slowly: its log is missing for a while after start-up (as when the shell that starts
the JVM has not opened it yet), then it listens on a free port and writes the ``READY``
line there. ``up`` must wait through the missing log instead of stopping at it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "neo4j-dev" / "neo4j-dev.sh"

FAKE_JAVA = f"""#!{sys.executable}
import os, signal, socket, sys, time
if sys.argv[1:] == ["-version"]:
    sys.stderr.write('openjdk version "17.0.9" 2023-10-17\\n')
    sys.exit(0)
log = os.readlink("/proc/self/fd/1")  # the launcher's log: its stdout
os.unlink(log)                          # missing, as before the shell opens it
time.sleep(1.5)                         # long enough for the launcher to look (every 0.5 s)
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(8)
with open(log, "w") as out:
    out.write("starting\\nREADY bolt://127.0.0.1:%d\\n" % server.getsockname()[1])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    server.accept()[0].close()
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout holding only the launcher script and a (fake) built jar."""
    if shutil.which("bash") is None or not Path("/proc/self/fd/1").exists():
        pytest.skip("needs bash and /proc")
    tool = tmp_path / "repo" / "tools" / "neo4j-dev"
    (tool / "target" / "lib").mkdir(parents=True)
    (tool / "target" / "neo4j-dev.jar").write_bytes(b"")
    shutil.copy2(SCRIPT, tool / "neo4j-dev.sh")
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(FAKE_JAVA)
    java.chmod(java.stat().st_mode | stat.S_IXUSR)
    return tmp_path


def launcher(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "JAVA_HOME": str(root / "jdk"),
        "NEO4J_DEV_TIMEOUT": "30",
        "NEO4J_DEV_STOP_TIMEOUT": "10",
    }
    return subprocess.run(
        ["bash", str(root / "repo" / "tools" / "neo4j-dev" / "neo4j-dev.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_up_waits_while_the_log_is_missing(checkout: Path) -> None:
    repo = checkout / "repo"
    try:
        up = launcher(checkout, "up")
        assert up.returncode == 0, up.stderr
        settings = dict(
            line.split("=", 1) for line in (repo / ".neo4j-dev.env").read_text().splitlines()
        )
        log = (repo / ".neo4j-dev" / "neo4j.log").read_text()
        assert f"READY {settings['NEO4J_URI']}\n" in log
        assert stat.S_IMODE((repo / ".neo4j-dev.env").stat().st_mode) == 0o600
        status = launcher(checkout, "status")
        assert status.returncode == 0
        assert status.stdout.startswith("running (pid ")
    finally:
        down = launcher(checkout, "down")
    assert down.returncode == 0, down.stderr
    assert not (repo / ".neo4j-dev.env").exists()
    assert launcher(checkout, "status").returncode == 3


def test_up_does_not_read_an_old_runs_ready_line(checkout: Path) -> None:
    """A log left by an earlier run names a port nobody listens on any more: ``up`` starts
    from an empty log, so it waits for this run's line."""
    repo = checkout / "repo"
    (repo / ".neo4j-dev").mkdir()
    (repo / ".neo4j-dev" / "neo4j.log").write_text("READY bolt://127.0.0.1:9\n")
    try:
        up = launcher(checkout, "up")
        assert up.returncode == 0, up.stderr
        uri = (repo / ".neo4j-dev.env").read_text().splitlines()[0]
        assert uri.startswith("NEO4J_URI=bolt://127.0.0.1:")
        assert uri != "NEO4J_URI=bolt://127.0.0.1:9"
    finally:
        launcher(checkout, "down")
