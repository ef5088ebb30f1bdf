using System.Globalization;
using System.Text;

namespace Cadre.Tensors;

/// <summary>
/// Builds a header byte for byte as Hugging Face's writer (serde_json's compact output) does, so that Cadre's files
/// equal theirs: <c>{"__metadata__":{...},"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},...}</c>, keys
/// in the order given, strings escaped as serde_json escapes them (only <c>"</c>, <c>\</c> and control characters;
/// everything else raw UTF-8), then spaces up to a multiple of 8 bytes so that the data buffer starts 8-byte aligned.
/// </summary>
internal static class SafetensorsHeaderWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="tensors">In data order, each with its byte length.</param>
    /// <param name="metadata">Written when not null, even empty (as Hugging Face writes <c>Some({})</c>), keys in UTF-8 order.</param>
    public static byte[] Build(IReadOnlyList<(string Name, DType DType, long[] Shape, long ByteLength)> tensors,
                               IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new List<byte>(128 + 96 * tensors.Count) { (byte)'{' };
        var first = true;
        if (metadata is not null)
        {
            Key(json, SafetensorsHeader.MetadataKey, ref first);
            json.Add((byte)'{');
            var firstEntry = true;
            foreach (var (key, value) in metadata.OrderBy(p => p.Key, Utf8Order.Strings))
            {
                Key(json, key, ref firstEntry);
                String(json, value);
            }
            json.Add((byte)'}');
        }
        long offset = 0;
        foreach (var (name, dtype, shape, length) in tensors)
        {
            Key(json, name, ref first);
            Ascii(json, "{\"dtype\":");
            String(json, dtype.Name());
            Ascii(json, ",\"shape\":[" + string.Join(',', shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]");
            Ascii(json, ",\"data_offsets\":[" + offset.ToString(CultureInfo.InvariantCulture) + ","
                        + (offset + length).ToString(CultureInfo.InvariantCulture) + "]}");
            offset += length;
        }
        json.Add((byte)'}');
        while (json.Count % 8 != 0)
            json.Add((byte)' ');
        return [.. json];
    }

    /// <summary>True when <paramref name="text"/> can be written as UTF-8 (no lone surrogate), as a Rust string must be.</summary>
    public static bool IsValidUnicode(string text)
    {
        try
        {
            _ = StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    private static void Key(List<byte> json, string key, ref bool first)
    {
        if (!first)
            json.Add((byte)',');
        first = false;
        String(json, key);
        json.Add((byte)':');
    }

    private static void Ascii(List<byte> json, string text)
    {
        foreach (var c in text)
            json.Add((byte)c);
    }

    /// <summary>serde_json's <c>format_escaped_str</c>: short escapes for \b \t \n \f \r, \u00xx (lower-case hex) for other controls.</summary>
    private static void String(List<byte> json, string text)
    {
        json.Add((byte)'"');
        foreach (var b in StrictUtf8.GetBytes(text))
        {
            switch (b)
            {
                case (byte)'"': Ascii(json, "\\\""); break;
                case (byte)'\\': Ascii(json, "\\\\"); break;
                case (byte)'\b': Ascii(json, "\\b"); break;
                case (byte)'\t': Ascii(json, "\\t"); break;
                case (byte)'\n': Ascii(json, "\\n"); break;
                case (byte)'\f': Ascii(json, "\\f"); break;
                case (byte)'\r': Ascii(json, "\\r"); break;
                case < 0x20: Ascii(json, "\\u00" + b.ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.Add(b); break;
            }
        }
        json.Add((byte)'"');
    }
}
