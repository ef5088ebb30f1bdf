namespace Cadre.Store;

/// <summary>
/// The store's writer lock: an exclusive advisory lock (flock) on <c>STORE/lock</c>, taken by every change to refs
/// and by removal of objects. The kernel drops it when the holder dies, so a killed process never leaves the store
/// locked. Waits up to <see cref="Timeout"/> for another holder, then fails with a clear message.
/// </summary>
public sealed class StoreLock : IDisposable
{
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    private readonly FileStream _file;

    private StoreLock(FileStream file) => _file = file;

    public static StoreLock Acquire(string root)
    {
        Directory.CreateDirectory(root);
        var path = Path.Combine(root, "lock");
        var deadline = DateTime.UtcNow + Timeout;
        var wait = 10;
        while (true)
        {
            try
            {
                return new StoreLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(wait);
                wait = Math.Min(wait * 2, 200);
            }
            catch (IOException e)
            {
                throw new CadreException($"{root}: the store is locked by another Cadre process (waited {Timeout.TotalSeconds:F0} s): {e.Message}");
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
