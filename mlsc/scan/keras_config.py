"""What a Keras model config makes the loader do: Lambda bytecode, imports, file access.

A Keras model is rebuilt from a JSON config: ``config.json`` in a ``.keras`` zip, the
``model_config`` attribute of a legacy ``.h5`` file, the layer metadata of a SavedModel's
``keras_metadata.pb``. Every object in it is a dict with ``class_name`` and ``config`` (and,
since Keras 3, ``module`` and ``registered_name``); the loader imports ``module``, looks up
``class_name`` (or, for ``"class_name": "function"``, the function named by ``config``) and
calls its ``from_config``. :func:`check_config` walks the whole tree and reports:

- ``keras_lambda`` (critical): marshalled Python bytecode the loader turns into a function
  (a ``Lambda`` layer's ``function`` or ``output_shape``, a ``__lambda__`` object anywhere):
  CVE-2024-3660, and CVE-2025-9905 (``.h5`` files ignore ``safe_mode``);
- ``keras_unsafe_object`` (critical): a reference to a callable that runs code or touches
  files or the network (``builtins.exec``, ``os.system``: CVE-2025-1550), a Keras function
  that is a known gadget (``keras.utils.get_file``, ``keras.models.load_model``,
  ``keras.config.enable_unsafe_deserialization``: CVE-2025-8747, CVE-2025-9906), a layer
  that loads outside data (``TFSMLayer``: CVE-2026-1462; ``TorchModuleWrapper``'s pickle:
  CVE-2025-49655; a lookup layer's ``vocabulary`` file path: CVE-2025-12058), a
  ``TFOpLambda`` calling ``tf.io`` or ``tf.py_function``;
- ``keras_custom_object`` (warning): a class or function from a module outside Keras that
  is not known to be dangerous: Keras before 3.9 imports it, later ones need it registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlsc.scan.callables import classify
from mlsc.scan.findings import Kind, Severity

KERAS_ROOTS = frozenset({"keras", "tf_keras", "tensorflow"})
"""Top-level modules whose objects a Keras config names in the normal course."""

GADGET_NAMES: dict[str, str] = {
    "get_file": "downloads a URL to a chosen path (CVE-2025-8747)",
    "load_model": "loads another model, possibly with safe_mode off (CVE-2025-9906)",
    "load_weights": "reads a file at a chosen path",
    "enable_unsafe_deserialization": "turns safe_mode off for what follows (CVE-2025-9906)",
    "set_global_attribute": "changes Keras global state such as safe_mode (CVE-2025-9906)",
    "func_load": "turns marshalled bytecode into a function",
    "deserialize_keras_object": "deserializes a nested config it is handed",
    "model_from_json": "builds another model from JSON it is handed",
    "model_from_yaml": "builds another model from YAML it is handed",
    "TFSMLayer": "loads a TensorFlow SavedModel from a path in the config (CVE-2026-1462)",
    "TorchModuleWrapper": "unpickles a torch module with torch.load (CVE-2025-49655)",
    "py_function": "runs a Python function from a TF graph",
    "numpy_function": "runs a Python function from a TF graph",
    "py_func": "runs a Python function from a TF graph",
    "read_file": "reads a file",
    "write_file": "writes a file",
}
"""Names that make a Keras load reach files, the network or code even inside ``keras.*``."""

TF_DANGEROUS_PREFIXES = (
    "io.",
    "compat.v1.io.",
    "compat.v1.py_func",
    "py_function",
    "numpy_function",
    "data.",
    "summary.",
    "saved_model.",
    "print",
    "compat.v1.gfile.",
    "debugging.experimental.enable_dump",
)
"""``TFOpLambda`` ``function`` values (``tf.<function>``) that touch files or run Python."""

TF_DANGEROUS_MODULES = (
    "tensorflow.io",
    "tensorflow.python.ops.gen_io_ops",
    "tensorflow.python.lib.io",
    "tensorflow.compat.v1.io",
    "tensorflow.python.ops.script_ops",
    "tensorflow.python.platform.gfile",
    "tensorflow.python.saved_model",
)
"""TensorFlow modules whose functions read or write files or run Python."""

LOOKUP_LAYERS = frozenset({"StringLookup", "IntegerLookup", "IndexLookup", "TextVectorization"})
"""Layers whose ``vocabulary`` may be a file path the loader opens (CVE-2025-12058)."""

MAX_NODES = 2_000_000
"""Config objects walked before the rest is left unchecked."""


@dataclass(frozen=True)
class ConfigIssue:
    """One thing a Keras config makes the loader do."""

    kind: Kind
    severity: Severity
    detail: str
    where: str
    """The JSON path of the object (``config.layers[2].config.function``)."""
    layer: str | None
    """The name of the layer it is in, if any."""
    imports: tuple[str, ...] = ()


def rate_callable(module: str, name: str) -> tuple[Severity, str] | None:
    """How bad it is for a config to name ``module.name``; ``None`` for plain Keras."""
    root = module.split(".")[0]
    if name in GADGET_NAMES:
        return "critical", GADGET_NAMES[name]
    if root in KERAS_ROOTS:
        if module.startswith(TF_DANGEROUS_MODULES):
            return "critical", "a TensorFlow function that touches files or runs Python"
        last = module.rsplit(".", 1)[-1]
        if last in GADGET_NAMES:
            return "critical", GADGET_NAMES[last]
        return None
    rating = classify(module, name)
    if rating.verdict == "dangerous":
        return "critical", rating.reason
    return "warning", "a custom object from outside Keras: the loader imports its module"


def _is_bytecode(fn: Any) -> bool:
    """Whether a legacy Lambda ``function`` value is marshalled code (a string or the
    ``[code, defaults, closure]`` triple ``func_dump`` writes)."""
    if isinstance(fn, str):
        return True
    return isinstance(fn, list) and bool(fn) and isinstance(fn[0], str)


def _object_issues(d: dict[str, Any], where: str, layer: str | None) -> list[ConfigIssue]:
    """The issues of one config object (not of its children)."""
    out: list[ConfigIssue] = []
    cls = d.get("class_name")
    module = d.get("module")
    cfg = d.get("config")
    conf: dict[str, Any] = cfg if isinstance(cfg, dict) else {}

    def add(kind: Kind, sev: Severity, detail: str, imports: tuple[str, ...] = ()) -> None:
        out.append(ConfigIssue(kind, sev, detail, where, layer, imports))

    if cls == "__lambda__":
        add("keras_lambda", "critical", "a __lambda__ object: marshalled Python bytecode")
    elif cls == "Lambda" and conf:
        ftype = conf.get("function_type")
        fn = conf.get("function")
        if ftype == "function" and isinstance(fn, str):
            mod = conf.get("module") if isinstance(conf.get("module"), str) else ""
            rated = rate_callable(mod or "", fn) if mod else ("warning", "unknown module")
            if rated is not None:
                kind: Kind = (
                    "keras_unsafe_object" if rated[0] == "critical" else "keras_custom_object"
                )
                add(kind, rated[0], f"Lambda calls {mod}.{fn}: {rated[1]}", (f"{mod}.{fn}",))
        elif ftype == "lambda" or (ftype is None and _is_bytecode(fn)):
            add("keras_lambda", "critical", "Lambda layer with marshalled Python bytecode")
        if conf.get("output_shape_type") == "lambda":
            add("keras_lambda", "critical", "Lambda output_shape is marshalled Python bytecode")
    elif cls in ("TFOpLambda", "SlicingOpLambda"):
        fn = conf.get("function")
        if isinstance(fn, str) and fn.startswith(TF_DANGEROUS_PREFIXES):
            add("keras_unsafe_object", "critical", f"{cls} calls tf.{fn}", (f"tensorflow.{fn}",))
    elif cls in LOOKUP_LAYERS and isinstance(conf.get("vocabulary"), str):
        path = conf["vocabulary"]
        add(
            "keras_unsafe_object",
            "critical",
            f"{cls} vocabulary is a path the loader opens: {path!r} (CVE-2025-12058)",
        )
    if isinstance(module, str) and isinstance(cls, str) and not cls.startswith("__"):
        name = cfg if cls == "function" and isinstance(cfg, str) else cls
        rated = rate_callable(module, name)
        if rated is not None:
            sev, why = rated
            kind2: Kind = "keras_unsafe_object" if sev == "critical" else "keras_custom_object"
            detail = f"{module}.{name}: {why}"
            if cls == "TFSMLayer":
                detail += f" (filepath {conf.get('filepath')!r})"
            add(kind2, sev, detail, (f"{module}.{name}",))
    elif cls in ("TFSMLayer", "TorchModuleWrapper"):
        add("keras_unsafe_object", "critical", f"{cls}: {GADGET_NAMES[str(cls)]}")
    return out


def check_config(root: Any, base: str = "") -> tuple[list[ConfigIssue], bool]:
    """Every issue in a parsed Keras config, and whether the walk was cut short."""
    issues: list[ConfigIssue] = []
    stack: list[tuple[Any, str, str | None]] = [(root, base, None)]
    seen = 0
    while stack:
        node, where, layer = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            return issues, True
        if isinstance(node, dict):
            cfg = node.get("config")
            name = cfg.get("name") if isinstance(cfg, dict) else node.get("name")
            if "class_name" in node and isinstance(name, str):
                layer = name
            if "class_name" in node:
                issues.extend(_object_issues(node, where, layer))
            for k, v in node.items():
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{where}.{k}" if where else str(k), layer))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{where}[{i}]", layer))
    issues.sort(key=lambda i: (i.severity != "critical", i.where))
    return issues, False
