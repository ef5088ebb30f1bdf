using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.Llama;

/// <summary>
/// Rotary position embedding in Hugging Face's layout ("rotate_half"): within each head, dimension i pairs with
/// i + D/2 and turns by position × inv_freq[i]. llama2.c pairs neighbours (2i, 2i+1) instead; its loader permutes
/// the q and k rows so one convention serves both. Frequencies follow <c>transformers</c> in float32, so angles match
/// it bit for bit; the tables are rebuilt per forward call (T × D values, negligible next to the projections), so
/// the module holds no tensors and its state dict stays exactly the checkpoint's.
/// </summary>
internal sealed class LlamaRotaryEmbedding
{
    private readonly float[] _inverseFrequencies; // (D/2,)

    public LlamaRotaryEmbedding(LlamaConfig config)
    {
        using var scope = NewDisposeScope();
        var d = config.HeadDim;
        var exponents = arange(0, d, 2, dtype: ScalarType.Int64).to_type(ScalarType.Float32) / d; // (D/2,)
        var inverse = 1.0f / pow(tensor((float)config.RopeTheta), exponents);                    // (D/2,)
        if (config.RopeScaling is { } scaling)
            inverse = Scale(inverse, scaling);
        _inverseFrequencies = inverse.data<float>().ToArray();
    }

    /// <summary>cos and sin tables, each (T, D), for positions start .. start + length - 1.</summary>
    public (Tensor Cos, Tensor Sin) Tables(long start, long length, Device device)
    {
        using var scope = NewDisposeScope();
        var positions = arange(start, start + length, dtype: ScalarType.Int64).to_type(ScalarType.Float32); // (T,)
        var inverse = tensor(_inverseFrequencies);                                                          // (D/2,)
        var angles = outer(positions, inverse);                                                             // (T, D/2)
        var both = cat([angles, angles], dim: -1).to(device);                                               // (T, D)
        return (both.cos().MoveToOuterDisposeScope(), both.sin().MoveToOuterDisposeScope());
    }

    /// <summary>x·cos + rotate_half(x)·sin for x of shape (B, H, T, D) and tables of shape (T, D).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var half = x.shape[^1] / 2;
        var rotated = cat([-x[TensorIndex.Ellipsis, TensorIndex.Slice(half)], x[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)]], dim: -1); // (B, H, T, D)
        return (x * cos.to_type(x.dtype) + rotated * sin.to_type(x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary><c>linear</c> divides every frequency; <c>llama3</c> divides only long wavelengths, blending a band.</summary>
    private static Tensor Scale(Tensor inverse, LlamaRopeScaling s)
    {
        if (s.Type == "linear")
            return inverse / s.Factor;
        var oldContext = (double)s.OriginalMaxPositionEmbeddings;
        var lowWavelength = oldContext / s.LowFrequencyFactor;
        var highWavelength = oldContext / s.HighFrequencyFactor;
        var wavelength = 2 * Math.PI / inverse;                                                     // (D/2,)
        var scaled = where(wavelength > lowWavelength, inverse / s.Factor, inverse);                // (D/2,)
        var smooth = (oldContext / wavelength - s.LowFrequencyFactor) / (s.HighFrequencyFactor - s.LowFrequencyFactor);
        var smoothed = (1 - smooth) * scaled / s.Factor + smooth * scaled;
        var medium = (wavelength >= highWavelength).logical_and(wavelength <= lowWavelength);
        return where(medium, smoothed, scaled);
    }
}
