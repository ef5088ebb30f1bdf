"""Independent BERT / RoBERTa encoder forward pass in plain PyTorch, following Hugging Face's BertModel and
RobertaModel eager semantics (inference: no dropout). Weights are a flat dict with Hugging Face key names.

It exists to produce golden outputs for Cadre's C# model; it is never a dependency of Cadre.
"""

import math

import torch
import torch.nn.functional as F


def activation(name):
    if name == "gelu":
        return F.gelu  # exact, erf-based
    if name in ("gelu_new", "gelu_fast", "gelu_pytorch_tanh"):
        # transformers' NewGELUActivation: the tanh approximation.
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "relu":
        return F.relu
    raise ValueError(name)


def position_ids(config, input_ids):
    if config["model_type"] in ("roberta", "xlm-roberta"):
        # create_position_ids_from_input_ids: real tokens count up from padding_idx + 1, padding keeps padding_idx.
        pad = config["pad_token_id"]
        mask = input_ids.ne(pad).int()
        return (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + pad
    batch, length = input_ids.shape
    return torch.arange(length).unsqueeze(0).expand(batch, length)


def forward(w, config, input_ids, attention_mask, token_type_ids=None):
    """Returns (last_hidden_state (B, T, H), pooler_output (B, H) or None)."""
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    head_dim = hidden // heads
    eps = config["layer_norm_eps"]
    act = activation(config["hidden_act"])
    batch, length = input_ids.shape
    if token_type_ids is None:
        token_type_ids = torch.zeros_like(input_ids)

    def linear(x, name):
        return F.linear(x, w[name + ".weight"], w[name + ".bias"])

    def norm(x, name):
        return F.layer_norm(x, (hidden,), w[name + ".weight"], w[name + ".bias"], eps)

    x = w["embeddings.word_embeddings.weight"][input_ids] + w["embeddings.token_type_embeddings.weight"][token_type_ids]
    x = x + w["embeddings.position_embeddings.weight"][position_ids(config, input_ids)]
    x = norm(x, "embeddings.LayerNorm")

    # get_extended_attention_mask: 0 where attended, the most negative float32 where padded.
    extended = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min

    def split_heads(t):
        return t.view(batch, length, heads, head_dim).permute(0, 2, 1, 3)  # (B, h, T, d)

    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q = split_heads(linear(x, p + "attention.self.query"))
        k = split_heads(linear(x, p + "attention.self.key"))
        v = split_heads(linear(x, p + "attention.self.value"))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(head_dim) + extended  # (B, h, T, T)
        probs = torch.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(batch, length, hidden)  # (B, T, H)
        attended = norm(linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        intermediate = act(linear(attended, p + "intermediate.dense"))
        x = norm(linear(intermediate, p + "output.dense") + attended, p + "output.LayerNorm")

    pooled = torch.tanh(linear(x[:, 0], "pooler.dense")) if "pooler.dense.weight" in w else None
    return x, pooled


def pool(hidden, attention_mask):
    """sentence-transformers' Pooling modes, each (B, H)."""
    mask = attention_mask.unsqueeze(-1).expand(hidden.size()).to(hidden.dtype)
    summed = torch.sum(hidden * mask, 1)
    counts = torch.clamp(mask.sum(1), min=1e-9)
    masked = hidden.clone()
    masked[mask == 0] = -1e9
    mean = summed / counts
    return {
        "cls": hidden[:, 0],
        "mean": mean,
        "max": torch.max(masked, 1)[0],
        "mean_sqrt_len": summed / torch.sqrt(counts),
        "mean_normalized": F.normalize(mean, p=2, dim=1),
    }
