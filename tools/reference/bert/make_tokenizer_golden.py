"""Writes tools/reference/golden/bert/wordpiece_minilm.json: token ids from the reference tokenizer
(tokenization.py here) on the real all-MiniLM-L6-v2 vocabulary, for varied inputs and the three normalization
configurations BERT checkpoints ship with.

    /usr/bin/python3 tools/reference/bert/make_tokenizer_golden.py ../shared/models/minilm-tokenizer

The vocabulary is not copied: the file records its sha256, and the C# test checks it reads the same one.
"""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokenization import FullTokenizer, load_vocab  # noqa: E402

SENTENCES = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "I can't believe it's not butter!",
    "Tokenization of unbelievably uncharacteristically long words.",
    "Pneumonoultramicroscopicsilicovolcanoconiosis is a word.",
    "Supercalifragilisticexpialidocious",
    "Café au lait, naïve façade, résumé, jalapeño, Crème Brûlée.",
    "ÀÉÎÕÜ àéîõü ÇÑ çñ Å å Ø ø ß",
    "Zoë and Chloë went to Ålesund; Søren stayed in Kraków.",
    "e\u0301 versus \u00e9: combining accents",
    "Müller's Straße is in München.",
    "İstanbul and ıstanbul",
    "ΟΔΥΣΣΕΥΣ and Ὀδυσσεύς; λόγος ΛΌΓΟΣ",
    "Москва — столица России.",
    "北京是中国的首都。",
    "我爱自然语言处理",
    "東京タワーは高い。",
    "한국어 텍스트도 처리합니다.",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "สวัสดีครับ",
    "I love emoji 😀🚀 and 👩‍💻 too!",
    "Flags 🇫🇷 and hearts ❤️ ♥",
    "Prices: $100, €50, £20, ¥1000 and 5% off!",
    "3.14159 is pi; 2+2=4; 10^6 = 1,000,000.",
    "Call 555-123-4567 or +1 (800) 555-0199.",
    "Dates: 2024-01-15, 15/01/2024, Jan. 15th.",
    "Visit https://www.example.com/path?query=1&x=y#frag now.",
    "Email me at john.doe@example.co.uk!",
    "#hashtag @mention and snake_case_names",
    "C++ and C# and F# and .NET are languages.",
    "x = [1, 2, 3]; y = {'a': 1}; z = (a|b) && !c",
    "    leading and trailing spaces    ",
    "tabs\tand\nnewlines\r\nand\u00a0non-breaking\u2003spaces",
    "zero\u200bwidth\u200djoiner and soft\u00adhyphen",
    "control\u0007chars\u001b and nul\u0000 and \ufffd replacement",
    "line\u2028separator and paragraph\u2029separator",
    "\u201cSmart quotes\u201d and \u2018apostrophes\u2019 \u2026 ellipsis",
    "en–dash and em—dash and minus − sign",
    "ﬁnancial ligatures and ｆｕｌｌｗｉｄｔｈ ＡＢＣ！",
    "The year 1999 and the 21st century",
    "UPPER CASE TEXT SHOULD BE LOWERED",
    "MiXeD cAsE tExT",
    "[CLS] literal special tokens [SEP] in text [MASK]",
    "[cls] lower-case lookalikes [sep] [UNK] [PAD]",
    "word[SEP]word and [MASK]ed",
    "[unused0] is not special",
    "",
    "   ",
    "a",
    "!!!???...",
    "ThisIsAVeryLongCamelCaseIdentifierThatGoesOnAndOnAndOnAndOnAndOnAndOnAndOnAndOnAndOnAndOnAndOnAndOnAndOnToo",
    "short " + "x" * 101 + " end",
    "exactly " + "y" * 100 + " end",
    "Ünïcödé ëvérÿwhérè",
    "Ⅻ roman numeral and Ⓐ circled",
    "𝐁𝐨𝐥𝐝 math letters and 𠀀 rare ideograph",
    "Ǆ titlecase ǅ digraph",
    "don't won't shouldn't y'all",
    "U.S.A. vs. U.K. e.g. i.e. etc.",
    "hello-world foo_bar baz/qux",
    "The café's crème brûlée costs €5.50 — 😋!",
    "Ελληνικά: Αθήνα ΣΟΦΟΣ σοφός",
    "Tiếng Việt có dấu",
    # Inputs whose real Hugging Face ids (fast tokenizer, this vocabulary) are published elsewhere; see the C# test.
    "\U0001F600\U0001F680 \U0001F469\U0001F4BB",
    "a\tb\nc\rd",
    "[cls] [mask] [CLS] [MASK]",
    "한국어",
]

CONFIGS = {
    "uncased": dict(do_lower_case=True, strip_accents=None, tokenize_chinese_chars=True),
    "lower_keep_accents": dict(do_lower_case=True, strip_accents=False, tokenize_chinese_chars=True),
    "cased": dict(do_lower_case=False, strip_accents=None, tokenize_chinese_chars=True),
    "no_cjk_split": dict(do_lower_case=True, strip_accents=None, tokenize_chinese_chars=False),
}

PAIRS = [
    ("How old are you?", "I am six years old.", None),
    ("A fairly long first sentence with many words in it.", "Short.", 12),
    ("Short.", "A fairly long second sentence with many words in it.", 12),
    ("one two three four", "five six seven eight", 9),
    ("Tokenization uncharacteristically splits", "into ##pieces", 8),
]

TRUNCATED = [
    ("The quick brown fox jumps over the lazy dog.", 8),
    ("Tokenization of unbelievably uncharacteristically long words.", 6),
    ("Supercalifragilisticexpialidocious", 4),
]


def main(folder):
    vocab_path = os.path.join(folder, "vocab.txt")
    with open(vocab_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    vocab = load_vocab(vocab_path)
    cases = []
    for name, config in CONFIGS.items():
        tok = FullTokenizer(vocab, **config)
        for text in SENTENCES if name == "uncased" else SENTENCES[::3]:
            ids, types = tok.encode(text)
            cases.append({"config": name, "text": text, "tokens": tok.tokenize(text), "ids": ids})
    tok = FullTokenizer(vocab, **CONFIGS["uncased"])
    pairs = []
    for a, b, max_length in PAIRS:
        ids, types = tok.encode(a, b, max_length)
        pairs.append({"text": a, "pair": b, "max_length": max_length, "ids": ids, "type_ids": types})
    truncated = []
    for text, max_length in TRUNCATED:
        ids, _ = tok.encode(text, max_length=max_length)
        truncated.append({"text": text, "max_length": max_length, "ids": ids})
    golden = {
        "format": 1,
        "generator": "tools/reference/bert/make_tokenizer_golden.py (reference: tokenization.py)",
        "vocab": "models/minilm-tokenizer/vocab.txt",
        "vocab_sha256": sha,
        "configs": CONFIGS,
        "cases": cases,
        "pairs": pairs,
        "truncated": truncated,
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "bert", "wordpiece_minilm.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases, {len(pairs)} pairs, {len(truncated)} truncations to {os.path.normpath(out)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..", "..",
                                                             "shared", "models", "minilm-tokenizer"))
