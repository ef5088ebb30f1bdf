using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.Llama;

/// <summary>SwiGLU: down(silu(gate(x)) · up(x)), as Hugging Face's <c>LlamaMLP</c> and run.c's w2(silu(w1 x) · w3 x).</summary>
internal sealed class LlamaMlp : nn.Module<Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006 // Hugging Face key names
    private readonly AdaptableLinear gate_proj;
    private readonly AdaptableLinear up_proj;
    private readonly AdaptableLinear down_proj;
#pragma warning restore IDE1006

    public LlamaMlp(string prefix, LlamaConfig config) : base(prefix)
    {
        long hidden = config.HiddenSize, inner = config.IntermediateSize;
        gate_proj = new AdaptableLinear($"{prefix}.gate_proj", hidden, inner, config.MlpBias);
        up_proj = new AdaptableLinear($"{prefix}.up_proj", hidden, inner, config.MlpBias);
        down_proj = new AdaptableLinear($"{prefix}.down_proj", inner, hidden, config.MlpBias);
        RegisterComponents();
    }

    public IEnumerable<AdaptableLinear> Sites => [gate_proj, up_proj, down_proj];

    public override Tensor forward(Tensor x, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(gate_proj.forward(x, context)) * up_proj.forward(x, context); // (B, T, I)
        return down_proj.forward(gated, context).MoveToOuterDisposeScope();                        // (B, T, C)
    }
}
