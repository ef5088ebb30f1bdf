using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cadre.Adapters;
using Cadre.Data;
using Cadre.Models;
using Cadre.Models.Import;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>How the diagonal Fisher is estimated (see <see cref="FisherEstimator"/>).</summary>
public sealed record FisherOptions
{
    /// <summary>Training examples used (a seeded sample when the training set is larger). Default 512.</summary>
    public int Examples { get; init; } = 512;
    /// <summary><c>expected</c>, <c>sampled</c> or <c>gold</c>. Default expected.</summary>
    public string Labels { get; init; } = "expected";
    /// <summary><c>expected</c>: the expectation runs over each example's most probable classes, this many. Default 8.</summary>
    public int Classes { get; init; } = 8;
    public long Seed { get; init; } = 1;
    /// <summary>Tests: take the one-example-at-a-time path even where the batched one applies (they must agree).</summary>
    internal bool PerExample { get; init; }
}

/// <summary>A Fisher estimate on disk: the safetensors file (one tensor per merged key), its L2 norm and what it took.</summary>
public sealed record FisherEstimate(string File, double Norm, int Examples, double LeftOutMass, double Seconds, bool Cached)
{
    public IReadOnlyDictionary<string, string> Describe(FisherOptions options) => new Dictionary<string, string>
    {
        ["examples"] = Examples.ToString(CultureInfo.InvariantCulture), ["labels"] = options.Labels,
        ["classes"] = options.Classes.ToString(CultureInfo.InvariantCulture),
        ["left_out_mass"] = LeftOutMass.ToString("F4", CultureInfo.InvariantCulture),
        ["seconds"] = Seconds.ToString("F1", CultureInfo.InvariantCulture), ["cached"] = Cached ? "true" : "false",
    };
}

/// <summary>
/// The diagonal Fisher of a specialist, F = mean over training examples x of E_y[(∂ log p(y | x) / ∂θ)²], for the
/// entries a merge combines, estimated from the specialist's own training rows (the ones its cadre.json records,
/// checked by hash). The gradients are the model's at the specialist's own point (base, adapter and head as
/// trained), taken one example at a time, so each square is of one example's gradient.
/// <para>Parameters: a LoRA update ΔW at a site adds to the site's weight, so ∂/∂ΔW = ∂/∂W at W + ΔW: the Fisher of
/// the merged delta entries is the Fisher of the base weights, taken with the LoRA attached (exact, not an
/// approximation through A and B). (IA)³ vectors and full fine-tuning use their own parameters. A key the
/// specialist cannot move (an (IA)³ vector it does not have) gets zeros, so other inputs decide that entry.</para>
/// <para>Labels: <c>expected</c> (default, Matena and Raffel) takes y from the model's predictive distribution,
/// exactly, over each example's <c>classes</c> most probable classes (the mass of the rest is reported as left out);
/// multilabel: each label's Bernoulli, F = Σ p(1 − p)(∂z/∂θ)² over the <c>classes</c> labels of largest p(1 − p);
/// regression: a unit-variance Gaussian in standardized units, F = (∂μ/∂θ)². <c>sampled</c> draws one y per example
/// from the model (seeded); <c>gold</c> uses the training label (the "empirical Fisher", usually worse).</para>
/// <para>Cache: the estimate is written once to <c>CADRE_HOME/cache/fisher/NAME-HASH.safetensors</c>, the hash over
/// the specialist folder's content, the options and the keys, never into the specialist's folder (a stored
/// specialist is a versioned snapshot; a derived cache must not change it).</para>
/// </summary>
public static class FisherEstimator
{
    public static string CacheFolder(string home) => Path.Combine(home, "cache", "fisher");

