using Cadre.Tensors;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Tensors;

[Collection(TorchCollection.Name)]
public sealed class SafetensorsRoundTripTests
{
    public static TheoryData<DType> AllDTypes() => [.. Enum.GetValues<DType>()];

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void EveryDTypeRoundTripsBitExactly(DType dtype)
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var source = (randn(3, 5, generator: new Generator(7)) * 50).to(dtype.ToScalarType()); // (3, 5)
        var path = dir.File("t.safetensors");
        SafetensorsWriter.Write(path, [new("w", source)], new Dictionary<string, string> { ["format"] = "pt" });
        using var reader = SafetensorsReader.Open(path);
        var info = reader.Info("w");
        Assert.Equal(dtype, info.DType);
        Assert.Equal(new long[] { 3, 5 }, info.Shape);
        Assert.Equal("pt", reader.Metadata["format"]);
        using var read = reader.ReadTensor("w");
        Assert.Equal(source.dtype, read.dtype);
        Assert.Equal(source.bytes.ToArray(), read.bytes.ToArray());
        Assert.Equal(TensorHash.Compute(dtype, [3, 5], source.bytes), reader.Hash("w"));
    }

    [Fact]
    public void ScalarsEmptyTensorsAndManyNamesRoundTrip()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var path = dir.File("m.safetensors");
        SafetensorsWriter.Write(path, [
            new("scalar", tensor(3.5f)),
            new("empty", zeros(0, 4)),
            new("b.weight", arange(6, dtype: ScalarType.Int64).reshape(2, 3)),
            new("a.weight", ones(2, dtype: ScalarType.Float16)),
        ]);
        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(4, reader.Tensors.Count);
        Assert.Empty(reader.Info("scalar").Shape);
        Assert.Equal(3.5f, reader.ReadTensor("scalar").item<float>());
        Assert.Equal(0, reader.ReadTensor("empty").numel());
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5 }, reader.ReadTensor("b.weight").data<long>().ToArray());
        // Widest dtype first, then by name, as Hugging Face lays tensors out.
        Assert.Equal(["b.weight", "empty", "scalar", "a.weight"], reader.Tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).Select(t => t.Name));
    }

    [Fact]
    public void HeaderIsPaddedToEightBytesWithMetadataFirst()
    {
        using var dir = new TempDir();
        var path = dir.File("h.safetensors");
        SafetensorsWriter.WriteRaw(path, [new RawTensor("x", DType.U8, [3], new byte[] { 1, 2, 3 })],
                                new Dictionary<string, string> { ["k"] = "v" });
        var bytes = File.ReadAllBytes(path);
        var n = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        var header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{\"k\":\"v\"},\"x\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}", header);
        Assert.Equal(new byte[] { 1, 2, 3 }, bytes[(8 + (int)n)..]);
    }

    [Fact]
    public void ReaderGivesRawBytesAndNamesMissingTensors()
    {
        using var dir = new TempDir();
        var path = dir.File("r.safetensors");
        SafetensorsWriter.WriteRaw(path, [new RawTensor("a", DType.I16, [2], new byte[] { 1, 0, 2, 0 }),
                                       new RawTensor("b", DType.BOOL, [3], new byte[] { 1, 0, 1 })]);
        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(new byte[] { 1, 0, 2, 0 }, reader.Bytes("a").ToArray());
        Assert.Equal(new byte[] { 1, 0, 1 }, reader.Bytes("b").ToArray());
        var e = Assert.Throws<CadreException>(() => reader.Info("nope"));
        Assert.Contains("no tensor named 'nope'", e.Message);
    }

    [Fact]
    public void TensorsReadOutliveTheReader()
    {
        using var dir = new TempDir();
        var path = dir.File("o.safetensors");
        SafetensorsWriter.WriteRaw(path, [new RawTensor("a", DType.F32, [2], BitConverter.GetBytes(1.5f).Concat(BitConverter.GetBytes(-2f)).ToArray())]);
        Tensor t;
        using (var reader = SafetensorsReader.Open(path))
            t = reader.ReadTensor("a");
        File.Delete(path);
        Assert.Equal(new[] { 1.5f, -2f }, t.data<float>().ToArray());
        t.Dispose();
    }
}
