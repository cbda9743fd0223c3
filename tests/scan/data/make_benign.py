"""Writes the real scikit-learn / joblib files in tests/scan/data/benign/ (kept in the repo,
since scikit-learn and scipy are too heavy a test dependency for a few kilobytes of files).

Run it in a throwaway environment: ``python -m venv /tmp/skl && /tmp/skl/bin/pip install
scikit-learn joblib && /tmp/skl/bin/python tests/scan/data/make_benign.py``. The files were
made with scikit-learn 1.9.1, joblib 1.6.0 and numpy 2.4.6 (see VERSIONS in the folder).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

OUT = Path(__file__).parent / "benign"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    x, y = load_iris(return_X_y=True)
    logistic = LogisticRegression(max_iter=500).fit(x, y)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(x, y)
    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(x, y)
    joblib.dump(logistic, OUT / "sklearn-logistic.joblib")
    joblib.dump(pipeline, OUT / "sklearn-pipeline.joblib", compress=3)
    joblib.dump(forest, OUT / "sklearn-forest.joblib")
    (OUT / "sklearn-tree.pkl").write_bytes(pickle.dumps(tree, protocol=5))
    (OUT / "sklearn-logistic-p2.pkl").write_bytes(pickle.dumps(logistic, protocol=2))
    joblib.dump({"weights": np.arange(12.0).reshape(3, 4), "bias": np.zeros(3)},
                OUT / "numpy-arrays.joblib")  # fmt: skip
    (OUT / "VERSIONS").write_text(
        f"scikit-learn {sklearn.__version__}\njoblib {joblib.__version__}\nnumpy {np.__version__}\n"
    )


if __name__ == "__main__":
    main()
