using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.Llama;

/// <summary>Pre-norm block: x + attn(norm(x)), then h + mlp(norm(h)).</summary>
internal sealed class LlamaDecoderLayer : nn.Module
{
#pragma warning disable IDE1006 // Hugging Face key names
    private readonly LlamaAttention self_attn;
    private readonly LlamaMlp mlp;
    private readonly LlamaRmsNorm input_layernorm;
    private readonly LlamaRmsNorm post_attention_layernorm;
#pragma warning restore IDE1006

    public LlamaDecoderLayer(int index, LlamaConfig config) : base($"model.layers.{index}")
    {
        var prefix = $"model.layers.{index}";
        self_attn = new LlamaAttention($"{prefix}.self_attn", index, config);
        mlp = new LlamaMlp($"{prefix}.mlp", config);
        input_layernorm = new LlamaRmsNorm($"{prefix}.input_layernorm", config.HiddenSize, config.RmsNormEps);
        post_attention_layernorm = new LlamaRmsNorm($"{prefix}.post_attention_layernorm", config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    public IEnumerable<AdaptableLinear> Sites => self_attn.Sites.Concat(mlp.Sites);

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, LlamaKvCache? cache, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.Forward(input_layernorm.forward(x), cos, sin, cache, context); // (B, T, C)
        return (h + mlp.forward(post_attention_layernorm.forward(h), context)).MoveToOuterDisposeScope();
    }
}
