"""GitHub's answers for reading a repository's code, in PyGithub's ReplayData format.

``ReplayData/Mlsc.CodeAcmeChatbot.txt`` is made by :func:`replay_text` (``python -m
tests.replay.github_code`` rewrites it; ``test_github_code.py`` checks it is current). It is
not a recording: it is built to GitHub REST API v3's shapes for ``GET /repos/{o}/{r}``
(from PyGithub's recording of PyGithub/PyGithub, renamed), ``GET .../git/ref/heads/{b}``,
``GET .../git/trees/{sha}?recursive=1`` and ``GET .../git/blobs/{sha}``, and it is
self-consistent as git is: blob shas are sha1("blob <len>\\0" + content), tree shas the sha1
of the real tree objects, the commit sha the sha1 of its commit object; blob ``content`` is
base64 with a newline every 60 characters, as GitHub sends it.

Two repositories: ``acme/chatbot`` (fixture applications from tests/code/apps, a build
directory, a package.json, a 3 MiB JSON, a symbolic link and a submodule) and
``acme/monorepo``, whose tree GitHub truncated.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from tests.replay.github import REPLAY_DIR

API = "https://api.github.com"
FILE = REPLAY_DIR / "Mlsc.CodeAcmeChatbot.txt"
APPS = Path(__file__).parents[1] / "code" / "apps"
BIG = 3 * 1024 * 1024
LINK, MODULE, FILE_MODE = "120000", "160000", "100644"
SUBMODULE_SHA = "5f0a3c1e2b4d6f8091a2b3c4d5e6f708192a3b4c"
PINNED = "86b5e0934494bd15c9632b12f734a8a67f723594"


def chatbot_files() -> dict[str, tuple[str, bytes]]:
    """path -> (mode, content) of acme/chatbot's default branch."""
    app = {f"{d}/{f.name}": f.read_bytes() for d in ("inference_service", "rag_app", "legacy")
           for f in sorted((APPS / d).iterdir())}  # fmt: skip
    app.pop("legacy/still_fine.py")
    app["notebooks/explore.ipynb"] = (APPS / "notebook" / "explore.ipynb").read_bytes()
    app["README.md"] = b"# chatbot\n\nA sentiment, summary and RAG service.\n"
    app["build/lib/chatbot/generated.py"] = b'AutoModel.from_pretrained("acme/not-read")\n'
    app["package.json"] = b'{"name": "chatbot-ui", "version": "0.1.0"}\n'
    app["data/embeddings.json"] = b"[" + b"0.0," * (BIG // 4) + b"0.0]\n"
    files = {path: (FILE_MODE, data) for path, data in app.items()}
    files["configs/current.yaml"] = (LINK, b"../rag_app/config.yaml")
    files["third_party/peft"] = (MODULE, b"")
    return files


def monorepo_files() -> dict[str, tuple[str, bytes]]:
    return {
        "README.md": (FILE_MODE, b"# monorepo\n"),
        "services/api/app.py": (FILE_MODE, (
            "from transformers import AutoModel\n\n"
            f'model = AutoModel.from_pretrained("google-bert/bert-base-uncased", revision="{PINNED}")\n'
        ).encode()),
        "training/train.py": (FILE_MODE, (APPS / "training" / "train.py").read_bytes()),
    }  # fmt: skip


def git_sha(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


def tree_listing(files: dict[str, tuple[str, bytes]]) -> tuple[str, list[tuple[str, str, str, str, int | None]]]:  # fmt: skip
    """The root tree's sha and ``git ls-tree -r -t`` of it: (path, mode, type, sha, size)."""

    def build(prefix: str, names: dict[str, Any]) -> tuple[str, list[Any]]:
        raw = b""
        rows: list[Any] = []
        # git orders a tree's entries by name, a directory's name as if it ended in "/"
        for name in sorted(names, key=lambda n: n + "/" if isinstance(names[n], dict) else n):
            path = f"{prefix}{name}"
            value = names[name]
            if isinstance(value, dict):
                sha, below = build(f"{path}/", value)
                raw += f"40000 {name}\0".encode() + bytes.fromhex(sha)
                rows += [(path, "040000", "tree", sha, None), *below]
            else:
                mode, data = value
                sha = SUBMODULE_SHA if mode == MODULE else git_sha("blob", data)
                raw += f"{mode} {name}\0".encode() + bytes.fromhex(sha)
                kind = "commit" if mode == MODULE else "blob"
                rows.append((path, mode, kind, sha, None if mode == MODULE else len(data)))
        return git_sha("tree", raw), rows

    nested: dict[str, Any] = {}
    for path, value in files.items():
        *dirs, name = path.split("/")
        here = nested
        for d in dirs:
            here = here.setdefault(d, {})
        here[name] = value
    return build("", nested)


def commit_sha(tree: str, message: str) -> str:
    who = "Ada Admin <ada@acme.example> 1736240000 +0000"
    body = f"tree {tree}\nauthor {who}\ncommitter {who}\n\n{message}\n".encode()
    return git_sha("commit", body)


def headers(n: int, etag: str) -> list[tuple[str, str]]:
    return [
        ("Date", "Tue, 07 Jan 2025 09:00:00 GMT"),
        ("Content-Type", "application/json; charset=utf-8"),
        ("Cache-Control", "private, max-age=60, s-maxage=60"),
        ("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP,Accept-Encoding, Accept, "
                 "X-Requested-With"),
        ("ETag", f'W/"{hashlib.sha256(etag.encode()).hexdigest()}"'),
        ("X-OAuth-Scopes", "repo"), ("X-Accepted-OAuth-Scopes", ""),
        ("X-GitHub-Media-Type", "github.v3; format=json"),
        ("x-github-api-version-selected", "2022-11-28"),
        ("X-RateLimit-Limit", "5000"), ("X-RateLimit-Remaining", str(5000 - n)),
        ("X-RateLimit-Reset", "1736243600"), ("X-RateLimit-Used", str(n)),
        ("X-RateLimit-Resource", "core"),
        ("Access-Control-Allow-Origin", "*"), ("X-Frame-Options", "deny"),
        ("X-Content-Type-Options", "nosniff"), ("Content-Encoding", "gzip"),
        ("Transfer-Encoding", "chunked"), ("Server", "github.com"),
        ("X-GitHub-Request-Id", f"C0DE:{n:04X}:{hashlib.sha1(etag.encode()).hexdigest()[:7].upper()}"),
    ]  # fmt: skip


def exchange(n: int, path: str, body: dict[str, Any]) -> str:
    request = {"Authorization": "token private_token_removed", "User-Agent": "PyGithub/Python"}
    text = json.dumps(body, separators=(",", ":"))
    return "\n".join(["https", "GET", "api.github.com", "None", path, repr(request), "None",
                      "200", repr(headers(n, path)), text, "", ""])  # fmt: skip


def repository(full_name: str, rid: int, description: str) -> dict[str, Any]:
    """GitHub's full repository, from PyGithub's recording of PyGithub/PyGithub, renamed."""
    recorded = (REPLAY_DIR / "Repository.setUp.txt").read_text().split("\n")[9]
    owner = full_name.split("/")[0]
    text = recorded.replace("PyGithub/PyGithub", full_name).replace("/PyGithub", f"/{owner}")
    data: dict[str, Any] = json.loads(text)
    data.pop("organization", None)
    data.pop("temp_clone_token", None)
    name = full_name.split("/")[1]
    data.update(
        id=rid, node_id="R_kgDO" + base64.b64encode(rid.to_bytes(6, "big")).decode(), name=name,
        description=description, created_at="2024-03-01T10:00:00Z",
        updated_at="2025-01-06T18:00:00Z", pushed_at="2025-01-06T17:59:00Z", homepage=None,
        size=3120, stargazers_count=42, watchers_count=42, watchers=42, language="Python",
        forks_count=3, forks=3, open_issues_count=2, open_issues=2, topics=["llm", "rag"],
        default_branch="main", network_count=3, subscribers_count=4,
        permissions={"admin": False, "maintain": False, "push": False, "triage": False,
                     "pull": True},
    )  # fmt: skip
    data["owner"].update(login=owner, id=81000001, node_id="MDQ6VXNlcjgxMDAwMDAx", type="User",
                         avatar_url="https://avatars.githubusercontent.com/u/81000001?v=4")  # fmt: skip
    return data


def blob(full_name: str, sha: str, data: bytes) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode()
    lines = [encoded[i : i + 60] for i in range(0, len(encoded), 60)]
    return {
        "sha": sha,
        "node_id": "B_kwDO" + base64.b64encode(bytes.fromhex(sha)[:12]).decode(),
        "size": len(data),
        "url": f"{API}/repos/{full_name}/git/blobs/{sha}",
        "content": "".join(line + "\n" for line in lines),
        "encoding": "base64",
    }


def replay_text() -> str:
    out: list[str] = []
    n = 0
    for full_name, rid, files, fetched, truncated in (
        ("acme/chatbot", 812000001, chatbot_files(),
         ("inference_service/main.py", "inference_service/settings.yaml", "legacy/old_script.py",
          "notebooks/explore.ipynb", "rag_app/config.yaml", "rag_app/rag.py"), False),
        ("acme/monorepo", 812000002, monorepo_files(), ("services/api/app.py",), True),
    ):  # fmt: skip
        tree, rows = tree_listing(files)
        head = commit_sha(tree, f"{full_name}: the code as read")
        base = f"{API}/repos/{full_name}"
        n += 1
        out.append(exchange(n, f"/repos/{full_name}",
                            repository(full_name, rid, "Models in an application")))  # fmt: skip
        n += 1
        out.append(exchange(n, f"/repos/{full_name}/git/ref/heads/main", {
            "ref": "refs/heads/main",
            "node_id": "REF_kwDO" + base64.b64encode(rid.to_bytes(6, "big")).decode(),
            "url": f"{base}/git/refs/heads/main",
            "object": {"sha": head, "type": "commit", "url": f"{base}/git/commits/{head}"},
        }))  # fmt: skip
        listing = []
        for path, mode, kind, sha, size in rows:
            item: dict[str, Any] = {"path": path, "mode": mode, "type": kind, "sha": sha}
            if kind == "blob":
                item |= {"size": size, "url": f"{base}/git/blobs/{sha}"}
            elif kind == "tree":
                item["url"] = f"{base}/git/trees/{sha}"
            listing.append(item)
        if truncated:  # GitHub stops listing past its limits; here, before training/
            listing = listing[:4]
        n += 1
        out.append(exchange(n, f"/repos/{full_name}/git/trees/{head}?recursive=1", {
            "sha": tree, "url": f"{base}/git/trees/{tree}", "tree": listing,
            "truncated": truncated,
        }))  # fmt: skip
        for path in fetched:
            data = files[path][1]
            sha = git_sha("blob", data)
            n += 1
            out.append(exchange(n, f"/repos/{full_name}/git/blobs/{sha}",
                                blob(full_name, sha, data)))  # fmt: skip
    return "".join(out)


if __name__ == "__main__":
    FILE.write_text(replay_text())
    print(f"wrote {FILE}")
