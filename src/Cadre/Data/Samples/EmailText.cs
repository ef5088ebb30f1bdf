using System.Net;
using System.Text.RegularExpressions;

namespace Cadre.Data.Samples;

/// <summary>Turns a raw RFC 822 message into a short text: its subject and the start of its body, tags removed.</summary>
public static partial class EmailText
{
    public const int BodyCharacters = 400;

    public static string Summary(string message)
    {
        var normalized = message.Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = normalized.IndexOf("\n\n", StringComparison.Ordinal);
        var headers = split < 0 ? normalized : normalized[..split];
        var body = split < 0 ? "" : normalized[(split + 2)..];
        var subject = SubjectLine().Match(headers) is { Success: true } m ? m.Groups[1].Value.Trim() : "";
        body = WebUtility.HtmlDecode(Tags().Replace(body, " "));
        body = Spaces().Replace(body, " ").Trim();
        if (body.Length > BodyCharacters) body = body[..BodyCharacters];
        return (subject.Length > 0 ? subject + ". " : "") + body;
    }

    [GeneratedRegex(@"^Subject:[ \t]*(.*)$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex SubjectLine();

    [GeneratedRegex(@"<[^>]{0,500}>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