    public static FisherEstimate Estimate(string home, SpecialistRecord record, string folder, IReadOnlyDictionary<string, long[]> keys,
                                          FisherOptions options, Action<string>? log = null, CancellationToken cancel = default)
    {
        var file = CacheFile(home, record.Name, SpecialistIdentity.ContentHash(folder), keys, options);
        if (File.Exists(file))
        {
            using var cached = SafetensorsReader.Open(file);
            var m = cached.Metadata;
            return new FisherEstimate(file, Number(m, "l2_norm"), (int)Number(m, "examples"), Number(m, "left_out_mass"), Number(m, "seconds"), true);
        }
        if (record.TaskList.Count != 1)
            throw new CadreException($"'{record.Name}' answers {record.TaskList.Count} tasks; its Fisher would need one training set (merge its sources instead)");
        var task = record.TaskList[0];
        var problems = TrainingData.Check(task.Data.Where(d => d.Key == "train").ToDictionary());
        if (problems.Count > 0)
            throw new CadreException($"the Fisher of '{record.Name}' needs its own training data, but its {string.Join("; ", problems)}");
        var watch = Stopwatch.StartNew();
        var data = TrainingData.Load(task.Spec);
        var rows = Sample(data.Fit.Examples, options.Examples, options.Seed);
        log?.Invoke($"  Fisher of {record.Name}: {rows.Count} training examples, labels {options.Labels}");
        var (sums, leftOut) = Accumulate(home, record, folder, keys, rows, task, options, cancel);
        using var scope = NewDisposeScope();
        var norm = Math.Sqrt(sums.Values.Sum(t => t.to(ScalarType.Float64).square().sum().item<double>()));
        var seconds = watch.Elapsed.TotalSeconds;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "cadre-fisher", ["format_version"] = "1", ["specialist"] = record.Name, ["labels"] = options.Labels,
            ["examples"] = rows.Count.ToString(CultureInfo.InvariantCulture), ["l2_norm"] = norm.ToString("R", CultureInfo.InvariantCulture),
            ["left_out_mass"] = leftOut.ToString("R", CultureInfo.InvariantCulture), ["seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
        };
        SafetensorsWriter.Write(file, sums, metadata);
        foreach (var t in sums.Values) t.Dispose();
        return new FisherEstimate(file, norm, rows.Count, leftOut, seconds, false);
    }

    /// <summary>Rows per batch on the batched path (site weights only); per-row gradients cost B · out · in floats per site.</summary>
    private const int BatchSize = 16;

    private static (Dictionary<string, Tensor> Sums, double LeftOut) Accumulate(
        string home, SpecialistRecord record, string folder, IReadOnlyDictionary<string, long[]> keys, IReadOnlyList<Example> rows,
        TaskRecord task, FisherOptions options, CancellationToken cancel)
    {
        // The model as it serves (the record's inference contract); only the rows come from the training data.
        var contract = record.Contract;
        var served = contract.Task(task.Name);
        var bases = new BaseCatalog(home);
        var baseRecord = bases.ForContent(contract.Base.Name, contract.Base.ContentHash);
        if (baseRecord.ContentHash != contract.Base.ContentHash)
            throw new CadreException($"specialist '{record.Name}' was trained on another content of base '{contract.Base.Name}'; its Fisher cannot be estimated");
        using var encoder = BaseModels.LoadEncoder(bases, baseRecord.Name);
        using var adapter = contract.Adapter.Method == "head" ? null : AdapterFiles.Load(encoder, folder, contract.Adapter.Method);
        var regression = served.Kind == TaskKind.Regression;
        using var head = SpecialistModel.LoadHead(folder, served, encoder.Dimension);
        if (adapter is not null) adapter.Training = false;
        var targetStd = regression ? Math.Max(1e-12, head.state_dict()["target_std"].item<float>()) : 1;
        var sums = keys.ToDictionary(k => k.Key, k => zeros(k.Value), StringComparer.Ordinal);
        var random = new Random((int)(options.Seed & int.MaxValue));
        var maxLength = served.MaxLength;
        Tensor Forward(IReadOnlyList<Example> batch) => head.forward(encoder.EmbedBatch(batch.Select(e => e.Text).ToList(), maxLength)); // (B, C)
        // Site weights of LoRA and head specialists take the batched path; anything else goes one example at a time.
        var sites = keys.Keys.ToDictionary(k => k, k => k.EndsWith(".weight", StringComparison.Ordinal) ? encoder.Sites.GetValueOrDefault(k[..^".weight".Length]) : null);
        var leftOut = !options.PerExample && sites.Values.All(s => s is not null) && contract.Adapter.Method is "lora" or "head"
            ? Batched(sites!, sums, rows, task, options, random, targetStd, Forward, cancel)
            : PerExample(encoder, adapter, record, keys, sums, rows, task, options, random, targetStd, Forward, cancel);
        using (no_grad())
            foreach (var t in sums.Values) t.div_(Math.Max(1, rows.Count));
        return (sums, rows.Count == 0 ? 0 : leftOut / rows.Count);
    }

