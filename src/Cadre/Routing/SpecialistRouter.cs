using Cadre.Models;
using Cadre.Tasks;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Routing;

/// <summary>
/// One text's routing: the chosen specialist, or null when the router abstains (<see cref="Best"/> still names the
/// top-scoring one); the calibrated probability of the top specialist; the abstention signal and its threshold;
/// and every specialist's calibrated probability.
/// </summary>
public sealed record RouteDecision(string Text, string? Specialist, string Best, double Confidence, double Signal, double Threshold,
                                   IReadOnlyDictionary<string, double> Scores)
{
    public bool Abstained => Specialist is null;
}

/// <summary>
/// A built router ready to run: its record, the fitted method, and the shared base that embeds inputs (checked
/// against the content the specialists were trained on; loaded with the router, never inside a caller's dispose
/// scope, which would take the base's weights with it). Decisions come from calibrated
/// probabilities, softmax(logits / temperature); a text abstains when the router's signal falls below its threshold.
/// </summary>
public sealed class SpecialistRouter : IDisposable
{
    private readonly string _home;
    private readonly IRouter _router;
    private readonly ISentenceEncoder? _encoder;

    private SpecialistRouter(string home, RouterRecord record, IRouter router, ISentenceEncoder? encoder)
    {
        _home = home;
        Record = record;
        _router = router;
        _encoder = encoder;
    }

    public RouterRecord Record { get; }

    public IReadOnlyList<string> Specialists => [.. Record.Specialists.Select(s => s.Name)];

    /// <summary>The routing method's own parameters (prototype coordinates or classifier weights).</summary>
    public long ParameterCount => _router.ParameterCount;

    /// <param name="withBase">
    /// false for a caller that embeds inputs itself (the serving engine batches them through its shared base) and only
    /// calls <see cref="Decide"/>: no second copy of the base is loaded.
    /// </param>
    public static SpecialistRouter Load(string home, string name = RouterRecord.DefaultName, bool withBase = true)
    {
        var catalog = new RouterCatalog(home);
        var record = catalog.Get(name);
        var file = Path.Combine(catalog.FolderOf(name), RouterRecord.TensorsFile);
        if (!File.Exists(file))
            throw new CadreException($"{file}: missing; rebuild the router with cadre router build --name {name} --force");
        using var reader = SafetensorsReader.Open(file);
        var state = reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadTensor(t.Name));
        IRouter? router = null;
        try
        {
            router = Routers.Get(record.Method).Load(state, record.Specialists.Count, record.Dimension, file);
            if (!withBase) RouterBuilder.CheckBase(home, record.Base);
            return new SpecialistRouter(home, record, router, withBase ? RouterBuilder.LoadBase(home, record.Base) : null);
        }
        catch
        {
            router?.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>Routed specialists that were retrained, replaced or removed since the router was built: rebuild it.</summary>
    public IReadOnlyList<string> Stale() =>
        [.. Record.Specialists.Where(s => RouterCatalog.Fingerprint(_home, s.Name) is var now && (now.Length == 0 || now != s.Fingerprint)).Select(s => s.Name)];

    /// <summary>Embeds the texts with the shared base (no adapter) and routes them.</summary>
    public IReadOnlyList<RouteDecision> Route(IReadOnlyList<string> texts)
    {
        using var scope = NewDisposeScope();
        return Decide(texts, Embed(texts));
    }

    /// <summary>Base embeddings (N, D) as the router sees them; the caller's dispose scope owns them.</summary>
    public Tensor Embed(IReadOnlyList<string> texts)
    {
        var encoder = _encoder ?? throw new InvalidOperationException("this router was loaded without its base; embed the texts and call Decide");
        return AdapterFeatures.Embed(encoder, null, texts, Record.MaxLength); // (N, D)
    }

    /// <summary>Routes texts whose base embeddings (N, D) are already known.</summary>
    public IReadOnlyList<RouteDecision> Decide(IReadOnlyList<string> texts, Tensor embeddings)
    {
        var scores = _router.Score(embeddings);
        var names = Specialists;
        var threshold = Record.Abstention.Threshold;
        return [.. texts.Select((text, i) =>
        {
            var p = RouterCalibration.Softmax(scores.Logits[i], Record.Temperature);
            var best = RouterCalibration.ArgMax(p);
            var signal = scores.Similarity is { } s ? s[i] : p[best];
            var byName = names.Select((n, k) => (n, p[k])).ToDictionary(x => x.n, x => x.Item2);
            return new RouteDecision(text, signal >= threshold ? names[best] : null, names[best], p[best], signal, threshold, byName);
        })];
    }

    public void Dispose()
    {
        _router.Dispose();
        _encoder?.Dispose();
    }
}
