"""How imports are rated."""

from __future__ import annotations

import pytest

from mlsc.scan.callables import canonical_module, classify


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("os", "system"),
        ("posix", "system"),
        ("nt", "system"),
        ("os", "popen"),
        ("subprocess", "Popen"),
        ("subprocess", "run"),
        ("commands", "getoutput"),
        ("builtins", "eval"),
        ("builtins", "exec"),
        ("builtins", "compile"),
        ("builtins", "__import__"),
        ("builtins", "getattr"),
        ("builtins", "open"),
        ("__builtin__", "eval"),
        ("runpy", "_run_code"),
        ("socket", "create_connection"),
        ("shutil", "rmtree"),
        ("pty", "spawn"),
        ("webbrowser", "open"),
        ("sys", "modules"),
        ("importlib", "import_module"),
        ("operator", "attrgetter"),
        ("_operator", "methodcaller"),
        ("types", "CodeType"),
        ("torch.serialization", "load"),
        ("torch", "load"),
        ("numpy", "load"),
        ("pickle", "loads"),
        ("_pickle", "loads"),
        ("dill", "loads"),
        ("urllib.request", "urlopen"),
        ("http.client", "HTTPSConnection"),
        ("ctypes", "CDLL"),
        ("torch.utils.cpp_extension", "load_inline"),
        ("torch._inductor.codecache", "compile_file"),
        ("torch", "serialization.os.system"),
        ("collections", "OrderedDict.__init__.__globals__"),
        ("some.lib", "exec"),
        ("some.lib", "system"),
        ("", "system"),
        ("os", ""),
    ],
)
def test_dangerous(module: str, name: str) -> None:
    assert classify(module, name).verdict == "dangerous"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch._utils", "_rebuild_parameter"),
        ("torch", "FloatStorage"),
        ("torch", "BFloat16Storage"),
        ("torch", "Size"),
        ("torch", "bfloat16"),
        ("torch._tensor", "_rebuild_from_type_v2"),
        ("collections", "OrderedDict"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("_codecs", "encode"),
        ("copyreg", "_reconstructor"),
        ("copy_reg", "_reconstructor"),
        ("builtins", "set"),
        ("__builtin__", "object"),
        ("argparse", "Namespace"),
        ("pathlib", "PosixPath"),
    ],
)
def test_safe(module: str, name: str) -> None:
    assert classify(module, name).verdict == "safe"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("sklearn.tree", "DecisionTreeClassifier"),
        ("torch.nn.modules.linear", "Linear"),
        ("transformers.models.bert", "BertModel"),
        ("collections", "namedtuple_Thing"),
        ("mypkg", "Outer.Inner"),
        ("builtins", "type"),
    ],
)
def test_unknown(module: str, name: str) -> None:
    assert classify(module, name).verdict == "unknown"


def test_aliases() -> None:
    assert canonical_module("posix") == "os"
    assert canonical_module("__builtin__") == "builtins"
    assert canonical_module("numpy._core.multiarray") == "numpy.core.multiarray"
    assert canonical_module("_pickle") == "pickle"
    assert canonical_module("os.path") == "os.path"


def test_a_dangerous_module_covers_its_submodules_but_a_named_one_does_not() -> None:
    assert classify("os.path", "join").verdict == "dangerous"
    assert classify("torch.nn", "Module").verdict == "unknown"
    assert classify("numpy.random", "default_rng").verdict == "unknown"
