"""The rules a scan applies: one per kind of finding, with a stable id, what it means and
how to check a finding by hand.

Every :class:`mlsc.scan.findings.Finding` names its rule through its ``kind``; SARIF output
(``mlsc scan -f sarif``) lists these rules, and ``mlsc scan`` shows the check beside each
finding. A check is a shell command line with ``{path}`` (the file, quoted) and, for an
archive member, ``{member}`` (quoted) filled in.

    >>> RULES["dangerous_import"].id
    'MLSC101'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One rule of the scanner."""

    id: str
    """Stable identifier (``MLSC101``), the SARIF ``ruleId``."""
    kind: str
    """The finding kind it reports (:data:`mlsc.scan.findings.Kind`)."""
    title: str
    """A short name for a person."""
    description: str
    """What a finding of this rule means and why it matters."""
    check: str
    """How to confirm a finding by hand: a command with ``{path}`` filled in."""
    check_member: str | None = None
    """The same for a finding inside an archive member (``{path}`` and ``{member}``)."""


_PICKLETOOLS = "python -m pickletools {path}"
_PICKLETOOLS_MEMBER = (
    "python -m mlsc.scan.extract {path} {member} > member.pkl; python -m pickletools member.pkl"
)

_KERAS_CONFIG = "unzip -p {path} config.json | python -m json.tool"
_ONNX_LOAD = "python -c 'import onnx,sys; m=onnx.load(sys.argv[1], load_external_data=False); "
_FORMAT_RULES = (
    # Keras, TensorFlow and ONNX (mlsc.scan.keras, .savedmodel, .onnx): MLSC300-MLSC349.
    Rule(
        "MLSC301",
        "keras_lambda",
        "Keras model holds Python bytecode",
        "A Lambda layer (or a __lambda__ object) carries marshalled Python bytecode that the "
        "loader turns into a function and runs: arbitrary code (CVE-2024-3660; .h5 files "
        "ignore safe_mode, CVE-2025-9905).",
        _KERAS_CONFIG + "  # .h5: the model_config attribute",
    ),
    Rule(
        "MLSC302",
        "keras_unsafe_object",
        "Keras config reaches a dangerous callable or layer",
        "The config names a callable that runs code or touches files or the network, a Keras "
        "gadget (get_file, load_model, enable_unsafe_deserialization), or a layer that loads "
        "outside data (TFSMLayer, TorchModuleWrapper, a lookup vocabulary path) "
        "(CVE-2025-1550, CVE-2025-8747, CVE-2025-9906, CVE-2025-12058, CVE-2025-49655).",
        _KERAS_CONFIG,
    ),
    Rule(
        "MLSC303",
        "keras_custom_object",
        "Keras config names a custom object",
        "A class or function from a module outside Keras: Keras before 3.9 imports the "
        "module while loading; later versions need it registered as a custom object.",
        _KERAS_CONFIG,
    ),
    Rule(
        "MLSC310",
        "tf_unsafe_op",
        "TensorFlow graph uses a file, code or network op",
        "An op such as ReadFile, WriteFile, PyFunc, MatchingFiles, DebugIdentityV3 or a "
        "checkpoint op outside the saver runs when the graph runs: it reads or writes files, "
        "runs Python or reaches the network.",
        'saved_model_cli show --all --dir "$(dirname {path})"  # or: grep -a -c OP {path}',
    ),
    Rule(
        "MLSC311",
        "tf_unknown_op",
        "TensorFlow graph uses an unknown op",
        "The op is not a known TensorFlow op: loading the graph needs a custom-op library "
        "(native code), or the op is one mlsc does not rate yet.",
        'saved_model_cli show --all --dir "$(dirname {path})"',
    ),
    Rule(
        "MLSC320",
        "onnx_external_path",
        "ONNX external data escapes the model directory",
        "A tensor's external-data location is absolute, contains '..' or resolves (through "
        "symlinks) outside the model's directory: loading reads that file "
        "(CVE-2022-25882, CVE-2024-27318).",
        _ONNX_LOAD + "[print(t.name, t.external_data) for t in m.graph.initializer]' {path}",
    ),
    Rule(
        "MLSC321",
        "onnx_custom_domain",
        "ONNX model uses a custom op domain",
        "Nodes of an op domain that neither ONNX nor ONNX Runtime implements: running the "
        "model needs a custom-op library, which is native code.",
        _ONNX_LOAD + "print(sorted({(n.domain, n.op_type) for n in m.graph.node}))' {path}",
    ),
    Rule(
        "MLSC322",
        "onnx_external_data",
        "ONNX tensors stored in external files",
        "Some tensors are kept in files beside the model, inside its directory.",
        _ONNX_LOAD + "[print(t.name, t.external_data) for t in m.graph.initializer]' {path}",
    ),
)
_ZIPINFO = "zipinfo -v {path} | less; xxd {path} | grep -n 'PK'"
_TEMPLATE_CHECK = (
    'python -c \'import json,sys; t=json.load(open(sys.argv[1])).get("chat_template"); '
    "print(t if isinstance(t,str) else json.dumps(t,indent=1))' {path}"
)

