"""Golden classification metrics from scikit-learn (Debian's python3-sklearn), for Cadre's MetricsTests.

Usage: /usr/bin/python3 make_golden.py  ->  ../golden/metrics/classification.json
ECE is computed here by hand (15 equal-width confidence bins, Guo et al. 2017); sklearn has no ECE.
"""
import json
import os
import random

import sklearn
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

random.seed(11)
cases = []
for k, n in [(2, 50), (4, 120), (6, 200)]:
    gold = [random.randrange(k) for _ in range(n)]
    probs = []
    for g in gold:
        raw = [random.random() for _ in range(k)]
        raw[g] += random.random() * 1.5  # a better-than-chance classifier
        s = sum(raw)
        probs.append([round(x / s, 6) for x in raw])
    pred = [max(range(k), key=lambda c: p[c]) for p in probs]
    precision, recall, f1, support = precision_recall_fscore_support(gold, pred, labels=list(range(k)), zero_division=0)
    bins = 15
    ece = 0.0
    for b in range(bins):
        idx = [i for i, p in enumerate(probs) if min(bins - 1, int(max(p) * bins)) == b]
        if idx:
            conf = sum(max(probs[i]) for i in idx) / len(idx)
            acc = sum(1 for i in idx if pred[i] == gold[i]) / len(idx)
            ece += len(idx) / n * abs(acc - conf)
    cases.append({
        "labels": [f"c{c}" for c in range(k)], "gold": gold, "probabilities": probs,
        "accuracy": accuracy_score(gold, pred), "macro_f1": f1_score(gold, pred, average="macro", zero_division=0),
        "precision": list(precision), "recall": list(recall), "f1": list(f1), "support": [int(s) for s in support],
        "ece": ece,
    })
out = os.path.join(os.path.dirname(__file__), "..", "golden", "metrics", "classification.json")
with open(out, "w") as f:
    json.dump({"format_version": 1, "reference": f"scikit-learn {sklearn.__version__}", "cases": cases}, f)
print("wrote", len(cases), "cases")
