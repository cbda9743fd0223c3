"""`make demo`: build a knowledge base that shows every capability of mlsc, offline, from
data in this repository, then show what mlsc answers about it.

    python tools/demo.py --out demo-out        # what `make demo` runs

Five sources go into ``demo-out/kb``:

1. the sample hub snapshot (``examples/sample-hub.jsonl``): 378 models, a 14-hop chain;
2. a crawl of the Hub with the real ``huggingface_hub`` client, against the recorded Hub
   exchanges of ``tests/replay`` served on 127.0.0.1 for the length of the crawl:
   organisations (verified or not) with members, files with formats and hashes, commits;
3. git histories of two model repositories (remote ``https://huggingface.co/<id>``), made
   here with ``git`` and an SSH key from ``ssh-keygen``: signed, verified and unsigned commits;
4. a pickle that would run ``os.system`` when loaded (it never is), scanned and recorded on
   a model eight hops down the Llama-3.1 lineage;
5. an application (``examples/app``) that loads two sample models, one pinned, one not.

Every command is shown as a user would type it after ``export MLSC_DB=...``, with its output
cut to a few lines. Exit status 0 when every step did what it should (a scan or audit that
finds something exits 3, as it should), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "sample-hub.jsonl"
APP = REPO / "examples" / "app"

SIGNED_MODEL = "meta-llama/Llama-3.1-8B"
"""Its history: unsigned uploads, then every commit signed with an SSH key git verifies."""
UNSIGNED_MODEL = "quantlab/Evo-8B-g12-GGUF"
"""Its history: never signed."""
MIDDLE_MODEL = "ferrite-ai/Evo-8B-g06"
"""The middle of the sample's 14-hop chain: seven ancestors above it, seven descendants below."""
FLAGGED_MODEL = "lumen-lab/Evo-8B-g05"
"""Eight hops below meta-llama/Llama-3.1-8B; seven models derive from it, down to the GGUF."""
CRAWLED = (
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Meta-Llama-3-8B-Instruct",
    "HuggingFaceH4/zephyr-7b-beta",
    "deepset/roberta-base-squad2",
    "openai-community/gpt2",
)
"""Models of the recorded Hub exchanges (tests/replay/data/records) the demo crawls."""


class Demo:
    """Runs mlsc on one knowledge base and shows each command and the start of its output."""

    def __init__(self, out: Path, rows: int) -> None:
        self.out = out
        self.kb = out / "kb"
        self.rows = rows
        self.failures: list[str] = []
        self.env = {
            **os.environ,
            "MLSC_DB": str(self.kb),
            "COLUMNS": str(max(shutil.get_terminal_size((120, 40)).columns, 120)),
            "NO_COLOR": "1",
        }
        self.env.pop("MLSC_BACKEND", None)

    def section(self, title: str) -> None:
        print(f"\n== {title}", flush=True)

    def mlsc(
        self,
        *args: str,
        ok: Sequence[int] = (0,),
        rows: int | None = None,
        env: dict[str, str] | None = None,
        tail: bool = False,
    ) -> int:
        """Run ``mlsc ARGS`` (relative paths, as typed in the repository); show the command and
        its first ROWS lines of output (the last ones with TAIL: an ingester's counts). A
        status outside OK is a failure."""
        print(f"$ mlsc {shlex.join(args)}", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "mlsc", *args],
            cwd=REPO,
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        lines = done.stdout.rstrip("\n").splitlines()
        limit = self.rows if rows is None else rows
        shown = lines[-limit:] if tail else lines[:limit]
        if tail and len(lines) > limit:
            print(f"  … ({len(lines) - limit} lines before)")
        for line in shown:
            print(f"  {line.rstrip()}")
        if not tail and len(lines) > limit:
            print(f"  … ({len(lines) - limit} more lines)")
        if done.returncode not in ok:
            print(f"  ! exit status {done.returncode}", flush=True)
            self.failures.append(shlex.join(args))
        elif done.returncode:
            print(f"  (exit status {done.returncode}: it found something, as it should)")
        return done.returncode

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(REPO))
        except ValueError:
            return str(path.resolve())


# ---------------------------------------------------------------------------- the sources


