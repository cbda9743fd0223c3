"""What names mean in Python code read by :mod:`mlsc.code.python_refs`: the loader vocabulary,
and the scopes that tell a constant id from a model object or an import alias.

    >>> import ast
    >>> scope = Scope(None)
    >>> scope.bind_body(ast.parse("import transformers as tf; MODEL = 'gpt2'").body)
    >>> scope.qualified("tf"), ast.unparse(scope.lookup("MODEL")[1])
    ('transformers', "'gpt2'")
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

FILE_SUFFIXES = (
    ".bin", ".pt", ".pth", ".ckpt", ".safetensors", ".json", ".onnx", ".h5", ".pkl", ".gguf",
    ".msgpack", ".model", ".txt", ".yaml", ".yml", ".npz", ".tflite", ".zip", ".tar", ".gz",
)  # fmt: skip
MAX_ID = 200
HUB_HELPERS = frozenset({
    "hf_hub_download", "snapshot_download", "hf_hub_url", "list_repo_files", "model_info",
    "repo_info", "file_exists", "try_to_load_from_cache", "list_repo_refs", "list_repo_commits",
    "list_repo_tree",
})  # fmt: skip
HUB_HELPER_MODULES = ("huggingface_hub",)
CREATE_MODEL = frozenset({
    "create_model", "create_model_and_transforms", "create_model_from_pretrained", "get_tokenizer",
})  # fmt: skip
ADAPTER_LOADERS = frozenset({"load_lora_weights", "load_textual_inversion", "load_ip_adapter"})
"""diffusers' adapter loaders: the first argument is a Hub id (or a local path, or weights)."""
PIPELINE_PARTS = ("tokenizer", "feature_extractor", "image_processor")
LOADERS = frozenset({"from_pretrained", "pipeline", "SentenceTransformer", "CrossEncoder"}) | (
    HUB_HELPERS | CREATE_MODEL | {"load"}
)
"""Calls whose result is a model (or a file of one), not an id: a name bound to one is skipped."""
LOADER_WORDS = ("from_pretrained", "pipeline", "SentenceTransformer", "CrossEncoder", "hub",
                "repo_", "model_info", "file_exists", "create_model", "get_tokenizer",
                "load_lora_weights", "load_textual_inversion", "load_ip_adapter",
                "snapshot_download", "try_to_load_from_cache")  # fmt: skip
PATH_CALLS = frozenset({"join", "Path", "PurePath", "expanduser", "abspath", "realpath"})
ST_BASIC = frozenset({
    "albert-base-v1", "albert-base-v2", "albert-large-v1", "albert-large-v2", "bert-base-cased",
    "bert-base-chinese", "bert-base-german-cased", "bert-base-multilingual-cased",
    "bert-base-multilingual-uncased", "bert-base-uncased", "bert-large-cased", "bert-large-uncased",
    "camembert-base", "distilbert-base-cased", "distilbert-base-uncased", "distilgpt2",
    "distilroberta-base", "gpt2", "gpt2-large", "gpt2-medium", "gpt2-xl", "roberta-base",
    "roberta-large", "t5-base", "t5-large", "t5-small", "xlm-roberta-base", "xlm-roberta-large",
    "xlnet-base-cased", "xlnet-large-cased",
})  # fmt: skip
"""sentence-transformers' ``basic_transformer_models``: single names it does not prefix."""


@dataclass
class Scope:
    """Names bound in one function (or the module): which are constants, which hold models."""

    parent: Scope | None
    bound: set[str] = field(default_factory=set)
    exprs: dict[str, ast.expr] = field(default_factory=dict)
    """Names bound exactly once, by a plain assignment, to this expression."""
    objects: set[str] = field(default_factory=set)
    """Names bound to a loader's result (a model, a pipeline), never an id."""
    imports: dict[str, str] = field(default_factory=dict)
    """Local name -> dotted name it imports (``tf`` -> ``transformers``)."""
    star: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def bind_body(self, body: Sequence[ast.stmt]) -> None:
        for node in _own_nodes(body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.imports[local] = alias.name if alias.asname else local
                    self._bind(local, None)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name == "*":
                        self.star.add(node.module)
                    else:
                        self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                        self._bind(alias.asname or alias.name, None)
            elif isinstance(node, ast.Assign):
                single = len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                for target in node.targets:
                    for name in _names(target):
                        self._bind(name, node.value if single else None)
            elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                value = node.value if isinstance(node, ast.AnnAssign | ast.NamedExpr) else None
                for name in _names(node.target):
                    self._bind(name, value)
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                for name in _names(node.target):
                    self._bind(name, None)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                for name in _names(node.optional_vars):
                    self._bind(name, None)
            elif (
                isinstance(
                    node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.ExceptHandler
                )
                and node.name
            ):
                self._bind(node.name, None)

    def bind_arguments(self, args: ast.arguments) -> None:
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                self._bind(arg.arg, None)

    def _bind(self, name: str, value: ast.expr | None) -> None:
        self.bound.add(name)
        count = self.counts[name] = self.counts.get(name, 0) + 1
        if isinstance(value, ast.Call) and last_name(value.func) in LOADERS:
            self.objects.add(name)
        if value is not None and count == 1:
            self.exprs[name] = value
        else:
            self.exprs.pop(name, None)

    def lookup(self, name: str) -> tuple[Scope | None, ast.expr | None]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bound:
                return scope, scope.exprs.get(name)
            scope = scope.parent
        return None, None

    def module_root(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def qualified(self, name: str) -> str:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.imports:
                return scope.imports[name]
            if name in scope.bound:
                return name
            scope = scope.parent
        return name


def _own_nodes(body: Sequence[ast.stmt]) -> Iterator[ast.AST]:
    """Nodes of a body that bind in its scope: not inside nested functions, lambdas or classes."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Lambda):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _names(target: ast.AST) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _names(element)
    elif isinstance(target, ast.Starred):
        yield from _names(target.value)


def last_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def dotted(func: ast.expr, scope: Scope) -> str | None:
    """``tf.AutoModel.from_pretrained`` -> ``transformers.AutoModel.from_pretrained``."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Call):  # HfApi().hf_hub_download
        inner = dotted(func.func, scope)
        return ".".join([inner or "?", *reversed(parts)])
    if not isinstance(func, ast.Name):
        return None
    return ".".join([scope.qualified(func.id), *reversed(parts)])
