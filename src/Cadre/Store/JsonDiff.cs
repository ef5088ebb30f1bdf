using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Store;

/// <summary>
/// One key of a JSON file that differs between two snapshots: <c>key</c> is dotted for nested objects and indexed
/// for arrays of objects (<c>epochs[2].loss</c>); <c>from</c> and <c>to</c> are the values as compact JSON (null where
/// the key is absent on that side), cut to <see cref="JsonDiff.MaxValueChars"/> characters.
/// </summary>
public sealed record KeyChange(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To);

/// <summary>
/// Key-by-key comparison of two JSON documents (adapter_config.json, cadre.json, labels), so a diff of two versions
/// trained with other settings says which setting changed instead of "725 -> 726 bytes". Works on bytes alone.
/// </summary>
public static class JsonDiff
{
    /// <summary>A value longer than this is cut, so one long list (labels, a tokenizer's vocabulary) stays one line.</summary>
    public const int MaxValueChars = 80;
    /// <summary>Changes listed per file; the rest are counted. A diff is for reading, not for patching.</summary>
    public const int MaxKeys = 100;
    /// <summary>Larger files are compared by size only: parsing them would cost more than a diff should.</summary>
    public const long MaxBytes = 8 << 20;

    /// <summary>The changed keys of two JSON documents, or null when either side does not parse as JSON.</summary>
    public static IReadOnlyList<KeyChange>? Compare(byte[] from, byte[] to)
    {
        var a = Flatten(from);
        var b = Flatten(to);
        if (a is null || b is null) return null;
        var changes = new List<KeyChange>();
        foreach (var key in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
        {
            var (x, y) = (a.GetValueOrDefault(key), b.GetValueOrDefault(key));
            if (x == y) continue;
            changes.Add(new KeyChange(key, x is null ? "added" : y is null ? "removed" : "changed", Cut(x), Cut(y)));
        }
        return changes;
    }

    private static Dictionary<string, string>? Flatten(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            Flatten(doc.RootElement, "", result);
            return result;
        }
        catch (JsonException) { return null; }
    }

    private static void Flatten(JsonElement e, string prefix, Dictionary<string, string> into)
    {
        if (e.ValueKind == JsonValueKind.Object && e.EnumerateObject().Any())
        {
            foreach (var p in e.EnumerateObject())
                Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}", into);
            return;
        }
        // Arrays of objects (an epoch log) are followed element by element; arrays of scalars (labels, target
        // modules) read best as one value.
        if (e.ValueKind == JsonValueKind.Array && e.EnumerateArray().Any(x => x.ValueKind is JsonValueKind.Object or JsonValueKind.Array))
        {
            var i = 0;
            foreach (var x in e.EnumerateArray())
                Flatten(x, $"{prefix}[{i++}]", into);
            return;
        }
        into[prefix.Length == 0 ? "(value)" : prefix] = JsonSerializer.Serialize(e);
    }

    private static string? Cut(string? value) =>
        value is null || value.Length <= MaxValueChars ? value : value[..(MaxValueChars - 3)] + "...";
}
