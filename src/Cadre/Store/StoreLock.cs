namespace Cadre.Store;

/// <summary>
/// Advisory locks (flock, see <see cref="FileLock"/>) on files of the store folder. The kernel drops a lock when its
/// holder dies, so a killed process never leaves the store locked. Two locks, always taken in this order so that no
/// two processes deadlock:
/// <list type="number">
/// <item><c>objects.lock</c>: shared by every process that writes objects it has not yet referenced (a commit, a
/// bundle apply), exclusive for <c>cadre gc</c>, which must not delete an object that is about to be referenced.</item>
/// <item><c>refs.lock</c>: exclusive for every change to refs, and for gc.</item>
/// </list>
/// A process that finds a lock held waits for it (polling) up to <see cref="Timeout"/>, then fails with a
/// <see cref="StoreBusyException"/> naming the lock.
/// </summary>
public sealed class StoreLock : IDisposable
{
    public const string ObjectsLock = "objects.lock";
    public const string RefsLock = "refs.lock";

    /// <summary>How long a process waits for a lock: 120 s by default, <c>CADRE_LOCK_TIMEOUT</c> (seconds) overrides.</summary>
    public static TimeSpan Timeout { get; set; } = DefaultTimeout();

    private readonly FileLock _lock;

    private StoreLock(FileLock held) => _lock = held;

    public static StoreLock Acquire(string root, string name, bool shared = false, TimeSpan? timeout = null)
    {
        Directory.CreateDirectory(root);
        var wait = timeout ?? Timeout;
        var held = FileLock.Acquire(Path.Combine(root, name), shared, wait)
                   ?? throw new StoreBusyException($"{root}: the store is busy ({name} held by another Cadre process for over {wait.TotalSeconds:F1} s; CADRE_LOCK_TIMEOUT sets how long to wait)");
        return new StoreLock(held);
    }

    public void Dispose() => _lock.Dispose(); // closing the descriptor releases the lock

    private static TimeSpan DefaultTimeout() =>
        double.TryParse(Environment.GetEnvironmentVariable("CADRE_LOCK_TIMEOUT"), System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0
            ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(120);
}

/// <summary>A store lock stayed held by another process past <see cref="StoreLock.Timeout"/>: trying again later may succeed.</summary>
public sealed class StoreBusyException(string message) : CadreException(message);
