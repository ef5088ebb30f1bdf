using System.Text;
using System.Text.Json;
using Cadre.Tensors;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Tensors;

/// <summary>
/// Compatibility with Hugging Face's layout, against fixtures written by tools/reference/safetensors/make_golden.py
/// (a standard-library re-statement of HF's writer, checked there against HF's own test vector) and the vector of
/// HF's test_serialization (the others of tensor.rs are in HuggingFaceVectorTests).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SafetensorsGoldenTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors", name);

    private sealed record Expected(string DType, long[] Shape, string Hex, string Hash);

    private static (Dictionary<string, Expected> Tensors, Dictionary<string, string> Metadata, string StateDictHash) LoadExpected()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture("mixed.expected.json")));
        var root = doc.RootElement;
        var tensors = root.GetProperty("tensors").EnumerateObject().ToDictionary(p => p.Name, p => new Expected(
            p.Value.GetProperty("dtype").GetString()!, [.. p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64())],
            p.Value.GetProperty("hex").GetString()!, p.Value.GetProperty("hash").GetString()!), StringComparer.Ordinal);
        var metadata = root.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        return (tensors, metadata, root.GetProperty("state_dict_hash").GetString()!);
    }

    [Fact]
    public void ReadsTheGoldenFileWithEveryDTypeAndItsHashes()
    {
        var (expected, metadata, stateDictHash) = LoadExpected();
        using var reader = SafetensorsReader.Open(Fixture("mixed.safetensors"));
        Assert.Equal(metadata, reader.Metadata);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), reader.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(Enum.GetValues<DType>().Order(), reader.Tensors.Select(t => t.DType).Distinct().Order());
        foreach (var (name, e) in expected)
        {
            var info = reader.Info(name);
            Assert.Equal(e.DType, info.DType.Name());
            Assert.Equal(e.Shape, info.Shape);
            Assert.Equal(e.Hex, Convert.ToHexStringLower(reader.Bytes(name)));
            Assert.Equal(e.Hash, reader.Hash(name).Hex); // the Python script hashes from docs/formats.md independently
        }
        Assert.Equal(stateDictHash, TensorHash.Combine(reader.Tensors.Select(t => KeyValuePair.Create(t.Name, reader.Hash(t.Name)))).Hex);
    }

    [Fact]
    public void TorchValuesOfTheGoldenFileAreBitExact()
    {
        using var reader = SafetensorsReader.Open(Fixture("mixed.safetensors"));
        using var scope = NewDisposeScope();
        var embed = reader.ReadTensor("embed.weight"); // (2, 3)
        Assert.Equal(new long[] { 2, 3 }, embed.shape);
        var bits = embed.data<float>().ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray();
        Assert.Equal(new uint[] { 0x00000000, 0x80000000, 0x3FC00000, 0x7F800000, 0x7FC00001, 0x00000001 }, bits);
        Assert.Equal(new long[] { 0, 1, -1, 1L << 62 }, reader.ReadTensor("position_ids").data<long>().ToArray());
        Assert.Equal(new[] { true, false, true, true, false }, reader.ReadTensor("mask").data<bool>().ToArray());
        Assert.Equal(new sbyte[] { -128, -1, 0, 127 }, reader.ReadTensor("q").data<sbyte>().ToArray());
        Assert.Equal(new[] { 1f, -3.140625f, float.PositiveInfinity, 0f }, reader.ReadTensor("bf.scale").to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(new[] { 1f, -65504f, 5.9604645e-08f }, reader.ReadTensor("ln.weight").to(ScalarType.Float32).data<float>().ToArray());
        var scalar = reader.ReadTensor("temperature");
        Assert.Equal(0, scalar.dim());
        Assert.Equal(0.5f, scalar.item<float>());
        Assert.Equal(new long[] { 0, 4 }, reader.ReadTensor("empty").shape);
    }

    [Fact]
    public void WriterReproducesTheGoldenFileByteForByteFromRawBytes()
    {
        var (expected, metadata, _) = LoadExpected();
        using var dir = new TempDir();
        var path = dir.File("out.safetensors");
        SafetensorsWriter.WriteRaw(path, expected.Select(p => new RawTensor(p.Key, DTypes.Parse(p.Value.DType)!.Value, p.Value.Shape,
                                                                           Convert.FromHexString(p.Value.Hex))), metadata);
        Assert.Equal(File.ReadAllBytes(Fixture("mixed.safetensors")), File.ReadAllBytes(path));
    }

    [Fact]
    public void WriterReproducesTheGoldenFileByteForByteFromTorchTensors()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var path = dir.File("out.safetensors");
        Dictionary<string, Tensor> tensors;
        IReadOnlyDictionary<string, string> metadata;
        using (var reader = SafetensorsReader.Open(Fixture("mixed.safetensors")))
        {
            // Given in reverse name order: the writer's layout must not depend on the order it is handed tensors.
            tensors = reader.Tensors.OrderByDescending(t => t.Name, StringComparer.Ordinal).ToDictionary(t => t.Name, t => reader.ReadTensor(t.Name));
            metadata = reader.Metadata;
        }
        SafetensorsWriter.Write(path, tensors, metadata);
        Assert.Equal(File.ReadAllBytes(Fixture("mixed.safetensors")), File.ReadAllBytes(path));
    }

    [Fact]
    public void MatchesHuggingFaceSerializationTestVector()
    {
        using var dir = new TempDir();
        // tensor.rs test_serialization: "attn.0", F32 [1, 2, 3] holding 0..5; a 64-byte header needs no padding.
        var attn = Enumerable.Range(0, 6).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray();
        SafetensorsWriter.WriteRaw(dir.File("attn.safetensors"), [new RawTensor("attn.0", DType.F32, [1, 2, 3], attn)]);
        var file = File.ReadAllBytes(dir.File("attn.safetensors"));
        Assert.Equal(File.ReadAllBytes(Fixture("hf_attn0.safetensors")), file);
        Assert.Equal(64, BitConverter.ToInt64(file));
        Assert.Equal("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", Encoding.UTF8.GetString(file, 8, 64));
    }
}
