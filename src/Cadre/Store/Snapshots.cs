using System.Buffers.Binary;
using Cadre.Tensors;

namespace Cadre.Store;

/// <summary>
/// Folder ↔ manifest. <see cref="Commit"/> stores a flat folder's files (safetensors tensor by tensor, other files
/// whole) and returns the manifest's id; <see cref="Materialize"/> writes the files back byte for byte. Both stream,
/// so memory stays at a few chunks whatever the checkpoint's size.
/// </summary>
public static class Snapshots
{
    /// <summary>
    /// Stores <paramref name="folder"/>'s files. <paramref name="similar"/> names, for a (file, tensor) pair, an earlier
    /// object of the same tensor, so that only the change is stored. <paramref name="progress"/> hears bytes stored
    /// (stage "store"), tensor by tensor: a base of gigabytes takes a while to hash and compress.
    /// </summary>
    public static string Commit(ObjectStore store, string folder, Func<string, ManifestTensor, string?>? similar = null,
                                IProgress<Util.ProgressUpdate>? progress = null)
    {
        var files = new List<ManifestFile>();
        var all = FilesOf(folder);
        var total = all.Sum(f => new FileInfo(f.Path).Length);
        var done = 0L;
        progress?.Report(new Util.ProgressUpdate("store", 0, total, "bytes"));
        void Advance(long bytes) => progress?.Report(new Util.ProgressUpdate("store", done += bytes, total, "bytes"));
        foreach (var (path, name) in all)
        {
            var before = done;
            files.Add(CommitFile(store, path, name, similar, progress is null ? null : Advance));
            Advance(files[^1].Size - (done - before)); // the rest of the file: its header, or all of a blob
        }
        return store.PutBlob(new Manifest { Files = files }.ToBytes());
    }

    /// <summary>Every file under <paramref name="folder"/> with its '/'-joined relative path, in ordinal order.</summary>
    public static IReadOnlyList<(string Path, string Name)> FilesOf(string folder)
    {
        var result = new List<(string, string)>();
        void Walk(string dir, string prefix, int depth)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                var name = prefix + Path.GetFileName(entry);
                var info = new FileInfo(entry);
                if (info.LinkTarget is not null)
                    throw new CadreException($"{entry}: symbolic links cannot be stored (copy the file itself)");
                if (!Manifest.IsSafeFileName(Path.GetFileName(entry)))
                    throw new CadreException($"{entry}: cannot be stored (names must be plain, not hidden)");
                if (Directory.Exists(entry))
                {
                    if (depth >= Manifest.MaxDepth)
                        throw new CadreException($"{entry}: folders nest deeper than {Manifest.MaxDepth} levels");
                    Walk(entry, name + "/", depth + 1);
                }
                else
                    result.Add((entry, name));
            }
        }
        Walk(folder, "", 0);
        return result.OrderBy(r => r.Item2, StringComparer.Ordinal).ToList();
    }

    /// <summary>Stores one file; a safetensors file whose data rebuilds it exactly is split into tensors.</summary>
    public static ManifestFile CommitFile(ObjectStore store, string path, string name, Func<string, ManifestTensor, string?>? similar = null,
                                          Action<long>? stored = null)
    {
        var size = new FileInfo(path).Length;
        if (name.EndsWith(".safetensors", StringComparison.Ordinal) && TryHeader(path, size) is { } header)
        {
            IReadOnlyList<TensorInfo> infos;
            using (var reader = SafetensorsReader.Open(path)) infos = reader.Tensors;
            var dataStart = 8 + header.Length;
            if (Rebuildable(infos, size - dataStart))
            {
                // Plain reads rather than the reader's memory map: mapped pages would count toward the process's
                // resident memory, and a commit must stay at a few chunks whatever the checkpoint's size.
                var tensors = new List<ManifestTensor>();
                foreach (var info in infos)
                {
                    var entry = new ManifestTensor(info.Name, info.DType.Name(), info.Shape, "");
                    var id = store.PutTensor(info.DType, info.Shape, () => FileRange.Open(path, dataStart + info.Begin, info.ByteLength),
                                             similar?.Invoke(name, entry));
                    tensors.Add(entry with { Id = id });
                    stored?.Invoke(info.ByteLength);
                }
                return new ManifestFile { Path = name, Size = size, Header = store.PutBlob(header), Tensors = tensors };
            }
        }
        return new ManifestFile { Path = name, Size = size, Blob = store.PutBlobFile(path) };
    }

    /// <summary>The header bytes when the file is a valid safetensors file; null otherwise (stored as a blob).</summary>
    private static byte[]? TryHeader(string path, long size)
    {
        try
        {
            using var reader = SafetensorsReader.Open(path); // validates the header
            using var s = File.OpenRead(path);
            Span<byte> prefix = stackalloc byte[8];
            s.ReadExactly(prefix);
            var header = new byte[BinaryPrimitives.ReadUInt64LittleEndian(prefix)];
            s.ReadExactly(header);
            return header;
        }
        catch (CadreException)
        {
            return null;
        }
    }

    /// <summary>True when the tensors tile the data region with no gap or overlap, so header + tensors = the file.</summary>
    private static bool Rebuildable(IReadOnlyList<TensorInfo> tensors, long dataLength)
    {
        long at = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin))
        {
            if (t.Begin != at) return false;
            at = t.End;
        }
        return at == dataLength;
    }

    public static Manifest Read(ObjectStore store, string manifestId) =>
        Manifest.Parse(store.ReadAll(manifestId, Manifest.MaxBytes), $"manifest {manifestId[..12]}");

    /// <summary>Writes one file of a snapshot to <paramref name="output"/>.</summary>
    public static void WriteFile(ObjectStore store, ManifestFile file, Stream output)
    {
        if (file.Blob is not null)
        {
            using var raw = store.OpenRaw(file.Blob);
            raw.CopyTo(output);
            return;
        }
        var header = store.ReadAll(file.Header!, SafetensorsHeader.MaxHeaderBytes);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        output.Write(prefix);
        output.Write(header);
        foreach (var t in file.Tensors!)
        {
            using var raw = store.OpenRaw(t.Id);
            raw.CopyTo(output, 1 << 20);
        }
    }

    /// <summary>Writes every file of the snapshot into <paramref name="folder"/> (flushed to disk), checking sizes.</summary>
    public static void Materialize(ObjectStore store, string manifestId, string folder)
    {
        var manifest = Read(store, manifestId);
        Directory.CreateDirectory(folder);
        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(folder, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteFile(store, file, output);
                output.Flush(flushToDisk: true);
            }
            var written = new FileInfo(path).Length;
            if (written != file.Size)
                throw new CadreException($"{file.Path}: rebuilt {written} bytes, the manifest says {file.Size}");
        }
    }

    /// <summary>Null when <paramref name="folder"/> holds exactly the snapshot's files, else what differs.</summary>
    public static string? Differences(ObjectStore store, string manifestId, string folder)
    {
        var manifest = Read(store, manifestId);
        var present = FilesOf(folder).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(folder, file.Path);
            if (!present.Remove(file.Path)) return $"{file.Path} is missing";
            if (new FileInfo(path).Length != file.Size) return $"{file.Path} has another size";
            using var actual = File.OpenRead(path);
            using var expected = new HashingSink();
            WriteFile(store, file, expected);
            if (expected.Hex != ObjectIds.OfBlob(actual)) return $"{file.Path} has other contents";
        }
        return present.Count > 0 ? $"{present.First()} is not part of it" : null;
    }
}
