"""How imports are rated."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from mlsc.scan.callables import Rating, canonical_module, classify

try:  # imported before the no-unpickling guard replaces pickle.Unpickler (fickling subclasses it)
    FICKLE: Any = importlib.import_module("fickling.fickle")
except ImportError:  # pragma: no cover - fickling is a dev dependency
    FICKLE = None


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
        ("builtins", "type"),
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
        ("sklearn.tree", "export_graphviz"),
        ("torch.nn.modules.linear", "Linear"),
        ("transformers.models.bert", "BertModel"),
        ("collections", "namedtuple_Thing"),
        ("mypkg", "Outer.Inner"),
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


# -- the advisories' callables ----------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("pip", "main"),  # CVE-2025-1716
        ("pip._internal.cli.main", "main"),
        ("runpy", "run_path"),
        ("asyncio.unix_events", "_UnixSubprocessTransport._start"),  # CVE-2025-10157
        ("asyncio.subprocess", "create_subprocess_shell"),
        ("asyncio", "create_subprocess_exec"),
        ("pty", "spawn"),
        ("code", "InteractiveInterpreter.runcode"),
        ("cProfile", "run"),
        ("profile", "Profile.runctx"),  # GHSA-46h3-79wf-xr6c
        ("timeit", "timeit"),
        ("bdb", "Bdb.run"),
        ("pdb", "Pdb.run"),
        ("pydoc", "pipepager"),
        ("pydoc", "locate"),
        ("ctypes", "CDLL"),
        ("importlib", "import_module"),
        ("_operator", "attrgetter"),  # GHSA-955r-x9j8-7rhh
        ("operator", "itemgetter"),
        ("operator", "methodcaller"),
        ("functools", "partial"),
        ("functools", "reduce"),
        ("_functools", "reduce"),
        *(("builtins", n) for n in ("eval", "exec", "compile", "open", "__import__")),
        *(("builtins", n) for n in ("getattr", "setattr", "breakpoint", "input", "help")),
        *(("builtins", n) for n in ("globals", "vars", "print", "str.join")),
        ("idlelib.pyshell", "ModifiedInterpreter.runcode"),  # GHSA-r8g5-cgf2-4m4m
        ("lib2to3.pgen2.pgen", "ParserGenerator.make_label"),
        ("trace", "Trace.runctx"),  # GHSA-4675-36f9-wf6r
        ("numpy.f2py.crackfortran", "getlincoef"),
        ("numpy", "f2py.crackfortran._eval_length"),
        ("numpy.testing._private.utils", "runstring"),
        ("numpy", "load"),
        ("numpy.lib.npyio", "load"),
        ("torch", "load"),
        ("torch.serialization", "load"),
        ("torch.jit", "load"),
        ("torch.jit.unsupported_tensor_ops", "execWrapper"),
        ("torch.hub", "load"),
        ("torch.hub", "load_state_dict_from_url"),
        ("torch.utils.cpp_extension", "load_inline"),
        ("torch._inductor.codecache", "compile_file"),
        ("torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression"),
        ("torch.utils.collect_env", "run"),
        ("torch._dynamo.guards", "GuardBuilder.get"),
        ("torch.utils.bottleneck.__main__", "run_cprofile"),
        ("torch.package", "PackageImporter"),
        ("torch.utils._config_module", "ConfigModule.load_config"),
        ("torch.utils.data.datapipes.utils.decoder", "basichandlers"),
        ("torch.storage", "_load_from_bytes"),
        ("torch.fx.graph_module", "reduce_graph_module"),
        ("tensorflow.io", "read_file"),
        ("tensorflow", "io.write_file"),
        ("keras.models", "load_model"),
        ("sqlite3", "connect"),
        ("zipfile", "ZipFile.extractall"),
        ("tarfile", "TarFile.extractall"),
        ("shutil", "rmtree"),
        ("linecache", "getline"),
        ("site", "addsitedir"),
        ("sysconfig", "get_paths"),
        ("venv", "create"),
        ("ensurepip", "_run_pip"),
        ("distutils.file_util", "write_file"),  # CVE-2025-10156
        ("setuptools", "setup"),
        ("webbrowser", "open"),
        ("httpx", "get"),
        ("aiohttp.client", "request"),
        ("urllib3", "request"),
        ("requests.api", "get"),
        ("socketserver", "TCPServer"),
        ("xmlrpc.client", "ServerProxy"),
        ("smtpd", "SMTPServer"),
        ("multiprocessing", "Process"),
        ("_posixsubprocess", "fork_exec"),
        ("posix", "system"),
        ("nt", "system"),
        ("_winapi", "CreateProcess"),
        ("signal", "raise_signal"),
        ("gc", "get_referrers"),
        ("inspect", "getmembers"),
        ("types", "FunctionType"),
        ("types", "CodeType"),
        ("copyreg", "add_extension"),
        ("copy_reg", "pickle"),
        ("__main__", "Anything"),
        ("_io", "FileIO"),  # CVE-2025-10155
        ("_codecs", "open"),
        ("pkgutil", "resolve_name"),  # GHSA-vvpj-8cmc-gx39
        ("_interpreters", "run_string"),  # GHSA-6ggj-6f2q-f7mx
        ("_xxsubinterpreters", "run_string"),
        ("marshal", "loads"),
        ("cloudpickle.cloudpickle", "_make_function"),
        ("uuid", "_get_command_stdout"),
        ("imaplib", "IMAP4_stream"),
        ("platform", "popen"),
    ],
)
def test_advisory_callables_are_dangerous(module: str, name: str) -> None:
    assert classify(module, name).verdict == "dangerous"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("builtins ", "eval"),  # a trailing blank
        ("builtins", " eval"),
        ("\uff4f\uff53", "system"),  # fullwidth "os": NFKC gives "os"
        ("builtins", "getattr.__self__"),
        ("builtins", "eval.__call__"),
        ("torch", "serialization.load"),
        ("numpy", "f2py.crackfortran.getlincoef"),
        ("os.path", "join"),
        ("collections", "OrderedDict.__reduce__"),
        ("mypkg.os", "thing"),  # a dangerous dotted part anywhere (fickling's rule)
        ("mypkg", "a..b"),
    ],
)
def test_module_name_games_are_dangerous(module: str, name: str) -> None:
    assert classify(module, name).verdict == "dangerous"


@pytest.mark.parametrize(
    ("module", "name", "verdict"),
    [
        ("SocketServer", "TCPServer", "dangerous"),  # -> socketserver
        ("BaseHTTPServer", "HTTPServer", "dangerous"),  # -> http.server
        ("xmlrpclib", "ServerProxy", "dangerous"),  # -> xmlrpc.client
        ("Tkinter", "Tk", "dangerous"),  # -> tkinter
        ("__builtin__", "reduce", "dangerous"),  # -> functools.reduce
        ("__builtin__", "intern", "dangerous"),  # -> sys.intern
        ("__builtin__", "xrange", "safe"),  # -> builtins.range
        ("exceptions", "set", "safe"),
    ],
)
def test_python2_names_are_rated_as_the_unpickler_maps_them(
    module: str, name: str, verdict: str
) -> None:
    assert classify(module, name).verdict == verdict


def test_an_odd_spelling_of_a_safe_name_is_never_safe() -> None:
    assert classify("collections ", "OrderedDict").verdict == "unknown"
    assert classify("collections", "OrderedDict").verdict == "safe"


# -- never less than a peer tool ----------------------------------------------------------

MODELSCAN_UNSAFE = {
    # ModelScan 0.8 modelscan/settings.py "unsafe_globals" (CRITICAL and HIGH)
    "__builtin__": ["eval", "compile", "getattr", "apply", "exec", "open", "breakpoint"],
    "builtins": ["eval", "compile", "getattr", "apply", "exec", "open", "__import__"],
    **dict.fromkeys(("runpy", "os", "nt", "posix", "socket", "subprocess", "sys"), "*"),
    "operator": ["attrgetter"],
    **dict.fromkeys(("pty", "pickle", "webbrowser", "httplib", "requests.api"), "*"),
    "aiohttp.client": "*",
}


def _peer_entries(table: dict[str, object]) -> list[tuple[str, str]]:
    out = []
    for module, names in table.items():
        if names == "*":
            out += [(module, "anything"), (module, "sub.anything")]
        elif isinstance(names, str):
            out.append((module, names))
        else:
            out += [(module, str(n)) for n in names]  # type: ignore[attr-defined]
    return out


def test_everything_picklescan_flags_is_dangerous() -> None:
    from picklescan import scanner

    entries = _peer_entries(scanner._unsafe_globals)
    assert len(entries) > 100
    missed = [e for e in entries if classify(*e).verdict != "dangerous"]
    assert missed == []


def test_everything_modelscan_flags_is_dangerous() -> None:
    missed = [e for e in _peer_entries(MODELSCAN_UNSAFE) if classify(*e).verdict != "dangerous"]
    assert missed == []


def test_everything_fickling_flags_is_dangerous() -> None:
    fickle = FICKLE
    if fickle is None:
        pytest.skip("fickling is not installed")
    for module in sorted(fickle.UNSAFE_IMPORTS):
        if module in fickle.BUILTIN_MODULE_NAMES:
            continue
        for name in ("anything", "Thing.method"):
            assert classify(module, name).verdict == "dangerous", (module, name)
            assert classify(f"pkg.{module}", name).verdict == "dangerous", (module, name)
    for module in fickle.BUILTIN_MODULE_NAMES:
        for name in ("type", "getattr", "print", "memoryview", "str.join", "hasattr"):
            if name not in fickle.SAFE_BUILTINS:
                assert classify(module, name).verdict == "dangerous", (module, name)


@pytest.mark.parametrize(
    "module",
    [
        "joblib.numpy_pickle",
        "joblib.numpy_pickle_compat",
        "sklearn.externals.joblib.numpy_pickle",
    ],
)
@pytest.mark.parametrize("name", ["NumpyArrayWrapper", "NDArrayWrapper", "ZNDArrayWrapper"])
def test_joblib_array_wrappers_are_safe(module: str, name: str) -> None:
    # fickling flags every joblib name; these placeholders build no code
    assert classify(module, name) == Rating(
        "safe", "joblib's numpy array placeholder (builds no code)"
    )


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("joblib", "load"),
        ("joblib.numpy_pickle", "load"),
        ("joblib.numpy_pickle", "NumpyUnpickler"),
        ("joblib.numpy_pickle", "NumpyArrayWrapper.read"),
        ("joblib", "NumpyArrayWrapper"),
        ("sklearn.externals.joblib", "load"),
        ("joblib.memory", "Memory"),
    ],
)
def test_other_joblib_names_stay_dangerous(module: str, name: str) -> None:
    assert classify(module, name).verdict == "dangerous"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("sklearn.linear_model._logistic", "LogisticRegression"),
        ("sklearn.tree._tree", "Tree"),
        ("sklearn.pipeline", "Pipeline"),
        ("sklearn.ensemble._hist_gradient_boosting.binning", "_BinMapper"),
        ("sklearn._loss.loss", "HalfBinomialLoss"),
    ],
)
def test_sklearn_classes_are_safe(module: str, name: str) -> None:
    assert classify(module, name) == Rating("safe", "a scikit-learn class")


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("sklearn.tree", "export_graphviz"),  # a function (writes a file)
        ("sklearn.datasets", "OpenMLDataset"),  # fetches
        ("sklearn.datasets._openml", "Fetcher"),
        ("sklearn.externals._packaging.version", "Version"),
        ("sklearn.utils._testing", "TempMemmap"),
        ("sklearn.utils.tests.test_x", "Helper"),
        ("sklearn.utils._show_versions", "Info"),
        ("sklearn.utils.parallel", "Parallel"),
        ("sklearn.utils", "Parallel"),  # joblib's, re-exported by old scikit-learn
        ("sklearn.tree._tree", "TREE_LEAF"),  # a constant
        ("sklearn.pipeline", "Pipeline.fit"),  # an attribute path
        ("sklearnx", "Model"),
    ],
)
def test_sklearn_functions_and_denied_modules_are_not_safe(module: str, name: str) -> None:
    assert classify(module, name).verdict != "safe"


@pytest.mark.parametrize(
    ("module", "name"),
    [("sklearn.os", "System"), ("sklearn.subprocess", "Popen"), ("sklearn.utils", "eval")],
)
def test_sklearn_deny_lists_run_first(module: str, name: str) -> None:
    assert classify(module, name).verdict == "dangerous"
