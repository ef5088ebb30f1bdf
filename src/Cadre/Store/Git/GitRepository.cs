using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Cadre.Store.Git;

/// <summary>
/// A git repository, driven through the <c>git</c> command (Cadre links no git library): configuration, attributes,
/// blobs, and the objects reachable from its history. Every call runs in the work tree's top folder with the
/// environment git gave us, so a filter started by git sees the same repository git does.
/// </summary>
public sealed class GitRepository
{
    private GitRepository(string top, string gitDir)
    {
        Top = top;
        GitDir = gitDir;
    }

    /// <summary>The work tree's top folder.</summary>
    public string Top { get; }

    /// <summary>The repository's (common) git folder, absolute.</summary>
    public string GitDir { get; }

    /// <summary>The repository that holds <paramref name="directory"/>; a clear error outside one or in a bare one.</summary>
    public static GitRepository Open(string directory)
    {
        var where = Run(directory, ["rev-parse", "--is-bare-repository", "--is-inside-git-dir"]);
        if (where.ExitCode != 0)
            throw new CadreException($"{directory}: not inside a git repository (run 'git init' first, or cd into one)");
        var flags = where.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (flags is ["true", ..])
            throw new CadreException($"{directory}: a bare git repository has no work tree to filter; run this in a clone");
        if (flags is [_, "true"])
            throw new CadreException($"{directory}: inside a .git folder; run this in the work tree");
        var result = Run(directory, ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir"]);
        var lines = result.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (result.ExitCode != 0 || lines.Length < 2)
            throw new CadreException($"{directory}: git rev-parse failed ({result.Error.Trim()}); Cadre needs git 2.31 or later");
        return new GitRepository(lines[0], lines[1]);
    }

    public sealed record Result(int ExitCode, byte[] Out, string Error)
    {
        public string Text => Encoding.UTF8.GetString(Out);
    }

    /// <summary>Runs git here; a non-zero exit is a <see cref="CadreException"/> carrying git's message.</summary>
    public string Git(params string[] arguments) => Check(Run(Top, arguments), arguments).Text;

    public byte[] GitBytes(IReadOnlyList<string> arguments, byte[]? input = null) => Check(Run(Top, arguments, input), arguments).Out;

    private static Result Check(Result result, IReadOnlyList<string> arguments) => result.ExitCode == 0 ? result
        : throw new CadreException($"git {string.Join(' ', arguments)} failed: {result.Error.Trim()}");

    /// <summary>A configuration value (repository, then global and system, as git reads them), or null when unset.</summary>
    public string? Config(string key, bool path = false)
    {
        var result = Run(Top, path ? ["config", "--path", "--get", key] : ["config", "--get", key]);
        if (result.ExitCode == 1) return null;
        return Check(result, ["config", key]).Text.TrimEnd('\n');
    }

    /// <summary>Sets a value in the repository's own configuration (<c>.git/config</c>), never the global one.</summary>
    public void SetConfig(string key, string value) => Git("config", "--local", key, value);

    /// <summary>A blob's bytes by revision (<c>HEAD:path</c>, <c>:path</c> for the index), or null when there is none.</summary>
    public byte[]? ReadBlob(string revision, long limit)
    {
        var size = Run(Top, ["cat-file", "-s", revision]);
        if (size.ExitCode != 0 || !long.TryParse(size.Text.Trim(), out var n) || n > limit) return null;
        var result = Run(Top, ["cat-file", "blob", revision]);
        return result.ExitCode == 0 ? result.Out : null;
    }

    /// <summary>Values of <paramref name="names"/> for each path: null when unspecified, "set", "unset" or the value.</summary>
    public Dictionary<string, Dictionary<string, string?>> Attributes(IReadOnlyCollection<string> paths, params string[] names)
    {
        var result = new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal);
        if (paths.Count == 0) return result;
        var input = Encoding.UTF8.GetBytes(string.Concat(paths.Select(p => p + "\0")));
        var fields = Encoding.UTF8.GetString(GitBytes(["check-attr", "-z", "--stdin", .. names], input)).Split('\0');
        for (var i = 0; i + 2 < fields.Length; i += 3)
        {
            if (!result.TryGetValue(fields[i], out var values)) result[fields[i]] = values = new(StringComparer.Ordinal);
            values[fields[i + 1]] = fields[i + 2] == "unspecified" ? null : fields[i + 2];
        }
        return result;
    }

