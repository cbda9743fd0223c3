"""Throughput of the code reader (``mlsc.code.read_references``) on a large generated tree.

    .venv/bin/python benchmarks/code.py                 # 20,000 files, about a minute
    .venv/bin/python benchmarks/code.py --files 2000

Generates FILES Python modules of realistic size (imports, classes, functions, docstrings;
one in five loads models: literals, module constants, pinned revisions, dynamic ids) plus a
notebook and a YAML config per hundred, in a temporary directory. Then, in this process, it
times ``read_references`` on the tree against a baseline measured in the same run: reading
every file and ``ast.parse`` on it, nothing else. Each is run once to warm the page cache,
then 3 times; the median is shown. It prints files/s, MB/s and the ratio (reader time over
baseline time: the cost of walking, resolving names and recognising loaders on top of
parsing). Then it audits what it read (``mlsc audit`` without the walk) against a
knowledge base of the bundled sample (examples/sample-hub.jsonl), so the figure covers
the whole of ``mlsc audit PATH``: read plus audit, in references/s and files/s.
It never asserts.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlsc.code import read_references

MODELS = ["bert-base-uncased", "meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-7B-Instruct",
          "sentence-transformers/all-MiniLM-L6-v2", "openai/whisper-small", "google/flan-t5-base"]  # fmt: skip


def module(rng: random.Random, index: int) -> str:
    parts = [f'"""Module {index} of a generated application."""\n',
             "import os\nimport json\nfrom dataclasses import dataclass\n"]  # fmt: skip
    loads = rng.random() < 0.2
    if loads:
        parts.append("from transformers import AutoModel, AutoTokenizer, pipeline\n")
        parts.append(f'MODEL = "{rng.choice(MODELS)}"\nREV = "{rng.getrandbits(160):040x}"\n')
    for c in range(rng.randint(2, 5)):
        parts.append(f"\n\n@dataclass\nclass Thing{c}:\n    \"\"\"A record.\"\"\"\n\n")
        parts.extend(f"    field_{f}: int = {f}\n" for f in range(rng.randint(2, 6)))
        for m in range(rng.randint(2, 5)):
            parts.append(
                f"\n    def method_{m}(self, value: int, *, scale: float = 1.0) -> float:\n"
                f'        """Scale the value ({m})."""\n'
                f"        total = sum(x * scale for x in range(value) if x % {m + 2})\n"
                f"        data = {{'k': [total, value, {m}], 'name': os.path.join('a', 'b')}}\n"
                f"        return float(json.dumps(data).count(',') + total)\n"
            )
    if loads:
        parts.append(
            "\n\ndef load(name=None):\n"
            "    tok = AutoTokenizer.from_pretrained(MODEL, revision=REV)\n"
            f'    model = AutoModel.from_pretrained("{rng.choice(MODELS)}")\n'
            "    dyn = AutoModel.from_pretrained(name or os.environ['M'])\n"
            '    return pipeline("text-generation", model=model, tokenizer=tok), dyn\n'
        )
    return "".join(parts)


def generate(root: Path, files: int, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    size = 0
    for i in range(files):
        directory = root / f"pkg{i // 200}" / f"sub{i % 7}"
        directory.mkdir(parents=True, exist_ok=True)
        text = module(rng, i)
        (directory / f"mod{i}.py").write_text(text)
        size += len(text.encode())
        if i % 100 == 0:
            cells = [{"cell_type": "code", "source": module(rng, i).splitlines(True)}]
            notebook = json.dumps({"cells": cells, "nbformat": 4}, indent=1)
            (directory / f"nb{i}.ipynb").write_text(notebook)
            config = f"model:\n  model_name_or_path: {rng.choice(MODELS)}\n  revision: main\n"
            (directory / f"cfg{i}.yaml").write_text(config)
            size += len(notebook) + len(config)
    return files + 2 * ((files + 99) // 100), size


def baseline(root: Path) -> int:
    parsed = 0
    for path in sorted(root.rglob("*.py")):
        ast.parse(path.read_bytes())
        parsed += 1
    return parsed


def timed(fn: object, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs + 1):  # the first warms the page cache
        start = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:]), result


def timed_audit(reading: object, root: Path, runs: int) -> tuple[float, int]:
    """Median seconds of ``audit`` over ``reading`` against the sample knowledge base, and
    how many findings it gave."""
    from mlsc.graph.ladybug import LadybugStore
    from mlsc.ingest.hub.snapshot import ingest_snapshot
    from mlsc.queries.audit import audit

    sample = Path(__file__).resolve().parents[1] / "examples" / "sample-hub.jsonl"
    with (
        tempfile.TemporaryDirectory(prefix="mlsc-audit-kb-") as kb,
        LadybugStore(Path(kb) / "kb") as store,
    ):
        ingest_snapshot(store, sample)
        seconds, result = timed(lambda: audit(store, reading, path=str(root)), runs)  # type: ignore[arg-type]
    findings = sum(len(r.findings) for r in result.references)  # type: ignore[attr-defined]
    return seconds, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlsc-code-bench-") as tmp:
        root = Path(tmp)
        files, size = generate(root, args.files, args.seed)
        mb = size / 1e6
        reader_s, reading = timed(lambda: read_references(root), args.runs)
        base_s, _ = timed(lambda: baseline(root), args.runs)
        audit_s, audited = timed_audit(reading, root, args.runs)
    refs = reading.references  # type: ignore[attr-defined]
    print(f"tree: {files:,} files ({args.files:,} .py), {mb:.1f} MB; "
          f"{len(refs):,} references ({sum(r.dynamic for r in refs):,} dynamic, "
          f"{sum(r.pinned for r in refs):,} pinned), {len(reading.skipped)} skipped")  # type: ignore[attr-defined]  # fmt: skip
    print(f"read_references: {reader_s:.2f} s  {files / reader_s:,.0f} files/s  {mb / reader_s:.1f} MB/s")
    print(f"baseline (read + ast.parse of the .py files): {base_s:.2f} s  "
          f"{args.files / base_s:,.0f} files/s")  # fmt: skip
    print(f"ratio reader/baseline: {reader_s / base_s:.2f}x")
    print(f"audit of those references against the sample knowledge base: {audit_s:.2f} s  "
          f"{len(refs) / audit_s:,.0f} references/s; mlsc audit end to end (read + audit): "
          f"{files / (reader_s + audit_s):,.0f} files/s; {audited} findings")  # fmt: skip


if __name__ == "__main__":
    main()
