using Cadre.Specialists;
using Cadre.Store;

namespace Cadre.Serving;

/// <summary>
/// The hot specialists: loaded lazily from the store on first use (concurrent first requests share one load),
/// kept while their tensors fit in <see cref="ServingOptions.PoolBudgetBytes"/>, evicted least recently used first.
/// A reload swaps in the new version at once; requests already queued hold the old entry, finish on it, and the
/// last one frees it. An entry is freed only when no queued request holds it.
/// </summary>
internal sealed class AdapterPool(string home, ServingOptions options, Func<SpecialistRecord, string, ServingBase> baseFor) : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, ServedSpecialist> _hot = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<ServedSpecialist>> _loading = new(StringComparer.Ordinal);
    private readonly HashSet<ServedSpecialist> _retired = [];
    private long _tick;

    public long Bytes { get; private set; }
    public long Loads;
    public long Evictions;

    public int HotCount { get { lock (_gate) return _hot.Count; } }

    public ServedSpecialist? Hot(string name) { lock (_gate) return _hot.GetValueOrDefault(name); }

    /// <summary>The hot entry of <paramref name="name"/>, loaded first when cold, held for the caller (call <see cref="Release"/>).</summary>
    public async Task<ServedSpecialist> AcquireAsync(string name, CancellationToken cancel)
    {
        while (true)
        {
            Task<ServedSpecialist> loading;
            lock (_gate)
            {
                if (_hot.TryGetValue(name, out var hot))
                {
                    hot.LastUsed = ++_tick;
                    hot.Hold();
                    return hot;
                }
                if (!_loading.TryGetValue(name, out loading!))
                    _loading[name] = loading = Task.Run(() => LoadAndInstall(name, null));
            }
            await loading.WaitAsync(cancel);
        }
    }

    /// <summary>Loads version <paramref name="rev"/> (HEAD when null) and makes it the hot one; a no-op when it already is.</summary>
    public async Task<ServedSpecialist> LoadAsync(string name, string? rev, CancellationToken cancel)
    {
        var found = Resolve(name, rev);
        lock (_gate)
            if (_hot.TryGetValue(name, out var hot) && hot.Version.Id == found.Version.Id)
                return hot;
        return await Task.Run(() => LoadAndInstall(name, found), cancel);
    }

    private (SpecialistRecord Record, VersionInfo Version) Resolve(string name, string? rev)
    {
        try
        {
            return new SpecialistCatalog(home).GetVersion(name, rev);
        }
        catch (CadreException e) when (e is not ServingException)
        {
            throw new ServingException(ServingErrorKind.NotFound, e.Message);
        }
    }

    /// <param name="found">the version to load, or null for HEAD (resolved here, so a failure still clears the load)</param>
    private ServedSpecialist LoadAndInstall(string name, (SpecialistRecord Record, VersionInfo Version)? found)
    {
        try
        {
            var (record, version) = found ?? Resolve(name, null);
            var folder = new SpecialistCatalog(home).Store.FolderOf(version);
            var servingBase = baseFor(record, name);
            // Read from the files alone, checked against the base's sites: no lock, so passes on the base go on meanwhile.
            var served = OutsideCallerScope.Build(() => ServedSpecialist.Load(home, servingBase.Encoder, record, version, folder));
            lock (_gate)
            {
                if (_hot.Remove(name, out var old)) Retire(old);
                served.LastUsed = ++_tick;
                _hot[name] = served;
                Bytes += served.Bytes;
                Loads++;
                Evict(keep: served);
            }
            return served;
        }
        finally
        {
            lock (_gate) _loading.Remove(name);
        }
    }

    /// <summary>Evicts least recently used, unheld entries until the budget holds (the newest entry stays).</summary>
    private void Evict(ServedSpecialist? keep)
    {
        while (Bytes > options.PoolBudgetBytes)
        {
            var victim = _hot.Values.Where(s => s != keep && !s.Held).MinBy(s => s.LastUsed);
            if (victim is null) return; // everything else is in use: over budget until requests finish
            _hot.Remove(victim.Name);
            Evictions++;
            Retire(victim);
        }
    }

    private void Retire(ServedSpecialist entry)
    {
        entry.Retired = true;
        Bytes -= entry.Bytes;
        if (entry.Held) _retired.Add(entry);
        else entry.Dispose();
    }

    public void Release(ServedSpecialist entry)
    {
        entry.Release();
        lock (_gate)
        {
            if (entry.Retired && !entry.Held && _retired.Remove(entry))
                entry.Dispose();
            else if (!entry.Retired && Bytes > options.PoolBudgetBytes)
                Evict(keep: null);
        }
    }

    public bool Unload(string name)
    {
        lock (_gate)
        {
            if (!_hot.Remove(name, out var entry)) return false;
            Retire(entry);
            return true;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var s in _hot.Values.Concat(_retired)) s.Dispose();
            _hot.Clear();
            _retired.Clear();
        }
    }
}
