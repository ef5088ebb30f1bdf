namespace Cadre.Store.Git;

/// <summary>What <see cref="GitInstall.Run"/> set: the attribute lines it added or replaced, and the config entries.</summary>
public sealed record GitInstallReport(string AttributesFile, IReadOnlyList<string> Lines, bool AttributesChanged, IReadOnlyList<(string Key, string Value)> Config);

/// <summary>
/// <c>cadre git install</c>: a line per pattern in the work tree's <c>.gitattributes</c>
/// (<c>*.safetensors filter=cadre diff=cadre merge=cadre -text</c>, plus <c>cadre-merge=NAME</c> with a strategy) and
/// the repository's own config (never the global one): the filter process and its single-file fallbacks (required,
/// so a checkout without Cadre fails rather than leaving manifests in place of checkpoints), the textconv and
/// external diff, and the merge driver. Running it again changes nothing; other lines of .gitattributes are kept.
/// </summary>
public static class GitInstall
{
    public const string DefaultPattern = "*.safetensors";

    /// <param name="cadre">The shell words that run cadre (already quoted), e.g. <c>'/usr/bin/dotnet' '/opt/cadre/cadre.dll'</c>.</param>
    public static GitInstallReport Run(GitRepository repository, string cadre, IReadOnlyList<string> patterns, GitMergeStrategy? strategy)
    {
        var file = Path.Combine(repository.Top, ".gitattributes");
        var before = File.Exists(file) ? File.ReadAllText(file) : "";
        var lines = patterns.Select(p => Line(p, strategy)).ToList();
        var after = WithLines(before, patterns, lines);
        if (after != before)
        {
            var tmp = file + ".cadre-tmp";
            File.WriteAllText(tmp, after);
            File.Move(tmp, file, overwrite: true);
        }
        var config = new List<(string, string)>
        {
            ("filter.cadre.process", $"{cadre} git filter-process"),
            ("filter.cadre.clean", $"{cadre} git clean %f"),
            ("filter.cadre.smudge", $"{cadre} git smudge %f"),
            ("filter.cadre.required", "true"),
            ("diff.cadre.textconv", $"{cadre} git textconv"),
            ("diff.cadre.command", $"{cadre} git diff-driver"),
            ("diff.cadre.cachetextconv", "true"),
            ("merge.cadre.name", "Cadre tensor-level merge"),
            ("merge.cadre.driver", $"{cadre} git merge-driver %O %A %B %P"),
        };
        foreach (var (key, value) in config) repository.SetConfig(key, value);
        return new GitInstallReport(file, lines, after != before, config);
    }

    public static string Line(string pattern, GitMergeStrategy? strategy)
    {
        if (string.IsNullOrWhiteSpace(pattern) || pattern.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || pattern[0] is '#' or '!' or '"')
            throw new CadreException($"'{pattern}': a pattern for .gitattributes must be one word, without spaces, not starting with #, ! or \"");
        return $"{pattern} filter=cadre diff=cadre merge=cadre -text" + (strategy is null ? "" : $" {GitMergeStrategies.Attribute}={strategy.Name}");
    }

    /// <summary>
    /// <paramref name="text"/> with a line for each pattern: a line of that pattern that already names
    /// <c>filter=cadre</c> is replaced in place (so a new strategy replaces the old), else the line is appended.
    /// </summary>
    public static string WithLines(string text, IReadOnlyList<string> patterns, IReadOnlyList<string> lines)
    {
        var existing = text.Length == 0 ? [] : text.Replace("\r\n", "\n").TrimEnd('\n').Split('\n').ToList();
        for (var i = 0; i < patterns.Count; i++)
        {
            var at = existing.FindIndex(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) is [var p, .. var attrs]
                                             && p == patterns[i] && attrs.Contains("filter=cadre"));
            if (at >= 0) existing[at] = lines[i];
            else existing.Add(lines[i]);
        }
        return string.Join("\n", existing) + "\n";
    }

    /// <summary>One word for a POSIX shell (git runs filter and driver commands through sh).</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''") + "'";
}
