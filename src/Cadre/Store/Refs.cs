using System.Text;
using System.Text.RegularExpressions;

namespace Cadre.Store;

/// <summary>
/// Refs under <c>STORE/refs</c>: per specialist <c>specialists/NAME/HEAD</c> (<c>ref: heads/BRANCH</c> or a version
/// id), <c>heads/BRANCH</c>, <c>tags/TAG</c> and <c>versions</c> (the index of version numbers: one
/// <c>NUMBER ID</c> line each); per base <c>bases/NAME</c>. Each is a small text file replaced by an atomic rename,
/// so a reader never sees half a ref. Git repositories tracked through Cadre's filter keep theirs under
/// <c>git/REPO/roots/ID</c> (see <see cref="Git.GitStore"/>). Writers hold the <see cref="StoreLock"/>.
/// </summary>
public sealed partial class Refs(string root)
{
    public string Folder { get; } = Path.Combine(root, "refs");
    private string Tmp => Path.Combine(root, "tmp");

    /// <summary>
    /// Branch and tag names: up to 64 letters, digits, '.', '_' or '-', starting with a letter; no "..". A leading
    /// letter keeps them apart from version numbers and hash prefixes, which REV also accepts.
    /// </summary>
    public static string CheckRefName(string name, string what)
    {
        if (!RefName().IsMatch(name) || name.Contains("..") || name.EndsWith('.') || name is "HEAD" || name.EndsWith(".lock", StringComparison.Ordinal))
            throw new CadreException($"invalid {what} name '{CadreException.Shown(name)}': use up to 64 letters, digits, '.', '_' or '-', starting with a letter");
        return name;
    }

    /// <summary>Checks a specialist's name (or, with <paramref name="kind"/>, another kind's) by the rule of <see cref="BaseCatalog.ValidateName"/>.</summary>
    public static string CheckName(string name, string kind = "specialist")
    {
        BaseCatalog.ValidateName(name, kind);
        return name;
    }

    public string? Read(string relative)
    {
        var path = Path.Combine(Folder, relative);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    public void Write(string relative, string value)
    {
        var path = Path.Combine(Folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Directory.CreateDirectory(Tmp);
        var tmp = Path.Combine(Tmp, "ref-" + Guid.NewGuid().ToString("N"));
        using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
        {
            f.Write(Encoding.UTF8.GetBytes(value + "\n"));
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    public bool Delete(string relative)
    {
        var path = Path.Combine(Folder, relative);
        if (!File.Exists(path)) return false;
        File.Delete(path);
        return true;
    }

    /// <summary>Ref names under a folder such as <c>specialists/spam/heads</c>, nested names joined by '/'.</summary>
    public IReadOnlyList<string> List(string relativeFolder)
    {
        var dir = Path.Combine(Folder, relativeFolder);
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();
    }

    public IReadOnlyList<string> Specialists() => Directory.Exists(Path.Combine(Folder, "specialists"))
        ? Directory.GetDirectories(Path.Combine(Folder, "specialists")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
        : [];

    /// <summary>The version index of a specialist: number → id, in order.</summary>
    public IReadOnlyList<(int Number, string Id)> Versions(string name)
    {
        var text = Read($"specialists/{name}/versions");
        if (text is null) return [];
        var list = new List<(int, string)>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && int.TryParse(parts[0], out var n) && ObjectIds.IsValid(parts[1]))
                list.Add((n, parts[1]));
        }
        return list;
    }

    public void WriteVersions(string name, IEnumerable<(int Number, string Id)> versions) =>
        Write($"specialists/{name}/versions", string.Join("\n", versions.Select(v => $"{v.Number} {v.Id}")));

    /// <summary>
    /// Every id a ref points at (HEADs, versions, branches, tags, bases' entries, git repositories' manifests): the roots of reachability. Every
    /// version a specialist ever had stays listed in its index, so gc reclaims only what no version references.
    /// </summary>
    public IEnumerable<(string Ref, string Id)> Roots()
    {
        foreach (var name in Specialists())
        {
            var head = Read($"specialists/{name}/HEAD");
            if (head is not null && ObjectIds.IsValid(head)) yield return ($"{name} HEAD", head);
            foreach (var (number, id) in Versions(name))
                yield return ($"{name} version {number}", id);
            foreach (var kind in new[] { "heads", "tags" })
            foreach (var r in List($"specialists/{name}/{kind}"))
                if (Read($"specialists/{name}/{kind}/{r}") is { } id)
                    yield return ($"{name} {kind}/{r}", id);
        }
        foreach (var b in List("bases"))
            if (Read($"bases/{b}") is { } id)
                yield return ($"base {b}", id);
        // Git repositories' checkpoints (Store/Git/GitStore.cs): git/REPO/roots/ID, each naming a store manifest.
        foreach (var r in List("git"))
            if (r.Split('/') is [var repo, "roots", var name] && Read($"git/{r}") is { } id)
                yield return ($"git {repo} {name}", id);
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex RefName();
}
