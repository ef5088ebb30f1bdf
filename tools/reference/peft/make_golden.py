"""PEFT-layout adapter folders for the tiny BERT, written here independently of Cadre, with golden sentence
embeddings computed by a plain-PyTorch forward pass that follows PEFT's semantics:

  lora     y = W x + b + (lora_alpha / r) * B A x                       (peft/tuners/lora/layer.py, Linear.forward)
  lora_rs  the same with use_rslora: scaling lora_alpha / sqrt(r)
  ia3      y = (W x + b) * l for key/value; y = W (x * l) + b for feedforward_modules (peft/tuners/ia3/layer.py)
  prompt   PROMPT_TUNING: P vectors before the word embeddings (inputs_embeds), token type 0, positions 0..P+T-1,
           attention mask ones for them (PeftModelForFeatureExtraction.forward)
  prefix   PREFIX_TUNING without projection (P-tuning v2): prompt_embeddings (P, L*2*H) viewed as
           (P, L*2, heads, head_dim); layer i attends to keys 2i and values 2i+1 before its own (past_key_values),
           and Hugging Face BERT starts the text's positions at P (past_key_values_length)

Sentence embeddings are the tiny BERT's sentence-transformers pipeline (mean over the text's tokens, L2 norm);
prompt positions are not pooled (Cadre's documented choice; PEFT leaves pooling to the caller).

    /usr/bin/python3 tools/reference/peft/make_golden.py   ->  tools/reference/golden/peft/
"""

import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bert"))
from make_golden import BERT, write_json, write_safetensors  # noqa: E402
from tokenization import FullTokenizer  # noqa: E402

TINY = os.path.join(HERE, "..", "golden", "bert", "tiny-bert")
OUT = os.path.normpath(os.path.join(HERE, "..", "golden", "peft"))
TEXTS = ["the cat sat on the mat", "a red dog runs fast!", "hello", "the big blue cat is not small"]


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(info["shape"])
    return out


def forward(w, ids, mask, lora=None, ia3=None, prompt=None, prefix=None):
    cfg = BERT
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    head_dim = hidden // heads
    batch, length = ids.shape
    lora, ia3 = lora or {}, ia3 or {}

    def linear(x, name):
        if name in ia3 and ia3[name][1]:
            x = x * ia3[name][0].flatten()
        y = F.linear(x, w[name + ".weight"], w[name + ".bias"])
        if name in lora:
            a, b, scale = lora[name]
            y = y + (x @ a.T @ b.T) * scale
        if name in ia3 and not ia3[name][1]:
            y = y * ia3[name][0].flatten()
        return y

    def norm(x, name):
        return F.layer_norm(x, (hidden,), w[name + ".weight"], w[name + ".bias"], cfg["layer_norm_eps"])

    x = w["embeddings.word_embeddings.weight"][ids]
    types = torch.zeros(batch, length, dtype=torch.long)
    p_in = 0
    if prompt is not None:
        p_in = prompt.shape[0]
        x = torch.cat([prompt.unsqueeze(0).expand(batch, -1, -1), x], 1)
        types = torch.zeros(batch, p_in + length, dtype=torch.long)
        mask = torch.cat([torch.ones(batch, p_in, dtype=mask.dtype), mask], 1)
    offset = prefix.shape[0] if prefix is not None else 0
    positions = torch.arange(offset, offset + p_in + length).unsqueeze(0).expand(batch, -1)
    x = x + w["embeddings.token_type_embeddings.weight"][types]
    x = norm(x + w["embeddings.position_embeddings.weight"][positions], "embeddings.LayerNorm")
    t = x.shape[1]
    key_mask = mask
    if prefix is not None:
        p = prefix.shape[0]
        past = prefix.view(p, cfg["num_hidden_layers"] * 2, heads, head_dim).permute(1, 2, 0, 3)  # (L*2, h, P, d)
        key_mask = torch.cat([torch.ones(batch, p, dtype=mask.dtype), mask], 1)
    extended = (1.0 - key_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min

    def split(z):
        return z.view(batch, t, heads, head_dim).permute(0, 2, 1, 3)  # (B, h, T, d)

    for i in range(cfg["num_hidden_layers"]):
        pre = f"encoder.layer.{i}."
        q = split(linear(x, pre + "attention.self.query"))
        k = split(linear(x, pre + "attention.self.key"))
        v = split(linear(x, pre + "attention.self.value"))
        if prefix is not None:
            k = torch.cat([past[2 * i].unsqueeze(0).expand(batch, -1, -1, -1), k], 2)
            v = torch.cat([past[2 * i + 1].unsqueeze(0).expand(batch, -1, -1, -1), v], 2)
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(head_dim) + extended, -1)
        context = (probs @ v).permute(0, 2, 1, 3).reshape(batch, t, hidden)
        attended = norm(linear(context, pre + "attention.output.dense") + x, pre + "attention.output.LayerNorm")
        inter = F.gelu(linear(attended, pre + "intermediate.dense"))
        x = norm(linear(inter, pre + "output.dense") + attended, pre + "output.LayerNorm")

    x = x[:, p_in:]                      # the text's tokens only
    m = mask[:, p_in:].unsqueeze(-1).float()
    mean = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return F.normalize(mean, p=2, dim=1)


