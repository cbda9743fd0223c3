"""Which callables a pickle may import: dangerous, safe, or unknown.

A pickle names every callable it needs as ``module`` + ``name`` (the GLOBAL, INST and
STACK_GLOBAL opcodes); the unpickler imports the module and looks the name up, and REDUCE
then calls it. Importing alone can have effects (a module's top level runs), and calling
``os.system`` or ``builtins.exec`` runs whatever the pickle chose. :func:`classify` rates one
import:

- ``dangerous``: runs commands or code, opens files, sockets or URLs, loads another pickle,
  or reaches arbitrary attributes (``builtins.getattr``, ``operator.attrgetter``);
- ``safe``: what tensor and array checkpoints need (``torch._utils._rebuild_tensor_v2``,
  ``torch.FloatStorage``, ``collections.OrderedDict``, ``numpy.core.multiarray._reconstruct``,
  plain containers and value types);
- ``unknown``: anything else, e.g. a library's own class in a whole-model pickle.

The lists draw on picklescan's and on PyTorch's ``weights_only`` allow-list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verdict = Literal["dangerous", "unknown", "safe"]

ALL = frozenset({"*"})
"""Every name in the module (and in its submodules)."""

MODULE_ALIASES: dict[str, str] = {
    "__builtin__": "builtins",
    "exceptions": "builtins",
    "copy_reg": "copyreg",
    "posix": "os",
    "nt": "os",
    "_operator": "operator",
    "_io": "io",
    "_codecs": "codecs",
    "cPickle": "pickle",
    "_pickle": "pickle",
    "commands": "subprocess",
    "_posixsubprocess": "subprocess",
    "popen2": "subprocess",
    "_socket": "socket",
    "_ctypes": "ctypes",
    "_thread": "threading",
    "thread": "threading",
    "numpy._core": "numpy.core",
    "numpy._core.multiarray": "numpy.core.multiarray",
    "numpy._core.numeric": "numpy.core.numeric",
}
"""Other names of a module (Python 2 names, C accelerators), mapped to one name for rating."""

DANGEROUS: dict[str, tuple[frozenset[str], str]] = {
    "os": (ALL, "operating-system calls: os.system runs a shell command"),
    "subprocess": (ALL, "runs processes"),
    "pty": (ALL, "pty.spawn runs a process"),
    "socket": (ALL, "opens network sockets"),
    "ssl": (ALL, "network access"),
    "http": (ALL, "network access"),
    "httplib": (ALL, "network access"),
    "urllib": (ALL, "network access"),
    "urllib2": (ALL, "network access"),
    "requests": (ALL, "network access"),
    "ftplib": (ALL, "network access"),
    "smtplib": (ALL, "network access"),
    "telnetlib": (ALL, "network access"),
    "poplib": (ALL, "network access"),
    "imaplib": (ALL, "network access; IMAP4_stream runs a command"),
    "nntplib": (ALL, "network access"),
    "xmlrpc": (ALL, "network access"),
    "webbrowser": (ALL, "opens URLs in a browser"),
    "runpy": (ALL, "runs Python code"),
    "code": (ALL, "runs Python code"),
    "codeop": (ALL, "compiles Python code"),
    "pdb": (ALL, "debugger: runs Python code"),
    "bdb": (ALL, "debugger: runs Python code"),
    "profile": (ALL, "profile.run executes a string"),
    "cProfile": (ALL, "cProfile.run executes a string"),
    "timeit": (ALL, "timeit executes a string"),
    "trace": (ALL, "trace runs code"),
    "pydoc": (ALL, "pydoc.locate imports anything; pipepager runs a command"),
    "importlib": (ALL, "imports any module"),
    "imp": (ALL, "imports any module"),
    "pkgutil": (ALL, "resolve_name reaches any module attribute"),
    "sys": (ALL, "interpreter state: sys.modules reaches any module"),
    "ctypes": (ALL, "calls native code"),
    "marshal": (ALL, "loads code objects"),
    "pickle": (ALL, "loads a nested pickle"),
    "dill": (ALL, "loads pickled code"),
    "cloudpickle": (ALL, "rebuilds functions from code objects"),
    "joblib": (frozenset({"load"}), "loads a nested pickle"),
    "shelve": (ALL, "loads pickles from a file"),
    "multiprocessing": (ALL, "starts processes"),
    "concurrent": (ALL, "starts threads and processes"),
    "threading": (ALL, "starts threads"),
    "asyncio": (ALL, "subprocesses and network access"),
    "shutil": (ALL, "deletes and copies files (shutil.rmtree)"),
    "tempfile": (ALL, "creates files"),
    "glob": (ALL, "lists the file system"),
    "signal": (ALL, "signal handlers"),
    "pip": (ALL, "installs packages"),
    "ensurepip": (ALL, "installs packages"),
    "setuptools": (ALL, "builds and installs packages"),
    "distutils": (ALL, "builds packages, writes files"),
    "venv": (ALL, "creates environments, runs pip"),
    "antigravity": (ALL, "opens a web page when imported"),
    "this": (ALL, "side effect when imported"),
    "idlelib": (ALL, "IDE internals that run code"),
    "lib2to3": (ALL, "grammar loading runs pickle"),
    "test": (ALL, "test helpers spawn interpreters"),
    "_osx_support": (ALL, "runs commands"),
    "_aix_support": (ALL, "runs commands"),
    "_pyrepl": (ALL, "pager runs commands"),
    "platform": (frozenset({"popen"}), "runs a command"),
    "uuid": (frozenset({"_get_command_stdout"}), "runs a command"),
    "logging": (frozenset({"FileHandler", "config"}), "writes files; config runs code"),
    "doctest": (frozenset({"debug_script", "debug_src", "script_from_examples"}), "runs code"),
    "builtins": (
        frozenset(
            {
                "eval",
                "exec",
                "execfile",
                "compile",
                "__import__",
                "getattr",
                "setattr",
                "delattr",
                "open",
                "file",
                "input",
                "raw_input",
                "breakpoint",
                "help",
                "globals",
                "locals",
                "vars",
                "apply",
                "reload",
                "exit",
                "quit",
            }
        ),
        "evaluates code, reaches attributes or opens files",
    ),
    "operator": (
        frozenset({"attrgetter", "methodcaller", "itemgetter"}),
        "reaches any attribute or method by name",
    ),
    "types": (
        frozenset({"CodeType", "FunctionType", "LambdaType", "MethodType", "ModuleType"}),
        "builds code objects or functions",
    ),
    "io": (frozenset({"open", "FileIO", "open_code"}), "opens files"),
    "pathlib": (
        frozenset({"Path.write_text", "Path.write_bytes", "Path.unlink", "Path.rmdir"}),
        "writes or deletes files",
    ),
    "numpy": (frozenset({"load", "fromfile", "loadtxt"}), "loads a nested pickle or a file"),
    "numpy.f2py": (ALL, "evaluates strings"),
    "numpy.distutils": (ALL, "builds and runs code"),
    "numpy.testing": (ALL, "runstring executes code"),
    "numpy.ctypeslib": (ALL, "loads native libraries"),
    "pandas": (frozenset({"read_pickle", "read_csv", "eval"}), "loads pickles or evaluates"),
    "torch": (frozenset({"load"}), "loads a nested pickle"),
    "torch.serialization": (frozenset({"load", "_load"}), "loads a nested pickle"),
    "torch.hub": (ALL, "downloads and runs code"),
    "torch.jit": (frozenset({"load"}), "loads TorchScript"),
    "torch.utils.cpp_extension": (ALL, "compiles and loads native code"),
    "torch.utils.collect_env": (ALL, "runs commands"),
    "torch.utils.bottleneck": (ALL, "runs code under a profiler"),
    "torch._inductor.codecache": (ALL, "compile_file runs a compiler command"),
    "torch._dynamo": (ALL, "guard evaluation runs code"),
    "torch.fx.experimental.symbolic_shapes": (ALL, "evaluates guard expressions"),
    "torch.jit.unsupported_tensor_ops": (ALL, "execWrapper runs code"),
    "torch.utils._config_module": (ALL, "load_config loads a nested pickle"),
    "torch.utils.data.datapipes.utils.decoder": (ALL, "decoders load nested pickles"),
}
"""Module -> (names, or :data:`ALL`; why). A module listed with ALL covers its submodules."""

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
    "uuid": frozenset({"UUID"}),
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


@dataclass(frozen=True)
class Rating:
    """How one import is rated, and why."""

    verdict: Verdict
    reason: str


def canonical_module(module: str) -> str:
    """The module name used for rating: Python 2 and accelerator aliases mapped, e.g.
    ``posix`` -> ``os``, ``__builtin__`` -> ``builtins``, ``numpy._core.multiarray`` ->
    ``numpy.core.multiarray``."""
    if module in MODULE_ALIASES:
        return MODULE_ALIASES[module]
    head, _, rest = module.partition(".")
    if rest and head in MODULE_ALIASES:
        return f"{MODULE_ALIASES[head]}.{rest}"
    return module


def _dangerous_entry(module: str, name: str) -> str | None:
    """The reason if ``module.name`` (or a parent module listed with ALL) is dangerous."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        entry = DANGEROUS.get(prefix)
        if entry is None:
            continue
        names, reason = entry
        if names is ALL or (i == len(parts) and (name in names or name.split(".")[0] in names)):
            return reason
    return None


