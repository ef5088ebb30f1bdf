using System.Security.Cryptography;
using System.Text;
using Cadre.Models;
using Cadre.Tasks;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>
/// Frozen-base embeddings of a list of texts, kept under <c>CADRE_HOME/cache/embeddings/KEY.safetensors</c> so that
/// <c>cadre data check</c>, <c>curate</c> and the label-noise benchmark embed a data set once. KEY is SHA-256 over
/// "cadre-embeddings-v1", the base's content hash, max_length and every text (length-prefixed): another base,
/// another cut or one changed row is another entry. One tensor <c>embeddings</c> (N, D) F32, metadata
/// <c>format: cadre-embeddings</c>, <c>version: 1</c>. A damaged entry is embedded again and replaced. Delete the
/// folder to reclaim the space (4·D bytes a row: 2 KiB for USE-lite).
/// </summary>
public sealed class EmbeddingCache(string home)
{
    public const string Version = "1";

    public string Folder => Path.Combine(home, "cache", "embeddings");

    /// <summary>(N, D) embeddings of <paramref name="texts"/>, owned by the caller; <paramref name="hit"/> says whether they were cached.</summary>
    public Tensor Embed(ISentenceEncoder encoder, string baseHash, IReadOnlyList<string> texts, int maxLength, out bool hit,
                        bool useCache = true, IProgress<Util.ProgressUpdate>? progress = null)
    {
        var path = Path.Combine(Folder, Key(baseHash, texts, maxLength) + ".safetensors");
        if (useCache && File.Exists(path) && TryRead(path, texts.Count, encoder.Dimension) is { } cached)
        {
            hit = true;
            return cached;
        }
        hit = false;
        var embeddings = AdapterFeatures.Embed(encoder, null, texts, maxLength, progress: progress); // (N, D)
        if (useCache)
        {
            Directory.CreateDirectory(Folder);
            SafetensorsWriter.Write(path, [KeyValuePair.Create("embeddings", embeddings)], new Dictionary<string, string>
            {
                ["format"] = "cadre-embeddings", ["version"] = Version, ["base_content_hash"] = baseHash,
                ["max_length"] = maxLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }
        return embeddings;
    }

    public static string Key(string baseHash, IReadOnlyList<string> texts, int maxLength)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            sha.AppendData(BitConverter.GetBytes((long)bytes.Length));
            sha.AppendData(bytes);
        }
        Add("cadre-embeddings-v" + Version);
        Add(baseHash);
        Add(maxLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var t in texts) Add(t);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static Tensor? TryRead(string path, int rows, int dimension)
    {
        try
        {
            using var reader = SafetensorsReader.Open(path);
            var info = reader.Info("embeddings");
            if (info.DType != DType.F32 || info.Shape.Length != 2 || info.Shape[0] != rows || info.Shape[1] != dimension)
                return null;
            return reader.ReadTensor("embeddings"); // (N, D)
        }
        catch (Exception e) when (e is CadreException or IOException or KeyNotFoundException)
        {
            return null;
        }
    }
}
