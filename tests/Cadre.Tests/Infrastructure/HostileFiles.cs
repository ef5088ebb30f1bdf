using System.Diagnostics;
using System.Text;
using Cadre.Tensors;

namespace Cadre.Tests.Infrastructure;

/// <summary>Hostile inputs for import tests, made in a temp folder: links to devices, FIFOs, edited safetensors files.</summary>
internal static class HostileFiles
{
    /// <summary>Copies a folder's files (one level of subfolders too) so that a test can spoil the copy.</summary>
    public static string CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from))
            CopyFolder(dir, Path.Combine(to, Path.GetFileName(dir)));
        return to;
    }

    /// <summary>Replaces <paramref name="path"/> by a symbolic link to <paramref name="target"/>.</summary>
    public static void LinkTo(string path, string target)
    {
        File.Delete(path);
        File.CreateSymbolicLink(path, target);
    }

    /// <summary>Replaces <paramref name="path"/> by a FIFO (a named pipe nobody writes to: opening it to read blocks).</summary>
    public static void MakeFifo(string path)
    {
        File.Delete(path);
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    /// <summary>Rewrites a safetensors file, each tensor (name, dtype, shape, bytes) passed through <paramref name="edit"/>.</summary>
    public static void Rewrite(string path, Func<RawTensor, RawTensor> edit, RawTensor? extra = null)
    {
        List<RawTensor> tensors;
        using (var reader = SafetensorsReader.Open(path))
            tensors = reader.Tensors.Select(t => edit(new RawTensor(t.Name, t.DType, t.Shape, reader.Bytes(t.Name).ToArray()))).ToList();
        if (extra is not null)
            tensors.Add(extra);
        File.Delete(path);
        SafetensorsWriter.WriteRaw(path, tensors);
    }

    /// <summary>Sets element <paramref name="index"/> of the F32 tensor <paramref name="name"/> to <paramref name="value"/>.</summary>
    public static void Poison(string path, string name, float value, int index = 0) => Rewrite(path, t =>
    {
        if (t.Name != name) return t;
        Assert.Equal(DType.F32, t.DType);
        var bytes = t.Bytes.ToArray();
        BitConverter.TryWriteBytes(bytes.AsSpan(index * 4, 4), value);
        return t with { Bytes = bytes };
    });

    /// <summary>A safetensors file whose header declares one U8 tensor of <paramref name="bytes"/> bytes; the file is sparse.</summary>
    public static void WriteSparse(string path, long bytes)
    {
        var header = Encoding.UTF8.GetBytes($"{{\"w\":{{\"dtype\":\"U8\",\"shape\":[{bytes}],\"data_offsets\":[0,{bytes}]}}}}");
        using var file = new FileStream(path, FileMode.Create);
        file.Write(BitConverter.GetBytes((ulong)header.Length));
        file.Write(header);
        file.SetLength(8 + header.Length + bytes);
    }
}
