using Cadre.Tensors;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Tensors;

public sealed class TensorHashTests
{
    private static readonly byte[] Data = [1, 2, 3, 4, 5, 6, 7, 8];

    [Fact]
    public void HashIsStableAndCoversDTypeShapeAndBytes()
    {
        var h = TensorHash.Compute(DType.F32, [2], Data);
        Assert.Equal(64, h.Length);
        Assert.Equal(h, TensorHash.Compute(DType.F32, [2], Data));
        Assert.NotEqual(h, TensorHash.Compute(DType.I32, [2], Data));
        Assert.NotEqual(h, TensorHash.Compute(DType.F32, [1, 2], Data));
        var changed = (byte[])Data.Clone();
        changed[7] ^= 1;
        Assert.NotEqual(h, TensorHash.Compute(DType.F32, [2], changed));
        Assert.Equal(h, TensorHash.Compute(DType.F32, [2], new MemoryStream(Data)));
    }

    [Fact]
    public void ReaderHashEqualsHashOfBytesWhateverTheFileLayout()
    {
        using var dir = new TempDir();
        SafetensorsWriter.WriteRaw(dir.File("a.safetensors"), [new RawTensor("x", DType.F32, [2], Data)]);
        SafetensorsWriter.WriteRaw(dir.File("b.safetensors"), [new RawTensor("x", DType.F32, [2], Data),
                                                            new RawTensor("y", DType.U8, [1], new byte[] { 9 })],
                                new Dictionary<string, string> { ["m"] = "n" });
        using var a = SafetensorsReader.Open(dir.File("a.safetensors"));
        using var b = SafetensorsReader.Open(dir.File("b.safetensors"));
        Assert.Equal(TensorHash.Compute(DType.F32, [2], Data), a.Hash("x"));
        Assert.Equal(a.Hash("x"), b.Hash("x"));
    }

    [Fact]
    public void CombinedHashIgnoresOrderButNotNames()
    {
        var one = TensorHash.Combine([new("a", "1"), new("b", "2")]);
        Assert.Equal(one, TensorHash.Combine([new("b", "2"), new("a", "1")]));
        Assert.NotEqual(one, TensorHash.Combine([new("a", "2"), new("b", "1")]));
    }
}
