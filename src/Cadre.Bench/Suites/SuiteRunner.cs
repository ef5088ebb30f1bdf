using System.Text.Json;
using Cadre.Data;
using Cadre.Routing;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Training;
using Cadre.Specs;
using static TorchSharp.torch;

namespace Cadre.Suites;

/// <summary>
/// <c>cadre suite run SUITE.yaml</c>: trains (or reuses) one specialist per task, builds the suite's routers, and
/// measures on the same capped test rows: each specialist on its own test set (oracle routing), routing accuracy
/// and end-to-end accuracy on the seeded, shuffled union of the test sets, abstention on out-of-scope queries, the
/// multitask baseline, merge rows where this build has them, parameters and latency, and the transfer ranking.
/// </summary>
public sealed class SuiteRunner(string home, Action<string> log)
{
    public SuiteResult Run(SuiteFile suite, bool retrain, CancellationToken cancel = default)
    {
        var tasks = suite.Specialists.Specialists.Select(s => SuiteTasks.Prepare(s, suite.TestRows, suite.Seed)).ToList();
        foreach (var t in tasks)
            log($"task {t.Name}: {t.Fit.Count} fitted, {t.Validation.Count} validation, {t.Test.Count} test rows ({t.TestSource})");
        var records = tasks.Select(t => TrainOrReuse(t.Spec, retrain, cancel)).ToList();
        var names = records.Select(r => r.Name).ToList();
        var routers = suite.Routers.Select(method =>
        {
            var built = RouterBuilder.Build(home, new RouterRequest
            {
                Name = $"suite-{suite.Name}-{method}".ToLowerInvariant(), Method = method, Specialists = names, Coverage = suite.Coverage, Seed = suite.Seed,
                Replace = true, Warn = line => log("warning: " + line), // the suite's own routers, rebuilt each run
            });
            log($"router {built.Name}: held-out accuracy {built.Calibration["accuracy"]:F4}, ECE {built.Calibration["ece"]:F4}");
            return SpecialistRouter.Load(home, built.Name);
        }).ToList();
        var models = names.ToDictionary(n => n, n => SpecialistModel.Load(home, n));
        MultitaskBaseline? multitask = null;
        try
        {
            var union = SuiteTasks.ShuffledUnion(tasks, suite.Seed);
            var unionTexts = union.Select(u => tasks[u.Task].Test.Examples[u.Row].Text).ToList();
            log($"routing {union.Count} test rows of {tasks.Count} tasks");
            var decisions = new Dictionary<string, IReadOnlyList<RouteDecision>>();
            using (var scope = NewDisposeScope())
            {
                var embedded = routers[0].Embed(unionTexts); // every router of a suite shares the base and max length
                foreach (var r in routers)
                    decisions[r.Record.Method] = r.Decide(unionTexts, embedded);
            }
            log("oracle: each specialist on its own test rows");
            var oracle = tasks.Select(t => Correct(models[t.Name].Predict([.. t.Test.Examples.Select(e => e.Text)]).Select(p => p.Label).ToList(), t.Test)).ToList();
            double[]? multitaskCorrect = null;
            var budget = tasks.Zip(records).Sum(p => (long)p.First.Fit.Count * (long)p.Second.Training["epochs_run"]);
            if (suite.Multitask)
            {
                log($"multitask baseline: one shared {tasks[0].Spec.Adapter.Method} adapter and {tasks.Count} heads, {budget:N0} examples (the specialists' total)");
                var fingerprint = Fingerprint(JsonSerializer.Serialize(tasks.Select(t => t.Spec), SpecialistCatalog.Json), budget, suite.Seed,
                                              records[0].Base.ContentHash, string.Join(",", tasks.Select(t => t.Fit.Count + "/" + t.Validation.Count)));
                var cache = Path.Combine(home, "suites", suite.Name, "multitask.safetensors");
                multitask = MultitaskBaseline.Train(RouterBuilder.LoadBase(home, records[0].Base), records[0].Base.Name, tasks, budget, suite.Seed, cache, fingerprint, log);
                var perTask = tasks.Select((t, i) => Correct([.. multitask.Predict(i, [.. t.Test.Examples.Select(e => e.Text)]).Select(p => multitask.Label(i, p))], t.Test)).ToList();
                multitaskCorrect = [.. union.Select(u => perTask[u.Task][u.Row])];
            }
            var merges = new Dictionary<string, IReadOnlyDictionary<string, double>>();
            var notRun = new Dictionary<string, string>();
            foreach (var m in suite.Merges)
                if (MergeRows.Available.Contains(m)) merges[m] = MergeRows.Evaluate(new MergeContext(home, suite.Name, tasks, suite.Seed, log), m);
                else notRun[m] = MergeRows.NotAvailable(m);

            var gold = union.Select(u => names[u.Task]).ToList();
            var oracleUnion = union.Select(u => oracle[u.Task][u.Row]).ToArray();
            var taskResults = tasks.Select((t, i) =>
            {
                var rows = Enumerable.Range(0, union.Count).Where(k => union[k].Task == i).ToList();
                double RouteAcc(string m) => rows.Average(k => decisions[m][k].Best == t.Name ? 1.0 : 0);
                double Routed(string m) => rows.Average(k => decisions[m][k].Best == t.Name ? oracleUnion[k] : 0);
                var first = suite.Routers[0];
                return new TaskResult(t.Name, t.Test.Count, t.TestSource, oracle[i].Average(),
                    suite.Routers.ToDictionary(m => m, RouteAcc), suite.Routers.ToDictionary(m => m, Routed),
                    multitaskCorrect is null ? double.NaN : rows.Average(k => multitaskCorrect[k]),
                    multitaskCorrect is null ? double.NaN : rows.Average(k => decisions[first][k].Best == t.Name ? multitaskCorrect[k] : 0),
                    merges.ToDictionary(p => p.Key, p => p.Value.GetValueOrDefault(t.Name, double.NaN)));
            }).ToList();

            var outOfScope = SuiteMeasures.OutOfScope(suite);
            var routerResults = routers.Select(r => SuiteMeasures.Router(r, decisions[r.Record.Method], gold, oracleUnion, outOfScope)).ToList();
            var costs = SuiteMeasures.Costs(home, suite, routers[0], models, multitask, tasks, union, unionTexts, log);
            var transfer = new List<TransferResult>();
            if (suite.Transfer.Count > 0)
            {
                using var baseEncoder = RouterBuilder.LoadBase(home, records[0].Base);
                var candidates = records.Select(r => RoutingSamples.For(home, r, () => baseEncoder)).ToList();
                foreach (var probe in suite.Transfer)
                {
                    log($"transfer probe {probe.Name}");
                    transfer.Add(TransferExperiment.Run(probe, baseEncoder, routers[0].Record.MaxLength, candidates, models, suite.Seed));
                }
            }
            return new SuiteResult
            {
                Suite = suite.Name, Base = records[0].Base.Name, Tasks = taskResults, Routers = routerResults, Costs = costs, Transfer = transfer,
                MergesNotRun = notRun, UnionRows = union.Count, Budget = budget, MultitaskSeconds = multitask?.Seconds ?? double.NaN,
                SpecialistSeconds = records.Sum(r => r.Training["seconds"]), Notes = [],
            };
        }
        finally
        {
            multitask?.Dispose();
            foreach (var m in models.Values) m.Dispose();
            foreach (var r in routers) r.Dispose();
        }
    }

