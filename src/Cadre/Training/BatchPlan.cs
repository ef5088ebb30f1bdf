namespace Cadre.Training;

/// <summary>
/// Length-bucketed batches: shuffle, cut into windows of many batches, sort each window by length, split into
/// batches, shuffle the batches. Texts of similar length share a batch (little padding, so less compute) while
/// every epoch still sees a fresh order. Deterministic for (seed, epoch), so a resumed run replays the same plan.
/// </summary>
public static class BatchPlan
{
    /// <summary>Batches per window that are sorted together; larger means less padding and less randomness.</summary>
    public const int WindowBatches = 32;

    public static IReadOnlyList<int[]> Create(IReadOnlyList<int> lengths, int batchSize, int seed, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var random = new Random(unchecked(seed * 100_003 + epoch));
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        random.Shuffle(order);
        var batches = new List<int[]>();
        foreach (var window in order.Chunk(batchSize * WindowBatches))
        {
            // Stable sort on length; ties keep the shuffled order.
            var sorted = window.OrderBy(i => lengths[i]).ToArray();
            batches.AddRange(sorted.Chunk(batchSize));
        }
        var shuffled = batches.ToArray();
        random.Shuffle(shuffled);
        return shuffled;
    }
}
