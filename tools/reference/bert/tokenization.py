"""Independent reference for BERT WordPiece tokenization (pure Python, standard library only).

Re-implements the logic of Google's original BERT `tokenization.py` (BasicTokenizer + WordpieceTokenizer), with the
three switches Hugging Face's `BertTokenizer` added on top and that `tokenizer_config.json` carries:

* `strip_accents`: None follows `do_lower_case` (the original behaviour), True/False force it;
* `tokenize_chinese_chars`: put spaces around CJK ideographs (the original always did);
* special tokens found verbatim in the raw text (`[CLS]`, `[SEP]`, ...) are kept whole, case-sensitively, and the
  text between them is tokenized on its own, as `transformers.PreTrainedTokenizer.tokenize` does.

It deliberately does NOT apply the NFC pass that recent `transformers` slow tokenizers run first, because the Rust
(fast) tokenizer that sentence-transformers uses does not; for uncased models the two agree anyway (NFD(NFC(x)) ==
NFD(x)).

This file exists to produce golden fixtures for Cadre's C# tokenizer; it is never a dependency of Cadre.
"""

import unicodedata


def load_vocab(path):
    """vocab.txt: one token per line, id = line number (later duplicates win, as in the original)."""
    vocab = {}
    with open(path, encoding="utf-8") as f:
        for index, line in enumerate(f):
            token = line.rstrip("\n")
            if token:
                vocab[token] = index
    return vocab


def whitespace_tokenize(text):
    text = text.strip()
    return text.split() if text else []


def _is_whitespace(char):
    if char in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(char) == "Zs"


def _is_control(char):
    if char in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(char).startswith("C")


def _is_punctuation(char):
    cp = ord(char)
    # ASCII non-letters/digits count as punctuation even where Unicode calls them symbols ($, +, ^, `, ...).
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_chinese_char(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class BasicTokenizer:
    def __init__(self, do_lower_case=True, strip_accents=None, tokenize_chinese_chars=True):
        self.do_lower_case = do_lower_case
        self.strip_accents = strip_accents
        self.tokenize_chinese_chars = tokenize_chinese_chars

    def tokenize(self, text):
        text = self._clean_text(text)
        if self.tokenize_chinese_chars:
            text = self._tokenize_chinese_chars(text)
        split_tokens = []
        for token in whitespace_tokenize(text):
            if self.do_lower_case:
                token = token.lower()
                if self.strip_accents is not False:
                    token = self._run_strip_accents(token)
            elif self.strip_accents:
                token = self._run_strip_accents(token)
            split_tokens.extend(self._run_split_on_punc(token))
        return whitespace_tokenize(" ".join(split_tokens))

    @staticmethod
    def _run_strip_accents(text):
        text = unicodedata.normalize("NFD", text)
        return "".join(c for c in text if unicodedata.category(c) != "Mn")

    @staticmethod
    def _run_split_on_punc(text):
        output = []
        start_new_word = True
        for char in text:
            if _is_punctuation(char):
                output.append([char])
                start_new_word = True
            else:
                if start_new_word:
                    output.append([])
                start_new_word = False
                output[-1].append(char)
        return ["".join(x) for x in output]

    @staticmethod
    def _tokenize_chinese_chars(text):
        output = []
        for char in text:
            if _is_chinese_char(ord(char)):
                output.extend([" ", char, " "])
            else:
                output.append(char)
        return "".join(output)

    @staticmethod
    def _clean_text(text):
        output = []
        for char in text:
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD or _is_control(char):
                continue
            output.append(" " if _is_whitespace(char) else char)
        return "".join(output)


class WordpieceTokenizer:
    """Greedy longest-match-first over code points; a word with no full cover becomes one unknown token."""

    def __init__(self, vocab, unk_token="[UNK]", max_input_chars_per_word=100):
        self.vocab = vocab
        self.unk_token = unk_token
        self.max_input_chars_per_word = max_input_chars_per_word

    def tokenize(self, text):
        output_tokens = []
        for token in whitespace_tokenize(text):
            chars = list(token)
            if len(chars) > self.max_input_chars_per_word:
                output_tokens.append(self.unk_token)
                continue
            is_bad = False
            start = 0
            sub_tokens = []
            while start < len(chars):
                end = len(chars)
                cur_substr = None
                while start < end:
                    substr = "".join(chars[start:end])
                    if start > 0:
                        substr = "##" + substr
                    if substr in self.vocab:
                        cur_substr = substr
                        break
                    end -= 1
                if cur_substr is None:
                    is_bad = True
                    break
                sub_tokens.append(cur_substr)
                start = end
            if is_bad:
                output_tokens.append(self.unk_token)
            else:
                output_tokens.extend(sub_tokens)
        return output_tokens


class FullTokenizer:
    def __init__(self, vocab, do_lower_case=True, strip_accents=None, tokenize_chinese_chars=True,
                 special_tokens=("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")):
        self.vocab = vocab
        self.basic = BasicTokenizer(do_lower_case, strip_accents, tokenize_chinese_chars)
        self.wordpiece = WordpieceTokenizer(vocab)
        self.special_tokens = sorted(special_tokens, key=len, reverse=True)

    def _split_special(self, text):
        """Leftmost-longest verbatim matches of special tokens; the rest is ordinary text."""
        pieces, start, i = [], 0, 0
        while i < len(text):
            match = next((t for t in self.special_tokens if text.startswith(t, i)), None)
            if match is None:
                i += 1
                continue
            if i > start:
                pieces.append((False, text[start:i]))
            pieces.append((True, match))
            i += len(match)
            start = i
        if start < len(text):
            pieces.append((False, text[start:]))
        return pieces

    def tokenize(self, text):
        tokens = []
        for special, piece in self._split_special(text):
            if special:
                tokens.append(piece)
                continue
            for token in self.basic.tokenize(piece):
                tokens.extend(self.wordpiece.tokenize(token))
        return tokens

    def convert_tokens_to_ids(self, tokens):
        return [self.vocab[t] for t in tokens]

    def encode(self, text, pair=None, max_length=None):
        """[CLS] a [SEP] (b [SEP]); truncation 'longest_first' as the slow tokenizer does it: one token at a time
        from the longer sequence, from the pair on ties."""
        a = self.convert_tokens_to_ids(self.tokenize(text))
        b = self.convert_tokens_to_ids(self.tokenize(pair)) if pair is not None else None
        if max_length is not None:
            budget = max_length - (3 if b is not None else 2)
            while len(a) + (len(b) if b is not None else 0) > budget:
                if b is None or len(a) > len(b):
                    a = a[:-1]
                else:
                    b = b[:-1]
        cls, sep = self.vocab["[CLS]"], self.vocab["[SEP]"]
        ids = [cls] + a + [sep]
        types = [0] * len(ids)
        if b is not None:
            ids += b + [sep]
            types += [1] * (len(b) + 1)
        return ids, types
