namespace Cadre.Suites;

/// <summary>One task's row: its test rows and the accuracy of every system on them (NaN where a system did not run).</summary>
public sealed record TaskResult(string Task, int TestRows, string TestSource, double Oracle, IReadOnlyDictionary<string, double> RoutingAccuracy,
                                IReadOnlyDictionary<string, double> Routed, double Multitask, double MultitaskRouted,
                                IReadOnlyDictionary<string, double> Merges);

/// <summary>
/// One router over the shuffled union of the test sets: routing accuracy, calibration (held-out rows of the
/// registered data, and the union), and abstention on out-of-scope queries at its threshold.
/// </summary>
public sealed record RouterResult(string Method, double RoutingAccuracy, double EndToEnd, double HeldOutEceBefore, double HeldOutEce,
                                  double UnionEce, double Temperature, string Signal, double Threshold, double InScopeAbstained,
                                  double AnsweredAccuracy, double OosAuroc, double OosAbstained, int OosRows, long Parameters);

/// <summary>Parameters and time per input of one way of answering.</summary>
public sealed record CostResult(string System, long Parameters, double MillisecondsPerInput, double BatchedInputsPerSecond, string Note);

/// <summary>One transfer probe: the ranking, the accuracy a few-shot head reached on each specialist's features, and how well they agree.</summary>
public sealed record TransferResult(string Probe, int Shots, int EvalRows, string? Expected, IReadOnlyList<Routing.TaskEmbeddings.TransferCandidate> Ranking,
                                    IReadOnlyDictionary<string, double> Measured, double BaseOnly, double Spearman);

public sealed record SuiteResult
{
    public required string Suite { get; init; }
    public required string Base { get; init; }
    public required IReadOnlyList<TaskResult> Tasks { get; init; }
    public required IReadOnlyList<RouterResult> Routers { get; init; }
    public required IReadOnlyList<CostResult> Costs { get; init; }
    public required IReadOnlyList<TransferResult> Transfer { get; init; }
    /// <summary>Merge methods asked for that this build could not run, with the reason.</summary>
    public required IReadOnlyDictionary<string, string> MergesNotRun { get; init; }
    public required int UnionRows { get; init; }
    public required long Budget { get; init; }
    public required double MultitaskSeconds { get; init; }
    public required double SpecialistSeconds { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
}
