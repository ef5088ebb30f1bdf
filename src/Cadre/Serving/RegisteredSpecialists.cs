using Cadre.Specialists;
using Cadre.Store;

namespace Cadre.Serving;

/// <summary>
/// The engine's view of the registered specialists: every record and its HEAD version, read from the store at most
/// every <see cref="MaxAge"/> (a thousand specialists are a thousand small reads, too many per request), so a
/// specialist trained or imported while serving appears within that time. A read hands out an immutable snapshot,
/// safe to use while another thread refreshes.
/// </summary>
internal sealed class RegisteredSpecialists(string home)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private Snapshot? _current;
    private DateTime _readAt;

    public sealed record Entry(SpecialistRecord Record, VersionInfo? Head);

    private sealed record Snapshot(IReadOnlyList<Entry> All, IReadOnlyDictionary<string, Entry> ByName);

    /// <summary>Every registered specialist, by name in ordinal order.</summary>
    public IReadOnlyList<Entry> All => Current().All;

    public Entry? Find(string name) => Current().ByName.GetValueOrDefault(name);

    private Snapshot Current()
    {
        lock (_gate)
        {
            if (_current is null || DateTime.UtcNow - _readAt > MaxAge)
            {
                var catalog = new SpecialistCatalog(home);
                var all = catalog.List().OrderBy(r => r.Name, StringComparer.Ordinal)
                                 .Select(r => new Entry(r, catalog.Store.Head(r.Name))).ToList();
                _current = new Snapshot(all, all.ToDictionary(e => e.Record.Name, StringComparer.Ordinal));
                _readAt = DateTime.UtcNow;
            }
            return _current;
        }
    }
}
