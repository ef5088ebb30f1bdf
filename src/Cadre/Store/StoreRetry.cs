namespace Cadre.Store;

/// <summary>
/// Runs a store write again when it failed for a reason that may pass: a lock another process held past
/// <see cref="StoreLock.Timeout"/>, or an IO error (a file system hiccup, space freed meanwhile). Three tries, 1 s
/// then 5 s apart; the last failure is thrown. Only for writes that are safe to repeat, such as
/// <see cref="CadreStore.Commit"/> (objects are content-addressed; refs move under the lock, checked again there).
/// </summary>
public static class StoreRetry
{
    public const int Attempts = 3;
    private static readonly TimeSpan[] Pauses = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)];

    public static T Run<T>(Func<T> write, Action<string>? log = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return write(); }
            catch (Exception e) when (attempt < Attempts && IsTransient(e))
            {
                var pause = Pauses[Math.Min(attempt - 1, Pauses.Length - 1)];
                log?.Invoke($"store write failed ({e.Message}); trying again in {pause.TotalSeconds:F0} s ({attempt + 1} of {Attempts})");
                Thread.Sleep(pause);
            }
        }
    }

    public static bool IsTransient(Exception e) =>
        e is StoreBusyException || e is IOException and not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException);
}
