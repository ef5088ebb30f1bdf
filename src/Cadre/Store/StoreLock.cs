using System.Runtime.InteropServices;

namespace Cadre.Store;

/// <summary>
/// Advisory locks (flock) on files of the store folder. The kernel drops a lock when its holder dies, so a killed
/// process never leaves the store locked. Two locks, always taken in this order so that no two processes deadlock:
/// <list type="number">
/// <item><c>objects.lock</c>: shared by every process that writes objects it has not yet referenced (a commit, a
/// bundle apply), exclusive for <c>cadre gc</c>, which must not delete an object that is about to be referenced.</item>
/// <item><c>refs.lock</c>: exclusive for every change to refs, and for gc.</item>
/// </list>
/// A waiter gives up after <see cref="Timeout"/> with a clear message.
/// </summary>
public sealed partial class StoreLock : IDisposable
{
    public const string ObjectsLock = "objects.lock";
    public const string RefsLock = "refs.lock";

    public static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(120);

    private readonly FileStream _file;

    private StoreLock(FileStream file) => _file = file;

    public static StoreLock Acquire(string root, string name, bool shared = false)
    {
        Directory.CreateDirectory(root);
        var path = Path.Combine(root, name);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            var deadline = DateTime.UtcNow + Timeout;
            var wait = 5;
            while (!TryLock(file, shared))
            {
                if (DateTime.UtcNow > deadline)
                    throw new CadreException($"{root}: the store is busy ({name} held by another Cadre process for over {Timeout.TotalSeconds:F0} s)");
                Thread.Sleep(wait);
                wait = Math.Min(wait * 2, 100);
            }
            return new StoreLock(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static bool TryLock(FileStream file, bool shared)
    {
        if (OperatingSystem.IsWindows())
            return true; // FileShare already excludes other writers there; Cadre's supported platform is Linux
        var fd = (int)file.SafeFileHandle.DangerousGetHandle();
        if (Flock(fd, (shared ? LockShared : LockExclusive) | LockNonBlocking) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        return errno is EWouldBlock or EInterrupted ? false
            : throw new IOException($"{file.Name}: flock failed (errno {errno})");
    }

    public void Dispose() => _file.Dispose(); // closing the descriptor releases the lock

    private const int LockShared = 1, LockExclusive = 2, LockNonBlocking = 4;
    private const int EWouldBlock = 11, EInterrupted = 4;

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