def crawl_replayed_hub(demo: Demo) -> None:
    """``mlsc ingest hf`` against the recorded Hub exchanges, served on 127.0.0.1."""
    sys.path.insert(0, str(REPO))
    from tests.replay.hf import HubServer
    from tests.replay.hub import Hub, Organization, User

    hub = Hub.from_records()
    for name in ("ArthurZ", "osanseviero", "lewtun", "julien-c", "thomwolf", "mariama"):
        hub.add_user(User(name, name.capitalize()))
    hub.add_organization(
        Organization("meta-llama", "Meta Llama", verified=True, members=("ArthurZ", "osanseviero"))
    )
    hub.add_organization(
        Organization("HuggingFaceH4", "Hugging Face H4", verified=True, members=("lewtun",))
    )
    hub.add_organization(Organization("deepset", "deepset", verified=False, members=("mariama",)))
    hub.add_organization(
        Organization("openai-community", "OpenAI community", members=("julien-c", "thomwolf"))
    )
    home = demo.out / "hf-home"
    env = {"HF_HOME": str(home), "HF_HUB_DISABLE_TELEMETRY": "1", "HF_TOKEN": ""}
    models = [a for m in CRAWLED for a in ("--model", m)]
    with HubServer(hub) as server:
        print(f"(a replay of recorded Hub answers is serving on {server.url})")
        demo.mlsc("ingest", "hf", *models, "--endpoint", server.url, env=env, tail=True)


def git(repo: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)


def make_git_histories(demo: Demo) -> list[tuple[Path, str]]:
    """Two model repositories with real commits; signed ones verify (allowedSignersFile)."""
    root = demo.out / "git"
    keys = root / "keys"
    keys.mkdir(parents=True)
    key = keys / "release-signing"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "release@meta.example", "-f", str(key)],
        check=True,
    )  # fmt: skip
    allowed = keys / "allowed_signers"
    allowed.write_text(f"release@meta.example {key.with_suffix('.pub').read_text()}")
    base_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root),
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
    }
    histories = {
        SIGNED_MODEL: [
            ("2024-07-18T09:12:00Z", "Meta Release", "release@meta.example", False,
             "initial commit", {".gitattributes": "*.safetensors filter=lfs diff=lfs\n"}),
            ("2024-07-18T09:40:00Z", "Arthur Z", "arthur@meta.example", False,
             "Upload config.json", {"config.json": '{"model_type": "llama"}\n'}),
            ("2024-07-19T16:02:00Z", "Meta Release", "release@meta.example", True,
             "Upload model.safetensors", {"model.safetensors": "weights\n"}),
            ("2024-09-25T11:30:00Z", "Meta Release", "release@meta.example", True,
             "Update README.md", {"README.md": "---\nlicense: llama3.1\n---\n# Llama 3.1 8B\n"}),
            ("2024-12-06T08:45:00Z", "Meta Release", "release@meta.example", True,
             "Update generation_config.json", {"generation_config.json": '{"do_sample": true}\n'}),
        ],
        UNSIGNED_MODEL: [
            ("2025-02-03T21:10:00Z", "Quant Lab", "bot@quantlab.example", False,
             "initial commit", {".gitattributes": "*.gguf filter=lfs diff=lfs\n"}),
            ("2025-02-03T21:55:00Z", "Quant Lab", "bot@quantlab.example", False,
             "Upload Evo-8B-g12-Q4_K_M.gguf", {"Evo-8B-g12-Q4_K_M.gguf": "gguf\n"}),
            ("2025-03-11T07:20:00Z", "kiln", "kiln@users.example", False,
             "Update README.md", {"README.md": "# Evo-8B-g12 GGUF\n"}),
        ],
    }  # fmt: skip
    clones = []
    for model, commits in histories.items():
        repo = root / model.replace("/", "__")
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main", env=base_env)
        git(repo, "config", "gpg.format", "ssh", env=base_env)
        git(repo, "config", "user.signingkey", str(key), env=base_env)
        git(repo, "config", "gpg.ssh.allowedSignersFile", str(allowed), env=base_env)
        git(repo, "remote", "add", "origin", f"https://huggingface.co/{model}", env=base_env)
        for when, name, email, signed, message, files in commits:
            for path, text in files.items():
                (repo / path).write_text(text)
                git(repo, "add", path, env=base_env)
            env = {
                **base_env,
                "GIT_AUTHOR_NAME": name,
                "GIT_AUTHOR_EMAIL": email,
                "GIT_AUTHOR_DATE": when,
                "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email,
                "GIT_COMMITTER_DATE": when,
            }
            git(repo, "commit", "-q", *(["-S"] if signed else []), "-m", message, env=env)
        clones.append((repo, model))
    return clones


