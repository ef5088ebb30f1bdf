using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Server.Contracts;

/// <summary><c>POST /v1/specialists/{name}/predict</c>: texts, and optionally one task of a merged specialist.</summary>
public sealed class PredictRequest
{
    public IReadOnlyList<string>? Inputs { get; init; }
    public string? Task { get; init; }
}

/// <summary><c>POST /v1/route</c> and <c>/v1/ask</c>: texts, and optionally a router other than the default.</summary>
public sealed class RouteRequest
{
    public IReadOnlyList<string>? Inputs { get; init; }
    public string? Router { get; init; }
}

/// <summary><c>POST /v1/embed</c>: texts; base embeddings, or a specialist's head features when it is named.</summary>
public sealed class EmbedRequest
{
    public IReadOnlyList<string>? Inputs { get; init; }
    public string? Specialist { get; init; }
}

/// <summary><c>PUT /v1/specialists/{name}</c>: the version to load (a number, tag, branch or id prefix); HEAD when absent.</summary>
public sealed class LoadRequest
{
    [JsonConverter(typeof(RevisionConverter))]
    public string? Version { get; init; }
}

/// <summary>A revision written as a JSON string or a whole number (<c>"v2"</c>, <c>"3"</c>, <c>3</c>).</summary>
internal sealed class RevisionConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number when reader.TryGetInt64(out var n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new JsonException("version must be a string (number, tag, branch or id prefix) or a whole number"),
    };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null)
            writer.WriteNullValue();
        else
            writer.WriteStringValue(value);
    }
}