    private static string Fingerprint(params object[] parts) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(string.Join("|", parts.Select(p => Convert.ToString(p, System.Globalization.CultureInfo.InvariantCulture))))));

    private static double[] Correct(IReadOnlyList<string> predicted, Dataset test) =>
        [.. test.Examples.Select((e, i) => predicted[i] == e.Label ? 1.0 : 0)];

    /// <summary>The stored specialist when it was trained from this very spec and data, else a fresh training run.</summary>
    private SpecialistRecord TrainOrReuse(SpecialistSpec spec, bool retrain, CancellationToken cancel)
    {
        var catalog = new SpecialistCatalog(home);
        var existing = catalog.List().FirstOrDefault(r => r.Name == spec.Name);
        var method = spec.Adapter.Method;
        var resolved = spec with { Training = spec.Training with { LearningRate = spec.Training.LearningRateFor(method), HeadLearningRate = spec.Training.HeadLearningRateFor(method), Metric = spec.Training.MetricFor(spec.Task) } };
        if (!retrain && existing is not null && JsonSerializer.Serialize(existing.Spec, SpecialistCatalog.Json) == JsonSerializer.Serialize(resolved, SpecialistCatalog.Json)
            && new BaseCatalog(home).Get(spec.Base).ContentHash == existing.Base.ContentHash
            && existing.Data.All(d => File.Exists(d.Value.File) && TrainingData.FileHash(d.Value.File) == d.Value.Sha256))
        {
            log($"specialist {spec.Name}: reusing the stored one (same spec, data and base)");
            return existing;
        }
        log($"specialist {spec.Name}: training");
        var outcome = new SpecialistTrainer(home).Train(spec, new TrainOptions
        {
            OnEpoch = e => log(FormattableString.Invariant($"   epoch {e.Epoch}: loss {e.Loss:F4}, validation {e.Metric:F4}, {e.ExamplesPerSecond:F0} ex/s")),
        }, cancel);
        return outcome.Record;
    }
}
