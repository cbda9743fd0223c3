"""The Python reader, call by call."""

from __future__ import annotations

import pytest

from mlsc.code.python_refs import hub_id, python_references

Found = list[tuple[int, str | None, str | None, str, str, float]]


def found(source: str) -> Found:
    return [(r.line, r.model, r.revision, r.revision_kind, r.call, r.confidence)
            for r in python_references(source, "app.py")]  # fmt: skip


def test_aliases_and_star_imports() -> None:
    assert found(
        "import transformers as tf\nfrom transformers import pipeline as p\n"
        'tf.AutoModel.from_pretrained("acme/a")\np("fill-mask", "acme/b")\n'
    ) == [(3, "acme/a", None, "none", "from_pretrained", 1.0),
          (4, "acme/b", None, "none", "pipeline", 1.0)]  # fmt: skip
    assert found('from transformers import *\npipeline(model="acme/c")\n') == [
        (2, "acme/c", None, "none", "pipeline", 1.0)
    ]
    # a pipeline() that is not transformers' is not a loader
    assert found('from sklearn.pipeline import Pipeline as pipeline\npipeline("a/b")\n') == []
    assert found('def pipeline(x): pass\npipeline("task", "acme/d")\n') == []


def test_constants_f_strings_and_scopes() -> None:
    source = (
        'ORG = "acme"\nNAME = f"{ORG}/model"\nFULL = ORG + "/other"\nTWICE = "a/b"\nTWICE = "c/d"\n'
        "from transformers import AutoModel\n"
        "def load(name=NAME):\n"
        '    local = "acme/local"\n'
        "    AutoModel.from_pretrained(NAME)\n"        # 9: module constant
        "    AutoModel.from_pretrained(FULL)\n"        # 10
        "    AutoModel.from_pretrained(name)\n"        # 11: a parameter: dynamic
        "    AutoModel.from_pretrained(TWICE)\n"       # 12: assigned twice: dynamic
        "    AutoModel.from_pretrained(local)\n"       # 13: a function constant
        '    AutoModel.from_pretrained(f"{ORG:>5}/x")\n'  # 14: a format spec: dynamic
    )
    assert found(source) == [
        (9, "acme/model", None, "none", "from_pretrained", 0.9),
        (10, "acme/other", None, "none", "from_pretrained", 0.9),
        (11, None, None, "none", "from_pretrained", 0.0),
        (12, None, None, "none", "from_pretrained", 0.0),
        (13, "acme/local", None, "none", "from_pretrained", 0.9),
        (14, None, None, "none", "from_pretrained", 0.0),
    ]


def test_global_rebinding_makes_a_name_dynamic() -> None:
    source = ('M = "acme/a"\ndef swap():\n    global M\n    M = "acme/b"\n'
              "from transformers import AutoModel\nAutoModel.from_pretrained(M)\n")  # fmt: skip
    assert found(source) == [(6, None, None, "none", "from_pretrained", 0.0)]


def test_revisions() -> None:
    source = (
        "from transformers import AutoModel\nREV = '0123456789abcdef0123456789abcdef01234567'\n"
        'AutoModel.from_pretrained("acme/a", revision=REV)\n'
        'AutoModel.from_pretrained("acme/a", revision="v2.1")\n'
        'AutoModel.from_pretrained("acme/a", revision="refs/pr/12")\n'
        'AutoModel.from_pretrained("acme/a", revision=None)\n'
        'AutoModel.from_pretrained("acme/a", commit_hash="0123456789abcdef0123456789abcdef01234567")\n'
        'AutoModel.from_pretrained("acme/a", revision=cfg.rev)\n'
    )
    refs = python_references(source, "app.py")
    assert [(r.revision, r.revision_kind, r.pinned, r.revision_dynamic) for r in refs] == [
        ("0123456789abcdef0123456789abcdef01234567", "commit", True, False),
        ("v2.1", "tag", False, False),
        ("refs/pr/12", "branch", False, False),
        (None, "none", False, False),
        ("0123456789abcdef0123456789abcdef01234567", "commit", True, False),
        (None, "none", False, True),
    ]


def test_peft_takes_the_adapter_id() -> None:
    source = (
        "from peft import PeftModel, PeftConfig, AutoPeftModelForCausalLM\n"
        "from transformers import AutoModelForCausalLM\n"
        'base = AutoModelForCausalLM.from_pretrained("acme/base")\n'
        'model = PeftModel.from_pretrained(base, "acme/lora")\n'
        'model = PeftModel.from_pretrained(model=base, model_id="acme/lora2")\n'
        'config = PeftConfig.from_pretrained("acme/lora")\n'
        'auto = AutoPeftModelForCausalLM.from_pretrained("acme/lora3")\n'
    )
    assert [(line, model) for line, model, *_ in found(source)] == [
        (3, "acme/base"), (4, "acme/lora"), (5, "acme/lora2"), (6, "acme/lora"), (7, "acme/lora3")
    ]  # fmt: skip


