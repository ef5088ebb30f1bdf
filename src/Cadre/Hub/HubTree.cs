using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cadre.Hub;

/// <summary>
/// Reads one page of the Hub's tree API: a JSON array of entries
/// <c>{"type": "file"|"directory", "path", "size", "oid", "lfs": {"oid": SHA256, "size", "pointerSize"}}</c>,
/// and the next page's address from the <c>Link</c> header (GitHub's pagination format).
/// </summary>
internal static partial class HubTree
{
    public static IEnumerable<HubFile> Files(JsonElement page, HubRepoId repo)
    {
        if (page.ValueKind != JsonValueKind.Array)
            throw Malformed(repo, "it is not a JSON array");
        foreach (var entry in page.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || String(entry, "type") != "file")
                continue; // folders are implied by their files' paths
            var path = String(entry, "path") ?? throw Malformed(repo, "a file without a path");
            var size = entry.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) && n >= 0 ? n : throw Malformed(repo, $"{path} has no size");
            var oid = String(entry, "oid");
            string? sha256 = null;
            if (entry.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
            {
                sha256 = String(lfs, "oid") ?? String(lfs, "sha256");
                if (sha256 is null || !Sha256().IsMatch(sha256))
                    throw Malformed(repo, $"{path} is an LFS file without a SHA-256");
                if (lfs.TryGetProperty("size", out var ls) && ls.TryGetInt64(out var lfsSize))
                    size = lfsSize;
            }
            yield return new HubFile(path, size, oid is not null && GitOid().IsMatch(oid) ? oid : null, sha256);
        }
    }

    /// <summary>The <c>rel="next"</c> address of a <c>Link</c> header, resolved against the page's own address; null on the last page.</summary>
    public static Uri? NextPage(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
            return null;
        foreach (var match in values.SelectMany(v => LinkPart().Matches(v)))
            if (match.Groups["rel"].Value.Split(' ').Contains("next"))
                return new Uri(current, match.Groups["url"].Value);
        return null;
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static CadreException Malformed(HubRepoId repo, string why) =>
        new($"{repo}: the Hub's file list cannot be read ({why})");

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex GitOid();

    [GeneratedRegex("""<(?<url>[^>]*)>\s*;\s*rel="?(?<rel>[^";,]+)"?""")]
    private static partial Regex LinkPart();
}
