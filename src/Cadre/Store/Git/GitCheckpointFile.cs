using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Cadre.Tensors;

namespace Cadre.Store.Git;

/// <summary>
/// A file git hands to textconv or to the diff driver: a cadre git manifest (what git stores) or the checkpoint
/// itself (git passes the work-tree file when it can), read the same way. Tensors of a real file get their
/// content address (<see cref="TensorHash"/>), so they compare with a manifest's by id; their values are read from
/// the file, a manifest's from the store. Anything else is listed by size and blob id.
/// </summary>
public sealed class GitCheckpointFile
{
    private readonly string _file;
    private readonly long _dataStart;

    private GitCheckpointFile(string file, long size, GitManifest? manifest, IReadOnlyList<TensorInfo>? raw, IReadOnlyList<ManifestTensor> tensors,
                              string? problem, string? blob, string? header = null, long dataStart = 0)
    {
        _file = file;
        _dataStart = dataStart;
        Header = header;
        Size = size;
        Manifest = manifest;
        RawTensors = raw;
        Tensors = tensors;
        Problem = problem;
        Blob = blob;
    }

    public long Size { get; }
    /// <summary>Set when the file is a git manifest.</summary>
    public GitManifest? Manifest { get; }
    /// <summary>Set when the file is a safetensors checkpoint.</summary>
    private IReadOnlyList<TensorInfo>? RawTensors { get; }
    public IReadOnlyList<ManifestTensor> Tensors { get; }
    /// <summary>Why the file is not readable as a checkpoint (a malformed manifest), when it is not.</summary>
    public string? Problem { get; }
    /// <summary>The blob id of a file that is not split into tensors.</summary>
    public string? Blob { get; }
    /// <summary>The blob id of a checkpoint's safetensors header.</summary>
    public string? Header { get; }

    public bool IsCheckpoint => Manifest?.IsSafetensors == true || RawTensors is not null;

    /// <summary>A manifest read from git itself (the diff driver's blob id), rather than from a file.</summary>
    public static GitCheckpointFile Of(GitManifest manifest) =>
        new("", manifest.File.Size, manifest, null, manifest.Tensors, null, manifest.File.Blob, manifest.File.Header);

    /// <summary>Reads <paramref name="file"/>; null for <c>/dev/null</c> (a side that does not exist).</summary>
    public static GitCheckpointFile? Open(string file, string what)
    {
        if (file == "/dev/null" || !File.Exists(file)) return null;
        var size = new FileInfo(file).Length;
        GitManifest? manifest;
        try { manifest = GitFilter.ReadManifestFile(file, what); }
        catch (CadreException e) { return new GitCheckpointFile(file, size, null, null, [], e.Message, null); }
        if (manifest is not null)
            return new GitCheckpointFile(file, manifest.File.Size, manifest, null, manifest.Tensors, null, manifest.File.Blob, manifest.File.Header);
        try
        {
            using var reader = SafetensorsReader.Open(file);
            var tensors = reader.Tensors.OrderBy(t => t.Begin)
                .Select(t => new ManifestTensor(t.Name, t.DType.Name(), t.Shape, reader.Hash(t.Name).Hex)).ToList();
            using var s = File.OpenRead(file);
            Span<byte> prefix = stackalloc byte[8];
            s.ReadExactly(prefix);
            var header = new byte[BinaryPrimitives.ReadUInt64LittleEndian(prefix)];
            s.ReadExactly(header);
            return new GitCheckpointFile(file, size, null, reader.Tensors.OrderBy(t => t.Begin).ToList(), tensors, null, null,
                                         ObjectIds.OfBlob(header), 8 + header.Length);
        }
        catch (CadreException)
        {
            using var whole = File.OpenRead(file);
            return new GitCheckpointFile(file, size, null, null, [], null, ObjectIds.OfBlob(whole));
        }
    }

    /// <summary>The tensor's raw bytes, or null when a manifest's object is not in the store.</summary>
    public Stream? OpenTensor(ObjectStore? store, ManifestTensor tensor)
    {
        if (RawTensors is not null)
        {
            using var reader = SafetensorsReader.Open(_file);
            var info = reader.Info(tensor.Name);
            return FileRange.Open(_file, _dataStart + info.Begin, info.ByteLength);
        }
        if (store is null || Manifest is null || Manifest.MissingObjects(store).Count > 0) return null;
        return store.OpenRaw(tensor.Id);
    }

    /// <summary>
    /// textconv's text: a summary line, then one line per tensor (name, dtype, shape, short id) in data order, so
    /// git's line diff shows which tensors changed.
    /// </summary>
    public string Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        if (Problem is not null) return $"cadre: {Problem}\n";
        if (!IsCheckpoint)
            return string.Create(ci, $"cadre file: {Size:N0} bytes, blob {Blob?[..12]} (not a safetensors checkpoint)\n");
        text.Append(string.Create(ci, $"cadre checkpoint: {Size:N0} bytes, {Tensors.Count} tensors"));
        if (Header is not null) text.Append(", header ").Append(Header[..12]);
        text.Append('\n');
        foreach (var t in Tensors)
            text.Append(t.Name).Append(' ').Append(t.DType).Append(" [").Append(string.Join(", ", t.Shape)).Append("] ").Append(t.Id[..12]).Append('\n');
        return text.ToString();
    }
}
