namespace Cadre.Store.Git;

/// <summary>
/// Git's clean and smudge for checkpoints. Clean: the file's bytes (spooled to a temporary file: splitting a
/// safetensors file needs random access) become store objects, one per tensor, stored as a delta on the same tensor
/// of the version in the index when there is one, and git gets the small <see cref="GitManifest"/>. Smudge: the
/// manifest becomes the file's exact bytes again, streamed from the store. Both pass through what is not theirs: a
/// manifest given to clean (so clean is idempotent) and, to smudge, bytes that were committed before the filter.
/// </summary>
public sealed class GitFilter(GitStore git)
{
    /// <summary>Safetensors files are split by content, whatever the path's extension.</summary>
    private const string SplitName = "checkpoint.safetensors";

    public GitStore Git { get; } = git;

    /// <summary>
    /// <c>CADRE_GIT_SKIP_SMUDGE=1</c>: checkouts write the manifests themselves (a clone before its objects are
    /// fetched); clean passes them through unchanged, so git sees no change, and a later checkout writes the files.
    /// </summary>
    public const string SkipSmudgeVariable = "CADRE_GIT_SKIP_SMUDGE";

    /// <summary>The text git should store for <paramref name="path"/>, whose content is in <paramref name="spool"/>. Call under <see cref="GitStore.WriteLock"/>.</summary>
    public byte[] Clean(string path, string spool)
    {
        if (ReadManifestFile(spool, path) is { } existing)
        {
            if (existing.MissingObjects(Git.Objects).Count == 0) Git.RecordRoot(existing);
            return File.ReadAllBytes(spool);
        }
        var previous = Previous(path);
        var file = Snapshots.CommitFile(Git.Objects, spool, SplitName,
            (_, tensor) => previous.TryGetValue(tensor.Name, out var t) && t.DType == tensor.DType ? t.Id : null);
        var manifest = GitManifest.Of(file);
        Git.RecordRoot(manifest);
        return manifest.ToBytes();
    }

    /// <summary>
    /// Checks what smudging <paramref name="spool"/> needs (a well-formed manifest, every object present) before any
    /// byte is written; the result then streams the file. Call under <see cref="GitStore.WriteLock"/>.
    /// </summary>
    public SmudgePlan PrepareSmudge(string path, string spool)
    {
        var manifest = ReadManifestFile(spool, path);
        if (manifest is null || Environment.GetEnvironmentVariable(SkipSmudgeVariable) == "1") return new SmudgePlan(path, null, spool, Git);
        var missing = manifest.MissingObjects(Git.Objects);
        if (missing.Count > 0) throw Git.MissingObjects(path, missing);
        Git.RecordRoot(manifest);
        return new SmudgePlan(path, manifest, spool, Git);
    }

    /// <summary>The manifest in <paramref name="file"/>, null when the file is not one; malformed ones are errors.</summary>
    public static GitManifest? ReadManifestFile(string file, string what)
    {
        using (var s = File.OpenRead(file))
        {
            Span<byte> prefix = stackalloc byte[GitManifest.Magic.Length + 1];
            if (s.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false) < prefix.Length || !GitManifest.LooksLike(prefix))
                return null;
            if (s.Length > Manifest.MaxBytes)
                throw new CadreException($"{what}: a cadre git manifest of {s.Length} bytes, more than {Manifest.MaxBytes}");
        }
        return GitManifest.Parse(File.ReadAllBytes(file), what);
    }

    /// <summary>The tensors of the version of <paramref name="path"/> in the index (else HEAD), by name, for delta hints.</summary>
    private Dictionary<string, ManifestTensor> Previous(string path)
    {
        foreach (var revision in new[] { $":{path}", $"HEAD:{path}" })
        {
            try
            {
                if (Git.ManifestAt(revision, revision) is { } m)
                    return m.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
            }
            catch (CadreException) { } // a malformed previous version only costs the hint
        }
        return [];
    }
}

/// <summary>A checked smudge: writes the checkpoint's bytes (or the passed-through content) to a stream.</summary>
public sealed class SmudgePlan(string path, GitManifest? manifest, string spool, GitStore git)
{
    public bool PassThrough => manifest is null;

    public void WriteTo(Stream output)
    {
        if (manifest is null)
        {
            using var input = File.OpenRead(spool);
            input.CopyTo(output, 1 << 16);
            return;
        }
        var counted = new CountingStream(output);
        Snapshots.WriteFile(git.Objects, manifest.File, counted);
        if (counted.Count != manifest.File.Size)
            throw new CadreException($"{path}: rebuilt {counted.Count} bytes, its manifest says {manifest.File.Size}");
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Count += buffer.Length;
        }
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Count;
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