def test_hub_helpers() -> None:
    source = (
        "from huggingface_hub import HfApi, hf_hub_download, snapshot_download, list_repo_files\n"
        'hf_hub_download("acme/a", "model.safetensors")\n'
        'snapshot_download(repo_id="acme/b", revision="main", allow_patterns=["*.json"])\n'
        'list_repo_files("acme/c")\n'
        'HfApi().model_info("acme/d")\n'
        'api = HfApi()\napi.snapshot_download("acme/e", repo_type="model")\n'
        'api.snapshot_download("acme/f", repo_type="space")\n'
    )
    assert [(line, model, call) for line, model, _, _, call, _ in found(source)] == [
        (2, "acme/a", "hf_hub_download"), (3, "acme/b", "snapshot_download"),
        (4, "acme/c", "list_repo_files"), (5, "acme/d", "model_info"),
        (7, "acme/e", "snapshot_download"),
    ]  # fmt: skip


def test_local_paths_and_model_objects_are_not_references() -> None:
    source = (
        "import os\nfrom pathlib import Path\nfrom transformers import AutoModel, pipeline\n"
        'AutoModel.from_pretrained("./out")\nAutoModel.from_pretrained("/models/bert")\n'
        'AutoModel.from_pretrained("~/m")\nAutoModel.from_pretrained("C:\\\\models\\\\bert")\n'
        'AutoModel.from_pretrained("runs/exp1/checkpoint-500")\n'
        'AutoModel.from_pretrained("pytorch_model.bin")\n'
        'AutoModel.from_pretrained(os.path.join("out", "final"))\n'
        'AutoModel.from_pretrained(Path("out") / "final")\n'
        'AutoModel.from_pretrained(BASE / "final")\n'
        'm = AutoModel.from_pretrained("gpt2")\npipeline("text-generation", model=m)\n'
        "AutoModel.from_pretrained(**kwargs)\nAutoModel.from_pretrained(42)\n"
    )
    assert found(source) == [(13, "gpt2", None, "none", "from_pretrained", 1.0)]


def test_sentence_transformers_prefix_like_the_library() -> None:
    source = (
        "from sentence_transformers import SentenceTransformer, CrossEncoder\n"
        'SentenceTransformer("all-mpnet-base-v2")\nSentenceTransformer("bert-base-uncased")\n'
        'SentenceTransformer("BAAI/bge-small-en-v1.5")\n'
        'SentenceTransformer(model_name_or_path="intfloat/e5-small-v2", revision="v1")\n'
    )
    assert [(line, model) for line, model, *_ in found(source)] == [
        (2, "sentence-transformers/all-mpnet-base-v2"), (3, "bert-base-uncased"),
        (4, "BAAI/bge-small-en-v1.5"), (5, "intfloat/e5-small-v2"),
    ]  # fmt: skip


def test_timm_open_clip_and_torch_hub() -> None:
    source = (
        "import timm, torch, open_clip\nfrom torch import hub\n"
        'timm.create_model("resnet50")\n'
        'timm.create_model("hf_hub:timm/resnet50.a1_in1k@0123456789abcdef0123456789abcdef01234567")\n'
        "timm.create_model(args.arch)\n"
        'open_clip.create_model_from_pretrained("hf-hub:apple/DFN5B-CLIP-ViT-H-14")\n'
        'torch.hub.load("pytorch/vision", "resnet50")\n'
        'hub.load("NVIDIA/DeepLearningExamples:torchhub", "nvidia_ssd")\n'
        "torch.hub.load(repo, 'x')\n"
        'torch.hub.load("hubconf_dir", "x", source="local")\n'
    )
    refs = python_references(source, "app.py")
    assert [(r.line, r.model, r.revision, r.revision_kind, r.call, r.hub) for r in refs] == [
        (4, "timm/resnet50.a1_in1k", "0123456789abcdef0123456789abcdef01234567", "commit",
         "create_model", "huggingface"),
        (6, "apple/DFN5B-CLIP-ViT-H-14", None, "none", "create_model_from_pretrained",
         "huggingface"),
        (7, "pytorch/vision", None, "none", "torch.hub.load", "github"),
        (8, "NVIDIA/DeepLearningExamples", "torchhub", "branch", "torch.hub.load", "github"),
        (9, None, None, "none", "torch.hub.load", "github"),
    ]  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), [
    ("gpt2", True), ("bert-base-uncased", True), ("meta-llama/Llama-3.1-8B", True),
    ("./model", False), ("/abs/model", False), ("~/model", False), ("a\\b", False),
    ("a/b/c", False), ("model.bin", False), ("acme/\x1bx", False), ("a" * 300, False),
    ("a--b/c", False), ("", False),
])  # fmt: skip
def test_hub_id(value: str, expected: bool) -> None:
    assert hub_id(value) is expected


def test_pathological_input_raises_for_the_reader_to_report() -> None:
    with pytest.raises(SyntaxError):
        python_references('print "hello"\n', "old.py")
    with pytest.raises((RecursionError, MemoryError)):  # the C parser's stack, or ours
        python_references("x = " + "-" * 200_000 + "1\n", "deep.py")
    with pytest.raises(RecursionError):
        python_references("x = " + "1 + " * 100_000 + "1\n", "long.py")
