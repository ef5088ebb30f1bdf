using System.Text;
using System.Text.Json.Serialization;

namespace Cadre.Store.Git;

/// <summary>
/// One path of the index whose <c>filter</c> attribute is <c>cadre</c>. <c>status</c>: <c>ok</c> (every object in
/// the store), <c>missing</c> (some are not: <c>cadre pull</c>), <c>not-cleaned</c> (git holds the file's own bytes,
/// committed before the filter was installed: <c>git add --renormalize .</c> converts it) or <c>malformed</c>.
/// </summary>
public sealed record GitTrackedFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("size")] long? Size,
    [property: JsonPropertyName("tensors")] int? Tensors,
    [property: JsonPropertyName("objects")] int? Objects,
    [property: JsonPropertyName("missing")] int? Missing, // delta bases included
    [property: JsonPropertyName("blob")] string Blob,
    [property: JsonPropertyName("problem")] string? Problem);

public static class GitTrackedFiles
{
    /// <summary>Every checkpoint the index tracks through Cadre's filter, by path; one cat-file process reads them all.</summary>
    public static IReadOnlyList<GitTrackedFile> List(GitStore git)
    {
        var repository = git.Repository;
        var entries = new Dictionary<string, string>(StringComparer.Ordinal); // path -> blob (stage 0, else ours)
        foreach (var record in Encoding.UTF8.GetString(repository.GitBytes(["ls-files", "-s", "-z"])).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = record.IndexOf('\t');
            var fields = record[..tab].Split(' ');
            if (fields[0] == "160000") continue; // a submodule
            if (fields[2] is "0" or "2" || !entries.ContainsKey(record[(tab + 1)..])) entries[record[(tab + 1)..]] = fields[1];
        }
        var attributes = repository.Attributes(entries.Keys, "filter");
        var tracked = entries.Where(e => attributes.GetValueOrDefault(e.Key)?.GetValueOrDefault("filter") == "cadre")
            .OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        var contents = repository.ReadBlobs(tracked.Select(e => e.Value).Distinct().ToList(), Manifest.MaxBytes);
        var result = new List<GitTrackedFile>();
        foreach (var (path, blob) in tracked)
        {
            var (size, content) = contents.GetValueOrDefault(blob);
            if (content is null || !GitManifest.LooksLike(content))
            {
                result.Add(new GitTrackedFile(path, "not-cleaned", size, null, null, null, blob, null));
                continue;
            }
            try
            {
                var m = GitManifest.Parse(content, path);
                var missing = m.MissingObjects(git.Objects).Count;
                result.Add(new GitTrackedFile(path, missing == 0 ? "ok" : "missing", m.File.Size, m.IsSafetensors ? m.Tensors.Count : null,
                                              m.File.ObjectIds().Distinct().Count(), missing, blob, null));
            }
            catch (CadreException e)
            {
                result.Add(new GitTrackedFile(path, "malformed", null, null, null, null, blob, e.Message));
            }
        }
        return result;
    }
}
