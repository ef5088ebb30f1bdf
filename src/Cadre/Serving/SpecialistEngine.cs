// TEMPORARY STUB from branch serve: replaced by the lead's engine
namespace Cadre.Serving;

/// <summary>
/// Placeholder for the serving engine (dynamic batcher, mixed-adapter batched forward, LRU adapter pool) so that
/// <c>cadre serve</c> builds on the server branch. Every call answers <see cref="ServingErrorKind.Unavailable"/>.
/// </summary>
public sealed class SpecialistEngine : ISpecialistService
{
    public SpecialistEngine(string home, ServingOptions options)
    {
        ArgumentNullException.ThrowIfNull(home);
        Options = options;
    }

    public ServingOptions Options { get; }

    private static ServingException NotBuilt() => new(ServingErrorKind.Unavailable, "engine not built yet");

    public IReadOnlyList<SpecialistStatus> List() => throw NotBuilt();
    public SpecialistDetail Describe(string name) => throw NotBuilt();
    public Task<IReadOnlyList<Specialists.TaskPredictions>> PredictAsync(string name, IReadOnlyList<string> inputs, string? task, CancellationToken cancel) => throw NotBuilt();
    public Task<float[][]> EmbedAsync(IReadOnlyList<string> inputs, string? specialist, CancellationToken cancel) => throw NotBuilt();
    public Task<IReadOnlyList<Routing.RouteDecision>> RouteAsync(IReadOnlyList<string> inputs, string? router, CancellationToken cancel) => throw NotBuilt();
    public Task<IReadOnlyList<Routing.Answer>> AskAsync(IReadOnlyList<string> inputs, string? router, CancellationToken cancel) => throw NotBuilt();
    public Task<SpecialistStatus> LoadAsync(string name, string? rev, CancellationToken cancel) => throw NotBuilt();
    public bool Unload(string name) => throw NotBuilt();
    public ServingStats Stats() => throw NotBuilt();
    public Task DrainAsync(CancellationToken cancel) => throw NotBuilt();
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
