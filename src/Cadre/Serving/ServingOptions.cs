namespace Cadre.Serving;

/// <summary>
/// How the serving engine batches, bounds and pools. Defaults suit a small CPU box serving a USE-lite-sized base;
/// <see cref="Validate"/> returns every problem at once.
/// </summary>
public sealed record ServingOptions
{
    /// <summary>Rows (texts) in one forward pass of the base at most.</summary>
    public int MaxBatchRows { get; init; } = 64;

    /// <summary>How long the batcher waits for more requests after the first one arrives (a few milliseconds).</summary>
    public TimeSpan MaxBatchWait { get; init; } = TimeSpan.FromMilliseconds(4);

    /// <summary>Rows waiting at most; beyond it requests are refused with 429 (bounded memory under overload).</summary>
    public int QueueCapacity { get; init; } = 4096;

    /// <summary>Inputs in one request at most (413 beyond).</summary>
    public int MaxInputs { get; init; } = 256;

    /// <summary>Characters in one input at most (413 beyond); tokens past a task's max_length are cut anyway.</summary>
    public int MaxInputChars { get; init; } = 20_000;

    /// <summary>Bytes of a request body at most (413 beyond), enforced by the server.</summary>
    public long MaxBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>A request still queued or running after this answers 504 and its rows are dropped.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Bytes of adapter and head tensors kept hot at most; the least recently used are evicted beyond.</summary>
    public long PoolBudgetBytes { get; init; } = 1L << 30;

    /// <summary>
    /// Baseline for <c>cadre bench serve</c> only: split each batch per specialist (PEFT's mixed-batch behaviour)
    /// instead of one gathered forward pass.
    /// </summary>
    public bool SplitPerAdapter { get; init; }

    /// <summary>
    /// Baseline for <c>cadre bench serve</c> only: every specialist gets a base of its own (one model per specialist,
    /// as when each is deployed separately), with a batcher of its own.
    /// </summary>
    public bool OneModelPerSpecialist { get; init; }

    /// <summary>Intra-op threads of the forward pass; 0 keeps TorchSharp's default (one per core).</summary>
    public int Threads { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxBatchRows < 1) errors.Add("max batch rows must be at least 1");
        if (MaxBatchWait < TimeSpan.Zero || MaxBatchWait > TimeSpan.FromSeconds(1)) errors.Add("max batch wait must be between 0 and 1 s");
        if (QueueCapacity < MaxBatchRows) errors.Add("queue capacity must be at least max batch rows");
        if (MaxInputs < 1) errors.Add("max inputs must be at least 1");
        if (MaxInputs > QueueCapacity) errors.Add("max inputs must not exceed the queue capacity");
        if (MaxInputChars < 1) errors.Add("max input chars must be at least 1");
        if (MaxBodyBytes < 1024) errors.Add("max body bytes must be at least 1024");
        if (RequestTimeout <= TimeSpan.Zero) errors.Add("request timeout must be positive");
        if (PoolBudgetBytes < 1) errors.Add("pool budget must be positive");
        if (SplitPerAdapter && OneModelPerSpecialist) errors.Add("choose one baseline: split per adapter or one model per specialist");
        if (Threads < 0) errors.Add("threads must be 0 (default) or more");
        return errors;
    }
}
