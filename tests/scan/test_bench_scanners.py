"""benchmarks/scanners.py: what counts as a detection, the lists that gate it, absent peers.

The peers themselves are not run here (they live in the benchmark's own venv); mlsc is, on
real corpus samples, with the unpickling guard of conftest.py in force.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.scan.corpus import SAMPLES, Sample

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scanners", REPO / "benchmarks/scanners.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scanners"] = module
    spec.loader.exec_module(module)
    return module


def _sample(name: str, malicious: bool) -> Sample:
    return Sample(name, f"source of {name}", malicious, lambda d: d)


def test_summary_lists_peer_catches_mlsc_missed_and_mlsc_false_positives(
    bench: ModuleType,
) -> None:
    samples = [_sample("evil", True), _sample("evil2", True), _sample("fine", False)]
    verdicts = {
        "evil": {"mlsc": "clean", "picklescan": "flagged", "fickling": "error"},
        "evil2": {"mlsc": "flagged", "picklescan": "dangerous", "fickling": "error"},
        "fine": {"mlsc": "flagged", "picklescan": "clean", "fickling": "flagged"},
    }
    runs = [
        bench.Run(tool, s.name, verdicts[s.name].get(tool, "absent"), 1.0)
        for s in samples
        for tool in ("mlsc", "mlsc-alone", *bench.PEERS)
    ]
    versions = {"mlsc": "0", "mlsc-alone": "0", "picklescan": "1", "fickling": "1"}
    result = bench.summarise(samples, versions, runs)
    assert [m["sample"] for m in result["caught_by_a_peer_missed_by_mlsc"]] == ["evil"]
    assert result["caught_by_a_peer_missed_by_mlsc"][0]["caught_by"] == ["picklescan"]
    assert result["mlsc_false_positives"] == ["fine"]
    # evil2: mlsc flags it, but below the "dangerous" picklescan gives it
    assert result["peer_dangerous_mlsc_lower"] == [
        {"sample": "evil2", "peers": ["picklescan"], "mlsc": "flagged"}
    ]
    tools = result["tools"]
    assert (tools["mlsc"]["detected"], tools["mlsc"]["missed"]) == (1, 1)
    assert tools["fickling"]["errors"] == 2 and tools["fickling"]["missed"] == 2
    assert tools["fickling"]["false_positives"] == 1
    assert tools["modelscan"]["detected"] == 0 and tools["modelscan"]["missed"] == 0  # absent


def test_absent_peers_are_reported_not_raised(bench: ModuleType, tmp_path: Path) -> None:
    versions = bench.peer_versions(tmp_path / "no-venv")
    assert versions == dict.fromkeys(bench.PEERS)


def test_mlsc_verdicts_on_real_samples(bench: ModuleType, tmp_path: Path) -> None:
    malicious = next(s for s in SAMPLES if s.malicious)
    benign = next(s for s in SAMPLES if not s.malicious)
    for s, want in ((malicious, "dangerous"), (benign, "clean")):
        d = tmp_path / s.name
        d.mkdir()
        verdict, note = bench.run_mlsc(s.build(d), second_opinion=False)
        assert verdict == want, note


def test_a_timeout_or_crash_is_an_error_row(bench: ModuleType) -> None:
    def crash() -> tuple[str, str]:
        raise OSError("no such tool")

    verdict, note, seconds = bench._timed(crash)
    assert verdict == "error" and "no such tool" in note and seconds >= 0
