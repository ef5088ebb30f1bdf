namespace Cadre.Embeddings;

/// <summary>Cosine similarity search over a small set of embeddings (exact; for demos and checks, not an index).</summary>
public static class NearestNeighbours
{
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"vectors of length {a.Length} and {b.Length}");
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>The <paramref name="k"/> most similar candidates to <paramref name="query"/>, best first.</summary>
    public static IReadOnlyList<(int Index, double Cosine)> Search(float[] query, IReadOnlyList<float[]> candidates, int k,
                                                                  int? exclude = null) =>
        candidates.Select((c, i) => (Index: i, Cosine: Cosine(query, c)))
            .Where(p => p.Index != exclude)
            .OrderByDescending(p => p.Cosine).ThenBy(p => p.Index)
            .Take(k).ToList();
}
