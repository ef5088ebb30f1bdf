using System.Security.Cryptography;
using System.Text.Json;
using Cadre.Tensors;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Tensors;

[Collection(TorchCollection.Name)]
public sealed class TensorHashTests
{
    private static readonly byte[] Data = [1, 2, 3, 4, 5, 6, 7, 8];

    [Fact]
    public void HashIsTheDocumentedEncoding()
    {
        // docs/formats.md: "cadre-tensor-v1\0" ‖ dtype ‖ "\0" ‖ rank (int64 LE) ‖ dims (int64 LE) ‖ raw bytes.
        byte[] canonical = [.. "cadre-tensor-v1\0F32\0"u8, .. BitConverter.GetBytes(2L), .. BitConverter.GetBytes(1L),
                            .. BitConverter.GetBytes(2L), .. Data];
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(canonical)), TensorHash.Compute(DType.F32, [1, 2], Data).Hex);
    }

    [Fact]
    public void HashIsStableAndCoversDTypeShapeAndEveryByte()
    {
        var h = TensorHash.Compute(DType.F32, [2], Data);
        Assert.Equal(64, h.Hex.Length);
        Assert.Equal(h, TensorHash.Compute(DType.F32, [2], Data));
        Assert.NotEqual(h, TensorHash.Compute(DType.I32, [2], Data));
        Assert.NotEqual(h, TensorHash.Compute(DType.F32, [1, 2], Data));
        Assert.NotEqual(h, TensorHash.Compute(DType.F32, [2, 1], Data));
        Assert.NotEqual(TensorHash.Compute(DType.U8, [0], []), TensorHash.Compute(DType.U8, [], []));
        for (var i = 0; i < Data.Length; i++)
        {
            var changed = (byte[])Data.Clone();
            changed[i] ^= 1;
            Assert.NotEqual(h, TensorHash.Compute(DType.F32, [2], changed));
        }
        Assert.Equal(h, TensorHash.Compute(DType.F32, [2], new MemoryStream(Data)));
    }

    [Fact]
    public void HashOfATorchTensorIsTheHashOfItsValues()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var matrix = TorchSharp.torch.arange(6, dtype: TorchSharp.torch.ScalarType.Int16).reshape(2, 3); // (2, 3)
        var transposed = matrix.t();                                                                   // (3, 2), strided
        var expected = TensorHash.Compute(DType.I16, [3, 2], transposed.contiguous().bytes);
        Assert.Equal(expected, TensorHash.Compute(transposed));
        Assert.NotEqual(expected, TensorHash.Compute(matrix));
    }

    [Fact]
    public void ReaderHashEqualsHashOfBytesWhateverTheFileLayout()
    {
        using var dir = new TempDir();
        SafetensorsWriter.WriteRaw(dir.File("a.safetensors"), [new RawTensor("x", DType.F32, [2], Data)]);
        SafetensorsWriter.WriteRaw(dir.File("b.safetensors"), [new RawTensor("x", DType.F32, [2], Data),
                                                            new RawTensor("y", DType.I64, [1], new byte[8])],
                                new Dictionary<string, string> { ["m"] = "n" });
        using var a = SafetensorsReader.Open(dir.File("a.safetensors"));
        using var b = SafetensorsReader.Open(dir.File("b.safetensors"));
        Assert.Equal(0, a.Info("x").Begin);
        Assert.Equal(8, b.Info("x").Begin); // the I64 "y" comes first in b
        Assert.Equal(TensorHash.Compute(DType.F32, [2], Data), a.Hash("x"));
        Assert.Equal(a.Hash("x"), b.Hash("x"));
    }

    [Fact]
    public void ParsesOnlyLowerCaseHexAndRoundTripsThroughJson()
    {
        var h = TensorHash.Compute(DType.U8, [1], [7]);
        Assert.Equal(h, TensorHash.Parse(h.Hex));
        Assert.Equal(h.Hex, h.ToString());
        Assert.False(TensorHash.TryParse(h.Hex.ToUpperInvariant(), out _));
        Assert.False(TensorHash.TryParse(h.Hex[..63], out _));
        Assert.False(TensorHash.TryParse(null, out _));
        Assert.Contains("not a tensor hash", Assert.Throws<CadreException>(() => TensorHash.Parse("xyz")).Message);
        var json = JsonSerializer.Serialize(new { hash = h });
        Assert.Equal($"{{\"hash\":\"{h.Hex}\"}}", json);
        Assert.Equal(h, JsonSerializer.Deserialize<TensorHash>($"\"{h.Hex}\""));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TensorHash>("\"abc\""));
    }

    [Fact]
    public void StateDictHashIgnoresOrderButNotNamesOrValues()
    {
        var one = TensorHash.Compute(DType.U8, [1], [1]);
        var two = TensorHash.Compute(DType.U8, [1], [2]);
        var combined = TensorHash.Combine([new("a", one), new("b", two)]);
        Assert.Equal(combined, TensorHash.Combine([new("b", two), new("a", one)]));
        Assert.NotEqual(combined, TensorHash.Combine([new("a", two), new("b", one)]));
        Assert.NotEqual(combined, TensorHash.Combine([new("a", one), new("c", two)]));
        Assert.NotEqual(combined, TensorHash.Combine([new("a", one)]));
        Assert.Throws<ArgumentException>(() => TensorHash.Combine([new("a", one), new("a", two)]));
        // The documented encoding: names in UTF-8 order, each as int64 LE length, name, 32 raw hash bytes.
        byte[] canonical = [.. "cadre-state-dict-v1\0"u8, .. BitConverter.GetBytes(1L), .. "a"u8, .. Convert.FromHexString(one.Hex),
                            .. BitConverter.GetBytes(1L), .. "b"u8, .. Convert.FromHexString(two.Hex)];
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(canonical)), combined.Hex);
    }
}
