"""Keras, TensorFlow and ONNX model files built for the scanner, without those frameworks.

Keras files are written in the layout Keras 3 and ``tf.keras`` write (a ``.keras`` zip with
``config.json``, ``metadata.json`` and ``model.weights.h5``; an HDF5 file with the JSON
config in the root ``model_config`` attribute), with ``h5py`` for the HDF5 parts.
SavedModels are protobuf bytes written with :func:`mlsc.scan.protobuf.encode_field` to the
field numbers of TensorFlow's ``.proto`` files. ONNX models are built with ``onnx.helper``.
Nothing here is ever loaded by a framework.
"""

from __future__ import annotations

import base64
import io
import json
import marshal
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlsc.scan.protobuf import encode_field as fld

# --- Keras -----------------------------------------------------------------------------


def dense(name: str, units: int = 4) -> dict[str, Any]:
    """A Keras 3 Dense layer config."""
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": name, "units": units, "activation": "relu", "use_bias": True},
        "registered_name": None,
    }


def lambda_code() -> str:
    """Base64 of marshalled bytecode, as ``func_dump`` writes it (compiled, never run)."""
    code = compile("lambda x: __import__('os').system('id')", "<lambda>", "eval")
    return base64.b64encode(marshal.dumps(code)).decode()


def keras3_lambda() -> dict[str, Any]:
    """A Keras 3 Lambda layer whose function is a ``__lambda__`` (CVE-2024-3660)."""
    return {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "name": "evil_lambda",
            "function": {
                "class_name": "__lambda__",
                "config": {"code": lambda_code(), "defaults": None, "closure": None},
            },
        },
        "registered_name": None,
    }


