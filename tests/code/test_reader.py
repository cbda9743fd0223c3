"""read_references on the fixture applications (tests/code/apps), on a real project (keybert
0.9.0 from PyPI, tests/code/data) and on hostile trees: exact references, counted by hand."""

from __future__ import annotations

import doctest
import shutil
import tarfile
from pathlib import Path

import pytest

import mlsc.code.config_refs
import mlsc.code.python_refs
import mlsc.code.reader
import mlsc.code.references
import mlsc.code.walk
from mlsc.code import CodeReading, Unreadable, read_references

APPS = Path(__file__).parent / "apps"
KEYBERT = Path(__file__).parent / "data" / "keybert-0.9.0.tar.gz"
SHA = "7ae557604adf67be50417f59c2c2f167def9a775"
MISTRAL_SHA = "26bca36bde8333b5d7f72e9ed20ccda6a618af24"
SDXL = "stabilityai/stable-diffusion-xl-base-1.0"
SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
LLAMA = "meta-llama/Llama-3.2-1B-Instruct"
QWEN = "Qwen/Qwen2.5-0.5B-Instruct"
CLIP = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"

Row = tuple[str, int, str | None, str | None, str, str]


def rows(reading: CodeReading) -> list[Row]:
    return [(r.file, r.line, r.model, r.revision, r.revision_kind, r.call)
            for r in reading.references]  # fmt: skip


EXPECTED_APPS: list[Row] = [
    ("diffusers_app/generate.py", 7, SDXL, "fp16", "branch", "from_pretrained"),
    ("diffusers_app/generate.py", 8, SDXL, None, "none", "from_pretrained"),
    ("diffusers_app/generate.py", 11, "nerijs/pixel-art-xl", None, "none", "load_lora_weights"),
    ("diffusers_app/generate.py", 12, "stabilityai/stable-diffusion-xl-refiner-1.0", None, "none",
     "from_pretrained"),
    # line 13 loads ./checkpoints/my-sdxl: a local path
    ("inference_service/main.py", 14, SST2, None, "none", "from_pretrained"),
    ("inference_service/main.py", 15, SST2, None, "none", "from_pretrained"),
    # line 16: pipeline(model=model, tokenizer=tokenizer) passes loaded objects
    ("inference_service/main.py", 17, None, None, "none", "pipeline"),  # os.environ.get
    ("inference_service/main.py", 21, "dslim/bert-base-NER", None, "none", "pipeline"),
    ("inference_service/settings.yaml", 6, SST2, None, "none", "config"),
    ("inference_service/settings.yaml", 8, "facebook/bart-large-cnn", "main", "branch", "config"),
    # settings.yaml line 11 `model: default` is a plain word
    ("legacy/still_fine.py", 3, "roberta-base", None, "none", "from_pretrained"),
    ("notebook/explore.ipynb", 28, LLAMA, None, "none", "from_pretrained"),
    ("notebook/explore.ipynb", 29, LLAMA, "main", "branch", "from_pretrained"),
    ("notebook/explore.ipynb", 50, QWEN, None, "none", "pipeline"),
    ("pinned/serve.py", 9, QWEN, SHA, "commit", "from_pretrained"),
    ("pinned/serve.py", 10, QWEN, SHA, "commit", "from_pretrained"),
    ("pinned/serve.py", 15, QWEN, SHA, "commit", "hf_hub_download"),
    ("rag_app/config.yaml", 2, "sentence-transformers/all-MiniLM-L6-v2", None, "none", "config"),
    ("rag_app/config.yaml", 4, "HuggingFaceH4/zephyr-7b-beta", "v1.0", "tag", "config"),
    ("rag_app/rag.py", 13, "sentence-transformers/all-MiniLM-L6-v2", None, "none",
     "SentenceTransformer"),
    ("rag_app/rag.py", 14, "cross-encoder/ms-marco-MiniLM-L-6-v2", None, "none", "CrossEncoder"),
    ("rag_app/rag.py", 15, None, None, "none", "snapshot_download"),  # from the YAML config
    ("rag_app/rag.py", 16, "TheBloke/Mistral-7B-Instruct-v0.2-GGUF", None, "none",
     "hf_hub_download"),
    # rag.py line 17 downloads a dataset (repo_type="dataset")
    ("torchhub/detect.py", 3, "ultralytics/yolov5", None, "none", "torch.hub.load"),
    ("torchhub/detect.py", 4, "pytorch/vision", "v0.10.0", "tag", "torch.hub.load"),
    # detect.py line 5 is source="local"
    ("torchhub/detect.py", 6, "facebookresearch/dinov2", None, "none", "torch.hub.load"),
    ("training/sft.yaml", 2, "mistralai/Mistral-7B-v0.1", MISTRAL_SHA, "commit", "config"),
    ("training/sft.yaml", 4, "mistralai/Mistral-7B-v0.1", MISTRAL_SHA, "commit", "config"),
    ("training/train.py", 22, None, None, "none", "from_pretrained"),  # args.*
    ("training/train.py", 23, None, None, "none", "from_pretrained"),
    ("training/train.py", 27, None, None, "none", "from_pretrained"),  # PeftModel, 2nd arg
    ("training/train.py", 34, None, None, "none", "from_pretrained"),
    # classify.py lines 5 and 11: plain timm names, not hub references
    ("vision/classify.py", 6, "timm/vit_base_patch16_224.augreg2_in21k_ft_in1k", None, "none",
     "create_model"),
    ("vision/classify.py", 7, CLIP, None, "none", "create_model_and_transforms"),
    ("vision/classify.py", 10, CLIP, None, "none", "get_tokenizer"),
]  # fmt: skip


