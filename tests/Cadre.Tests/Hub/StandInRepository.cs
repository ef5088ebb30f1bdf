using System.Security.Cryptography;
using System.Text;

namespace Cadre.Tests.Hub;

/// <summary>
/// One file of a stand-in commit. As on the Hub, a file stored with Git LFS (weights, pickles, SentencePiece
/// models) is listed with its pointer's git blob id and an <c>lfs</c> block holding the SHA-256 of its content;
/// any other file by its own git blob id (SHA-1 of "blob SIZE\0" and the content).
/// </summary>
internal sealed record StandInFile(string Path, byte[] Content, bool Lfs)
{
    private static readonly string[] LfsSuffixes = [".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".onnx", ".model", ".gguf"];

    public static bool IsLfs(string path) => LfsSuffixes.Any(s => path.EndsWith(s, StringComparison.Ordinal));

    public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Content));

    /// <summary>The text git stores for an LFS file.</summary>
    public string Pointer => $"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256}\nsize {Content.Length}\n";

    /// <summary>The git blob id: of the pointer for an LFS file, of the content otherwise.</summary>
    public string Oid => GitBlobId(Lfs ? Encoding.ASCII.GetBytes(Pointer) : Content);

    /// <summary>The ETag the Hub gives the file: the SHA-256 for LFS, else the git blob id.</summary>
    public string Etag => Lfs ? Sha256 : Oid;

    public static string GitBlobId(byte[] content) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
}

/// <summary>
/// A repository of the stand-in Hub: commits (immutable sets of files), branches and tags pointing at them, and
/// who may read it (public, private: any valid token; gated: the tokens granted access).
/// </summary>
internal sealed class StandInRepository(string id)
{
    private readonly Dictionary<string, IReadOnlyDictionary<string, StandInFile>> _commits = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _refs = new(StringComparer.Ordinal);

    public string Id { get; } = id;
    public bool Private { get; init; }
    public bool Gated { get; init; }
    public HashSet<string> Granted { get; } = new(StringComparer.Ordinal);

    /// <summary>Makes a commit of <paramref name="files"/> (path → content) on <paramref name="branch"/>; returns its id.</summary>
    public string Commit(IReadOnlyDictionary<string, byte[]> files, string branch = "main")
    {
        var snapshot = files.ToDictionary(f => f.Key, f => new StandInFile(f.Key, f.Value, StandInFile.IsLfs(f.Key)), StringComparer.Ordinal);
        var parent = _refs.GetValueOrDefault(branch) ?? "";
        var listing = string.Join("\n", snapshot.Values.OrderBy(f => f.Path, StringComparer.Ordinal).Select(f => $"{f.Path} {f.Oid}"));
        var commit = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes($"{Id}\n{parent}\n{listing}\n{_commits.Count}")));
        _commits[commit] = snapshot;
        _refs[branch] = commit;
        return commit;
    }

    /// <summary>
    /// Commits every file under <paramref name="folder"/> (paths with '/'), but .gitkeep: it keeps an empty folder in
    /// this repository, and the Hub's repositories have no empty folders to keep.
    /// </summary>
    public string CommitFolder(string folder, string branch = "main", IReadOnlyDictionary<string, byte[]>? extra = null)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != ".gitkeep")
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllBytes, StringComparer.Ordinal);
        foreach (var (path, content) in extra ?? new Dictionary<string, byte[]>())
            files[path] = content;
        return Commit(files, branch);
    }

    public void Tag(string tag, string commit) => _refs[tag] = commit;

    /// <summary>The commit a branch, tag or full commit id names, or null.</summary>
    public string? Resolve(string revision) =>
        _refs.TryGetValue(revision, out var commit) ? commit : _commits.ContainsKey(revision) ? revision : null;

    public IReadOnlyDictionary<string, StandInFile> Files(string commit) => _commits[commit];

    /// <summary>Any commit's file with this SHA-256 (what the CDN serves by).</summary>
    public StandInFile? BySha256(string sha256) =>
        _commits.Values.SelectMany(c => c.Values).FirstOrDefault(f => f.Lfs && f.Sha256 == sha256);
}