def function_lambda(module: str, fn: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A Keras 3 Lambda layer whose function is ``module.fn`` by reference."""
    return {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "name": f"call_{fn}",
            "function": {
                "module": module,
                "class_name": "function",
                "config": fn,
                "registered_name": "function",
            },
            "arguments": arguments,
        },
        "registered_name": None,
    }


def sequential(*layers: dict[str, Any]) -> dict[str, Any]:
    """A Keras 3 Sequential model config around ``layers``."""
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": list(layers)},
        "registered_name": None,
        "compile_config": None,
    }


def weights_h5(path: Path) -> Path:
    """A small ``model.weights.h5`` as Keras writes it (groups of variables)."""
    import h5py
    import numpy as np

    with h5py.File(path, "w") as f:
        g = f.create_group("layers/dense/vars")
        g.create_dataset("0", data=np.zeros((4, 4), dtype="float32"))
        g.create_dataset("1", data=np.zeros((4,), dtype="float32"))
    return path


def keras_zip(path: Path, config: dict[str, Any], npz: bytes | None = None) -> Path:
    """A ``.keras`` zip: ``metadata.json``, ``config.json``, and ``model.weights.h5`` (or
    ``model.weights.npz`` with the bytes ``npz``)."""
    meta = {"keras_version": "3.10.0", "date_saved": "2026-01-01@00:00:00"}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps(meta))
        zf.writestr("config.json", json.dumps(config))
        if npz is not None:
            zf.writestr("model.weights.npz", npz)
        else:
            weights = weights_h5(path.with_suffix(".weights.tmp"))
            zf.write(weights, "model.weights.h5")
            weights.unlink()
    return path


def npz_bytes(members: dict[str, bytes]) -> bytes:
    """A ``.npz`` (a zip of ``.npy`` members) in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def legacy_h5(path: Path, layers: list[dict[str, Any]] | None, userblock: int = 0) -> Path:
    """A ``tf.keras`` HDF5 model: ``model_config`` (and weights) in one HDF5 file; with
    ``layers=None`` a weights-only file. ``userblock`` moves the HDF5 signature."""
    import h5py
    import numpy as np

    kwargs: dict[str, Any] = {"userblock_size": userblock} if userblock else {}
    with h5py.File(path, "w", **kwargs) as f:
        if layers is not None:
            config = {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}
            f.attrs["model_config"] = json.dumps(config)
            f.attrs["keras_version"] = "2.15.0"
            f.attrs["backend"] = "tensorflow"
        f.create_dataset("model_weights/dense/kernel:0", data=np.zeros((2, 2), "float32"))
    return path


def legacy_dense(name: str) -> dict[str, Any]:
    """A ``tf.keras`` 2 Dense layer config (no ``module`` key)."""
    return {"class_name": "Dense", "config": {"name": name, "units": 2, "activation": "relu"}}


def legacy_lambda() -> dict[str, Any]:
    """A ``tf.keras`` 2 Lambda layer: ``func_dump``'s ``[code, defaults, closure]``."""
    return {
        "class_name": "Lambda",
        "config": {
            "name": "lambda",
            "function": [lambda_code(), None, None],
            "function_type": "lambda",
            "module": "__main__",
            "output_shape": None,
            "output_shape_type": "raw",
            "arguments": {},
        },
    }


# --- TensorFlow ------------------------------------------------------------------------


def node(name: str, op: str, attrs: dict[str, bytes] | None = None) -> bytes:
    """A NodeDef: ``name = 1``, ``op = 2``, ``attr = 5`` (map entries of AttrValue bytes)."""
    out = fld(1, name) + fld(2, op)
    for key, value in (attrs or {}).items():
        out += fld(5, fld(1, key) + fld(2, value))
    return out


def attr_s(text: str) -> bytes:
    """An AttrValue holding a string (``s = 2``)."""
    return fld(2, text)


def attr_func(name: str) -> bytes:
    """An AttrValue holding a function reference (``func = 10``, ``NameAttrList.name = 1``)."""
    return fld(10, fld(1, name))


def function(name: str, *nodes: bytes) -> bytes:
    """A FunctionDef: ``signature = 1`` (``OpDef.name = 1``), ``node_def = 3``."""
    return fld(1, fld(1, name)) + b"".join(fld(3, n) for n in nodes)


def graph_def(nodes: Sequence[bytes], functions: Sequence[bytes] = ()) -> bytes:
    """A GraphDef: ``node = 1``, ``library = 2`` (``FunctionDefLibrary.function = 1``)."""
    out = b"".join(fld(1, n) for n in nodes)
    if functions:
        out += fld(2, b"".join(fld(1, f) for f in functions))
    return out


def saved_model(gd: bytes) -> bytes:
    """A SavedModel: ``saved_model_schema_version = 1``, ``meta_graphs = 2`` with
    ``MetaGraphDef.graph_def = 2``."""
    return fld(1, 1) + fld(2, fld(2, gd))


def saver_graph(extra_nodes: Sequence[bytes] = (), extra_fns: Sequence[bytes] = ()) -> bytes:
    """A TF2 Keras-like SavedModel graph: variables, a serving function, and the saver
    functions ``__inference__traced_save_91``/``__inference__traced_restore_120``."""
    serving = function(
        "__inference_serving_default_42",
        node("dense/MatMul/ReadVariableOp", "ReadVariableOp"),
        node("dense/MatMul", "MatMul"),
        node("dense/BiasAdd", "BiasAdd"),
        node("dense/Relu", "Relu"),
        node("Identity", "Identity"),
    )
    save = function(
        "__inference__traced_save_91",
        node("StaticRegexFullMatch", "StaticRegexFullMatch"),
        node("Select", "Select"),
        node("StringJoin", "StringJoin"),
        node("ShardedFilename", "ShardedFilename"),
        node("SaveV2", "SaveV2"),
        node("MergeV2Checkpoints", "MergeV2Checkpoints"),
        node("NoOp", "NoOp"),
    )
    restore = function(
        "__inference__traced_restore_120",
        node("RestoreV2", "RestoreV2"),
        node("AssignVariableOp", "AssignVariableOp"),
    )
    nodes = [
        node("serving_default_input", "Placeholder"),
        node("dense/kernel", "VarHandleOp"),
        node(
            "StatefulPartitionedCall",
            "StatefulPartitionedCall",
            {"f": attr_func("__inference_serving_default_42")},
        ),
        node("saver_filename", "Placeholder"),
        node(
            "StatefulPartitionedCall_1",
            "StatefulPartitionedCall",
            {"f": attr_func("__inference__traced_save_91")},
        ),
        node(
            "StatefulPartitionedCall_2",
            "StatefulPartitionedCall",
            {"f": attr_func("__inference__traced_restore_120")},
        ),
        *extra_nodes,
    ]
    return graph_def(nodes, [serving, save, restore, *extra_fns])


def keras_metadata(layers: list[dict[str, Any]]) -> bytes:
    """``keras_metadata.pb``: ``SavedMetadata.nodes = 1`` of ``SavedObject`` (``node_id =
    2``, ``node_path = 3``, ``identifier = 4``, ``metadata = 5``)."""
    out = b""
    for i, layer in enumerate(layers):
        obj = fld(2, i + 1) + fld(3, f"root.layer-{i}") + fld(4, "_tf_keras_layer")
        out += fld(1, obj + fld(5, json.dumps(layer)))
    return out


# --- ONNX ------------------------------------------------------------------------------


def onnx_model(
    path: Path,
    external: str | None = None,
    domain: str = "",
    in_subgraph: bool = False,
) -> Path:
    """An ONNX model made with ``onnx.helper``: ``Y = Relu(X + W)``; ``W`` stored externally
    at ``external`` if given (in an ``If`` branch's constant when ``in_subgraph``), the Relu
    in op ``domain``. Written with ``SerializeToString`` so no path is checked or read."""
    import onnx
    from onnx import TensorProto, helper

    w = helper.make_tensor("W", TensorProto.FLOAT, [2], [1.0, 2.0])
    if external is not None:
        w.ClearField("float_data")
        w.data_location = TensorProto.EXTERNAL
        for k, v in (("location", external), ("offset", "0"), ("length", "8")):
            entry = w.external_data.add()
            entry.key, entry.value = k, v
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2])
    relu = helper.make_node("Relu", ["S"], ["Y"], name="relu", domain=domain)
    opsets = [helper.make_opsetid("", 17)]
    if domain:
        opsets.append(helper.make_opsetid(domain, 1))
    if in_subgraph:
        const = helper.make_node("Constant", [], ["Wc"], name="wconst", value=w)
        branch = helper.make_graph(
            [const], "then", [], [helper.make_tensor_value_info("Wc", TensorProto.FLOAT, [2])]
        )
        cond = helper.make_tensor("C", TensorProto.BOOL, [], [True])
        iff = helper.make_node(
            "If", ["C"], ["Wb"], name="if", then_branch=branch, else_branch=branch
        )
        add = helper.make_node("Add", ["X", "Wb"], ["S"], name="add")
        graph = helper.make_graph([iff, add, relu], "g", [x], [y], [cond])
    else:
        add = helper.make_node("Add", ["X", "W"], ["S"], name="add")
        graph = helper.make_graph([add, relu], "g", [x], [y], [w])
    model = helper.make_model(graph, opset_imports=opsets, producer_name="mlsc-tests")
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    assert isinstance(onnx.ModelProto.FromString(path.read_bytes()), onnx.ModelProto)
    return path
