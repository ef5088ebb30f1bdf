using Cadre.Models;
using Cadre.Models.Import;
using Cadre.Specialists;
using Cadre.Store;
using static TorchSharp.torch;
using Cadre.Util;

namespace Cadre.Routing;

/// <summary>What <c>cadre router build</c> asks for; every default is documented in docs/formats.md.</summary>
public sealed record RouterRequest
{
    /// <summary>The router's name. Default <c>default</c>, the one <c>cadre route</c> uses.</summary>
    public string Name { get; init; } = RouterRecord.DefaultName;
    /// <summary>A name in <see cref="Routers.All"/>. Default <c>prototype</c>.</summary>
    public string Method { get; init; } = Routers.Default;
    /// <summary>The specialists to choose among; default every trained specialist.</summary>
    public IReadOnlyList<string>? Specialists { get; init; }
    /// <summary>Share of held-out in-scope inputs the abstention threshold answers. Default 0.95 (the usual 95 % TPR operating point).</summary>
    public double Coverage { get; init; } = 0.95;
    /// <summary>Share of each specialist's routing rows held out for the temperature and the threshold. Default 0.2.</summary>
    public double HeldOut { get; init; } = 0.2;
    public int Seed { get; init; } = 1;
    /// <summary>Replace a router of the same name. Default false: an existing router is refused (<c>--force</c>).</summary>
    public bool Replace { get; init; }
    /// <summary>Where warnings go (near-identical specialists); default nowhere.</summary>
    public Action<string>? Warn { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Coverage is <= 0 or > 1) errors.Add($"coverage: must be in (0, 1], got {Coverage}");
        if (HeldOut is <= 0 or >= 1) errors.Add($"held_out: must be between 0 and 1, got {HeldOut}");
        if (Routers.All.All(m => m.Name != Method)) errors.Add($"method: '{Method}' is not one of {string.Join(", ", Routers.All.Select(m => m.Name))}{Suggest.DidYouMean(Method, Routers.All.Select(m => m.Name))}");
        if (Specialists is { Count: 0 }) errors.Add("specialists: at least one");
        return errors;
    }
}

