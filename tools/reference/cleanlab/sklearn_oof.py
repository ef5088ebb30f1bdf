"""A peer for Cadre's out-of-fold heads: scikit-learn's LogisticRegression (standardized features, lbfgs) under
5-fold cross-validation on the same embeddings, then confident_learning.py's label issues. Not a test fixture:
a side-by-side check whose figures are in docs/RESULTS.md.

Usage: /usr/bin/python3 sklearn_oof.py EMBEDDINGS.safetensors TRAIN.tsv LABEL_COLUMN_INDEX C [C ...]
EMBEDDINGS is an entry of CADRE_HOME/cache/embeddings written by `cadre data check` for TRAIN.tsv (rows in file order).
"""
import json
import struct
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from confident_learning import find_label_issues


def main():
    path, tsv, col = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    entry = json.loads(data[8:8 + n])["embeddings"]
    begin, end = entry["data_offsets"]
    x = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=np.float32).reshape(entry["shape"])
    rows = [line.rstrip("\n").split("\t") for line in open(tsv, encoding="utf-8")][1:]
    labels = sorted(set(r[col] for r in rows))
    y = np.array([labels.index(r[col]) for r in rows])
    for c in (float(v) for v in sys.argv[4:]):
        start = time.time()
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
        p = cross_val_predict(model, x, y, cv=StratifiedKFold(5, shuffle=True, random_state=0), method="predict_proba")
        _, _, ranked = find_label_issues(y, p.astype(np.float64))
        print(f"C={c}: out-of-fold accuracy {(p.argmax(1) == y).mean():.4f}, {len(ranked)} issues, {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
