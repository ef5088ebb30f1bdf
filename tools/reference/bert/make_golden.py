"""Writes tiny seeded BERT-family checkpoints in the real Hugging Face layout, with golden outputs, under
tools/reference/golden/bert/:

  tiny-bert/      BertModel keys, pooler, vocab.txt, and sentence-transformers files (mean pooling + Normalize)
  tiny-roberta/   RobertaForSequenceClassification keys ("roberta." prefix plus a classifier head), gelu_new,
                  positions offset by padding_idx + 1
  tiny_bert_outputs.json, tiny_roberta_outputs.json

    /usr/bin/python3 tools/reference/bert/make_golden.py      (PyTorch 1.13, CPU)

The forward pass is reference_model.py; texts are tokenized by tokenization.py. safetensors bytes are written
by hand (struct + json) so that nothing but torch is needed.
"""

import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_model  # noqa: E402
from tokenization import FullTokenizer  # noqa: E402

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "bert"))

BERT = dict(model_type="bert", vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=64, hidden_act="gelu", max_position_embeddings=64, type_vocab_size=2,
            layer_norm_eps=1e-12, pad_token_id=0, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
            position_embedding_type="absolute", architectures=["BertModel"])
ROBERTA = dict(model_type="roberta", vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
               intermediate_size=32, hidden_act="gelu_new", max_position_embeddings=18, type_vocab_size=1,
               layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
               architectures=["RobertaForSequenceClassification"])

WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "runs", "fast", "slow", "red", "blue", "big", "small",
         "is", "and", "or", "not", "un", "##known", "##s", "##ing", "##ed", "token", "##ize", "##r", "hello",
         "world", ".", ",", "!", "?", "'", "-"]
TEXTS = ["The cat sat on the mat.", "A dog runs fast!", "hello", "Unknown tokenizers, big and small?",
         "The red dog is not the blue cat.", "zebra"]


def vocabulary():
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    tokens += letters + ["##" + c for c in letters]
    tokens += [f"[unused{i}]" for i in range(BERT["vocab_size"] - len(tokens))]
    assert len(tokens) == BERT["vocab_size"], len(tokens)
    return tokens


def random_weights(config, generator, prefix=""):
    h, i, n = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    shapes = {
        "embeddings.word_embeddings.weight": (config["vocab_size"], h),
        "embeddings.position_embeddings.weight": (config["max_position_embeddings"], h),
        "embeddings.token_type_embeddings.weight": (config["type_vocab_size"], h),
        "pooler.dense.weight": (h, h), "pooler.dense.bias": (h,),
    }
    for layer in range(n):
        p = f"encoder.layer.{layer}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes[p + name + ".weight"], shapes[p + name + ".bias"] = (h, h), (h,)
        shapes[p + "intermediate.dense.weight"], shapes[p + "intermediate.dense.bias"] = (i, h), (i,)
        shapes[p + "output.dense.weight"], shapes[p + "output.dense.bias"] = (h, i), (h,)
    norms = ["embeddings.LayerNorm"] + [f"encoder.layer.{k}.{m}.LayerNorm" for k in range(n)
                                        for m in ("attention.output", "output")]
    w = {}
    for name, shape in shapes.items():
        # Large enough that attention is far from uniform, so masking or position mistakes show.
        fan_in = shape[-1] if len(shape) == 2 and not name.startswith("embeddings") else 1
        w[name] = torch.randn(shape, generator=generator) * (0.5 / fan_in ** 0.5 if fan_in > 1 else 0.5)
    for name in norms:
        w[name + ".weight"] = 1.0 + 0.2 * torch.randn(h, generator=generator)
        w[name + ".bias"] = 0.1 * torch.randn(h, generator=generator)
    return {prefix + k: v.to(torch.float32).contiguous() for k, v in w.items()}


