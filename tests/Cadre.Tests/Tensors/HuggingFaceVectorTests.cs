using System.Text;
using Cadre.Tensors;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Tensors;

/// <summary>
/// Byte-exact outputs of Hugging Face's safetensors library for small inputs, as its own serialization tests state
/// them (tests in safetensors/src/tensor.rs: test_serialization, test_empty, test_serialization_forced_alignement).
/// Our writer must produce the same bytes, and our reader must read them.
/// </summary>
public sealed class HuggingFaceVectorTests
{
    private static readonly byte[] SixFloats = [.. new[] { 0f, 1f, 2f, 3f, 4f, 5f }.SelectMany(BitConverter.GetBytes)];

    private static byte[] Expected(string header, byte[] data) =>
        [.. BitConverter.GetBytes((ulong)Encoding.UTF8.GetByteCount(header)), .. Encoding.UTF8.GetBytes(header), .. data];

    public static TheoryData<string, RawTensor[], Dictionary<string, string>?, string, byte[]> Vectors() => new()
    {
        { "one F32 tensor", [new("attn.0", DType.F32, [1, 2, 3], SixFloats)], null,
          "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", SixFloats },
        { "forced alignment", [new("attn0", DType.F32, [1, 1, 2, 3], SixFloats)], null,
          "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ", SixFloats },
        { "empty", [], null, "{}      ", [] },
        { "empty with metadata", [], new() { ["framework"] = "pt" }, "{\"__metadata__\":{\"framework\":\"pt\"}}     ", [] },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void WriterMatchesHuggingFaceBytes(string name, RawTensor[] tensors, Dictionary<string, string>? metadata,
                                              string header, byte[] data)
    {
        using var dir = new TempDir();
        var path = dir.File(name.Replace(' ', '_') + ".safetensors");
        SafetensorsWriter.WriteRaw(path, tensors, metadata);
        Assert.Equal(Expected(header, data), File.ReadAllBytes(path));
        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(tensors.Length, reader.Tensors.Count);
        foreach (var t in tensors)
            Assert.Equal(t.Bytes.ToArray(), reader.Bytes(t.Name).ToArray());
    }
}
