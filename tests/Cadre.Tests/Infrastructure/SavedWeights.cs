using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Tests.Infrastructure;

/// <summary>The tensors of a safetensors file as float32 values: what two runs that must agree bit for bit compare.</summary>
internal static class SavedWeights
{
    public static Dictionary<string, float[]> Read(string file)
    {
        using var reader = SafetensorsReader.Open(file);
        return reader.Tensors.ToDictionary(t => t.Name, t =>
        {
            using var x = reader.ReadTensor(t.Name);
            return x.to(float32).data<float>().ToArray();
        });
    }

    /// <summary>Both files hold the same tensor names with the same values.</summary>
    public static void AssertSame(string expected, string actual)
    {
        var (a, b) = (Read(expected), Read(actual));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys)
            Assert.Equal(a[key], b[key]);
    }
}
