#!/usr/bin/env python3
"""Writes the golden routing fixtures of tests/Cadre.Tests/Fixtures/routing/ with the standard library only, from
docs/formats.md alone (an independent statement of the formats, not Cadre's writer):

  routing-v1.safetensors  a specialist's routing sample, version 1: 3 rows of a 4-d base, F16 embeddings, classes.
  router-v1/              a prototype router, router.json version 1 + router.safetensors, over two specialists
                          ("left", "right") on the tiny BERT base of tools/reference/golden/bert/tiny-bert
                          (32-d; content hash as `cadre base import` computes it).

Fixtures are never edited: a change of format gets new files and a new version.
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "safetensors"))
from make_golden import serialize  # noqa: E402  (HF's layout, restated in the safetensors fixture script)

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "Cadre.Tests", "Fixtures", "routing")
TINY_BERT_HASH = "7bac51a9f768ffe00edaab4c3b11fbfeead832ab860a464579e7fc02fa949a24"


def f16(values):
    return b"".join(struct.pack("<e", v) for v in values)


def f32(values):
    return b"".join(struct.pack("<f", v) for v in values)


def i64(values):
    return b"".join(struct.pack("<q", v) for v in values)


def main():
    os.makedirs(os.path.join(OUT, "router-v1"), exist_ok=True)
    sample = {
        "embeddings": ("F16", [3, 4], f16([0.5, -0.25, 0.125, 1.0, 0.0, 1.5, -2.0, 0.75, 0.1, 0.2, 0.3, 0.4])),
        "classes": ("I64", [3], i64([0, 1, 1])),
    }
    meta = {"format": "cadre-routing", "format_version": "1", "max_length": "16", "task": "classification"}
    with open(os.path.join(OUT, "routing-v1.safetensors"), "wb") as f:
        f.write(serialize(sample, meta))

    d = 32
    unit = lambda i: [1.0 if k == i else 0.0 for k in range(d)]  # noqa: E731
    router = {
        "prototypes": ("F32", [3, d], f32(unit(0) + unit(1) + unit(2))),
        "owner": ("I64", [3], i64([0, 0, 1])),
        "feature_mean": ("F32", [d], f32([0.0] * d)),
    }
    with open(os.path.join(OUT, "router-v1", "router.safetensors"), "wb") as f:
        f.write(serialize(router, {"format": "cadre-router", "method": "prototype"}))
    record = {
        "format_version": 1, "name": "golden", "method": "prototype",
        "base": {"name": "tiny", "architecture": "bert", "content_hash": TINY_BERT_HASH},
        "dimension": d, "max_length": 32,
        "specialists": [{"name": "left", "fingerprint": "", "rows": 2}, {"name": "right", "fingerprint": "", "rows": 1}],
        "temperature": 0.05,
        "abstention": {"signal": "similarity", "coverage": 0.95, "threshold": 0.5},
        "calibration": {"rows": 2, "accuracy": 1.0, "ece_uncalibrated": 0.4, "ece": 0.1, "nll": 0.2},
        "held_out": 0.2, "seed": 1, "created_at": "2026-12-02T00:00:00+00:00",
    }
    with open(os.path.join(OUT, "router-v1", "router.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
