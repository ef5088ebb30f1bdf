using System.Runtime.InteropServices;

namespace Cadre.Util;

/// <summary>
/// Checks on files that come into CADRE_HOME from outside (base and specialist imports), made before a byte is read:
/// only regular files are read (a symbolic link counts as its final target), so a link to <c>/dev/zero</c> cannot fill
/// the disk and a FIFO cannot block the import forever; and the copy must fit the free space of CADRE_HOME's disk.
/// </summary>
public static partial class InputFiles
{
    /// <summary>
    /// Throws unless <paramref name="path"/> is, or links to, a regular file. <paramref name="shown"/> is the path the
    /// user gave (errors name it). Opening a FIFO blocks until a writer comes, so the type is read with stat, never by
    /// opening the file.
    /// </summary>
    public static void RequireRegular(string path, string? shown = null)
    {
        shown ??= path;
        var kind = Kind(path);
        if (kind is "missing")
            throw new CadreException($"{shown}: no such file");
        if (kind is not "regular file")
            throw new CadreException($"{shown}: {(IsLink(path) ? $"links to {kind}" : $"is {kind}")}, not a regular file; Cadre imports only regular files");
    }

    /// <summary>
    /// Throws unless CADRE_HOME's disk has <paramref name="bytes"/> free, plus a margin for the records written beside
    /// them. <paramref name="what"/> says what needs the space (the user's path).
    /// </summary>
    public static void RequireFreeSpace(string home, long bytes, string what)
    {
        Directory.CreateDirectory(home);
        var free = new DriveInfo(Path.GetFullPath(home)).AvailableFreeSpace;
        const long margin = 64L << 20;
        if (bytes + margin > free)
            throw new CadreException($"{what}: importing needs {bytes:N0} bytes (plus a {margin >> 20} MiB margin) but the disk of {home} has {free:N0} free");
    }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>What stat says the path (its final target, for a link) is: "regular file", "a FIFO", ...</summary>
    private static string Kind(string path)
    {
        if (OperatingSystem.IsWindows())
            return File.Exists(path) ? "regular file" : Directory.Exists(path) ? "a folder" : "missing";
        Span<byte> status = stackalloc byte[512]; // System.Native's FileStatus is about 130 bytes; room to spare
        if (Stat(path, ref MemoryMarshal.GetReference(status)) != 0)
            return IsLink(path) ? "a missing target (a broken link)" : "missing";
        // FileStatus starts { int32 Flags; int32 Mode; ... } with System.Native's own portable S_IF* values.
        var mode = BitConverter.ToInt32(status[4..8]) & 0xF000;
        return mode switch
        {
            0x8000 => "regular file",
            0x4000 => "a folder",
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
    }

    // The runtime's own portable stat (what File and FileInfo call underneath); it follows symbolic links.
    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref byte status);
}
