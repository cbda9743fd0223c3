"""Model references in Python source, read with :mod:`ast` (the code is never imported or run).

    >>> refs = python_references('from transformers import AutoModel\\n'
    ...                          'm = AutoModel.from_pretrained("bert-base-uncased")\\n', "app.py")
    >>> [(r.line, r.model, r.call, r.revision_kind) for r in refs]
    [(2, 'bert-base-uncased', 'from_pretrained', 'none')]

What counts as a loader (the *call* recorded in brackets):

- ``X.from_pretrained(id)`` on any class or object (``from_pretrained``); for ``PeftModel``
  (and ``PeftModelFor...``) the id is the second positional argument (``model_id=``);
- ``transformers.pipeline(task, id)`` / ``pipeline(model=id)`` and its ``tokenizer=``,
  ``feature_extractor=`` and ``image_processor=`` (``pipeline``);
- ``huggingface_hub`` helpers taking a ``repo_id`` (``hf_hub_download``, ``snapshot_download``,
  ``list_repo_files`` ...), as functions or ``HfApi`` methods; a ``repo_type`` other than
  ``model`` is not a model reference;
- diffusers ``pipe.load_lora_weights(id)``, ``load_textual_inversion``, ``load_ip_adapter``;
- ``SentenceTransformer(id)`` (a single name that is not a plain transformers model gets the
  ``sentence-transformers/`` prefix, as the library does) and ``CrossEncoder(id)``;
- timm / open_clip ``create_model*("hf-hub:owner/name[@revision]")``: only ``hf-hub:`` names
  are hub references, a plain ``"resnet50"`` is not, and a computed name is not recorded;
- ``torch.hub.load("owner/repo[:ref]", entry)``: a GitHub repository (``hub="github"``).

The id is a string literal (confidence 1.0), or a name bound once to a string (a module or
function constant; f-strings and ``+`` of such constants too) (0.9); anything else is recorded
with ``model=None`` and confidence 0.0 (*dynamic*), except values that are plainly model
objects (a name bound to a loader's result) or local paths (``os.path.join``, ``Path``).
A ``revision=`` (or ``commit_hash=``) that cannot be resolved gives ``revision=None``,
``revision_kind="none"`` and ``revision_dynamic=True``: mlsc cannot show a pin, so it is not
pinned. Literals that are local paths or not valid Hub ids are not references. The line is
the line where the call starts.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence

from mlsc.code import python_names as names
from mlsc.code.python_names import (
    ADAPTER_LOADERS,
    CREATE_MODEL,
    FILE_SUFFIXES,
    HUB_HELPERS,
    LOADER_WORDS,
    LOADERS,
    MAX_ID,
    PATH_CALLS,
    PIPELINE_PARTS,
    ST_BASIC,
    Scope,
    last_name,
)
from mlsc.code.references import ModelReference, revision_kind
from mlsc.vocab import is_valid_repo_id


def hub_id(value: str, *, owner_required: bool = False) -> bool:
    """True when a string names a Hub repository rather than a local path or a plain word."""
    if not value or len(value) > MAX_ID or value[0] in "./~" or "\\" in value:
        return False
    if value.count("/") > 1 or value.lower().endswith(FILE_SUFFIXES):
        return False
    if owner_required and "/" not in value:
        return False
    return is_valid_repo_id(value)


def python_references(source: str | bytes, file: str) -> list[ModelReference]:
    """Every model reference in one Python module (``SyntaxError``/``RecursionError`` propagate)."""
    tree = ast.parse(source)  # always: a file that does not parse is reported
    if not might_load(source):
        return []
    return references_in_modules([(tree, lambda line: line)], file, "python")


def might_load(source: str | bytes) -> bool:
    """False when no loader's name is written in the source (most modules): nothing to find.

    Sound because every loader is named in the text, at its call or at its import (an alias).
    """
    text = source if isinstance(source, str) else source.decode("latin-1")
    return any(word in text for word in LOADER_WORDS)


def references_in_modules(
    modules: Sequence[tuple[ast.Module, Callable[[int], int]]], file: str, evidence: str
) -> list[ModelReference]:
    """References in modules that share one namespace (a notebook's cells), in order.

    Each module comes with the function that maps its line numbers to the file's.
    """
    module_scope = Scope(None)
    declared_global: set[str] = set()
    for tree, _ in modules:
        module_scope.bind_body(tree.body)
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                declared_global.update(node.names)
    for name in declared_global:
        module_scope.exprs.pop(name, None)
    found: list[ModelReference] = []
    for tree, line_of in modules:
        reader = _Reader(file, evidence, line_of, module_scope)
        found.extend(reader.read(tree))
    return found


class _Reader:
    def __init__(self, file: str, evidence: str, line_of: Callable[[int], int], module: Scope):
        self.file, self.evidence, self.line_of, self.module = file, evidence, line_of, module

    def read(self, tree: ast.Module) -> Iterator[ModelReference]:
        stack: list[tuple[ast.AST, Scope]] = [(tree, self.module)]
        while stack:
            node, scope = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = Scope(scope)
                inner.bind_arguments(node.args)
                body = node.body if isinstance(node.body, list) else [ast.Expr(node.body)]
                inner.bind_body(body)
                outer = [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
                if not isinstance(node, ast.Lambda):
                    outer.extend(node.decorator_list)
                stack.extend((child, scope) for child in reversed(outer))
                stack.extend((child, inner) for child in reversed(body))
                continue
            if isinstance(node, ast.Call):
                yield from self.call(node, scope)
            stack.extend((child, scope) for child in reversed(list(ast.iter_child_nodes(node))))

    # -- the loaders ----------------------------------------------------------------------------

    def call(self, node: ast.Call, scope: Scope) -> Iterator[ModelReference]:
        name = last_name(node.func)
        if name is None:
            return
        dotted = names.dotted(node.func, scope) or name
        if isinstance(node.func, ast.Name):  # an imported alias: pipeline as p
            name = dotted.rsplit(".", 1)[-1]
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if name == "from_pretrained":
            receiver = dotted.rsplit(".", 2)[-2] if "." in dotted else ""
            if receiver.startswith("PeftModel") or receiver.startswith("PeftMixedModel"):
                arg = _argument(node, 1, keywords, "model_id")
            else:
                arg = _argument(node, 0, keywords, "pretrained_model_name_or_path", "repo_id",
                                "model_id", "model_name_or_path")  # fmt: skip
            yield from self.reference(node, arg, keywords, scope, "from_pretrained")
        elif name == "pipeline" and self.imported(dotted, "transformers", name, scope):
            arg = _argument(node, 1, keywords, "model")
            yield from self.reference(node, arg, keywords, scope, "pipeline")
            for part in PIPELINE_PARTS:
                if part in keywords:
                    yield from self.reference(node, keywords[part], keywords, scope, "pipeline")
        elif name in HUB_HELPERS and (
            isinstance(node.func, ast.Attribute)
            or self.imported(dotted, "huggingface_hub", name, scope)
        ):
            repo_type = self.resolve(keywords.get("repo_type"), scope)
            if repo_type is None or repo_type[0] == "model":
                arg = _argument(node, 0, keywords, "repo_id")
                yield from self.reference(node, arg, keywords, scope, name)
        elif name in ADAPTER_LOADERS and isinstance(node.func, ast.Attribute):
            arg = _argument(node, 0, keywords, "pretrained_model_name_or_path_or_dict")
            yield from self.reference(node, arg, keywords, scope, name)
        elif name in ("SentenceTransformer", "CrossEncoder"):
            arg = _argument(node, 0, keywords, "model_name_or_path", "model_name")
            yield from self.reference(node, arg, keywords, scope, name)
        elif name in CREATE_MODEL:
            yield from self.create_model(node, keywords, scope, name)
        elif name == "load" and dotted.endswith("hub.load") and dotted.startswith("torch."):
            yield from self.torch_hub(node, keywords, scope)

    def imported(self, dotted: str, module: str, name: str, scope: Scope) -> bool:
        """Whether a call resolves to ``module.name`` (by import, alias or star import)."""
        if dotted.startswith(module + ".") and dotted.endswith("." + name):
            return True
        root = scope.module_root()
        return dotted == name and module in root.star and name not in root.bound

    def reference(
        self, node: ast.Call, arg: ast.expr | None, keywords: dict[str, ast.expr],
        scope: Scope, call: str, *, hub: str = "huggingface",
    ) -> Iterator[ModelReference]:  # fmt: skip
        if arg is None or self.not_an_id(arg, scope):
            return
        resolved = self.resolve(arg, scope)
        model: str | None = None
        confidence = 0.0
        if resolved is not None:
            value, confidence = resolved
            if call == "SentenceTransformer" and "/" not in value and value not in ST_BASIC:
                value = "sentence-transformers/" + value
            if not hub_id(value):
                return
            model = value
        revision, dynamic = self.revision(keywords, scope)
        yield self.make(node, model, revision, dynamic, call, confidence, hub)

    def revision(self, keywords: dict[str, ast.expr], scope: Scope) -> tuple[str | None, bool]:
        arg = keywords.get("revision", keywords.get("commit_hash"))
        if arg is None or (isinstance(arg, ast.Constant) and arg.value is None):
            return None, False
        resolved = self.resolve(arg, scope)
        return (resolved[0], False) if resolved else (None, True)

    def make(
        self, node: ast.Call, model: str | None, revision: str | None, dynamic: bool,
        call: str, confidence: float, hub: str,
    ) -> ModelReference:  # fmt: skip
        return ModelReference(
            file=self.file, line=self.line_of(node.lineno), model=model, revision=revision,
            revision_kind=revision_kind(revision), call=call, evidence=self.evidence,
            confidence=confidence, hub="github" if hub == "github" else "huggingface",
            revision_dynamic=dynamic,
        )  # fmt: skip

    def create_model(
        self, node: ast.Call, keywords: dict[str, ast.expr], scope: Scope, call: str
    ) -> Iterator[ModelReference]:
        arg = _argument(node, 0, keywords, "model_name")
        resolved = self.resolve(arg, scope)
        if resolved is None:
            return
        value, confidence = resolved
        for prefix in ("hf-hub:", "hf_hub:"):
            if value.startswith(prefix):
                model, _, revision = value[len(prefix) :].partition("@")
                if hub_id(model, owner_required=True):
                    rev, dynamic = (revision, False) if revision else self.revision(keywords, scope)
                    yield self.make(node, model, rev, dynamic, call, confidence, "huggingface")

    def torch_hub(
        self, node: ast.Call, keywords: dict[str, ast.expr], scope: Scope
    ) -> Iterator[ModelReference]:
        source = self.resolve(keywords.get("source"), scope)
        if source is not None and source[0] != "github":
            return
        arg = _argument(node, 0, keywords, "repo_or_dir")
        if arg is None or self.not_an_id(arg, scope):
            return
        resolved = self.resolve(arg, scope)
        if resolved is None:
            yield self.make(node, None, None, False, "torch.hub.load", 0.0, "github")
            return
        value, confidence = resolved
        repo, _, ref = value.partition(":")
        if hub_id(repo, owner_required=True):
            yield self.make(node, repo, ref or None, False, "torch.hub.load", confidence, "github")

    # -- values ---------------------------------------------------------------------------------

    def not_an_id(self, arg: ast.expr, scope: Scope) -> bool:
        """A model object, a local path, or not a string at all: nothing to record."""
        if isinstance(arg, ast.Name):
            owner, _ = scope.lookup(arg.id)
            return owner is not None and arg.id in owner.objects
        if isinstance(arg, ast.Call):
            return last_name(arg.func) in PATH_CALLS | LOADERS
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Div):
            return True  # pathlib: base / "model"
        if isinstance(arg, ast.Constant):
            return not isinstance(arg.value, str)
        return isinstance(arg, ast.List | ast.Tuple | ast.Dict | ast.Set | ast.Lambda)

    def resolve(
        self, arg: ast.expr | None, scope: Scope, depth: int = 0
    ) -> tuple[str, float] | None:
        """A string value and its confidence (1.0 literal, 0.9 via names), else None."""
        if arg is None or depth > 20:
            return None
        if isinstance(arg, ast.Constant):
            return (arg.value, 1.0) if isinstance(arg.value, str) else None
        parts: list[ast.expr]
        if isinstance(arg, ast.Name):
            owner, expr = scope.lookup(arg.id)
            if owner is None or expr is None:
                return None
            found = self.resolve(expr, owner, depth + 1)
            return (found[0], 0.9) if found else None
        if isinstance(arg, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.FormattedValue) else v for v in arg.values]
            if any(isinstance(v, ast.FormattedValue) and (v.format_spec or v.conversion != -1)
                   for v in arg.values):  # fmt: skip
                return None
        elif isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add):
            parts = [arg.left, arg.right]
        else:
            return None
        values = [self.resolve(part, scope, depth + 1) for part in parts]
        if any(value is None for value in values):
            return None
        return "".join(v[0] for v in values if v), 0.9


def _argument(
    node: ast.Call, position: int, keywords: dict[str, ast.expr], *names: str
) -> ast.expr | None:
    for name in names:
        if name in keywords:
            return keywords[name]
    if any(isinstance(arg, ast.Starred) for arg in node.args[: position + 1]):
        return None
    return node.args[position] if len(node.args) > position else None
