#!/usr/bin/env python3
"""Golden generations from llama2.c's own run.c for Cadre's Llama tests (greedy with a prompt, seeded sampling).

Usage: build run.c from a llama2.c checkout (gcc -O2 -o run run.c -lm), then
    python3 tools/reference/llama2c_golden.py ./run ../shared/models/stories260k \
        > tools/reference/golden/llama/stories260k-run-c.json
run.c prints the prompt, then the continuation, then one newline of its own, which is dropped here.
Golden fixtures are never edited by hand; regenerate and review the diff instead.
"""
import json
import subprocess
import sys

CASES = [
    {"temperature": 0.8, "topp": 0.9, "seed": 42, "steps": 80, "prompt": ""},
    {"temperature": 0.8, "topp": 0.9, "seed": 7, "steps": 80, "prompt": ""},
    {"temperature": 1.0, "topp": 1.0, "seed": 5, "steps": 80, "prompt": ""},
    {"temperature": 0.0, "topp": 0.9, "seed": 1, "steps": 80, "prompt": "Lily went to the"},
]

def main():
    run, folder = sys.argv[1], sys.argv[2]
    for case in CASES:
        args = [run, folder + "/stories260K.bin", "-z", folder + "/tok512.bin", "-n", str(case["steps"]),
                "-t", str(case["temperature"]), "-p", str(case["topp"]), "-s", str(case["seed"])]
        if case["prompt"]:
            args += ["-i", case["prompt"]]
        out = subprocess.run(args, check=True, capture_output=True).stdout.decode("utf-8")
        assert out.endswith("\n")
        case["output"] = out[:-1]
    head = json.dumps({"generator": "karpathy/llama2.c run.c", "model": "models/stories260k/stories260K.bin"})[:-1]
    lines = [json.dumps(c, ensure_ascii=False) for c in CASES]
    sys.stdout.write(head + ',\n "cases": [\n  ' + ',\n  '.join(lines) + '\n ]\n}\n')

main()
