namespace Cadre.Suites;

/// <summary>What a merge row gets from the suite: where specialists live, and the suite's tasks with their test rows.</summary>
public sealed record MergeContext(string Home, string Suite, IReadOnlyList<SuiteTask> Tasks, int Seed);

/// <summary>
/// The extension point for merge-method rows of <c>cadre suite run</c>. A suite's <c>merges: [name, ...]</c> asks for
/// one row per merge method: per-task accuracy of a model merged from the suite's specialists (each task keeping its
/// own head), on the same capped test rows as every other row. This build has no merging (it comes with the merge
/// work, <c>src/Cadre/Merge</c>): <see cref="Available"/> is empty and the suite reports each requested method as not
/// run. To add rows, list the methods here and implement <see cref="Evaluate"/>: merge the tasks' specialists
/// (e.g. <c>SpecialistMerger.Merge(home, request)</c> into a stored specialist per task), then score each task's
/// <see cref="SuiteTask.Test"/> rows with it (e.g. <c>SpecialistModel.Load(home, merged).Predict(...)</c>).
/// </summary>
public static class MergeRows
{
    /// <summary>Merge methods this build can put in a suite.</summary>
    public static IReadOnlyList<string> Available => [];

    /// <summary>Why a requested method has no row.</summary>
    public static string NotAvailable(string method) => $"merge method '{method}': merging is not part of this build";

    /// <summary>Per-task accuracy (by task name) of the merge <paramref name="method"/>.</summary>
    public static IReadOnlyDictionary<string, double> Evaluate(MergeContext context, string method) =>
        throw new CadreException(NotAvailable(method));
}
