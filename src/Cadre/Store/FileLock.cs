using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Cadre.Store;

/// <summary>
/// An advisory lock (flock) held on an open lock file; closing it (or the death of its process) releases it.
/// <para>
/// The file is opened with <c>open(2)</c>, never with <see cref="FileStream"/> or <see cref="File.OpenHandle"/>: on
/// Unix .NET itself takes a non-blocking flock when it opens a file (LOCK_SH, LOCK_EX for FileShare.None) and throws
/// "being used by another process" when another process holds LOCK_EX, before any wait of ours could run. Measured:
/// with another process holding <c>flock -x</c> on a file, File.OpenHandle throws for read and for write, while
/// <c>open(2)</c> wrapped in a SafeFileHandle opens it. Every other store file is written under a unique temporary
/// name and renamed into place, so .NET's own shared locks on them never meet an exclusive one.
/// </para>
/// </summary>
internal sealed partial class FileLock : IDisposable
{
    private readonly SafeHandle _handle;

    private FileLock(SafeHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    public string Path { get; }

    /// <summary>
    /// Opens <paramref name="path"/> (creating it unless <paramref name="mustCreate"/> is false and it is absent: then
    /// null) and tries once to lock it. <paramref name="createNew"/> fails with an IOException when it exists.
    /// Returns the held lock, or null when another holder has it (or, without create, the file is gone).
    /// </summary>
    public static FileLock? TryAcquire(string path, bool shared, bool create = true, bool createNew = false)
    {
        var handle = Open(path, shared, create, createNew);
        if (handle is null) return null;
        var held = new FileLock(handle, path);
        if (held.TryLock(shared)) return held;
        held.Dispose();
        return null;
    }

    /// <summary>Polls <see cref="TryAcquire"/> until the lock is taken or <paramref name="timeout"/> passes (then null).</summary>
    public static FileLock? Acquire(string path, bool shared, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var wait = 5;
        while (true)
        {
            // Opened again on each try: on Windows the open itself is the lock attempt.
            if (TryAcquire(path, shared) is { } held) return held;
            if (DateTime.UtcNow > deadline) return null;
            Thread.Sleep(wait); // polling, not a blocking flock: a blocking call could not honour the timeout
            wait = Math.Min(wait * 2, 100);
        }
    }

    public void Dispose() => _handle.Dispose();

    private static SafeHandle? Open(string path, bool shared, bool create, bool createNew)
    {
        if (OperatingSystem.IsWindows())
        {
            // No flock there: the sharing mode of the open itself is the lock (Cadre's supported platform is Linux).
            try
            {
                return File.OpenHandle(path, createNew ? FileMode.CreateNew : create ? FileMode.OpenOrCreate : FileMode.Open,
                    shared ? FileAccess.Read : FileAccess.ReadWrite, (shared ? FileShare.Read : FileShare.None) | FileShare.Delete);
            }
            catch (FileNotFoundException) when (!create) { return null; }
            catch (IOException) when (!createNew) { return new SafeFileHandle(); } // held: an invalid handle, TryLock says no
        }
        var flags = ReadWrite | CloseOnExec | (create || createNew ? Create : 0) | (createNew ? Exclusive : 0);
        while (true)
        {
            var fd = OpenFile(path, flags, 0b110_110_110);
            if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EInterrupted) continue;
            if (errno == ENoEntry && !create) return null;
            if (errno == EExists && createNew) throw new IOException($"{path}: already exists");
            throw new IOException($"{path}: cannot open the lock file (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)})");
        }
    }

    private bool TryLock(bool shared)
    {
        if (_handle.IsInvalid) return false;
        if (OperatingSystem.IsWindows()) return true; // opened with the sharing mode that excludes the others
        while (true)
        {
            if (Flock((int)_handle.DangerousGetHandle(), (shared ? LockShared : LockExclusive) | LockNonBlocking) == 0)
                return true;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EInterrupted) continue;
            if (errno == EWouldBlock) return false;
            throw new IOException($"{Path}: flock failed (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)})");
        }
    }

    private const int LockShared = 1, LockExclusive = 2, LockNonBlocking = 4;
    private const int EInterrupted = 4;
    private static readonly bool Mac = OperatingSystem.IsMacOS();
    private static readonly int EWouldBlock = Mac ? 35 : 11, ENoEntry = 2, EExists = 17;
    private static readonly int ReadWrite = 2, Create = Mac ? 0x200 : 0x40, Exclusive = Mac ? 0x800 : 0x80;
    // Not inherited by child processes: a child (git, a test's cadre) must never keep the store locked.
    private static readonly int CloseOnExec = Mac ? 0x1000000 : 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
