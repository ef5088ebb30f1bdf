using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Models.UseLite;

/// <summary>Our encoder against the TF.js reference on 232 varied sentences: cosine ≥ 0.9999, max |diff| ≤ 1e-4.</summary>
[Collection(TorchCollection.Name)]
public sealed class UseLiteParityTests(UseLiteFixture fixture) : IClassFixture<UseLiteFixture>
{
    private static readonly UseLiteGolden Golden = UseLiteGolden.Load();

    [Fact]
    public void TokenizerMatchesReferenceOnEveryGoldenSentence()
    {
        var tokenizer = fixture.Model.Tokenizer;
        for (var i = 0; i < Golden.Texts.Length; i++)
            Assert.True(Golden.Ids[i].SequenceEqual(tokenizer.Encode(Golden.Texts[i])),
                $"sentence {i} '{Golden.Texts[i]}': expected [{string.Join(",", Golden.Ids[i])}] got [{string.Join(",", tokenizer.Encode(Golden.Texts[i]))}]");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public void EmbeddingsMatchReference(int batchSize)
    {
        var ours = fixture.Model.Embed(Golden.Texts, batchSize);
        var worstCos = 1.0;
        var worstDiff = 0.0;
        for (var i = 0; i < Golden.Texts.Length; i++)
        {
            var (cos, diff) = Compare(ours[i], Golden.Embeddings[i]);
            worstCos = Math.Min(worstCos, cos);
            worstDiff = Math.Max(worstDiff, diff);
            Assert.True(cos >= 0.9999 && diff <= 1e-4, $"sentence {i} '{Golden.Texts[i]}': cosine {cos}, max |diff| {diff}");
        }
        TestContext.Current.SendDiagnosticMessage($"batch {batchSize}: min cosine {worstCos}, max |diff| {worstDiff}");
    }

    internal static (double Cosine, double MaxDiff) Compare(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0, diff = 0;
        for (var k = 0; k < a.Length; k++)
        {
            dot += a[k] * b[k];
            na += a[k] * a[k];
            nb += b[k] * b[k];
            diff = Math.Max(diff, Math.Abs(a[k] - b[k]));
        }
        return (dot / Math.Sqrt(na * nb), diff);
    }
}