def write_safetensors(path, tensors, metadata=None):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = tensors[name].numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata or {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def floats(t):
    return [float("%.9g" % v) for v in t.reshape(-1).tolist()]


def outputs(w, config, ids, mask, types):
    hidden, pooled = reference_model.forward(w, config, ids, mask, types)
    w64 = {k: v.double() for k, v in w.items()}
    hidden64, _ = reference_model.forward(w64, config, ids, mask, types)
    noise = (hidden.double() - hidden64).abs().max().item()
    print(f"  float32 vs float64 reference: max abs diff {noise:.2e}")
    pools = reference_model.pool(hidden, mask)
    result = {"input_ids": ids.tolist(), "attention_mask": mask.tolist(), "token_type_ids": types.tolist(),
              "shape": list(hidden.shape), "last_hidden_state": floats(hidden)}
    if pooled is not None:
        result["pooler_output"] = floats(pooled)
    result.update({k: floats(v) for k, v in pools.items()})
    return result


def main():
    generator = torch.Generator().manual_seed(20240611)
    torch.set_grad_enabled(False)

    # BERT: a plain BertModel folder that is also a sentence-transformers folder.
    folder = os.path.join(OUT, "tiny-bert")
    os.makedirs(folder, exist_ok=True)
    w = random_weights(BERT, generator)
    write_safetensors(os.path.join(folder, "model.safetensors"), w)
    write_json(os.path.join(folder, "config.json"), BERT)
    tokens = vocabulary()
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(tokens) + "\n")
    write_json(os.path.join(folder, "tokenizer_config.json"),
               {"do_lower_case": True, "strip_accents": None, "tokenize_chinese_chars": True,
                "model_max_length": 64, "tokenizer_class": "BertTokenizer"})
    write_json(os.path.join(folder, "modules.json"), [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    write_json(os.path.join(folder, "1_Pooling", "config.json"), {
        "word_embedding_dimension": BERT["hidden_size"], "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False})
    os.makedirs(os.path.join(folder, "2_Normalize"), exist_ok=True)
    open(os.path.join(folder, "2_Normalize", ".gitkeep"), "w").close()

    tokenizer = FullTokenizer({t: i for i, t in enumerate(tokens)})
    encoded = [tokenizer.encode(t) for t in TEXTS]
    encoded.append(tokenizer.encode("the cat", "a dog runs"))  # a pair: segment 1 exercises token types
    length = max(len(ids) for ids, _ in encoded)
    ids = torch.zeros(len(encoded), length, dtype=torch.long)
    mask = torch.zeros_like(ids)
    types = torch.zeros_like(ids)
    for row, (row_ids, row_types) in enumerate(encoded):
        ids[row, :len(row_ids)] = torch.tensor(row_ids)
        mask[row, :len(row_ids)] = 1
        types[row, :len(row_types)] = torch.tensor(row_types)
    print("tiny-bert")
    golden = {"format": 1, "generator": "tools/reference/bert/make_golden.py", "texts": TEXTS,
              "pair": ["the cat", "a dog runs"], **outputs(w, BERT, ids, mask, types)}
    write_json(os.path.join(OUT, "tiny_bert_outputs.json"), golden)

    # RoBERTa: keys under "roberta." beside a classification head that the base must ignore.
    folder = os.path.join(OUT, "tiny-roberta")
    os.makedirs(folder, exist_ok=True)
    w = random_weights(ROBERTA, generator)
    head = {"classifier.dense.weight": torch.randn(16, 16, generator=generator),
            "classifier.dense.bias": torch.zeros(16), "classifier.out_proj.weight": torch.randn(3, 16, generator=generator),
            "classifier.out_proj.bias": torch.zeros(3)}
    write_safetensors(os.path.join(folder, "model.safetensors"), {**{"roberta." + k: v for k, v in w.items()}, **head})
    write_json(os.path.join(folder, "config.json"), ROBERTA)
    # Right-padded with pad id 1; row 2 holds a pad id (1) only in its padding.
    ids = torch.tensor([[0, 5, 9, 33, 12, 40, 7, 2], [0, 44, 6, 2, 1, 1, 1, 1], [0, 3, 2, 1, 1, 1, 1, 1]])
    mask = ids.ne(1).long()
    print("tiny-roberta")
    golden = {"format": 1, "generator": "tools/reference/bert/make_golden.py",
              **outputs(w, ROBERTA, ids, mask, torch.zeros_like(ids))}
    write_json(os.path.join(OUT, "tiny_roberta_outputs.json"), golden)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
