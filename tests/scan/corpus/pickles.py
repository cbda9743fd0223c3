"""Malicious pickles: dangerous callables and opcode tricks from public advisories.

Each sample is written here as opcodes from the advisory's description (no proof of
concept is copied or downloaded); ``source`` names the advisory and the trick.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.scan import builders as b
from tests.scan import joblib_bytes as j
from tests.scan.corpus import Sample


def _raw(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        p = d / name
        p.write_bytes(data)
        return p

    return build


def _torch(data_pkl: bytes) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        return b.torch_zip(d / "pytorch_model.bin", data_pkl)

    return build


def _call(name: str, source: str, module: str, attr: str, arg: str = "id") -> Sample:
    """A sample calling ``module.attr(arg)`` with STACK_GLOBAL (protocol 4)."""
    return Sample(name, source, True, _raw("model.pkl", b.stack_global_call(module, attr, arg)))


_INNER = b.reduce_call("os", "system", "id")

SAMPLES: list[Sample] = [
    Sample(
        "pickle-os-system-proto2",
        "the classic: GLOBAL os.system + REDUCE (JFrog, 'data scientists targeted', 2024)",
        True,
        _raw("model.pkl", b.reduce_call("os", "system", "id")),
    ),
    Sample(
        "pickle-stack-global-memo-shuffle",
        "STACK_GLOBAL operands fetched back from the memo out of order (picklescan issue 22, "
        "imaginaryctf 'Safe Pickle': the memo was read one opcode back)",
        True,
        _raw("model.pkl", b.memo_shuffle_call("os", "system", "id")),
    ),
    # -- callables missing from deny-lists ---------------------------------------------
    _call(
        "pickle-pip-main", "CVE-2025-1716 (Sonatype): pip.main installs a package", "pip", "main"
    ),
    _call(
        "pickle-asyncio-unix-subprocess",
        "CVE-2025-10157 (JFrog): a submodule of a blocked module, "
        "asyncio.unix_events._UnixSubprocessTransport._start",
        "asyncio.unix_events",
        "_UnixSubprocessTransport._start",
    ),
    _call(
        "pickle-io-fileio",
        "picklescan list: _io.FileIO opens files past the builtins.open block",
        "_io",
        "FileIO",
        "/etc/passwd",
    ),
    _call(
        "pickle-distutils-write-file",
        "picklescan list: distutils.file_util.write_file writes any file",
        "distutils.file_util",
        "write_file",
    ),
    _call(
        "pickle-operator-attrgetter",
        "GHSA-m273-6v24-x4m4 / GHSA-955r-x9j8-7rhh: _operator.attrgetter reaches any attribute",
        "_operator",
        "attrgetter",
        "system",
    ),
    _call(
        "pickle-profile-run",
        "GHSA-46h3-79wf-xr6c: profile.run executes a string",
        "profile",
        "run",
        "import os",
    ),
    _call(
        "pickle-trace-runctx",
        "GHSA-4675-36f9-wf6r: trace.Trace.runctx runs code",
        "trace",
        "Trace.runctx",
        "x",
    ),
    _call(
        "pickle-cprofile-run",
        "ModelScan issue 311: cProfile.run executes a string",
        "cProfile",
        "run",
        "x",
    ),
    _call(
        "pickle-timeit", "ModelScan issue 311: timeit.timeit executes a string", "timeit", "timeit"
    ),
    _call("pickle-pdb-run", "fickling PR 210 (pdb/bdb): pdb.run executes a string", "pdb", "run"),
    _call(
        "pickle-venv-create",
        "GHSA-vqmv-47xg-9wpr: venv/ensurepip run pip",
        "ensurepip",
        "_run_pip",
    ),
    _call(
        "pickle-ssl-get-server-certificate",
        "GHSA-hgrh-qx5j-jfwx: network modules (ssl exfiltration by DNS)",
        "ssl",
        "get_server_certificate",
    ),
    _call(
        "pickle-idlelib-runcode",
        "GHSA-r8g5-cgf2-4m4m: idlelib.pyshell.ModifiedInterpreter.runcode",
        "idlelib.pyshell",
        "ModifiedInterpreter.runcode",
    ),
    _call(
        "pickle-lib2to3-make-label",
        "GHSA-r8g5-cgf2-4m4m: lib2to3.pgen2.pgen.ParserGenerator.make_label evals",
        "lib2to3.pgen2.pgen",
        "ParserGenerator.make_label",
    ),
    _call(
        "pickle-pkgutil-resolve-name",
        "GHSA-vvpj-8cmc-gx39: pkgutil.resolve_name reaches every blocked callable",
        "pkgutil",
        "resolve_name",
        "os:system",
    ),
    _call(
        "pickle-importlib-import-module",
        "picklescan issue 66: importlib.import_module after the resolve_name fix",
        "importlib",
        "import_module",
        "os",
    ),
    _call(
        "pickle-uuid-get-command-stdout",
        "CVE-2026-56315: uuid._get_command_stdout runs a command",
        "uuid",
        "_get_command_stdout",
    ),
    _call(
        "pickle-imaplib-stream",
        "CVE-2026-56315: imaplib.IMAP4_stream runs a shell command",
        "imaplib",
        "IMAP4_stream",
    ),
    _call(
        "pickle-pyrepl-pager",
        "CVE-2026-56315: _pyrepl.pager.pipe_pager runs a command",
        "_pyrepl.pager",
        "pipe_pager",
    ),
    _call(
        "pickle-logging-filehandler",
        "CVE-2026-56304: logging.FileHandler creates files",
        "logging",
        "FileHandler",
        "/tmp/x",
    ),
    _call("pickle-pty-spawn", "fickling GHSA-r7v6-mfhq-g3m2: pty.spawn", "pty", "spawn", "sh"),
    _call(
        "pickle-marshal-loads",
        "fickling GHSA-565g-hwwr-4pp3: marshal.loads builds code objects",
        "marshal",
        "loads",
    ),
    _call(
        "pickle-types-functiontype",
        "fickling GHSA-565g-hwwr-4pp3: types.FunctionType builds a function",
        "types",
        "FunctionType",
    ),
    _call(
        "pickle-interpreters-run-string",
        "fickling GHSA-6ggj-6f2q-f7mx: _interpreters.run_string executes source",
        "_interpreters",
        "run_string",
    ),
    _call(
        "pickle-builtins-getattr-dotted",
        "fickling GHSA-h4rm-mm56-xf63 (builtins imports): builtins getattr.__self__ dotted",
        "builtins",
        "getattr.__self__",
    ),
    _call(
        "pickle-numpy-f2py-getlincoef",
        "picklescan list: numpy.f2py.crackfortran.getlincoef evals a string",
        "numpy.f2py.crackfortran",
        "getlincoef",
    ),
    _call(
        "pickle-numpy-runstring",
        "picklescan list: numpy.testing._private.utils.runstring is exec",
        "numpy.testing._private.utils",
        "runstring",
    ),
    _call(
        "pickle-torch-execwrapper",
        "picklescan list: torch.jit.unsupported_tensor_ops.execWrapper runs code",
        "torch.jit.unsupported_tensor_ops",
        "execWrapper",
    ),
    _call(
        "pickle-torch-inductor-compile-file",
        "picklescan list: torch._inductor.codecache.compile_file runs a compiler command",
        "torch._inductor.codecache",
        "compile_file",
    ),
    _call(
        "pickle-torch-dynamo-guard",
        "ModelScan issue 311: torch._dynamo.guards.GuardBuilder.get evals",
        "torch._dynamo.guards",
        "GuardBuilder.get",
    ),
    _call(
        "pickle-torch-collect-env-run",
        "picklescan list: torch.utils.collect_env.run runs a command",
        "torch.utils.collect_env",
        "run",
    ),
    _call(
        "pickle-functools-partial",
        "picklescan list: functools.partial(os.system, ...) wraps a callable",
        "functools",
        "partial",
    ),
    _call(
        "pickle-main-module",
        "issue 11: __main__ names whatever the loading program defines",
        "__main__",
        "run",
    ),
    # -- opcode tricks -------------------------------------------------------------------
    Sample(
        "pickle-proto0-text-only",
        "protocol 0 (text opcodes only) GLOBAL + MARK/TUPLE + REDUCE, as fickling's tests",
        True,
        _raw("model.pkl", b.proto_call(0, "subprocess", "getoutput", "id")),
    ),
    Sample(
        "pickle-proto1-obj",
        "fickling PR 108: protocol 1 OBJ with pty.spawn, no REDUCE",
        True,
        _raw("model.pkl", b.obj_call("pty", "spawn", "sh")),
    ),
    Sample(
        "pickle-proto5-frame",
        "protocol 5 FRAME + MEMOIZE + STACK_GLOBAL",
        True,
        _raw("model.pkl", b.proto_call(5, "builtins", "exec", "print(1)")),
    ),
    Sample(
        "pickle-inst-proto0",
        "protocol 0 INST imports and calls in one opcode",
        True,
        _raw("model.pkl", b.inst_call("os", "system", "id")),
    ),
    Sample(
        "pickle-newobj-ex-popen",
        "protocol 4 NEWOBJ_EX instantiates subprocess.Popen",
        True,
        _raw("model.pkl", b.newobj_ex_call("subprocess", "Popen", "id")),
    ),
    Sample(
        "pickle-memo-late-call",
        "a global stored in the memo and called 400 bytes later (scanners that pair "
        "GLOBAL with the next REDUCE)",
        True,
        _raw("model.pkl", b.memo_late_call("os", "system", "id")),
    ),
    Sample(
        "pickle-pop-mark-decoy",
        "a decoy safe import discarded by POP_MARK before the real call",
        True,
        _raw("model.pkl", b.pop_mark_hidden_call("os", "system", "id")),
    ),
    Sample(
        "pickle-dup-pop-stack-global",
        "STACK_GLOBAL operands pushed through DUP/POP (picklescan looks one opcode back)",
        True,
        _raw("model.pkl", b.dup_call("os", "system", "id")),
    ),
    Sample(
        "pickle-name-joined-at-load",
        "STACK_GLOBAL name built by str.join at load time (picklescan issue 66: attribute "
        "chains); unresolved",
        True,
        _raw("model.pkl", b.joined_name_call("os", ("sys", "tem"), "id")),
    ),
    Sample(
        "pickle-module-from-operator",
        "STACK_GLOBAL module from operator.add('o', 's'); unresolved",
        True,
        _raw("model.pkl", b.operator_chain_call("id")),
    ),
    Sample(
        "pickle-ext-code",
        "EXT2 extension-registry code instead of a name",
        True,
        _raw("model.pkl", b.ext_call()),
    ),
    Sample(
        "pickle-build-dunder-state",
        "fickling GHSA-6ggj-6f2q-f7mx: a payload routed through BUILD/__setstate__; here the "
        "state sets __reduce__ on a harmless object",
        True,
        _raw(
            "model.pkl",
            b.build_state(
                b.global_("collections", "OrderedDict") + b")R",
                {"__reduce__": b.unicode("x")},
            ),
        ),
    ),
    Sample(
        "pickle-build-patches-class",
        "BUILD with slot state on an imported class itself (monkey-patches OrderedDict)",
        True,
        _raw(
            "model.pkl",
            b.build_state(b.global_("collections", "OrderedDict"), {"clear": b"N"}, slots=True),
        ),
    ),
    Sample(
        "pickle-reconstructor-popen",
        "protocol 0-1 __reduce_ex__ shape: copy_reg._reconstructor(subprocess.Popen, object)",
        True,
        _raw("model.pkl", b.reconstructor_call("subprocess", "Popen")),
    ),
    Sample(
        "pickle-nested-pickle-loads",
        "GHSA-84r2-jw7c-4r5q: a nested pickle handed to pickle.loads",
        True,
        _raw("model.pkl", b.nested_call(_INNER)),
    ),
    Sample(
        "pickle-nested-torch-load-bytesio",
        "torch.load(io.BytesIO(...)) of a nested pickle (picklescan TODO: methods loading "
        "other pickles)",
        True,
        _torch(b.nested_call(_INNER, ("torch", "load"), "bytesio")),
    ),
    Sample(
        "pickle-nested-base64",
        "pickle.loads(base64.b64decode(text)): the nested payload is not even bytes",
        True,
        _raw("model.pkl", b.nested_call(_INNER, wrap="base64")),
    ),
    Sample(
        "pickle-nested-latin1",
        "_pickle.loads(_codecs.encode(text, 'latin1')): bytes as protocols 0-2 write them",
        True,
        _raw("model.pkl", b.nested_call(_INNER, ("_pickle", "loads"), "latin1")),
    ),
    Sample(
        "pickle-nested-numpy-load",
        "numpy.load of an object .npy in a buffer (allow_pickle)",
        True,
        _raw(
            "model.pkl", b.nested_call(b.npy_object_payload(_INNER), ("numpy", "load"), "bytesio")
        ),
    ),
    Sample(
        "pickle-torch-load-from-bytes",
        "torch.storage._load_from_bytes: torch.load of embedded bytes",
        True,
        _torch(b.nested_call(_INNER, ("torch.storage", "_load_from_bytes"))),
    ),
    Sample(
        "pickle-truncated-after-payload",
        "ReversingLabs 'nullifAI' (2025): payload first, then a broken stream the loader never "
        "reaches",
        True,
        _raw("model.pkl", b.reduce_call("os", "system", "id")[:-1] + b"\x00garbage"),
    ),
    Sample(
        "pickle-odd-spelling-module",
        "module name with a trailing blank ('builtins ') and a leading one in the name",
        True,
        _raw(
            "model.pkl", b"\x80\x02" + b.global_("builtins ", " eval") + b.unicode("1") + b"\x85R."
        ),
    ),
]

SAMPLES += [
    Sample(
        "pickle-cyclic-list-benign",
        "fickling issue 196: a list that contains itself (a DoS for recursive scanners)",
        False,
        _raw("data.pkl", b"\x80\x02]\x94g0\na."),
        expect="clean",
    ),
]

_SYSTEM = b.reduce_call("os", "system", "id")

SAMPLES += [
    Sample(
        "joblib-array-bytes-hide-pickle",
        "joblib NumpyUnpickler.load_build / NumpyArrayWrapper.read_array: the bytes after a "
        "placeholder's BUILD are array data to joblib.load but opcodes to pickle.load; an "
        "os.system pickle as a uint8 array's bytes (a scanner emulating joblib skips them)",
        True,
        _raw(
            "model.joblib",
            j.joblib_file(j.wrapper((len(_SYSTEM),), j.dtype("u1"), None) + _SYSTEM),
        ),
    ),
    Sample(
        "joblib-object-array-nested-pickle",
        "joblib NumpyArrayWrapper.read_array: an object dtype's array is a nested pickle read "
        "inline from the same stream; this one calls os.system",
        True,
        _raw("model.joblib", j.joblib_file(j.wrapper((1,), j.dtype("O8"), None) + _SYSTEM)),
    ),
    Sample(
        "joblib-array-shape-past-eof",
        "joblib NumpyArrayWrapper: a shape claiming more array bytes than the file has, so a "
        "scanner skipping them would skip the os.system pickle that follows",
        True,
        _raw(
            "model.joblib",
            j.joblib_file(j.wrapper((1 << 30,), j.dtype("f8"), None) + _SYSTEM),
        ),
    ),
]

SAMPLES += [
    Sample(
        "joblib-ndarraywrapper-path-escape",
        "joblib numpy_pickle_compat.NDArrayWrapper.read: joblib.load hands "
        "os.path.join(dirname, filename) to numpy.load(allow_pickle=True); a filename that "
        "leaves the model's directory unpickles a file no scan of the model covers",
        True,
        _raw(
            "model.joblib",
            j.joblib_file(
                b.stack_global("joblib.numpy_pickle", "NDArrayWrapper")
                + b")\x81}("
                + b.unicode("filename")
                + b.unicode("../../../tmp/payload.pkl")
                + b"ub"
            ),
        ),
    ),
]
