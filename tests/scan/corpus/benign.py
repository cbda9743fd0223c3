"""Benign files: what real libraries write, which no scanner should flag.

Each file is written at build time by the library that writes it in real life (NumPy,
safetensors, gguf, ONNX, h5py, the standard pickle module): nothing is copied from
elsewhere and nothing is ever loaded. scikit-learn and joblib files are the exception (both
libraries too heavy for the tests): ``tests/scan/data/make_benign.py`` wrote them with
scikit-learn and joblib, they are committed in ``tests/scan/data/benign/`` and copied. A library that is not installed leaves its samples
out; :data:`SKIPPED` says which and why (the benchmark prints it).

Left out on purpose:

- NumPy object arrays (``.npy`` with ``dtype=object``): they are pickles, and what loading
  them does depends on the objects;
- PyTorch files written by ``torch.save`` (torch is not installed: multi-GB);
  :func:`tests.scan.builders.torch_state_dict_pickle` stands in, byte for byte.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import importlib.util
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.scan import builders as b
from tests.scan.corpus import Sample

SKIPPED: list[tuple[str, str]] = []
"""``(sample name, reason)`` for each benign sample left out because its library is absent."""

_PLAIN = {
    "name": "model",
    "layers": [1, 2, 3],
    "lr": 0.001,
    "big": 2**70,
    "neg": -5,
    "flags": (True, False, None),
    "blob": b"\x00\x01bytes",
    "text": "ünïcode ✓",
    "nested": {"k": [{}, [], ()]},
}
"""Plain data: every type the pickle protocol encodes without importing anything."""


_DATA = Path(__file__).parent.parent / "data" / "benign"
_SKLEARN = {
    "sklearn-logistic.joblib": "joblib.dump of a fitted LogisticRegression",
    "sklearn-pipeline.joblib": "joblib.dump(compress=3) of a StandardScaler + "
    "LogisticRegression Pipeline (zlib)",
    "sklearn-forest.joblib": "joblib.dump of a RandomForestClassifier (tree nodes: structured "
    "dtype arrays)",
    "sklearn-tree.pkl": "pickle.dumps(protocol=5) of a DecisionTreeClassifier",
    "sklearn-logistic-p2.pkl": "pickle.dumps(protocol=2) of a LogisticRegression",
    "numpy-arrays.joblib": "joblib.dump of a dict of two numpy arrays",
}
"""The committed scikit-learn 1.9.1 / joblib 1.6.0 files, and what each is."""


def _committed(name: str) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        return Path(shutil.copyfile(_DATA / name, d / name))

    return build


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _torch_state_dict(d: Path) -> Path:
    return b.torch_zip(d / "pytorch_model.bin", b.torch_state_dict_pickle())


def _plain_pickle(protocol: int) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        p = d / f"config-p{protocol}.pkl"
        p.write_bytes(pickle.dumps(_PLAIN, protocol=protocol))
        return p

    return build


def _stdlib_pickles(d: Path) -> Path:
    """A directory of standard-library values pickled in every protocol: sets, frozensets,
    bytearrays, OrderedDict, defaultdict, datetime, Decimal and complex (each imports its
    class or a copyreg helper in at least one protocol)."""
    values = {
        "sets": {"s": {1, 2}, "f": frozenset({3})},
        "bytearray": bytearray(b"zz"),
        "ordered": collections.OrderedDict(a=1, b=[2]),
        "default": collections.defaultdict(list, a=[1]),
        "when": (datetime.datetime(2020, 1, 2, 3, 4, 5), datetime.date(2021, 1, 1)),
        "decimal": decimal.Decimal("1.5"),
        "complex": 1 + 2j,
    }
    out = d / "stdlib"
    out.mkdir()
    for name, value in values.items():
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            (out / f"{name}-p{protocol}.pkl").write_bytes(pickle.dumps(value, protocol=protocol))
    return out


def _numpy_pickles(d: Path) -> Path:
    """NumPy arrays and scalars pickled as joblib and scikit-learn models hold them
    (``numpy.core.multiarray._reconstruct`` / ``_frombuffer``, ``numpy.dtype``)."""
    import numpy as np

    values = {
        "weights": np.arange(12, dtype=np.float32).reshape(3, 4),
        "ints": np.array([1, 2, 3], dtype=np.int64),
        "scalar": np.float64(1.5),
    }
    out = d / "numpy-pickles"
    out.mkdir()
    for name, value in values.items():
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            (out / f"{name}-p{protocol}.pkl").write_bytes(pickle.dumps(value, protocol=protocol))
    return out


def _npy(version: tuple[int, int]) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        import numpy as np

        p = d / f"weights-v{version[0]}.npy"
        with p.open("wb") as f:
            np.lib.format.write_array(f, np.arange(24, dtype="<f4").reshape(2, 3, 4), version)
        return p

    return build


def _npz(compressed: bool) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        import numpy as np

        p = d / ("arrays-compressed.npz" if compressed else "arrays.npz")
        save = np.savez_compressed if compressed else np.savez
        save(p, w=np.ones((2, 2), dtype=np.float16), b=np.arange(3, dtype=np.int8))
        return p

    return build


def _safetensors(d: Path) -> Path:
    import numpy as np
    from safetensors.numpy import save_file

    p = d / "model.safetensors"
    tensors = {"w": np.ones((4, 4), dtype=np.float32), "b": np.zeros(4, dtype=np.float16)}
    save_file(tensors, str(p), metadata={"format": "np"})
    return p


def _gguf(d: Path) -> Path:
    import gguf
    import numpy as np

    p = d / "model.gguf"
    w = gguf.GGUFWriter(str(p), "llama")
    w.add_name("tiny")
    w.add_context_length(128)
    w.add_tensor("tok_embd.weight", np.ones((4, 8), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return p


def _onnx(d: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    bias = helper.make_tensor("bias", TensorProto.FLOAT, [1, 2], [0.5, -0.5])
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "bias"], ["y"])], "g", [x], [y], [bias]
    )
    p = d / "model.onnx"
    onnx.save(helper.make_model(graph), str(p))
    return p


def _h5(d: Path) -> Path:
    import h5py
    import numpy as np

    p = d / "weights.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("dense/kernel", data=np.ones((2, 2), dtype=np.float32))
        f.attrs["note"] = "plain HDF5 weights, no model config"
    return p


def _samples() -> list[Sample]:
    found = [
        Sample(
            "benign-torch-state-dict-bytes",
            "a torch.save state dict, written byte by byte as PyTorch writes it",
            False,
            _torch_state_dict,
            "clean",
        ),
        *(
            Sample(
                f"benign-pickle-plain-data-p{proto}",
                f"pickle.dumps of plain dicts, lists, numbers, strings and bytes, protocol {proto}",
                False,
                _plain_pickle(proto),
                "clean",
            )
            for proto in range(pickle.HIGHEST_PROTOCOL + 1)
        ),
        *(
            Sample(
                f"benign-{name.replace('.', '-')}",
                f"scikit-learn 1.9.1 / joblib 1.6.0: {what} (tests/scan/data/benign)",
                False,
                _committed(name),
                "clean",
            )
            for name, what in _SKLEARN.items()
        ),
        Sample(
            "benign-pickle-stdlib-values",
            "pickle.dumps of sets, bytearray, OrderedDict, defaultdict, datetime, Decimal, "
            "complex in protocols 0-5 (a directory)",
            False,
            _stdlib_pickles,
            "clean",
        ),
    ]
    by_library: list[tuple[str, list[Sample]]] = [
        (
            "numpy",
            [
                Sample(
                    "benign-pickle-numpy-arrays",
                    "pickle.dumps of NumPy arrays and scalars, protocols 2-5 (how joblib and "
                    "scikit-learn models hold arrays; a directory)",
                    False,
                    _numpy_pickles,
                    "clean",
                ),
                *(
                    Sample(
                        f"benign-npy-v{v[0]}",
                        f"numpy.lib.format.write_array, float32, format version {v[0]}.0",
                        False,
                        _npy(v),
                        "clean",
                    )
                    for v in ((1, 0), (2, 0), (3, 0))
                ),
                Sample("benign-npz", "numpy.savez of two arrays", False, _npz(False), "clean"),
                Sample(
                    "benign-npz-compressed",
                    "numpy.savez_compressed (deflated zip members)",
                    False,
                    _npz(True),
                    "clean",
                ),
            ],
        ),
        (
            "safetensors",
            [
                Sample(
                    "benign-safetensors",
                    "safetensors.numpy.save_file of two tensors with metadata",
                    False,
                    _safetensors,
                    "clean",
                )
            ],
        ),
        (
            "gguf",
            [
                Sample(
                    "benign-gguf",
                    "gguf.GGUFWriter: llama architecture, name, context length, one tensor",
                    False,
                    _gguf,
                    "clean",
                )
            ],
        ),
        (
            "onnx",
            [
                Sample(
                    "benign-onnx-add",
                    "onnx.helper: a one-node Add graph with an initializer, saved by onnx.save",
                    False,
                    _onnx,
                    "clean",
                )
            ],
        ),
        (
            "h5py",
            [
                Sample(
                    "benign-hdf5-weights",
                    "h5py: an HDF5 file with one weights dataset and an attribute",
                    False,
                    _h5,
                    "clean",
                )
            ],
        ),
    ]
    for library, samples in by_library:
        if _have(library):
            found += samples
        else:
            SKIPPED.extend((s.name, f"{library} is not installed") for s in samples)
    return found


SAMPLES: list[Sample] = _samples()
