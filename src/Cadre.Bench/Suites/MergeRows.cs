using Cadre.Composition;
using Cadre.Merge;
using Cadre.Specialists;
using Cadre.Util;

namespace Cadre.Suites;

/// <summary>What a merge row gets from the suite: where specialists live, and the suite's tasks with their test rows.</summary>
public sealed record MergeContext(string Home, string Suite, IReadOnlyList<SuiteTask> Tasks, int Seed, Action<string>? Log = null);

/// <summary>
/// The merge-method rows of <c>cadre suite run</c>. A suite's <c>merges: [name, ...]</c> asks for one row per merge
/// method of <see cref="MergeMethods"/>: the suite's specialists merged into one stored specialist
/// (<c>suite-NAME-merge-METHOD</c>, every input's head kept, each input weighted 1 with the method's defaults, as
/// <c>cadre merge</c> would do), then each task's capped test rows scored by its own head, the same rows as every
/// other row of the suite.
/// </summary>
public static class MergeRows
{
    /// <summary>Merge methods a suite can ask for.</summary>
    public static IReadOnlyList<string> Available => [.. MergeMethods.All.Select(m => m.Name)];

    /// <summary>Why a requested method has no row.</summary>
    public static string NotAvailable(string method) =>
        $"merge method '{method}' is not one of {string.Join(", ", Available)}{Suggest.DidYouMean(method, Available)}";

    /// <summary>Per-task accuracy (by task name) of the merge <paramref name="method"/>.</summary>
    public static IReadOnlyDictionary<string, double> Evaluate(MergeContext context, string method)
    {
        var name = $"suite-{context.Suite}-merge-{method.Replace('_', '-')}";
        context.Log?.Invoke($"merge {method}: {string.Join(", ", context.Tasks.Select(t => t.Name))} into '{name}'");
        SpecialistMerger.Merge(context.Home, new MergeRequest
        {
            Name = name, Method = method, Inputs = [.. context.Tasks.Select(t => new MergeRequestInput(t.Name))],
            Parameters = MergeMethods.All.First(m => m.Name == method).Parameters.Contains("seed") ? new MergeSettings { Seed = context.Seed } : new MergeSettings(),
            Evaluate = false,
        }, line => context.Log?.Invoke("   " + line.TrimStart()));
        using var model = SpecialistModel.Load(context.Home, name);
        return context.Tasks.ToDictionary(t => t.Name, t =>
        {
            var predictions = model.Predict([.. t.Test.Examples.Select(e => e.Text)], task: t.Name);
            return predictions.Zip(t.Test.Examples).Count(p => p.First.Label == p.Second.Label) / (double)Math.Max(1, t.Test.Count);
        });
    }
}