/// <summary>
/// Builds a router from stored specialists: their routing samples (<see cref="RoutingSamples"/>), a seeded
/// held-out share per specialist, the method fitted on the rest, then the temperature and abstention threshold
/// fitted on the held-out rows (<see cref="RouterCalibration"/>), saved under <c>CADRE_HOME/routers/NAME/</c>.
/// </summary>
public static class RouterBuilder
{
    public static RouterRecord Build(string home, RouterRequest request)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
            throw new CadreException("router build: " + string.Join("; ", errors));
        if (!request.Replace && new RouterCatalog(home).Contains(request.Name))
            throw new CadreException($"router '{request.Name}' exists; replace it with --force, or build another with --name");
        var catalog = new SpecialistCatalog(home);
        var records = request.Specialists?.Distinct().Select(n => catalog.Get(n)).ToList() ?? [.. catalog.List().Where(r => r.Spec is not null)]; // merged ones route through their inputs
        var method = Routers.Get(request.Method);
        if (records.Count < Math.Max(1, method.MinimumSpecialists))
            throw new CadreException(records.Count == 0 ? "no specialists to route among; train some with cadre train"
                : $"the {method.Name} router needs at least {method.MinimumSpecialists} specialists, got {records.Count}");
        var bases = records.GroupBy(r => r.Base.ContentHash).ToList();
        if (bases.Count > 1)
            throw new CadreException("a router chooses among specialists of one base; these differ: "
                                     + string.Join("; ", bases.Select(g => $"{g.First().Base.Name} ({g.Key[..12]}): {string.Join(", ", g.Select(r => r.Name))}")));
        var baseRef = records[0].Base;
        ISentenceEncoder? encoder = null;
        try
        {
            ISentenceEncoder Encoder() => encoder ??= LoadBase(home, baseRef);
            var samples = records.Select(r => RoutingSamples.For(home, r, Encoder)).ToList();
            foreach (var warning in NearCopies.Find(records, samples))
                request.Warn?.Invoke(warning);
            var (data, heldOut) = Split(samples, request.HeldOut, request.Seed);
            using var router = method.Fit(data, request.Seed);
            var calibration = Calibrate(router, heldOut, request.Coverage);
            var record = new RouterRecord
            {
                Name = request.Name, Method = method.Name, Base = baseRef, Dimension = data.Dimension,
                MaxLength = samples.Max(s => s.MaxLength),
                Specialists = [.. records.Select((r, i) => new RoutedSpecialist(r.Name, RouterCatalog.Fingerprint(home, r.Name), samples[i].Rows))],
                Temperature = calibration.Temperature, Abstention = calibration.Abstention, Calibration = calibration.Values,
                HeldOut = request.HeldOut, Seed = request.Seed,
            };
            new RouterCatalog(home).Save(record, router.State());
            return record;
        }
        finally
        {
            encoder?.Dispose();
        }
    }

    /// <summary>The base a router's specialists share, refused when its content changed since they were trained.</summary>
    public static ISentenceEncoder LoadBase(string home, BaseReference reference)
    {
        CheckBase(home, reference);
        return BaseModels.LoadEncoder(new BaseCatalog(home), reference.Name);
    }

    /// <summary>Refuses a base whose imported content differs from the one the router was built on.</summary>
    public static void CheckBase(string home, BaseReference reference)
    {
        var record = new BaseCatalog(home).Get(reference.Name);
        if (record.ContentHash != reference.ContentHash)
            throw new CadreException($"base '{reference.Name}' now holds content {record.ContentHash[..12]}, but the specialists were trained on {reference.ContentHash[..12]}; re-import the original base");
    }

    /// <summary>All rows in one <see cref="RouterData"/>, and a seeded held-out share of each specialist's rows.</summary>
    public static (RouterData Fit, RouterData HeldOut) Split(IReadOnlyList<RoutingSample> samples, double heldOut, int seed)
    {
        var dims = samples.Select(s => s.Dimension).Distinct().ToList();
        if (dims.Count != 1)
            throw new CadreException($"routing samples have different widths ({string.Join(", ", dims)}); they must share one base");
        var all = Union(samples);
        var random = new Random(seed);
        var fit = new List<int>();
        var held = new List<int>();
        for (var s = 0; s < samples.Count; s++)
        {
            var rows = Enumerable.Range(0, all.Rows).Where(i => all.Owner[i] == s).ToArray();
            random.Shuffle(rows);
            var take = rows.Length < 2 ? 0 : Math.Max(1, (int)Math.Round(rows.Length * heldOut));
            held.AddRange(rows.Take(take).Order());
            fit.AddRange(rows.Skip(take).Order());
        }
        return (all.Take(fit), all.Take(held));
    }

    /// <summary>Every sample's rows as one <see cref="RouterData"/>, owner = the sample's position.</summary>
    public static RouterData Union(IReadOnlyList<RoutingSample> samples)
    {
        var d = samples[0].Dimension;
        var embeddings = samples.SelectMany(s => s.Embeddings).ToArray();
        var owner = samples.SelectMany((s, i) => Enumerable.Repeat(i, s.Rows)).ToArray();
        var group = samples.SelectMany(s => s.Classes ?? new int[s.Rows]).ToArray();
        return new RouterData([.. samples.Select(s => s.Specialist)], d, embeddings, owner, group);
    }

    public sealed record CalibrationResult(double Temperature, Abstention Abstention, IReadOnlyDictionary<string, double> Values);

    /// <summary>Temperature, ECE before and after, and the abstention threshold on the held-out rows.</summary>
    public static CalibrationResult Calibrate(IRouter router, RouterData heldOut, double coverage)
    {
        RouterScores scores;
        using (var scope = NewDisposeScope())
            scores = router.Score(heldOut.Tensor());
        var gold = heldOut.Owner;
        var temperature = RouterCalibration.FitTemperature(scores.Logits, gold);
        var raw = scores.Logits.Select(l => RouterCalibration.Softmax(l, 1)).ToList();
        var calibrated = scores.Logits.Select(l => RouterCalibration.Softmax(l, temperature)).ToList();
        var signal = scores.Similarity is { } sim ? "similarity" : "probability";
        var signals = scores.Similarity?.Select(v => (double)v).ToList() ?? [.. calibrated.Select(p => p.Max())];
        var threshold = RouterCalibration.Threshold(signals, coverage);
        var accuracy = gold.Length == 0 ? double.NaN : calibrated.Select((p, i) => RouterCalibration.ArgMax(p) == gold[i] ? 1.0 : 0).Average();
        return new CalibrationResult(temperature, new Abstention(signal, coverage, threshold), new Dictionary<string, double>
        {
            ["rows"] = gold.Length, ["accuracy"] = accuracy,
            ["ece_uncalibrated"] = RouterCalibration.ExpectedCalibrationError(raw, gold),
            ["ece"] = RouterCalibration.ExpectedCalibrationError(calibrated, gold),
            ["nll"] = RouterCalibration.NegativeLogLikelihood(scores.Logits, gold, temperature),
        });
    }
}
