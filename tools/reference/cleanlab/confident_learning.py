"""Confident learning restated in numpy from Northcutt, Jiang and Chuang (JAIR 2021), with the choices of
cleanlab 2.x's find_label_issues defaults (filter_by="prune_by_noise_rate", frac_noise=1,
min_examples_per_class=1, ranked by self-confidence). Writes the golden fixture Cadre's ConfidentLearningTests
compare against. cleanlab itself is not installed here; this file is written from the paper's definitions and
cleanlab's documented behaviour, not copied.

Usage: /usr/bin/python3 confident_learning.py  ->  ../golden/cleanlab/label_issues.json
Sorts are stable (ties by row), as in Cadre; numpy's default argsort is not.
"""
import json
import os

import numpy as np

EPS = 1e-6  # cleanlab's FLOATING_POINT_COMPARISON


def thresholds(labels, p, k):
    """t_j = mean of p[:, j] over rows labelled j; 2 (unreachable) for an absent class; floor 2e-6."""
    t = [p[labels == j, j].mean() if np.any(labels == j) else 2.0 for j in range(k)]
    return np.clip(np.array(t), 2 * EPS, None)


def round_preserving_sum(values):
    ints = np.round(values)
    target = np.round(values.sum())
    total = np.round(ints.sum())
    while abs(total - target) > EPS:
        diff = np.round(target - total)
        step = -1 if diff < 0 else 1
        changes = min(int(abs(diff)), len(values))
        # largest residuals first when adding, smallest when taking away; ties by the lower index
        residual = values - ints
        order = sorted(range(len(values)), key=lambda i: (-residual[i] if step > 0 else residual[i], i))
        for i in order[:changes]:
            ints[i] += step
        total = np.round(ints.sum())
    return ints.astype(int)


def confident_joint(labels, p, t):
    """C[given, true]: rows whose p_j >= t_j - eps for some j, counted at the most probable such j."""
    n, k = p.shape
    ok = p >= t - EPS
    count = ok.sum(axis=1)
    guess = np.where(count > 1, p.argmax(axis=1), ok.argmax(axis=1))
    c = np.zeros((k, k))
    for i in range(n):
        if count[i] > 0:
            c[labels[i], guess[i]] += 1
    np.fill_diagonal(c, np.maximum(c.diagonal(), 1))
    counts = np.bincount(labels, minlength=k)
    c = (c.T / np.maximum(c.sum(axis=1), 1e-100) * counts).T  # each row sums to its label count
    c = c / max(c.sum(), 1e-100) * counts.sum()
    return np.array([round_preserving_sum(row) for row in c])


def keep_at_least_one(cj):
    """On M = C transposed (M[true, given]): a zero diagonal becomes 1, taken from the column's noise counts."""
    m = cj.T.astype(float)
    diag = m.diagonal().copy()
    raised = np.maximum(diag, 1)
    nonzero = np.maximum(np.count_nonzero(m, axis=0) - 1.0, 1.0)
    out = m - (raised - diag) / nonzero
    out[out < 0] = 0
    np.fill_diagonal(out, raised)
    return out.astype(int)


def find_label_issues(labels, p):
    n, k = p.shape
    t = thresholds(labels, p, k)
    cj = confident_joint(labels, p, t)
    prune = keep_at_least_one(cj)
    issue = np.zeros(n, dtype=bool)
    for given in range(k):
        rows = np.where(labels == given)[0]
        if len(rows) <= 1:
            continue
        for true in range(k):
            take = prune[true, given]
            if true == given or take <= 0:
                continue
            margin = p[rows, true] - p[rows, given]
            order = sorted(range(len(rows)), key=lambda r: (-margin[r], rows[r]))
            issue[rows[order[:take]]] = True
    favoured = p.copy()
    favoured[np.arange(n), labels] += EPS
    issue[favoured.argmax(axis=1) == labels] = False
    found = np.where(issue)[0]
    self_conf = p[found, labels[found]]
    ranked = [int(found[i]) for i in sorted(range(len(found)), key=lambda i: (self_conf[i], found[i]))]
    return t, cj, ranked


def case(rng, n, k, noise):
    """A noisy task: true classes, a share flipped uniformly to another class, and a model that sees the truth."""
    true = rng.integers(0, k, n)
    given = true.copy()
    flip = rng.random(n) < noise
    given[flip] = (true[flip] + rng.integers(1, k, flip.sum())) % k
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), true] += rng.uniform(0.5, 3.0, n)
    p = np.exp(logits)
    p = (p / p.sum(axis=1, keepdims=True)).astype(np.float32).astype(np.float64)  # float32 values, as Cadre's
    t, cj, ranked = find_label_issues(given, p)
    return {
        "classes": k, "labels": given.tolist(), "flipped": np.where(flip)[0].tolist(),
        "probabilities": [[float(x) for x in row] for row in p],
        "thresholds": t.tolist(), "confident_joint": cj.tolist(),
        "issues": ranked, "suggested": [int(p[i].argmax()) for i in ranked],
    }


def main():
    rng = np.random.default_rng(7)
    cases = [case(rng, 200, 2, 0.1), case(rng, 300, 4, 0.2), case(rng, 400, 6, 0.15), case(rng, 60, 3, 0.3)]
    out = os.path.join(os.path.dirname(__file__), "..", "golden", "cleanlab", "label_issues.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"numpy": np.__version__, "cases": cases}, f)
    for c in cases:
        hit = len(set(c["issues"]) & set(c["flipped"]))
        print(f"k={c['classes']} n={len(c['labels'])}: {len(c['issues'])} issues, {hit} of {len(c['flipped'])} flips found")


if __name__ == "__main__":
    main()
