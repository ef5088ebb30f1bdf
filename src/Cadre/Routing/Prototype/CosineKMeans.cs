using static TorchSharp.torch;

namespace Cadre.Routing.Prototype;

/// <summary>
/// Spherical k-means: unit-length centroids that maximize the summed cosine to their rows, seeded with k-means++
/// (System.Random with a seed, so the same rows and seed give the same centroids anywhere). An empty cluster keeps
/// its previous centroid. Cost: iterations × one (n, D)·(D, k) matmul.
/// </summary>
internal static class CosineKMeans
{
    /// <param name="rows">(n, D) unit rows</param>
    /// <returns>(k, D) unit centroids, k = min(<paramref name="k"/>, n), in the caller's dispose scope</returns>
    public static Tensor Fit(Tensor rows, int k, int seed, int iterations = 20)
    {
        var n = (int)rows.shape[0];
        k = Math.Min(k, n);
        if (k == 1)
            return Normalize(rows.mean([0], keepdim: true)); // (1, D)
        using var scope = NewDisposeScope();
        var random = new Random(seed);
        var chosen = new List<long> { random.Next(n) };
        var nearest = (1 - rows.mm(rows[chosen[0]].unsqueeze(1)).squeeze(1)).clamp_min(0).data<float>().ToArray(); // (n) cosine distance
        while (chosen.Count < k)
        {
            var total = nearest.Sum(d => (double)d);
            var pick = total <= 0 ? random.Next(n) : Draw(nearest, random.NextDouble() * total);
            chosen.Add(pick);
            var d = (1 - rows.mm(rows[pick].unsqueeze(1)).squeeze(1)).clamp_min(0).data<float>().ToArray();
            for (var i = 0; i < n; i++) nearest[i] = Math.Min(nearest[i], d[i]);
        }
        var centroids = rows.index_select(0, tensor(chosen.ToArray())); // (k, D)
        for (var it = 0; it < iterations; it++)
        {
            var assign = rows.mm(centroids.t()).argmax(1);                            // (n)
            var onehot = nn.functional.one_hot(assign, k).to(rows.dtype);             // (n, k)
            var sums = onehot.t().mm(rows);                                           // (k, D)
            var counts = onehot.sum([0]).unsqueeze(1);                                // (k, 1)
            var next = where(counts > 0, Normalize(sums), centroids);                  // (k, D)
            if (next.allclose(centroids)) break;
            centroids = next;
        }
        return centroids.MoveToOuterDisposeScope();
    }

    public static Tensor Normalize(Tensor x) => nn.functional.normalize(x, p: 2, dim: 1, eps: 1e-12); // (n, D)

    private static int Draw(float[] weights, double target)
    {
        double running = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            running += weights[i];
            if (running >= target && weights[i] > 0) return i;
        }
        return Array.FindLastIndex(weights, w => w > 0);
    }
}
