using System.Collections.Concurrent;

namespace Cadre.Store;

/// <summary>
/// An entry of <c>CADRE_HOME/tmp</c> (a staging folder, a download, a bench's work folder) held by the process that
/// made it: <c>tmp/NAME.lock</c> beside <c>tmp/NAME</c> carries an exclusive flock for the entry's whole life. The
/// lock file is created before the entry and removed after it. A process killed mid-import leaves its entry behind
/// with a lock nobody holds; <see cref="Sweep"/> (run by <c>cadre gc</c>) removes exactly those, and never an entry
/// whose lock a live process holds. The lock sits beside the entry, not inside it, so a staged folder moved into
/// place (a base, a version) carries no lock file with it.
/// </summary>
public sealed class StagingLease : IDisposable
{
    public const string LockSuffix = ".lock";

    private static readonly ConcurrentDictionary<string, StagingLease> Held = new(StringComparer.Ordinal);
    private readonly FileLock _lock;

    private StagingLease(string path, FileLock held)
    {
        Path = path;
        _lock = held;
    }

    /// <summary>The entry: a folder made by <see cref="Create"/> with <c>folder</c>, else a path for the caller to create.</summary>
    public string Path { get; }

    public static string Folder(string home) => System.IO.Path.Combine(home, "tmp");

    /// <summary>Holds a fresh <c>CADRE_HOME/tmp/PREFIX-RANDOM</c>, created as an empty folder when <paramref name="folder"/> is true.</summary>
    public static StagingLease Create(string home, string prefix, bool folder = true, string suffix = "")
    {
        var tmp = Folder(home);
        Directory.CreateDirectory(tmp);
        while (true)
        {
            var path = System.IO.Path.Combine(tmp, prefix + "-" + Guid.NewGuid().ToString("N")[..12] + suffix);
            var held = FileLock.TryAcquire(path + LockSuffix, shared: false, createNew: true);
            // gc may have taken and removed the new lock file between our open and our flock: then start again.
            if (held is null || !File.Exists(held.Path)) { held?.Dispose(); continue; }
            if (folder) Directory.CreateDirectory(path);
            return new StagingLease(path, held);
        }
    }

    /// <summary>
    /// <see cref="Create"/> for callers that pass the staging path around as a string: the lease stays held until
    /// <see cref="Release"/> (or the process ends).
    /// </summary>
    public static string CreateHeld(string home, string prefix)
    {
        var lease = Create(home, prefix);
        Held[lease.Path] = lease;
        return lease.Path;
    }

    /// <summary>Removes what is left of a path from <see cref="CreateHeld"/> and drops its lease; no-op for other paths.</summary>
    public static void Release(string path)
    {
        if (Held.TryRemove(path, out var lease)) lease.Dispose();
    }

    /// <summary>Removes the entry if it is still there (it may have been moved into place), then its lock.</summary>
    public void Dispose()
    {
        try { Remove(Path); }
        finally
        {
            TryDelete(_lock.Path);
            _lock.Dispose();
        }
    }

    /// <summary>
    /// Removes every entry of <paramref name="tmp"/> that no live process holds: entries whose lock file can be
    /// locked, and entries without one (left by a Cadre before leases, or by a process killed between removing an
    /// entry and its lock). Returns how many entries went and the bytes they held.
    /// </summary>
    public static (int Entries, long Bytes) Sweep(string tmp)
    {
        if (!Directory.Exists(tmp)) return (0, 0);
        int count = 0;
        long bytes = 0;
        void Count(string path)
        {
            var size = SizeOf(path);
            if (Remove(path)) (count, bytes) = (count + 1, bytes + size);
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(tmp).Order(StringComparer.Ordinal).ToList())
        {
            if (!entry.EndsWith(LockSuffix, StringComparison.Ordinal))
            {
                if (File.Exists(entry + LockSuffix)) continue; // its lock decides, when the loop reaches it
                Count(entry);
                continue;
            }
            // Tried once, never waited for: a held lock means a live owner. Opened without creating, so a lock file
            // its owner just removed stays removed.
            using var held = FileLock.TryAcquire(entry, shared: false, create: false);
            if (held is null) continue;
            Count(entry[..^LockSuffix.Length]);
            TryDelete(entry); // while still held: no new owner can take a lock file on its way out
        }
        return (count, bytes);
    }

    private static long SizeOf(string path)
    {
        try
        {
            if (File.Exists(path)) return new FileInfo(path).Length;
            return Directory.Exists(path)
                ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
        }
        catch (IOException) { return 0; } // vanishing while counted: its owner removed it
    }

    /// <summary>Removes a file or folder if present; true when something was removed.</summary>
    private static bool Remove(string path)
    {
        try
        {
            if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null) { Directory.Delete(path, recursive: true); return true; }
            if (File.Exists(path) || new FileInfo(path).LinkTarget is not null) { File.Delete(path); return true; }
        }
        catch (DirectoryNotFoundException) { }
        return false;
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); } catch (IOException) { }
    }
}
