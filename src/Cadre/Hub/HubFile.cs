namespace Cadre.Hub;

/// <summary>
/// One file of a repository at one commit, as the Hub's tree API lists it: its path, size, git blob id and, for a
/// file stored with Git LFS, the SHA-256 of its content. The cache names a blob by the file's ETag, which is the
/// SHA-256 for an LFS file and the git blob id otherwise; both are also what its content must hash to.
/// </summary>
public sealed record HubFile(string Path, long Size, string? BlobId, string? LfsSha256)
{
    /// <summary>What the Hub's ETag for the file is expected to be (null when unknown, as for files read from the cache).</summary>
    public string? ExpectedEtag => LfsSha256 ?? BlobId;

    /// <summary>The file's name, without its folder.</summary>
    public string Name => Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>The folder inside the repository ("" at the top).</summary>
    public string Folder => Path.LastIndexOf('/') is var i and >= 0 ? Path[..i] : "";
}
