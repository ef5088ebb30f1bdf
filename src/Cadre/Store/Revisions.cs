namespace Cadre.Store;

/// <summary><c>NAME@REV</c> as the command line writes it; REV is null when only the name is given.</summary>
public readonly record struct VersionSpec(string Name, string? Rev)
{
    public static VersionSpec Parse(string text)
    {
        var at = text.IndexOf('@');
        var name = at < 0 ? text : text[..at];
        var rev = at < 0 ? null : text[(at + 1)..];
        if (rev is "") throw new CadreException($"'{text}': nothing after '@' (give a version number, tag, branch or hash prefix)");
        Refs.CheckName(name);
        return new VersionSpec(name, rev);
    }

    public override string ToString() => Rev is null ? Name : $"{Name}@{Rev}";
}

/// <summary>REV: a version number, HEAD, a tag, a branch, or a prefix (at least 4 hex digits) of a version id.</summary>
public sealed partial class CadreStore
{
    public VersionInfo Resolve(VersionSpec spec) => Resolve(spec.Name, spec.Rev);

    public VersionInfo Resolve(string name, string? rev)
    {
        Refs.CheckName(name);
        EnsureFormat(create: false);
        var versions = Refs.Versions(name);
        if (versions.Count == 0 && !HasSpecialist(name))
        {
            var known = Specialists();
            throw new CadreException($"unknown specialist '{name}'" + (known.Count > 0 ? $"; stored specialists: {string.Join(", ", known)}" : "; none stored yet (cadre train cadre.yaml)"));
        }
        if (rev is null or "HEAD")
            return Head(name) ?? throw new CadreException($"{name}: HEAD points at nothing");
        if (rev.All(char.IsAsciiDigit) && rev.Length <= 9)
        {
            var number = int.Parse(rev, System.Globalization.CultureInfo.InvariantCulture);
            var match = versions.Where(v => v.Number == number).Select(v => v.Id).FirstOrDefault();
            return match is not null ? ReadVersion(match)
                : throw new CadreException($"{name}: no version {number} (versions 1..{(versions.Count == 0 ? 0 : versions.Max(v => v.Number))})");
        }
        if (IsRefName(rev))
        {
            if (Refs.Read($"specialists/{name}/tags/{rev}") is { } tagged) return ReadVersion(tagged);
            if (Refs.Read($"specialists/{name}/heads/{rev}") is { } branch) return ReadVersion(branch);
        }
        if (rev.Length >= 4 && rev.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            var matches = versions.Where(v => v.Id.StartsWith(rev, StringComparison.Ordinal)).Select(v => v.Id).Distinct().ToList();
            if (matches.Count == 1) return ReadVersion(matches[0]);
            if (matches.Count > 1) throw new CadreException($"{name}@{rev}: the prefix matches {matches.Count} versions; give more digits");
        }
        var refs = Branches(name).Select(b => b.Name).Concat(Tags(name).Select(t => t.Name)).ToList();
        throw new CadreException($"{name}@{rev}: no such version, tag, branch or id prefix"
                                 + (refs.Count > 0 ? $" (branches and tags: {string.Join(", ", refs)})" : ""));
    }

    private static bool IsRefName(string rev)
    {
        try { Refs.CheckRefName(rev, "ref"); return true; }
        catch (CadreException) { return false; }
    }

    /// <summary>Versions from <paramref name="from"/> back through its parents, newest first.</summary>
    public IReadOnlyList<VersionInfo> Log(VersionInfo from, int limit = int.MaxValue)
    {
        var result = new List<VersionInfo>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var frontier = new PriorityQueue<VersionInfo, int>();
        frontier.Enqueue(from, -from.Number);
        while (frontier.TryDequeue(out var v, out _) && result.Count < limit)
        {
            if (!seen.Add(v.Id)) continue;
            result.Add(v);
            foreach (var p in v.Record.Parents)
                if (!seen.Contains(p)) { var parent = ReadVersion(p); frontier.Enqueue(parent, -parent.Number); }
        }
        return result;
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="version"/> or one of its ancestors.</summary>
    public bool IsAncestor(string ancestor, VersionInfo version) => Log(version).Any(v => v.Id == ancestor);
}
