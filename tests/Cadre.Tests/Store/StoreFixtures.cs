using System.Runtime.InteropServices;
using Cadre.Store;
using Cadre.Tensors;

namespace Cadre.Tests.Store;

/// <summary>Small seeded checkpoints written as folders of safetensors files, for store tests.</summary>
internal static class StoreFixtures
{
    public static readonly StoreBase Base = new("tiny", "bert", new string('a', 64));

    public static float[] Random(int count, int seed, float scale = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    public static RawTensor F32(string name, float[] values, params long[] shape) =>
        new(name, DType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A folder with <c>model.safetensors</c> holding the tensors and a small <c>cadre.json</c>-like text file.</summary>
    public static string Folder(string parent, string name, IEnumerable<RawTensor> tensors, string note = "{}")
    {
        var folder = Path.Combine(parent, name);
        Directory.CreateDirectory(folder);
        SafetensorsWriter.WriteRaw(Path.Combine(folder, "model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(folder, "notes.json"), note);
        return folder;
    }

    public static byte[] Bytes(string folder, string file = "model.safetensors") => File.ReadAllBytes(Path.Combine(folder, file));

    /// <summary>Flips one byte in the middle of an object file, keeping its length.</summary>
    public static void Corrupt(ObjectStore objects, string id)
    {
        var path = objects.PathOf(id);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length - 1 - (bytes.Length - 40) / 2] ^= 0x5a;
        File.WriteAllBytes(path, bytes);
    }
}
