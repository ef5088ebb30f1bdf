#!/usr/bin/env python3
"""Golden ids from the real SentencePiece library for Cadre's BPE tokenizer tests.

Usage (Debian: apt-get install python3-sentencepiece):
    /usr/bin/python3 tools/reference/sentencepiece_golden.py ../shared/models/stories260k/tok512.model \
        > tools/reference/golden/tokenizers/tok512-sentencepiece.json
Golden fixtures are never edited by hand; regenerate and review the diff instead.
"""
import json
import sys

import sentencepiece as spm

TEXTS = [
    "Once upon a time, there was a little girl named Lily.",
    "Lily's mom said, \"Lily, let's go to the park!\"\n",
    "héllo 🙂",
    "日本語",
    "e\u0301",
    "Ｆｕｌｌ",
    "a\u00a0b",
    "\t tab\t",
    "a  b",
    "   ",
    " lead",
    "trail ",
    "\u2581x",
    "<s> and </s> are text here",
    "<0x41>",
    "",
    "The quick brown fox jumps over the lazy dog. 1234567890",
]

def main():
    sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
    cases = [{"text": t, "ids": sp.encode(t), "decoded": sp.decode(sp.encode(t))} for t in TEXTS]
    head = {"generator": "sentencepiece " + spm.__version__, "model": "models/stories260k/tok512.model"}
    lines = [json.dumps(c, ensure_ascii=False) for c in cases]
    body = json.dumps(head, ensure_ascii=False)[:-1]
    sys.stdout.write(body + ',\n "cases": [\n  ' + ',\n  '.join(lines) + '\n ]\n}\n')

main()
