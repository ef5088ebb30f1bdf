"""Golden multilabel (scikit-learn) and regression (scikit-learn, scipy) metrics for Cadre's MetricsTests.

Usage: /usr/bin/python3 make_golden_tasks.py  ->  ../golden/metrics/multilabel.json, regression.json
Multilabel cases give every label gold and predicted rows, so sklearn's zero_division convention never applies.
"""
import json
import os
import random

import scipy
import sklearn
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import (accuracy_score, f1_score, hamming_loss, mean_absolute_error, mean_squared_error,
                             precision_recall_fscore_support)

here = os.path.dirname(__file__)
random.seed(12)

cases = []
for k, n in [(3, 40), (5, 150)]:
    while True:
        gold = [[1 if random.random() < 0.35 else 0 for _ in range(k)] for _ in range(n)]
        probs = [[round(min(1.0, max(0.0, 0.6 * g + random.random() * 0.7 - 0.15)), 6) for g in row] for row in gold]
        pred = [[1 if p >= 0.5 else 0 for p in row] for row in probs]
        if all(any(r[c] for r in gold) and any(r[c] for r in pred) for c in range(k)):
            break
    precision, recall, f1, support = precision_recall_fscore_support(gold, pred, zero_division=0)
    cases.append({
        "labels": [f"l{c}" for c in range(k)], "gold": gold, "probabilities": probs,
        "subset_accuracy": accuracy_score(gold, pred), "micro_f1": f1_score(gold, pred, average="micro"),
        "macro_f1": f1_score(gold, pred, average="macro"), "hamming_loss": hamming_loss(gold, pred),
        "precision": list(precision), "recall": list(recall), "f1": list(f1), "support": [int(s) for s in support],
    })
with open(os.path.join(here, "..", "golden", "metrics", "multilabel.json"), "w") as f:
    json.dump({"format_version": 1, "reference": f"scikit-learn {sklearn.__version__}", "cases": cases}, f)

cases = []
for n, ties in [(30, False), (200, True)]:
    gold = [round(random.gauss(3, 2), 0 if ties else 4) for _ in range(n)]  # rounding makes tied ranks
    pred = [round(g + random.gauss(0, 1.2), 0 if ties else 4) for g in gold]
    cases.append({
        "gold": gold, "predicted": pred, "mae": mean_absolute_error(gold, pred),
        "rmse": mean_squared_error(gold, pred) ** 0.5, "spearman": float(spearmanr(gold, pred).correlation),
        "pearson": float(pearsonr(gold, pred)[0]),
    })
with open(os.path.join(here, "..", "golden", "metrics", "regression.json"), "w") as f:
    json.dump({"format_version": 1, "reference": f"scikit-learn {sklearn.__version__}, scipy {scipy.__version__}", "cases": cases}, f)
print("wrote multilabel.json and regression.json")
