using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.Llama;

/// <summary>SwiGLU: down(silu(gate(x)) · up(x)), as Hugging Face's <c>LlamaMLP</c> and run.c's w2(silu(w1 x) · w3 x).</summary>
internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // Hugging Face key names
    private readonly AdaptableLinear gate_proj;
    private readonly AdaptableLinear up_proj;
    private readonly AdaptableLinear down_proj;
#pragma warning restore IDE1006

    public LlamaMlp(string prefix, LlamaConfig config, AdapterRouting routing) : base(prefix)
    {
        long hidden = config.HiddenSize, inner = config.IntermediateSize;
        gate_proj = new AdaptableLinear($"{prefix}.gate_proj", hidden, inner, config.MlpBias, routing);
        up_proj = new AdaptableLinear($"{prefix}.up_proj", hidden, inner, config.MlpBias, routing);
        down_proj = new AdaptableLinear($"{prefix}.down_proj", inner, hidden, config.MlpBias, routing);
        RegisterComponents();
    }

    public IEnumerable<AdaptableLinear> Sites => [gate_proj, up_proj, down_proj];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x); // (B, T, I)
        return down_proj.forward(gated).MoveToOuterDisposeScope();               // (B, T, C)
    }
}