    /// <summary>
    /// Sizes of the blobs among <paramref name="ids"/>, and the content of those of at most <paramref name="limit"/>
    /// bytes; two cat-file processes in all (sizes first, so a large blob is never read). Missing objects and
    /// non-blobs are left out.
    /// </summary>
    public Dictionary<string, (long Size, byte[]? Content)> ReadBlobs(IReadOnlyCollection<string> ids, long limit)
    {
        var result = new Dictionary<string, (long, byte[]?)>(StringComparer.Ordinal);
        if (ids.Count == 0) return result;
        var checks = Encoding.ASCII.GetString(GitBytes(["cat-file", "--batch-check"], Encoding.ASCII.GetBytes(string.Concat(ids.Select(i => i + "\n")))));
        var small = new List<string>();
        foreach (var line in checks.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (line.Split(' ') is [var id, "blob", var size] && long.TryParse(size, out var n))
            {
                result[id] = (n, null);
                if (n <= limit) small.Add(id);
            }
        foreach (var batch in small.Chunk(1024))
        foreach (var (id, type, content) in ReadObjects(batch))
            if (type == "blob" && content is not null) result[id] = (content.LongLength, content);
        return result;
    }

    /// <summary>
    /// <c>git cat-file --batch</c> over <paramref name="ids"/>: each object's type and content, or null content
    /// when it is missing. One git process serves every object.
    /// </summary>
    public IEnumerable<(string Id, string Type, byte[]? Content)> ReadObjects(IReadOnlyCollection<string> ids)
    {
        var output = GitBytes(["cat-file", "--batch"], Encoding.ASCII.GetBytes(string.Concat(ids.Select(i => i + "\n"))));
        var at = 0;
        while (at < output.Length)
        {
            var end = Array.IndexOf(output, (byte)'\n', at);
            if (end < 0) throw new CadreException("git cat-file --batch: truncated answer");
            var parts = Encoding.ASCII.GetString(output, at, end - at).Split(' ');
            at = end + 1;
            if (parts.Length == 2 && parts[1] == "missing") { yield return (parts[0], "missing", null); continue; }
            if (parts.Length != 3 || !int.TryParse(parts[2], out var size) || at + size > output.Length)
                throw new CadreException("git cat-file --batch: unexpected answer");
            yield return (parts[0], parts[1], output.AsSpan(at, size).ToArray());
            at += size + 1; // the content is followed by a line feed
        }
    }

    /// <summary>Runs git in <paramref name="directory"/>, feeding <paramref name="input"/> while reading both outputs.</summary>
    public static Result Run(string directory, IReadOnlyList<string> arguments, byte[]? input = null)
    {
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info) ?? throw new CadreException("could not start git"); }
        catch (Win32Exception e) { throw new CadreException($"git is not available on this machine ({e.Message}); install it and retry"); }
        using (process)
        {
            // Both pipes and the input at once: any of them filling up would otherwise block the other side.
            var stdout = new MemoryStream();
            var reading = process.StandardOutput.BaseStream.CopyToAsync(stdout);
            var stderr = process.StandardError.ReadToEndAsync();
            var writing = Task.Run(() =>
            {
                try
                {
                    if (input is not null) process.StandardInput.BaseStream.Write(input);
                    process.StandardInput.Close();
                }
                catch (IOException) { } // git exited early; its exit code says why
            });
            process.WaitForExit();
            Task.WaitAll(reading, stderr, writing);
            return new Result(process.ExitCode, stdout.ToArray(), stderr.Result);
        }
    }
}
