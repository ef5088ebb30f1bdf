namespace Cadre.Server.Hosting;

/// <summary>
/// What one server instance knows of itself: whether it is draining for shutdown (readyz turns 503 and new work is
/// refused), and how many work requests (predict, route, ask, embed) it has answered, for the throughput sampler.
/// </summary>
internal sealed class ServerState
{
    private long _workRequests;
    private volatile bool _draining;

    public bool Draining => _draining;

    public long WorkRequests => Interlocked.Read(ref _workRequests);

    public void StartDraining() => _draining = true;

    public void CountWork() => Interlocked.Increment(ref _workRequests);
}

/// <summary>Marks the endpoints whose requests are work for the engine (counted as throughput, refused while draining).</summary>
internal sealed class WorkEndpoint
{
    public static readonly WorkEndpoint Instance = new();
}
