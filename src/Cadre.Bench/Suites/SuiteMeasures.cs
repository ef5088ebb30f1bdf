using System.Diagnostics;
using Cadre.Data;
using Cadre.Routing;
using Cadre.Specialists;
using Cadre.Store;
using static TorchSharp.torch;

namespace Cadre.Suites;

/// <summary>The suite's measurements besides accuracy: one router's figures, out-of-scope queries, parameters and latency.</summary>
public static class SuiteMeasures
{
    /// <summary>The out-of-scope texts of the suite's abstention file (label = out_of_scope), capped at its <c>rows</c>.</summary>
    public static IReadOnlyList<string> OutOfScope(SuiteFile suite)
    {
        if (suite.Abstention is not { } a) return [];
        var data = DatasetReader.Read(a.Source, skipInvalid: true);
        var oos = data.Examples.Where(e => e.Label == suite.OutOfScopeLabel).Select(e => e.Text).ToList();
        if (oos.Count == 0)
            throw new CadreException($"{a.Source.Path}: no rows labelled '{suite.OutOfScopeLabel}' (suite.abstention.out_of_scope)");
        return oos.Count > a.Rows ? [.. oos.Take(a.Rows)] : oos;
    }

    public static RouterResult Router(SpecialistRouter router, IReadOnlyList<RouteDecision> decisions, IReadOnlyList<string> gold,
                                      IReadOnlyList<double> oracleCorrect, IReadOnlyList<string> outOfScope)
    {
        var n = decisions.Count;
        var names = router.Specialists;
        var routedRight = decisions.Select((d, i) => d.Best == gold[i]).ToArray();
        var probabilities = decisions.Select(d => names.Select(s => d.Scores[s]).ToArray()).ToList();
        var goldIndex = gold.Select(g => names.ToList().IndexOf(g)).ToList();
        var answered = Enumerable.Range(0, n).Where(i => !decisions[i].Abstained).ToList();
        IReadOnlyList<RouteDecision> oos = [];
        if (outOfScope.Count > 0)
            using (var scope = NewDisposeScope())
                oos = router.Decide(outOfScope, router.Embed(outOfScope));
        var c = router.Record.Calibration;
        return new RouterResult(router.Record.Method,
            routedRight.Average(r => r ? 1.0 : 0),
            Enumerable.Range(0, n).Average(i => routedRight[i] ? oracleCorrect[i] : 0),
            c["ece_uncalibrated"], c["ece"], RouterCalibration.ExpectedCalibrationError(probabilities, goldIndex),
            router.Record.Temperature, router.Record.Abstention.Signal, router.Record.Abstention.Threshold,
            1 - answered.Count / (double)n,
            answered.Count == 0 ? double.NaN : answered.Average(i => routedRight[i] ? oracleCorrect[i] : 0),
            oos.Count == 0 ? double.NaN : RouterCalibration.Auroc([.. decisions.Select(d => d.Signal)], [.. oos.Select(d => d.Signal)]),
            oos.Count == 0 ? double.NaN : oos.Average(d => d.Abstained ? 1.0 : 0), oos.Count, router.ParameterCount);
    }

    /// <summary>
    /// Parameters and milliseconds per input, one input at a time (after 5 warm-up inputs), on the first
    /// <c>latency_rows</c> rows of the shuffled union, and batched inputs per second over the whole union.
    /// </summary>
    public static IReadOnlyList<CostResult> Costs(string home, SuiteFile suite, SpecialistRouter router, IReadOnlyDictionary<string, SpecialistModel> models,
                                                  MultitaskBaseline? multitask, IReadOnlyList<SuiteTask> tasks, IReadOnlyList<(int Task, int Row)> union,
                                                  IReadOnlyList<string> texts, Action<string> log)
    {
        var baseParameters = new BaseCatalog(home).Get(router.Record.Base.Name).ParameterCount;
        var specialistParameters = models.Values.Sum(m => (long)m.Record.Training["trainable_parameters"]);
        var rows = Enumerable.Range(0, Math.Min(suite.LatencyRows, texts.Count)).ToList();
        log($"latency: {rows.Count} inputs one at a time per system");
        double PerInput(Action<int> answer)
        {
            foreach (var i in rows.Take(5)) answer(i);
            var watch = Stopwatch.StartNew();
            foreach (var i in rows) answer(i);
            return rows.Count == 0 ? double.NaN : watch.Elapsed.TotalMilliseconds / rows.Count;
        }
        double Batched(Action all)
        {
            var watch = Stopwatch.StartNew();
            all();
            return texts.Count / watch.Elapsed.TotalSeconds;
        }
        var names = tasks.Select(t => t.Name).ToList();
        var routedMs = PerInput(i => models[router.Route([texts[i]])[0].Best].Predict([texts[i]]));
        var routedBatched = Batched(() =>
        {
            using var scope = NewDisposeScope();
            var chosen = router.Decide(texts, router.Embed(texts));
            foreach (var g in chosen.Select((d, i) => (d.Best, i)).GroupBy(p => p.Best))
                models[g.Key].Predict([.. g.Select(p => texts[p.i])]);
        });
        var oracleMs = PerInput(i => models[names[union[i].Task]].Predict([texts[i]]));
        var oracleBatched = Batched(() =>
        {
            foreach (var g in union.Select((u, i) => (u.Task, i)).GroupBy(p => p.Task))
                models[names[g.Key]].Predict([.. g.Select(p => texts[p.i])]);
        });
        var costs = new List<CostResult>
        {
            new($"routed ({router.Record.Method} router + specialist)", baseParameters + specialistParameters + router.ParameterCount, routedMs, routedBatched,
                "two base passes per input: the bare base for routing, then the chosen specialist"),
            new("oracle (the right specialist, no routing)", baseParameters + specialistParameters, oracleMs, oracleBatched, "the task is given"),
        };
        if (multitask is not null)
        {
            var ms = PerInput(i => multitask.Predict(union[i].Task, [texts[i]]));
            var batched = Batched(() =>
            {
                foreach (var g in union.Select((u, i) => (u.Task, i)).GroupBy(p => p.Task))
                    multitask.Predict(g.Key, [.. g.Select(p => texts[p.i])]);
            });
            costs.Add(new("multitask (shared adapter, head per task)", baseParameters + multitask.TrainableParameters, ms, batched, "the task is given"));
        }
        return costs;
    }
}