class _Payload:
    """Pickles as a call to os.system: what a malicious checkpoint does when loaded."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo 'this would run on torch.load: mlsc never loads it'",))


def make_flagged_checkpoint(demo: Demo) -> Path:
    """A local copy of FLAGGED_MODEL whose weights are a malicious pickle (written, never
    loaded: pickle.dumps only records the call)."""
    copy = demo.out / "scan" / FLAGGED_MODEL.replace("/", "__")
    copy.mkdir(parents=True)
    (copy / "config.json").write_text('{"model_type": "llama"}\n')
    (copy / "pytorch_model.bin").write_bytes(pickle.dumps(_Payload(), protocol=2))
    return copy


# ---------------------------------------------------------------------------- the demo


def build(demo: Demo) -> None:
    demo.section("1. The sample hub snapshot: 378 models, their lineage and owners")
    demo.mlsc("ingest", "snapshot", demo.rel(SAMPLE), rows=7, tail=True)

    demo.section("2. A Hub crawl (recorded Hub answers replayed on 127.0.0.1, real client)")
    crawl_replayed_hub(demo)

    demo.section("3. Git histories: signed, verified and unsigned commits")
    if shutil.which("git") and shutil.which("ssh-keygen"):
        for repo, model in make_git_histories(demo):
            demo.mlsc("ingest", "git", demo.rel(repo), "--model", model, rows=4)
    else:
        print("(skipped: needs git and ssh-keygen)")

    demo.section(f"4. A malicious pickle in {FLAGGED_MODEL}, eight hops down the lineage")
    copy = make_flagged_checkpoint(demo)
    demo.mlsc("scan", demo.rel(copy), "--model", FLAGGED_MODEL, ok=(3,), rows=8)

    demo.section("5. An application that loads two sample models")
    demo.mlsc("ingest", "code", demo.rel(APP), "--repo", "github.com/demo/chatbot", rows=4)
    demo.mlsc("audit", demo.rel(APP), ok=(3,), rows=10)


def answer(demo: Demo) -> None:
    out = demo.rel(demo.out)
    demo.section("What mlsc answers")
    demo.mlsc("blast-radius", FLAGGED_MODEL, "--html", f"{out}/blast-radius.html", rows=12)
    demo.mlsc("lineage", MIDDLE_MODEL, "--html", f"{out}/lineage.html", rows=6)
    demo.mlsc("report", "scorecard", UNSIGNED_MODEL, "--html", f"{out}/scorecard.html", rows=14)
    demo.mlsc("report", "signing", "--html", f"{out}/signing.html", rows=12)
    demo.mlsc("report", "practices", "--html", f"{out}/practices.html", rows=14)
    bom = f"{out}/{UNSIGNED_MODEL.split('/')[1]}.cdx.json"
    demo.mlsc("export", "cyclonedx", UNSIGNED_MODEL, "-o", bom, rows=4)
    demo.mlsc("top", "actors", "-n", "5", rows=12)


def finish(demo: Demo) -> None:
    venv = Path(sys.prefix)
    activate = venv / "bin" / "activate"
    print(f"\nPages (offline): {', '.join(demo.rel(p) for p in sorted(demo.out.glob('*.html')))}")
    print("\nThe demo knowledge base is ready. Paste these two lines into your shell:\n")
    print(f"    source {demo.rel(activate) if activate.is_file() else activate}")
    print(f"    export MLSC_DB={demo.kb.resolve()}")
    print("\nthen ask it yourself:\n")
    for line in NEXT_COMMANDS:
        print(f"    {line}")


NEXT_COMMANDS = (
    f"mlsc blast-radius {FLAGGED_MODEL}",
    f"mlsc lineage {MIDDLE_MODEL}",
    f"mlsc report scorecard {UNSIGNED_MODEL}",
    "mlsc report signing",
    "mlsc report practices",
    "mlsc top actors -n 10",
)
"""What the demo suggests last, as the README's quickstart does; tests/docs runs each against
the demo knowledge base (from the repository, after the two lines above)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "demo-out", help="where to build it")
    parser.add_argument("--rows", type=int, default=8, help="lines of output shown per command")
    args = parser.parse_args(argv)
    out: Path = args.out if args.out.is_absolute() else Path.cwd() / args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    demo = Demo(out, args.rows)
    build(demo)
    answer(demo)
    if demo.failures:
        print("\nthe demo failed at: " + "; ".join(demo.failures), file=sys.stderr)
        return 1
    finish(demo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