def test_the_fixture_applications() -> None:
    reading = read_references(APPS)
    assert rows(reading) == EXPECTED_APPS
    # 14 Python files, notebooks, YAML and JSON; the Python 2 file and the broken notebook
    # are not read, the notebook with one bad cell is (its other cells are)
    assert reading.files_read == 13
    assert reading.skipped == (
        Unreadable("legacy/old_script.py", "syntax error at line 4: Missing parentheses in call "
                   "to 'print'. Did you mean print(...)? (Python 2, or a newer Python?)"),
        Unreadable("notebook/broken.ipynb", "not valid notebook JSON at line 29: Expecting value"),
        Unreadable("notebook/explore.ipynb", "cell 6 does not parse (line 60): invalid syntax"),
    )  # fmt: skip
    by_line = {(r.file, r.line): r for r in reading.references}
    assert by_line["training/train.py", 22].revision_dynamic
    assert not by_line["training/train.py", 23].revision_dynamic
    assert by_line["torchhub/detect.py", 3].hub == "github"
    assert {r.hub for r in reading.references if r.call != "torch.hub.load"} == {"huggingface"}
    assert [r.pinned for r in reading.references if r.file == "pinned/serve.py"] == [True] * 3
    assert by_line["inference_service/main.py", 14].confidence == 0.9  # a module constant
    assert by_line["inference_service/main.py", 21].confidence == 1.0
    assert by_line["rag_app/config.yaml", 2].confidence == 0.7
    assert by_line["notebook/explore.ipynb", 50].evidence == "notebook"
    assert by_line["training/train.py", 22].confidence == 0.0


def test_one_file_is_a_root_too() -> None:
    reading = read_references(APPS / "pinned" / "serve.py")
    assert [(r.file, r.line) for r in reading.references] == [
        ("serve.py", 9), ("serve.py", 10), ("serve.py", 15)
    ]
    assert reading.files_read == 1


def test_keybert_from_pypi(tmp_path: Path) -> None:
    """keybert 0.9.0 (MIT), counted by hand: every load call in its .py files. Not counted:
    examples inside docstrings (_hftransformers.py 28, _textgeneration.py 49 and 69,
    _model2vec.py 31), gensim/spaCy/flair/TF-Hub loaders (not Hugging Face loaders)."""
    with tarfile.open(KEYBERT) as archive:
        archive.extractall(tmp_path, filter="data")
    reading = read_references(tmp_path / "keybert-0.9.0")
    assert rows(reading) == [
        ("keybert/backend/_model2vec.py", 76, None, None, "none", "from_pretrained"),
        ("keybert/backend/_sentencetransformers.py", 43, None, None, "none",
         "SentenceTransformer"),
        ("keybert/llm/_textgeneration.py", 84, None, None, "none", "pipeline"),
        # test_backend.py 19-20: model_name = "paraphrase-MiniLM-L6-v2" (a function constant),
        # which sentence-transformers prefixes with its organisation
        ("tests/test_backend.py", 20, "sentence-transformers/paraphrase-MiniLM-L6-v2", None,
         "none", "SentenceTransformer"),
    ]  # fmt: skip
    assert reading.files_read == 28  # 27 .py files and no config; the egg-info has none
    assert reading.skipped == ()