def sites(names):
    return [f"encoder.layer.{i}.{n}" for i in range(BERT["num_hidden_layers"]) for n in names]


def main():
    torch.set_grad_enabled(False)
    g = torch.Generator().manual_seed(7)
    w = read_safetensors(os.path.join(TINY, "model.safetensors"))
    with open(os.path.join(TINY, "vocab.txt"), encoding="utf-8") as f:
        vocab = {tok: i for i, tok in enumerate(f.read().split("\n")[:-1])}
    encoded = [FullTokenizer(vocab).encode(t)[0] for t in TEXTS]
    length = max(len(e) for e in encoded)
    ids = torch.zeros(len(encoded), length, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, e in enumerate(encoded):
        ids[row, :len(e)] = torch.tensor(e)
        mask[row, :len(e)] = 1
    h, layers = BERT["hidden_size"], BERT["num_hidden_layers"]
    common = {"base_model_name_or_path": "tiny-bert", "task_type": "FEATURE_EXTRACTION", "inference_mode": True}
    cases = {}

    def save(name, config, tensors, embeddings):
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        write_json(os.path.join(folder, "adapter_config.json"), {**common, **config})
        write_safetensors(os.path.join(folder, "adapter_model.safetensors"), tensors)
        cases[name] = [[float("%.9g" % v) for v in row] for row in embeddings.tolist()]

    for name, rslora in [("lora", False), ("lora_rs", True)]:
        r, alpha = 4, 8
        targets = sites(["attention.self.query", "attention.self.value", "output.dense"])
        lora, tensors = {}, {}
        for s in targets:
            out_f, in_f = w[s + ".weight"].shape
            a = torch.randn(r, in_f, generator=g) * 0.3
            b = torch.randn(out_f, r, generator=g) * 0.3  # non-zero: a trained adapter, not a fresh one
            lora[s] = (a, b, alpha / (math.sqrt(r) if rslora else r))
            tensors[f"base_model.model.{s}.lora_A.weight"] = a
            tensors[f"base_model.model.{s}.lora_B.weight"] = b
        # 'query', 'value' and 'output.dense' as PEFT suffixes; output.dense also ends attention.output.dense,
        # so list the full names to keep the attention output out.
        save(name, {"peft_type": "LORA", "r": r, "lora_alpha": alpha, "lora_dropout": 0.0, "bias": "none",
                    "use_rslora": rslora, "target_modules": ["query", "value"] + sites(["output.dense"])},
             tensors, forward(w, ids, mask, lora=lora))

    ia3, tensors = {}, {}
    for s in sites(["attention.self.key", "attention.self.value", "output.dense"]):
        out_f, in_f = w[s + ".weight"].shape
        ff = s.endswith("output.dense")
        vec = 1 + 0.5 * torch.randn((1, in_f) if ff else (out_f, 1), generator=g)
        ia3[s] = (vec, ff)
        tensors[f"base_model.model.{s}.ia3_l"] = vec
    save("ia3", {"peft_type": "IA3", "target_modules": ["key", "value"] + sites(["output.dense"]),
                 "feedforward_modules": sites(["output.dense"])}, tensors, forward(w, ids, mask, ia3=ia3))

    prompt = w["embeddings.word_embeddings.weight"][torch.randint(0, 120, (3,), generator=g)] + 0.1 * torch.randn(3, h, generator=g)
    save("prompt", {"peft_type": "PROMPT_TUNING", "num_virtual_tokens": 3, "token_dim": h,
                    "num_transformer_submodules": 1, "prompt_tuning_init": "RANDOM"},
         {"prompt_embeddings": prompt}, forward(w, ids, mask, prompt=prompt))

    prefix = torch.randn(3, layers * 2 * h, generator=g)
    save("prefix", {"peft_type": "PREFIX_TUNING", "num_virtual_tokens": 3, "token_dim": h, "num_layers": layers,
                    "num_attention_heads": BERT["num_attention_heads"], "num_transformer_submodules": 1,
                    "encoder_hidden_size": h, "prefix_projection": False},
         {"prompt_embeddings": prefix}, forward(w, ids, mask, prefix=prefix))

    base = forward(w, ids, mask)
    for name, emb in cases.items():
        diff = (torch.tensor(emb) - base).abs().max().item()
        print(f"{name}: differs from the plain base by up to {diff:.3f}")
    write_json(os.path.join(OUT, "embeddings.json"), {"format_version": 1, "texts": TEXTS, "cases": cases,
                                                      "reference": f"torch {torch.__version__}"})


if __name__ == "__main__":
    main()
