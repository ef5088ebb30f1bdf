using Cadre.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Tests.Infrastructure;

[Collection(TorchCollection.Name)]
public sealed class TorchSmokeTests
{
    [Fact]
    public void NativeLibraryLoadsAndMultiplies()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2); // (2, 2)
        var b = a.matmul(a);                                        // (2, 2)
        Assert.Equal(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }

    [Fact]
    public void AdaptableLinearKeepsHuggingFaceKeyNamesAndIsFrozen()
    {
        using var site = new AdaptableLinear("query", 4, 3, hasBias: true);
        var names = site.named_parameters().Select(p => p.name).OrderBy(n => n).ToArray();
        Assert.Equal(new[] { "bias", "weight" }, names);
        Assert.All(site.parameters(), p => Assert.False(p.requires_grad));
    }
}
