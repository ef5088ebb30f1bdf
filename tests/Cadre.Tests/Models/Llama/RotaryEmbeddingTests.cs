using Cadre.Models.Llama;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.Llama;

[Collection(TorchCollection.Name)]
public sealed class RotaryEmbeddingTests
{
    private static readonly LlamaConfig Base = new() { HiddenSize = 64, NumAttentionHeads = 4, NumKeyValueHeads = 4, RopeTheta = 500000 };

    [Theory]
    [InlineData(null)]
    [InlineData("linear")]
    [InlineData("llama3")]
    public void TablesFollowTransformersFrequencies(string? scaling)
    {
        // Context 32 with factors 0.5 and 4 puts all three of Llama 3's bands in a 16-wide head: i = 0 kept, 1 blended, 2+ scaled.
        var config = Base with { RopeScaling = scaling is null ? null : new LlamaRopeScaling(scaling, 8, 0.5, 4, 32) };
        var expected = ExpectedInverseFrequencies(config);
        using var scope = NewDisposeScope();
        var (cos, sin) = new LlamaRotaryEmbedding(config).Tables(start: 3, length: 2, CPU); // positions 3 and 4, (2, 16)
        for (var i = 0; i < 16; i++)
        {
            var angle = 4 * expected[i % 8];
            Assert.Equal(Math.Cos(angle), cos[1, i].item<float>(), 1e-5);
            Assert.Equal(Math.Sin(angle), sin[1, i].item<float>(), 1e-5);
        }
    }

    /// <summary>transformers' rope_init_fn for default, linear and llama3, in double precision.</summary>
    private static double[] ExpectedInverseFrequencies(LlamaConfig c)
    {
        var d = c.HeadDim;
        var inverse = Enumerable.Range(0, d / 2).Select(i => 1 / Math.Pow(c.RopeTheta, 2.0 * i / d)).ToArray();
        if (c.RopeScaling is not { } s)
            return inverse;
        if (s.Type == "linear")
            return inverse.Select(f => f / s.Factor).ToArray();
        double lowWavelength = s.OriginalMaxPositionEmbeddings / s.LowFrequencyFactor, highWavelength = s.OriginalMaxPositionEmbeddings / s.HighFrequencyFactor;
        return inverse.Select(f =>
        {
            var wavelength = 2 * Math.PI / f;
            if (wavelength < highWavelength)
                return f;
            if (wavelength > lowWavelength)
                return f / s.Factor;
            var smooth = (s.OriginalMaxPositionEmbeddings / wavelength - s.LowFrequencyFactor) / (s.HighFrequencyFactor - s.LowFrequencyFactor);
            return (1 - smooth) * f / s.Factor + smooth * f;
        }).ToArray();
    }
}
