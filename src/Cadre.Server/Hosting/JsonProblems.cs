using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Cadre.Server.Hosting;

/// <summary>
/// Words a body that System.Text.Json refused in the API's terms: the JSON path and field names a client sent and the
/// fields the endpoint takes, never .NET type or member names (System.Text.Json's own messages name those). The kind of
/// refusal is read from the endpoint's request contract and the body itself, not from the message text: a field the
/// contract lacks is unknown, one that appears twice in its object is a duplicate, any other is of the wrong type.
/// </summary>
internal static class JsonProblems
{
    public static string Describe(HttpContext context, JsonException error)
    {
        var detail = Explain(context, error);
        return "the body is not the expected JSON: " + (detail ?? Generic(error));
    }

    private static string? Explain(HttpContext context, JsonException error)
    {
        var contract = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        if (contract is null || error.Path is not { } path || Segments(path) is not { } segments)
            return null;
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        using var body = Body(context);
        if (body is null)
            return null; // not JSON at all: the reader's own message says where
        var comparison = options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var info = options.GetTypeInfo(contract);
        JsonElement? node = body.RootElement;
        for (var k = 0; k < segments.Count; k++)
        {
            var last = k == segments.Count - 1;
            if (segments[k] is string name)
            {
                if (info.Kind != JsonTypeInfoKind.Object)
                    return $"{Parent(path)} must be {Expect(info, options)}";
                var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, comparison));
                if (property is null)
                    return $"unknown field \"{name}\" at {path} (expected one of: {string.Join(", ", info.Properties.Select(p => p.Name))})";
                if (last && node is { ValueKind: JsonValueKind.Object } parent
                         && parent.EnumerateObject().Count(p => string.Equals(p.Name, name, comparison)) > 1)
                    return $"duplicate field \"{name}\" at {path}: give each field once";
                if (last && property.CustomConverter is not null)
                    return error.Message; // the API's own converters word their errors for clients already
                info = options.GetTypeInfo(property.PropertyType);
                node = node is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var child) ? child : null;
            }
            else
            {
                if (info.ElementType is not { } element)
                    return $"{Parent(path)} must be {Expect(info, options)}";
                var index = (int)segments[k]!;
                info = options.GetTypeInfo(element);
                node = node is { ValueKind: JsonValueKind.Array } a && index < a.GetArrayLength() ? a[index] : null;
            }
        }
        return path == "$" ? $"the body must be {Expect(info, options)}" : $"{path} must be {Expect(info, options)}";
    }

    /// <summary>The names ("inputs") and indexes (0) of a JSON path such as <c>$.inputs[0]</c> or <c>$['odd name']</c>; null if unreadable.</summary>
    private static List<object>? Segments(string path)
    {
        if (!path.StartsWith('$')) return null;
        var result = new List<object>();
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                if (end < 0) end = path.Length;
                result.Add(path[(i + 1)..end]);
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['"))
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                if (end < 0) return null;
                result.Add(path[(i + 2)..end]);
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i + 1);
                if (end < 0 || !int.TryParse(path.AsSpan(i + 1, end - i - 1), out var index)) return null;
                result.Add(index);
                i = end + 1;
            }
            else return null;
        }
        return result;
    }

    private static string Parent(string path) => path.LastIndexOfAny(['.', '[']) is > 0 and var cut ? path[..cut] : "the body";

    private static JsonDocument? Body(HttpContext context)
    {
        var body = context.Request.Body;
        if (!body.CanSeek) return null;
        body.Position = 0;
        try
        {
            return JsonDocument.Parse(body); // duplicates allowed here: this is where they are counted
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>What a client must send for a value of this contract type, in JSON's terms.</summary>
    private static string Expect(JsonTypeInfo info, JsonSerializerOptions options)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        if (info.Kind == JsonTypeInfoKind.Enumerable && info.ElementType is { } element)
            return "an array of " + Plural(Expect(options.GetTypeInfo(element), options));
        if (info.Kind is JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary) return "an object";
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        return Type.GetTypeCode(type) is >= TypeCode.SByte and <= TypeCode.Decimal ? "a number" : "a JSON value of another kind";
    }

    private static string Plural(string one) => one switch
    {
        "a string" => "strings", "a number" => "numbers", "an object" => "objects", "true or false" => "booleans",
        _ => "values",
    };

    /// <summary>When the body or the contract cannot be read: System.Text.Json's message, cut before any .NET name.</summary>
    private static string Generic(JsonException error)
    {
        var message = error.Message;
        foreach (var marker in new[] { " could not be converted to ", " could not be mapped to any .NET member", " during deserialization of type" })
            if (message.IndexOf(marker, StringComparison.Ordinal) is > 0 and var cut)
                return $"{message[..cut]} is not accepted" + (error.Path is { } p ? $" at {p}" : "");
        return message;
    }
}
