using System.Text.Json;
using System.Text.Json.Serialization;
using Cadre.Tensors;

namespace Cadre.Store;

/// <summary>
/// One tensor's change between two snapshots. <c>status</c>: added, removed, changed or unchanged. For a changed
/// tensor of unchanged shape: the L2 norm of the change, the change relative to the old tensor's norm, and the cosine
/// between old and new (null where a norm is zero or the dtype is not numeric).
/// </summary>
public sealed record TensorChange(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("dtype")] string DType,
    [property: JsonPropertyName("shape_from")] long[]? ShapeFrom,
    [property: JsonPropertyName("shape_to")] long[]? ShapeTo,
    [property: JsonPropertyName("l2")] double? L2,
    [property: JsonPropertyName("relative")] double? Relative,
    [property: JsonPropertyName("cosine")] double? Cosine);

/// <summary>
/// A file that is not split into tensors (cadre.json, a config, a tokenizer): added, removed, changed or unchanged.
/// A changed JSON file also lists its changed keys (<see cref="JsonDiff"/>), at most <see cref="JsonDiff.MaxKeys"/>
/// of them, with <see cref="KeysOmitted"/> counting the rest.
/// </summary>
public sealed record FileChange(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("size_from")] long? SizeFrom,
    [property: JsonPropertyName("size_to")] long? SizeTo)
{
    [JsonPropertyName("keys")] public IReadOnlyList<KeyChange>? Keys { get; init; }
    [JsonPropertyName("keys_omitted")] public int? KeysOmitted { get; init; }
}

/// <summary>Everything that differs between two snapshots, tensor by tensor.</summary>
public sealed record DiffReport(
    [property: JsonPropertyName("files")] IReadOnlyList<FileChange> Files,
    [property: JsonPropertyName("tensors")] IReadOnlyList<TensorChange> Tensors,
    [property: JsonPropertyName("lora_sites")] IReadOnlyList<LoraSiteChange> LoraSites)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}

/// <summary>Compares two manifests tensor by tensor, streaming each pair of changed tensors once.</summary>
public static class ManifestDiff
{
    public static DiffReport Compare(ObjectStore store, Manifest from, Manifest to)
    {
        var files = new List<FileChange>();
        var tensors = new List<TensorChange>();
        foreach (var path in from.Files.Select(f => f.Path).Union(to.Files.Select(f => f.Path)).Order(StringComparer.Ordinal))
        {
            var (a, b) = (from.File(path), to.File(path));
            if (a?.Tensors is null && b?.Tensors is null)
            {
                var status = a is null ? "added" : b is null ? "removed" : a.Blob == b.Blob ? "unchanged" : "changed";
                var change = new FileChange(path, status, a?.Size, b?.Size);
                files.Add(status == "changed" ? WithKeys(store, change, a!, b!) : change);
                continue;
            }
            var before = (a?.Tensors ?? []).ToDictionary(t => t.Name, StringComparer.Ordinal);
            var after = (b?.Tensors ?? []).ToDictionary(t => t.Name, StringComparer.Ordinal);
            foreach (var name in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
                tensors.Add(Compare(store, path, before.GetValueOrDefault(name), after.GetValueOrDefault(name)));
        }
        return new DiffReport(files, tensors, LoraRank.Sites(store, from, to));
    }

    /// <summary>A changed JSON file with the keys that changed; any other file (or one too large, or not JSON) as it is.</summary>
    private static FileChange WithKeys(ObjectStore store, FileChange change, ManifestFile a, ManifestFile b)
    {
        if (!change.Path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || a.Blob is null || b.Blob is null
            || a.Size > JsonDiff.MaxBytes || b.Size > JsonDiff.MaxBytes)
            return change;
        var keys = JsonDiff.Compare(store.ReadAll(a.Blob, JsonDiff.MaxBytes), store.ReadAll(b.Blob, JsonDiff.MaxBytes));
        if (keys is null) return change;
        return change with
        {
            Keys = keys.Take(JsonDiff.MaxKeys).ToList(),
            KeysOmitted = keys.Count > JsonDiff.MaxKeys ? keys.Count - JsonDiff.MaxKeys : null,
        };
    }

    private static TensorChange Compare(ObjectStore store, string file, ManifestTensor? a, ManifestTensor? b)
    {
        if (a is null) return new TensorChange(file, b!.Name, "added", b.DType, null, b.Shape, null, null, null);
        if (b is null) return new TensorChange(file, a.Name, "removed", a.DType, a.Shape, null, null, null, null);
        if (a.Id == b.Id) return new TensorChange(file, a.Name, "unchanged", a.DType, a.Shape, b.Shape, 0, 0, 1);
        var dtypeA = DTypes.Parse(a.DType)!.Value;
        var dtypeB = DTypes.Parse(b.DType)!.Value;
        if (!a.Shape.SequenceEqual(b.Shape))
            return new TensorChange(file, a.Name, "changed", b.DType, a.Shape, b.Shape, null, null, null);
        using var ra = store.OpenRaw(a.Id);
        using var rb = store.OpenRaw(b.Id);
        return WithStatistics(new TensorChange(file, a.Name, "changed", b.DType, a.Shape, b.Shape, null, null, null), dtypeA, ra, dtypeB, rb);
    }

    /// <summary>A changed tensor's L2 norm of change, relative change and cosine, read from both raw streams once.</summary>
    public static TensorChange WithStatistics(TensorChange changed, DType dtypeA, Stream a, DType dtypeB, Stream b)
    {
        double aa = 0, bb = 0, ab = 0, dd = 0;
        TensorElements.Zip(dtypeA, a, dtypeB, b, changed.ShapeFrom!.Aggregate(1L, (x, y) => x * y), (x, y) =>
        {
            for (var i = 0; i < x.Length; i++)
            {
                var d = y[i] - x[i];
                aa += x[i] * x[i];
                bb += y[i] * y[i];
                ab += x[i] * y[i];
                dd += d * d;
            }
        });
        double? Finite(double v) => double.IsFinite(v) ? v : null;
        return changed with
        {
            L2 = Finite(Math.Sqrt(dd)),
            Relative = aa > 0 ? Finite(Math.Sqrt(dd / aa)) : null,
            Cosine = aa > 0 && bb > 0 ? Finite(ab / Math.Sqrt(aa * bb)) : null,
        };
    }
}
