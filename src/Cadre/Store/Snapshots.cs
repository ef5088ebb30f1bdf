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
    /// object of the same tensor, so that only the change is stored.
    /// </summary>
    public static string Commit(ObjectStore store, string folder, Func<string, ManifestTensor, string?>? similar = null)
    {
        var files = new List<ManifestFile>();
        foreach (var path in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (!Manifest.IsSafeFileName(name))
                throw new CadreException($"{path}: cannot be stored (file names must be plain, not hidden)");
            files.Add(CommitFile(store, path, name, similar));
        }
        return store.PutBlob(new Manifest { Files = files }.ToBytes());
    }

    /// <summary>Stores one file; a safetensors file whose data rebuilds it exactly is split into tensors.</summary>
    public static ManifestFile CommitFile(ObjectStore store, string path, string name, Func<string, ManifestTensor, string?>? similar = null)
    {
        var size = new FileInfo(path).Length;
        if (name.EndsWith(".safetensors", StringComparison.Ordinal) && TryHeader(path, size) is { } header)
        {
            using var reader = SafetensorsReader.Open(path);
            if (Rebuildable(reader.Tensors, size - 8 - header.Length))
            {
                var tensors = new List<ManifestTensor>();
                foreach (var info in reader.Tensors)
                {
                    var entry = new ManifestTensor(info.Name, info.DType.Name(), info.Shape, "");
                    var id = store.PutTensor(info.DType, info.Shape, () => reader.OpenRead(info.Name), similar?.Invoke(name, entry));
                    tensors.Add(entry with { Id = id });
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
}