def classify(module: str, name: str) -> Rating:
    """Rate one import of ``name`` from ``module``, as an unpickler would resolve it.

    A dotted ``name`` (protocol 4 allows ``Outer.inner`` attribute paths) is rated by each
    segment: an attribute walk through ``__globals__`` or to ``system`` is dangerous even
    from an innocent-looking module (``torch`` + ``serialization.os.system``).
    """
    if not module or not name:
        return Rating("dangerous", "empty module or name: the import cannot be known")
    mod = canonical_module(module)
    reason = _dangerous_entry(mod, name)
    if reason is not None:
        return Rating("dangerous", reason)
    segments = name.split(".")
    if len(segments) > 1:
        for seg in segments:
            if seg in DANGEROUS_NAMES or canonical_module(seg) in DANGEROUS:
                return Rating("dangerous", f"attribute path reaches {seg!r}")
        if name in SAFE.get(mod, frozenset()):
            return Rating("safe", "on the safe list")
        return Rating("unknown", "attribute path into a module object")
    if name in SAFE.get(mod, frozenset()):
        return Rating("safe", "on the safe list")
    if name in DANGEROUS_NAMES:
        return Rating("dangerous", f"{name!r} runs code, loads data or reaches attributes")
    return Rating("unknown", "not on the safe list")
