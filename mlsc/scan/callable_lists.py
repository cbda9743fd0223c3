"""The lists :mod:`mlsc.scan.callables` rates imports by, in one place: module aliases, the
deny-list by module (:mod:`mlsc.scan.callable_deny`), the allow-list
(:mod:`mlsc.scan.callable_safe`), names dangerous in any module, and nested loaders.


Sources: picklescan's ``_unsafe_globals`` and its 2025-2026 advisories (GHSA-f7qq-56ww-84cr,
GHSA-m273-6v24-x4m4, GHSA-955r-x9j8-7rhh, GHSA-46h3-79wf-xr6c, GHSA-4675-36f9-wf6r,
GHSA-84r2-jw7c-4r5q, GHSA-vqmv-47xg-9wpr, GHSA-hgrh-qx5j-jfwx, GHSA-r8g5-cgf2-4m4m,
GHSA-vvpj-8cmc-gx39, GHSA-g38g-8gr9-h9xp, GHSA-7wx9-6375-f5wh; CVE-2025-1716,
CVE-2025-10155/10156/10157 from JFrog), fickling's ``UNSAFE_IMPORTS`` and advisories
(GHSA-r7v6-mfhq-g3m2, GHSA-565g-hwwr-4pp3, GHSA-6ggj-6f2q-f7mx, GHSA-q5qq-mvfm-j35x),
ModelScan's unsafe globals, and PyTorch's ``weights_only`` allow-list for the safe side.
"""

from __future__ import annotations

from mlsc.scan.callable_deny import ALL, DANGEROUS
from mlsc.scan.callable_safe import (
    HARMLESS_BUILTINS,
    JOBLIB_ARRAY_WRAPPERS,
    PRIVATE_MODULES_ALLOWED,
    SAFE,
    SKLEARN_DENIED_NAMES,
    SKLEARN_DENIED_PARTS,
)

__all__ = [
    "ALL",
    "DANGEROUS",
    "DANGEROUS_NAMES",
    "HARMLESS_BUILTINS",
    "JOBLIB_ARRAY_WRAPPERS",
    "MODULE_ALIASES",
    "NESTED_LOADERS",
    "PEER_UNSAFE_COMPONENTS",
    "PRIVATE_MODULES_ALLOWED",
    "SAFE",
    "SKLEARN_DENIED_NAMES",
    "SKLEARN_DENIED_PARTS",
]

MODULE_ALIASES: dict[str, str] = {
    "__builtin__": "builtins",
    "__builtins__": "builtins",
    "exceptions": "builtins",
    "copy_reg": "copyreg",
    "posix": "os",
    "nt": "os",
    "_operator": "operator",
    "_functools": "functools",
    "_io": "io",
    "_pyio": "io",
    "_codecs": "codecs",
    "_collections": "collections",
    "cPickle": "pickle",
    "_pickle": "pickle",
    "_compat_pickle": "pickle",
    "commands": "subprocess",
    "_posixsubprocess": "subprocess",
    "popen2": "subprocess",
    "_socket": "socket",
    "_ssl": "ssl",
    "_ctypes": "ctypes",
    "_thread": "threading",
    "thread": "threading",
    "_signal": "signal",
    "_sqlite3": "sqlite3",
    "_asyncio": "asyncio",
    "_multiprocessing": "multiprocessing",
    "_posixshmem": "multiprocessing",
    "_imp": "importlib",
    "_frozen_importlib": "importlib",
    "_frozen_importlib_external": "importlib",
    "_bz2": "bz2",
    "_lzma": "lzma",
    "_gdbm": "dbm",
    "_dbm": "dbm",
    "_xxsubinterpreters": "_interpreters",
    "_xxinterpchannels": "_interpreters",
    "_interpqueues": "_interpreters",
    "_interpchannels": "_interpreters",
    "numpy._core": "numpy.core",
    "numpy._core.multiarray": "numpy.core.multiarray",
    "numpy._core.numeric": "numpy.core.numeric",
    "numpy.lib._npyio_impl": "numpy.lib.npyio",
    "tf": "tensorflow",
    "tf_keras": "keras",
    "keras.src": "keras",
    "sklearn.externals.joblib": "joblib",
}
"""Other names of a module (Python 2 names, C accelerators, private homes), mapped to one
name for rating."""

NESTED_LOADERS = frozenset(
    {
        "pickle.loads",
        "pickle.load",
        "pickle.Unpickler",
        "pickle._Unpickler",
        "dill.Unpickler",
        "pickle._loads",
        "pickle._load",
        "dill.loads",
        "dill.load",
        "cloudpickle.loads",
        "cloudpickle.load",
        "joblib.load",
        "joblib.numpy_pickle.load",
        "torch.load",
        "torch.serialization.load",
        "torch.serialization._load",
        "torch.storage._load_from_bytes",
        "numpy.load",
        "numpy.lib.npyio.load",
        "pandas.read_pickle",
        "shelve.open",
    }
)
"""Callables that unpickle bytes handed to them (directly or through ``io.BytesIO``): a
pickle that passes them a bytes constant carries a nested pickle, which is walked too."""

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
