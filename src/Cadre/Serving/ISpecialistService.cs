using Cadre.Routing;
using Cadre.Specialists;

namespace Cadre.Serving;

/// <summary>
/// What the HTTP server (and <c>cadre bench serve</c>) asks of the serving engine. The server holds no tensor code:
/// every call goes through this interface, and every failure is a <see cref="ServingException"/> whose
/// <see cref="ServingException.Kind"/> picks the HTTP status (RFC 7807 problem details).
/// </summary>
public interface ISpecialistService : IAsyncDisposable
{
    ServingOptions Options { get; }

    /// <summary>Every registered specialist (stored in the home), loaded or not, with what the pool knows of it.</summary>
    IReadOnlyList<SpecialistStatus> List();

    /// <summary>One registered specialist as <see cref="List"/> shows it, or null when unknown; cheap enough for every request.</summary>
    SpecialistStatus? Status(string name) => List().FirstOrDefault(s => s.Name == name);

    /// <summary>One specialist with its versions and lineage; <see cref="ServingErrorKind.NotFound"/> when unknown.</summary>
    SpecialistDetail Describe(string name);

    /// <summary>Every task's predictions of specialist <paramref name="name"/> (one task when <paramref name="task"/> names it).</summary>
    Task<IReadOnlyList<TaskPredictions>> PredictAsync(string name, IReadOnlyList<string> inputs, string? task, CancellationToken cancel);

    /// <summary>Base embeddings (no adapter), or the features a specialist's head sees when <paramref name="specialist"/> is set.</summary>
    Task<float[][]> EmbedAsync(IReadOnlyList<string> inputs, string? specialist, CancellationToken cancel);

    /// <summary>Routing decisions by router <paramref name="router"/> (default router when null).</summary>
    Task<IReadOnlyList<RouteDecision>> RouteAsync(IReadOnlyList<string> inputs, string? router, CancellationToken cancel);

    /// <summary>Routes, then predicts each routed input with its specialist; abstained inputs get no prediction.</summary>
    Task<IReadOnlyList<Answer>> AskAsync(IReadOnlyList<string> inputs, string? router, CancellationToken cancel);

    /// <summary>Loads (or hot-reloads) version <paramref name="rev"/> (HEAD when null); requests in flight finish on the old one.</summary>
    Task<SpecialistStatus> LoadAsync(string name, string? rev, CancellationToken cancel);

    /// <summary>Drops a specialist from the pool (it stays registered and loads again lazily); false when it was not loaded.</summary>
    bool Unload(string name);

    /// <summary>A snapshot of counters for /metrics and the dashboard.</summary>
    ServingStats Stats();

    /// <summary>Stops taking work and finishes what is queued (graceful shutdown).</summary>
    Task DrainAsync(CancellationToken cancel);
}

/// <summary>Why a serving call failed; the server maps each kind to one HTTP status.</summary>
public enum ServingErrorKind
{
    /// <summary>400: malformed or invalid input (empty inputs, unknown task, a text over the length limit).</summary>
    BadRequest,
    /// <summary>404: unknown specialist, version or router.</summary>
    NotFound,
    /// <summary>413: more inputs or characters than <see cref="ServingOptions"/> allows.</summary>
    TooLarge,
    /// <summary>
    /// 429: the queue is full, or the rows queued ahead cannot be served before the request's deadline at the measured
    /// rate; retry after <see cref="ServingException.RetryAfter"/>.
    /// </summary>
    Overloaded,
    /// <summary>504: the request ran past <see cref="ServingOptions.RequestTimeout"/>.</summary>
    Timeout,
    /// <summary>503: draining for shutdown, or nothing to serve (no base, no router).</summary>
    Unavailable,
    /// <summary>500: a specialist's (or the base's) weights produce NaN or infinity; its answer is withheld.</summary>
    NonFiniteOutput,
}

public sealed class ServingException(ServingErrorKind kind, string message, TimeSpan? retryAfter = null) : CadreException(message)
{
    public ServingErrorKind Kind { get; } = kind;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>A registered specialist as the pool sees it.</summary>
/// <param name="Version">HEAD's version number; <paramref name="LoadedVersion"/> the one in the pool (null when cold).</param>
public sealed record SpecialistStatus(string Name, string Method, string Base, IReadOnlyList<string> Tasks, int Version, string VersionId,
                                      int? LoadedVersion, bool Hot, long Requests, long Inputs, long AdapterBytes,
                                      IReadOnlyDictionary<string, double> Metrics);

/// <summary>One version in a specialist's history.</summary>
public sealed record VersionSummary(int Number, string Id, string Message, DateTimeOffset CreatedAt, IReadOnlyList<string> Tags);

/// <summary>A merged specialist's inputs (name and version) and method; null for trained ones.</summary>
public sealed record LineageSummary(string Method, IReadOnlyList<string> Inputs);

public sealed record SpecialistDetail(SpecialistStatus Status, IReadOnlyList<string> Labels, IReadOnlyList<VersionSummary> Versions,
                                      LineageSummary? Lineage);

/// <summary>Counters since start. Latencies are in the server; these are the engine's own.</summary>
public sealed record ServingStats(long Batches, long Rows, long Requests, int QueueDepth, int QueueCapacity, int HotSpecialists,
                                  int RegisteredSpecialists, long PoolBytes, long PoolBudgetBytes, long Loads, long Evictions,
                                  IReadOnlyDictionary<int, long> BatchSizeCounts, IReadOnlyList<(string Name, long Inputs)> TopSpecialists);