    private static double Batched(IReadOnlyDictionary<string, AdaptableLinear> sites, Dictionary<string, Tensor> sums,
        IReadOnlyList<Example> rows, TaskRecord task, FisherOptions options, Random random, double targetStd,
        Func<IReadOnlyList<Example>, Tensor> forward, CancellationToken cancel)
    {
        var keys = sites.Keys.ToList();
        var probes = keys.Select(_ => new FisherProbe()).ToList();
        for (var k = 0; k < keys.Count; k++) sites[keys[k]].Attach(probes[k]);
        double leftOut = 0;
        try
        {
            foreach (var batch in rows.OrderBy(r => r.Text.Length).Chunk(BatchSize)) // length-sorted batches pad less
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (terms, missing) = FisherTerms.Of(task, forward(batch), batch, options, random, targetStd);
                leftOut += missing;
                var outputs = probes.Select(p => p.Zero!).ToList();
                for (var j = 0; j < terms.Count; j++)
                {
                    var deltas = autograd.grad([terms[j].Scalar], outputs, retain_graph: j < terms.Count - 1, allow_unused: true);
                    using var _ = no_grad();
                    for (var k = 0; k < keys.Count; k++)
                        if (deltas[k] is { } d && d.Handle != IntPtr.Zero)
                            sums[keys[k]].add_(FisherProbe.WeightedSquares(probes[k].Input!, d, terms[j].Weights));
                }
            }
        }
        finally
        {
            for (var k = 0; k < keys.Count; k++)
            {
                sites[keys[k]].Detach(probes[k]);
                probes[k].Dispose();
            }
        }
        return leftOut;
    }

    private static double PerExample(ISentenceEncoder encoder, AttachedAdapter? adapter, SpecialistRecord record, IReadOnlyDictionary<string, long[]> keys,
        Dictionary<string, Tensor> sums, IReadOnlyList<Example> rows, TaskRecord task, FisherOptions options, Random random, double targetStd,
        Func<IReadOnlyList<Example>, Tensor> forward, CancellationToken cancel)
    {
        var own = adapter?.Parameters ?? new Dictionary<string, TorchSharp.Modules.Parameter>();
        var baseParameters = encoder.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var targets = new List<(string Key, TorchSharp.Modules.Parameter Parameter)>();
        foreach (var (key, shape) in keys)
        {
            var p = own.TryGetValue(key, out var mine) ? mine : baseParameters.GetValueOrDefault(key);
            if (p is null) continue; // nothing of this specialist moves that entry: its Fisher there is zero
            if (!p.shape.SequenceEqual(shape))
                throw new CadreException($"'{key}' of '{record.Name}' has shape [{string.Join(", ", p.shape)}], the merge needs [{string.Join(", ", shape)}]");
            targets.Add((key, p));
        }
        var frozen = targets.Where(t => !t.Parameter.requires_grad).Select(t => t.Parameter).ToList();
        foreach (var p in frozen) p.requires_grad = true;
        double leftOut = 0;
        try
        {
            var inputs = targets.Select(t => (Tensor)t.Parameter).ToList();
            foreach (var example in rows)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (terms, missing) = FisherTerms.Of(task, forward([example]), [example], options, random, targetStd);
                leftOut += missing;
                for (var j = 0; j < terms.Count; j++)
                {
                    var grads = autograd.grad([terms[j].Scalar], inputs, retain_graph: j < terms.Count - 1, allow_unused: true);
                    using var _ = no_grad();
                    for (var k = 0; k < grads.Count; k++)
                        if (grads[k] is { } g && g.Handle != IntPtr.Zero)
                            sums[targets[k].Key].add_(g.square().mul_(terms[j].Weights[0]));
                }
            }
        }
        finally
        {
            foreach (var p in frozen) p.requires_grad = false;
        }
        return leftOut;
    }

    private static IReadOnlyList<Example> Sample(IReadOnlyList<Example> rows, int count, long seed)
    {
        if (rows.Count <= count) return rows;
        var order = Enumerable.Range(0, rows.Count).ToArray();
        new Random((int)(seed & int.MaxValue)).Shuffle(order);
        return order.Take(count).Order().Select(i => rows[i]).ToList();
    }

    private static string CacheFile(string home, string name, string contentHash, IReadOnlyDictionary<string, long[]> keys, FisherOptions options)
    {
        var text = new StringBuilder("cadre-fisher-v1\0").Append(contentHash).Append('\0')
            .Append(string.Create(CultureInfo.InvariantCulture, $"{options.Examples}\0{options.Labels}\0{options.Classes}\0{options.Seed}\0{(options.PerExample ? "per-example\0" : "")}"));
        foreach (var (key, shape) in keys.OrderBy(k => k.Key, StringComparer.Ordinal))
            text.Append(key).Append('\0').Append(string.Join(',', shape)).Append('\0');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        return Path.Combine(CacheFolder(home), $"{name}-{hash[..16]}.safetensors");
    }

    private static double Number(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0;
}
