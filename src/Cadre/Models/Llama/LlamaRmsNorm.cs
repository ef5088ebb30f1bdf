using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Models.Llama;

/// <summary>
/// RMSNorm as in Hugging Face's <c>LlamaRMSNorm</c>: x / sqrt(mean(x²) + eps) * weight, computed in float32 even
/// for half-precision inputs (the mean of squares overflows float16), then cast back before the weight.
/// </summary>
internal sealed class LlamaRmsNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // the checkpoint key is "weight"
    private readonly Parameter weight;
#pragma warning restore IDE1006
    private readonly double _eps;

    public LlamaRmsNorm(string name, long size, double eps) : base(name)
    {
        weight = new Parameter(ones(size), requires_grad: false); // (C,)
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to_type(ScalarType.Float32);                                // (..., C)
        var variance = x32.pow(2).mean([-1L], keepdim: true);                 // (..., 1)
        var normed = (x32 * rsqrt(variance + _eps)).to_type(x.dtype);          // (..., C)
        return (weight * normed).MoveToOuterDisposeScope();
    }
}