# -- hostile and broken input --------------------------------------------------------------------


def test_bad_files_are_reported_and_the_walk_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "app"
    root.mkdir()
    good = 'from transformers import AutoModel\nAutoModel.from_pretrained("gpt2")\n'
    (root / "a_binary.py").write_bytes(b"\x7fELF\x00\x00" + bytes(range(256)))
    (root / "b_latin1.py").write_bytes(b'name = "caf\xe9"\n')
    (root / "c_deep.py").write_text("x = " + "(" * 300 + "1" + ")" * 300 + "\n")
    (root / "d_long.py").write_text("x = " + "1 + " * 100_000 + "1\n")
    (root / "e_huge.py").write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    (root / "f_broken.yaml").write_text("model: [unclosed\n")
    (root / "g_broken.json").write_text('{"model": "acme/x",\n')
    (root / "h_control.py").write_text(
        'from transformers import AutoModel\nAutoModel.from_pretrained("acme/\\x1bbad")\n'
        'AutoModel.from_pretrained("' + "a" * 1_000_000 + '")\n'
    )
    (root / "z_good.py").write_text(good)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(good)
    (root / "link_out.py").symlink_to(outside / "secret.py")
    (root / "loop").symlink_to(root)
    reading = read_references(root)
    assert rows(reading) == [("z_good.py", 2, "gpt2", None, "none", "from_pretrained")]
    reasons = {item.file: item.reason for item in reading.skipped}
    assert reasons == {
        "a_binary.py": "binary content (NUL bytes), not text",
        "b_latin1.py": reasons["b_latin1.py"],
        "c_deep.py": reasons["c_deep.py"],
        "d_long.py": "nested too deeply to read (recursion limit)",
        "e_huge.py": "too large (2,097,155 bytes; the limit is 2,097,152)",
        "f_broken.yaml": reasons["f_broken.yaml"],
        "g_broken.json": "not valid JSON at line 2: Expecting property name enclosed in "
                         "double quotes",
        "link_out.py": "symbolic link out of the tree, not followed",
        "loop": "symbolic link to the directory ., not followed",
    }  # fmt: skip
    assert reasons["b_latin1.py"].startswith("not UTF-8 text")
    assert reasons["c_deep.py"].startswith("syntax error at line 1: too many nested parentheses")
    assert reasons["f_broken.yaml"].startswith("not valid YAML at line 2")
    assert reading.files_read == 2  # h_control.py (no valid id in it) and z_good.py


def test_vendored_and_generated_directories_are_not_entered(tmp_path: Path) -> None:
    code = 'from transformers import AutoModel\nAutoModel.from_pretrained("acme/model")\n'
    for directory in [".git", "node_modules", ".venv", "venv", "__pycache__", "build",
                      "lib/python3.11/site-packages", "pkg.egg-info", "myenv"]:  # fmt: skip
        (tmp_path / directory).mkdir(parents=True)
        (tmp_path / directory / "x.py").write_text(code)
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "package.json").write_text('{"name": "acme/model"}')
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(code)
    reading = read_references(tmp_path)
    assert [(r.file, r.line) for r in reading.references] == [("src/app.py", 2)]
    assert reading.files_read == 1


def test_a_notebook_in_a_tree_with_checkpoints(tmp_path: Path) -> None:
    shutil.copytree(APPS / "notebook", tmp_path / "nb")
    shutil.copytree(APPS / "notebook", tmp_path / "nb" / ".ipynb_checkpoints")
    reading = read_references(tmp_path)
    assert {r.file for r in reading.references} == {"nb/explore.ipynb"}


@pytest.mark.parametrize("module", [
    mlsc.code.config_refs, mlsc.code.python_refs, mlsc.code.reader, mlsc.code.references,
    mlsc.code.walk,
])  # fmt: skip
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.failed == 0 and result.attempted > 0
