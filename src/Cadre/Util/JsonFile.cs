using System.Text.Json;

namespace Cadre.Util;

/// <summary>
/// A small JSON file read for configuration (Hugging Face <c>config.json</c>, <c>tokenizer_config.json</c>, ...).
/// Getters return null when a field is absent or null and record a "file: field: problem" error when it has the
/// wrong type, so a loader can report every problem of a file at once.
/// </summary>
internal sealed class JsonFile
{
    private JsonFile(string name, JsonElement root)
    {
        Name = name;
        Root = root;
    }

    /// <summary>The file name used in messages, such as <c>config.json</c>.</summary>
    public string Name { get; }

    public JsonElement Root { get; }

    public List<string> Errors { get; } = [];

    /// <summary>Reads <paramref name="path"/>; a missing file or invalid JSON is a <see cref="CadreException"/>.</summary>
    public static JsonFile Read(string path, string? displayName = null)
    {
        var name = displayName ?? Path.GetFileName(path);
        if (!File.Exists(path))
            throw new CadreException($"{name}: file not found at {path}");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CadreException($"{name}: must hold a JSON object, found {document.RootElement.ValueKind}");
            return new JsonFile(name, document.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new CadreException($"{name}: invalid JSON: {e.Message}", e);
        }
    }

    /// <summary>Reads the file when it exists, else returns null.</summary>
    public static JsonFile? ReadIfExists(string path, string? displayName = null) =>
        File.Exists(path) ? Read(path, displayName) : null;

    public bool Has(string field) =>
        Root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null;

    public int? Int(string field) => Value(field, "an integer", v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : (int?)null);

    public long? Long(string field) => Value(field, "an integer", v => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var i) ? i : (long?)null);

    public double? Double(string field) =>
        Value(field, "a number", v => v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) ? d : (double?)null);

    public bool? Bool(string field) => Value(field, "true or false", v =>
        v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : (bool?)null);

    public string? String(string field) => Text(field, "a string", v =>
        v.ValueKind == JsonValueKind.String ? v.GetString() : null);

    /// <summary>A token written either as a string or as a serialized AddedToken object with "content".</summary>
    public string? Token(string field) => Text(field, "a string or an object with \"content\"", v => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String
            => c.GetString(),
        _ => null,
    });

    private T? Value<T>(string field, string expected, Func<JsonElement, T?> convert) where T : struct
    {
        if (!Root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        var result = convert(value);
        if (result is null)
            Errors.Add($"{Name}: {field}: must be {expected}, found {Describe(value)}");
        return result;
    }

    private string? Text(string field, string expected, Func<JsonElement, string?> convert)
    {
        if (!Root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        var result = convert(value);
        if (result is null)
            Errors.Add($"{Name}: {field}: must be {expected}, found {Describe(value)}");
        return result;
    }

    private static string Describe(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length > 40 ? text[..40] + "..." : text;
    }
}
