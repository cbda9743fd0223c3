"""The allow-list :mod:`mlsc.scan.callables` rates imports by: what tensor, array and
plain-data pickles need (PyTorch's ``weights_only`` allow-list and fickling's safe builtins),
and the scikit-learn/joblib exceptions to it (read through :mod:`mlsc.scan.callable_lists`).
"""

from __future__ import annotations

SAFE: dict[str, frozenset[str]] = {
    "collections": frozenset({"OrderedDict", "defaultdict", "deque", "Counter"}),
    "builtins": frozenset(
        {
            "set",
            "frozenset",
            "list",
            "dict",
            "tuple",
            "bytearray",
            "bytes",
            "str",
            "int",
            "float",
            "complex",
            "bool",
            "slice",
            "range",
            "object",
            "Ellipsis",
            "NotImplemented",
        }
    ),
    "copyreg": frozenset({"_reconstructor", "__newobj__", "__newobj_ex__"}),
    "codecs": frozenset({"encode"}),
    "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone"}),
    "decimal": frozenset({"Decimal"}),
    "fractions": frozenset({"Fraction"}),
    "argparse": frozenset({"Namespace"}),
    "pathlib": frozenset({"Path", "PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath"}),
    "numpy": frozenset({"dtype", "ndarray"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.core.numeric": frozenset({"_frombuffer"}),
    "torch": frozenset(
        {
            *(
                f"{t}Storage"
                for t in (
                    "Float",
                    "Double",
                    "Half",
                    "BFloat16",
                    "Long",
                    "Int",
                    "Short",
                    "Char",
                    "Byte",
                    "Bool",
                    "ComplexFloat",
                    "ComplexDouble",
                    "QUInt8",
                    "QInt8",
                    "QInt32",
                    "QUInt4x2",
                    "QUInt2x4",
                    "Untyped",
                )
            ),
            "Size",
            "device",
            "Tensor",
            "strided",
            "sparse_coo",
            "sparse_csr",
            "_mkldnn",
            "per_tensor_affine",
            "per_channel_affine",
            "per_tensor_symmetric",
            "per_channel_symmetric",
            "per_channel_affine_float_qparams",
            "contiguous_format",
            "channels_last",
            "preserve_format",
            *[
                "float",
                "float16",
                "float32",
                "float64",
                "bfloat16",
                "half",
                "double",
                "cfloat",
                "cdouble",
                "complex32",
                "complex64",
                "complex128",
                "uint8",
                "uint16",
                "uint32",
                "uint64",
                "int8",
                "int16",
                "int32",
                "int64",
                "short",
                "int",
                "long",
                "bool",
                "qint8",
                "quint8",
                "qint32",
                "quint4x2",
                "quint2x4",
                "float8_e4m3fn",
                "float8_e5m2",
                "float8_e4m3fnuz",
                "float8_e5m2fnuz",
            ],
        }
    ),
    "torch._utils": frozenset(
        {
            "_rebuild_tensor",
            "_rebuild_tensor_v2",
            "_rebuild_tensor_v3",
            "_rebuild_parameter",
            "_rebuild_parameter_with_state",
            "_rebuild_qtensor",
            "_rebuild_sparse_tensor",
            "_rebuild_nested_tensor",
            "_rebuild_meta_tensor_no_storage",
            "_rebuild_wrapper_subclass",
            "_rebuild_device_tensor_from_numpy",
            "_rebuild_device_tensor_from_cpu_tensor",
        }
    ),
    "torch._tensor": frozenset({"_rebuild_from_type_v2"}),
    "torch.storage": frozenset({"UntypedStorage", "TypedStorage"}),
    "torch.serialization": frozenset({"_get_layout"}),
    "torch.nn.parameter": frozenset({"Parameter"}),
}
"""Module -> names known to only rebuild data (tensors, arrays, containers, values)."""

DANGEROUS_NAMES = frozenset(
    {
        "system",
        "popen",
        "Popen",
        "spawn",
        "spawnl",
        "spawnv",
        "execv",
        "execve",
        "execl",
        "check_output",
        "check_call",
        "getoutput",
        "getstatusoutput",
        "eval",
        "exec",
        "execfile",
        "compile",
        "__import__",
        "import_module",
        "run_path",
        "run_module",
        "_run_code",
        "runcode",
        "runsource",
        "runctx",
        "load",
        "loads",
        "read_pickle",
        "load_library",
        "LoadLibrary",
        "dlopen",
        "rmtree",
        "remove",
        "unlink",
        "urlopen",
        "getattr",
        "setattr",
        "attrgetter",
        "methodcaller",
        "__globals__",
        "__builtins__",
        "__subclasses__",
        "__getattribute__",
        "__getattr__",
        "__code__",
        "__dict__",
        "__class__",
        "__base__",
        "__bases__",
        "__mro__",
        "__reduce__",
        "__reduce_ex__",
        "__init_subclass__",
        "modules",
    }
)
"""Names (or attribute-path segments) that are dangerous in any module: code execution,
nested loading, file deletion, or the attribute walks that reach such callables."""

PEER_UNSAFE_COMPONENTS = frozenset(
    {
        # fickling 0.1.12 UNSAFE_IMPORTS: a module or name any of whose dotted parts is one
        # of these is "likely overtly malicious" to fickling, so at least critical here
        *("__builtin__", "__builtins__", "_aix_support", "_ctypes", "_frozen_importlib"),
        *("_frozen_importlib_external", "_imp", "_operator", "_osx_support", "_pickle"),
        *("_posixsubprocess", "_signal", "_sqlite3", "_thread", "aiohttp", "asyncio"),
        *("atexit", "bdb", "cProfile", "cloudpickle", "code", "codeop", "commands"),
        *("compile", "compileall", "ctypes", "difflib", "dill", "distutils", "doctest"),
        *("ensurepip", "eval", "exec", "filecmp", "fileinput", "ftplib", "functools", "gc"),
        *("glob", "http", "httplib", "idlelib", "imaplib", "importlib", "inspect", "joblib"),
        *("lib2to3", "linecache", "logging", "marshal", "mmap", "multiprocessing"),
        *("nntplib", "nt", "operator", "os", "pdb", "pexpect", "pickle", "pip", "pkgutil"),
        *("platform", "poplib", "posix", "profile", "pty", "py_compile", "pydoc"),
        *("requests", "runpy", "select", "selectors", "shelve", "shutil", "signal", "site"),
        *("smtplib", "socket", "socketserver", "sqlite3", "ssl", "subprocess", "sys"),
        *("syslog", "tarfile", "telnetlib", "tempfile", "test", "threading", "timeit"),
        *("trace", "types", "unittest", "urllib", "urllib2", "uuid", "venv", "webbrowser"),
        *("xmlrpc", "zipfile", "zipimport"),
        # later fickling fixes (GHSA-6ggj-6f2q-f7mx, PR 312)
        *("_interpreters", "_xxsubinterpreters", "imp", "pipes"),
    }
)
"""Dotted-path parts that a peer tool (fickling) rates unsafe wherever they appear."""

HARMLESS_BUILTINS = frozenset(
    {
        *("bool", "int", "float", "complex", "str", "bytes", "bytearray", "list", "tuple"),
        *("set", "frozenset", "dict", "len", "abs", "sum", "min", "max", "round", "pow"),
        *("divmod", "sorted", "reversed", "enumerate", "zip", "range", "map", "filter"),
        *("slice", "iter", "next", "all", "any", "hash", "id", "repr", "ascii", "bin", "hex"),
        *("oct", "ord", "chr", "isinstance", "issubclass", "object", "callable", "format"),
        *("Ellipsis", "NotImplemented"),
    }
)
"""Builtins that only build values or compute (fickling's ``SAFE_BUILTINS``); every other
builtin (``type``, ``getattr``, ``print``, dotted paths like ``str.join``) is dangerous."""

PRIVATE_MODULES_ALLOWED = frozenset({"_codecs", "__future__"})
"""Private (``_``-prefixed) top-level modules that are not dangerous by being private."""

JOBLIB_ARRAY_WRAPPERS = frozenset(
    (module, name)
    for module in ("joblib.numpy_pickle", "joblib.numpy_pickle_compat")
    for name in ("NumpyArrayWrapper", "NDArrayWrapper", "ZNDArrayWrapper")
)
"""joblib's placeholders for numpy arrays (``sklearn.externals.joblib`` maps here), safe
although fickling rates every ``joblib`` name unsafe (its false positive on every real
joblib file): building one runs no code (NEWOBJ is ``object.__new__``, ``__init__`` only
stores its arguments, BUILD only sets attributes), and what ``joblib.load`` then does with
it is emulated by :mod:`mlsc.scan.joblib_arrays` (the array bytes it reads inline, an
object array's nested pickle, walked). ``joblib.load``, ``Parallel``, ``Memory`` and every
other joblib name stay dangerous or unknown."""

SKLEARN_DENIED_PARTS = frozenset(
    {
        *("datasets", "externals", "tests", "_testing", "_build_utils", "_show_versions"),
        *("conftest", "estimator_checks", "_mocking", "parallel", "_joblib", "experimental"),
    }
)
"""Parts of a ``sklearn`` module path whose classes are not rated safe: they download
(``datasets``), bundle other libraries (``externals``), are test helpers (``tests``,
``_testing``, ``estimator_checks``, ``_mocking``, ``conftest``), build or describe the
installation, run jobs (``utils.parallel``, ``utils._joblib`` re-export joblib's
``Parallel`` and ``Memory``) or toggle features (``experimental``)."""

SKLEARN_DENIED_NAMES = frozenset(
    {"Parallel", "Memory", "MemorizedFunc", "MemorizedResult", "NotMemorizedFunc"}
)
"""joblib classes older scikit-learn re-exported from ``sklearn.utils`` (they run jobs,
read and write a cache): never rated safe as "a scikit-learn class"."""