RULES: dict[str, Rule] = {
    r.kind: r
    for r in (
        Rule(
            "MLSC101",
            "dangerous_import",
            "pickle imports a dangerous callable",
            "Loading the file imports (and usually calls) a callable that can run commands, "
            "evaluate code, touch files or the network, or reach such a callable.",
            _PICKLETOOLS + "  # look for the GLOBAL/STACK_GLOBAL at the offset",
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC102",
            "unknown_import",
            "pickle imports a callable outside the allow-list",
            "The callable is neither a known tensor/array rebuild function nor on the deny-list: "
            "loading the file runs code nobody has vetted.",
            _PICKLETOOLS,
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC103",
            "unresolved_import",
            "pickle computes the callable it imports",
            "A STACK_GLOBAL whose module or name is built at run time, or an extension-registry "
            "code: what is imported is only known when the file is loaded.",
            _PICKLETOOLS,
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC104",
            "unparseable",
            "content could not be parsed",
            "The scanner could not read the content as its format; a loader may still read it.",
            "xxd {path} | head",
        ),
        Rule(
            "MLSC105",
            "scan_limit",
            "scan stopped at a limit",
            "A size or count cap stopped the scan early: the rest of the file was not checked.",
            "ls -l {path}",
        ),
        Rule(
            "MLSC106",
            "pickle",
            "pickle with allow-listed imports only",
            "The file is a pickle, and every callable it imports is a known rebuild function.",
            _PICKLETOOLS,
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC107",
            "invalid_header",
            "safetensors header breaks the format",
            "The header is not what the safetensors format allows (offsets, dtypes, sizes).",
            'python -c \'import json,struct,sys; f=open(sys.argv[1],"rb"); '
            'n=struct.unpack("<Q",f.read(8))[0]; print(json.dumps(json.loads(f.read(n)),'
            "indent=1))' {path}",
        ),
        Rule(
            "MLSC108",
            "format_mismatch",
            "name and content disagree",
            "The file's name promises one format and its bytes are another (a pickle named "
            ".safetensors); loaders go by the bytes.",
            "file {path}; xxd {path} | head -2",
        ),
        Rule(
            "MLSC109",
            "second_opinion",
            "another engine disagrees",
            "picklescan rates an import dangerous that mlsc rated lower, or resolved an import "
            "differently.",
            "picklescan --path {path}",
        ),
        *_FORMAT_RULES,
        Rule(
            "MLSC200",
            "opaque_pickle",
            "a loader would unpickle what mlsc cannot parse",
            "The file or member is one torch.load, pickle.load, joblib.load or "
            "numpy.load(allow_pickle=True) would unpickle, and the opcode walk stopped on "
            "something it cannot parse: the unpickler may still run code from it.",
            _PICKLETOOLS + "  # see where the walk fails",
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC201",
            "encrypted_member",
            "encrypted archive member",
            "A zip member has its encryption flag set and its bytes are not a readable pickle. "
            "PyTorch's reader ignores the flag, so what it unpickles cannot be checked.",
            _ZIPINFO,
            _ZIPINFO,
        ),
        Rule(
            "MLSC202",
            "archive_anomaly",
            "archive views disagree or were tampered with",
            "The zip's central directory and local headers disagree (names, sizes, methods, "
            "flags), bytes precede the archive, or names repeat: loaders and scanners that "
            "read different views see different files. Every view was scanned.",
            _ZIPINFO,
        ),
        Rule(
            "MLSC203",
            "unsupported_container",
            "archive mlsc cannot open",
            "An archive or compression mlsc cannot read (7z, lz4, zstd): its content was not "
            "checked.",
            "file {path}; xxd {path} | head -2",
        ),
        Rule(
            "MLSC901",
            "peer_verdict",
            "another scanner rates the file worse",
            "The hub's own scanner (securityRepoStatus, as the crawl recorded it) rates this file "
            "worse than mlsc does. mlsc never reports less than a peer: the peer's verdict is "
            "kept until someone checks the file.",
            "mlsc cypher 'MATCH (m:Model)-[:HAS_FILE]->(f:File {{path: $p}}) "
            "RETURN m.id, m.security_status' -p p={path}",
        ),
        Rule(
            "MLSC902",
            "hash_mismatch",
            "local bytes differ from the hub's",
            "The SHA-256 of the scanned file differs from the one another source (the hub) "
            "recorded for it: this is not the file the knowledge base describes.",
            "sha256sum {path}",
        ),
        Rule(
            "MLSC350",
            "template_injection",
            "chat template reaches Python internals",
            "The Jinja chat template reaches dunder or frame attributes, module globals, "
            "os/subprocess or a command sink: rendered without a sandbox (llama-cpp-python "
            "before 0.2.72, CVE-2024-34359; vLLM; SGLang, CVE-2026-5760) it runs code.",
            _TEMPLATE_CHECK,
        ),
        Rule(
            "MLSC351",
            "template_suspicious",
            "chat template does what chat templates need not",
            "A private attribute, an attribute name computed at render time, `self`, or a "
            "template that loads another: no benign chat template needs these.",
            _TEMPLATE_CHECK,
        ),
        Rule(
            "MLSC352",
            "template_unparseable",
            "chat template does not parse",
            "jinja2 cannot parse the chat template, so a renderer refuses it; its text was "
            "searched for gadget names instead.",
            _TEMPLATE_CHECK,
        ),
        Rule(
            "MLSC353",
            "chat_template",
            "chat template present",
            "The file carries a chat template (its sha256 is recorded); nothing in it reaches "
            "Python internals.",
            _TEMPLATE_CHECK,
        ),
        Rule(
            "MLSC360",
            "gguf_header",
            "GGUF header a loader overflows on or refuses",
            "A GGUF count or length is impossible for the file's size (critical: a loader "
            "that trusts it overflows a heap buffer, as in CVE-2024-21825/21836/23496/23605 "
            "and CVE-2024-21802), or merely odd (warning: loaders refuse it or disagree).",
            "xxd -l 256 {path}  # the finding's offset says where: xxd -s OFFSET -l 64 {path}",
        ),
        Rule(
            "MLSC110",
            "nested_pickle",
            "pickle carries a nested pickle",
            "The pickle passes bytes to a callable that unpickles them (pickle.loads, "
            "torch.load over io.BytesIO, numpy.load, joblib.load ...): loading runs a second "
            "pickle that scanners looking only at imports do not see. The nested pickle's own "
            "imports are reported too.",
            _PICKLETOOLS + "  # the BINBYTES at the offset is the nested pickle; "
            "dump it and run pickletools on it",
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC111",
            "state_injection",
            "BUILD rewrites an object's behaviour",
            "A BUILD opcode sets dunder attributes (__setstate__, __reduce__, __getattr__ ...) "
            "through its state, or sets state on an imported class or module itself: it "
            "monkey-patches code that runs later, even when every import looks harmless.",
            _PICKLETOOLS + "  # look at the BUILD at the offset and the dict before it",
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC150",
            "array_opcodes",
            "joblib array bytes are pickle opcodes",
            "joblib writes each numpy array's bytes inline after its NumpyArrayWrapper's "
            "BUILD and joblib.load reads them as data, but pickle.load (or torch.load) reads "
            "them as opcodes: these bytes import or call something, or run as opcodes to the "
            "end of the array, after which pickle.load reads the file out of step with "
            "joblib. Real array data stops at an unknown opcode at once.",
            "python -c \"import sys; d=open(sys.argv[1],'rb').read(); "
            'sys.stdout.buffer.write(d[int(sys.argv[2]):])" {path} START | '
            "python -m pickletools -  # START: where the array bytes start (the finding says)",
            _PICKLETOOLS_MEMBER + "  # from the offset after the BUILD",
        ),
        Rule(
            "MLSC151",
            "external_array",
            "joblib array read from another file",
            "An old joblib placeholder (NDArrayWrapper, joblib 0.9 and earlier; or "
            "ZNDArrayWrapper) makes joblib.load read the array from the file its filename "
            "attribute names, joined to the pickle's directory; NDArrayWrapper reads it with "
            "numpy.load(allow_pickle=True), which unpickles a pickle file. A name that is a "
            "path (or not known) reaches a file outside what was scanned.",
            _PICKLETOOLS + "  # the 'filename' in the state dict before the BUILD at the offset",
            _PICKLETOOLS_MEMBER,
        ),
    )
}
"""Every rule, by finding kind."""
