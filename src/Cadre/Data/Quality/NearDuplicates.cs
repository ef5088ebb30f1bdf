namespace Cadre.Data.Quality;

/// <summary>Training rows whose texts are near copies (Jaccard of character 5-grams at or above the threshold).</summary>
/// <param name="Lines">the rows' lines, in file order</param>
/// <param name="Similarities">each row's exact Jaccard similarity to the first row (1 for the first)</param>
public sealed record NearDuplicateGroup(IReadOnlyList<int> Lines, IReadOnlyList<string> Texts, IReadOnlyList<string> Labels,
                                        IReadOnlyList<double> Similarities)
{
    public bool ConflictingLabels => Labels.Distinct(StringComparer.Ordinal).Count() > 1;
}

/// <summary>
/// Near duplicates inside a training set and near leaks into evaluation sets, by <see cref="MinHash"/>. Rows that
/// are already normalized duplicates of one another are one text here (<see cref="DataCheck"/> reports those), so a
/// near-duplicate group holds texts that differ after normalization.
/// </summary>
public static class NearDuplicates
{
    /// <summary>Candidates compared per row inside one band bucket; bounds the work when thousands share a bucket.</summary>
    private const int BucketWindow = 32;

    /// <summary>The index built over a training set's distinct normalized texts.</summary>
    public sealed class Index
    {
        internal MinHash Hash { get; }
        internal List<int> Rows { get; } = [];              // representative row (into the examples) per distinct text
        internal List<ulong[]> Shingles { get; } = [];
        internal Dictionary<(int, ulong), List<int>> Buckets { get; } = [];
        internal IReadOnlyList<Example> Examples { get; }

        internal Index(IReadOnlyList<Example> examples, double threshold)
        {
            Hash = new MinHash(threshold);
            Examples = examples;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < examples.Count; i++)
                if (seen.Add(DataCheck.Normalize(examples[i].Text)))
                    Rows.Add(i);
            var shingles = new ulong[Rows.Count][];
            var keys = new (int, ulong)[Rows.Count][];
            Parallel.For(0, Rows.Count, r =>
            {
                shingles[r] = MinHash.Shingles(examples[Rows[r]].Text);
                keys[r] = Hash.BandKeys(Hash.Signature(shingles[r])).ToArray();
            });
            Shingles.AddRange(shingles);
            for (var r = 0; r < keys.Length; r++)
                foreach (var key in keys[r])
                {
                    if (!Buckets.TryGetValue(key, out var list)) Buckets[key] = list = [];
                    list.Add(r);
                }
        }
    }

    public static Index Build(IReadOnlyList<Example> examples, double threshold) => new(examples, threshold);

    /// <summary>Groups of near-duplicate training rows (connected by verified pairs), largest first.</summary>
    public static List<NearDuplicateGroup> Groups(Index index)
    {
        var n = index.Rows.Count;
        var parent = Enumerable.Range(0, n).ToArray();
        int Find(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        var tested = new HashSet<long>();
        foreach (var bucket in index.Buckets.Values)
            for (var i = 1; i < bucket.Count; i++)
                for (var j = Math.Max(0, i - BucketWindow); j < i; j++)
                {
                    var (a, b) = (bucket[j], bucket[i]);
                    if (Find(a) == Find(b) || !tested.Add((long)a * n + b)) continue;
                    if (MinHash.Jaccard(index.Shingles[a], index.Shingles[b]) >= index.Hash.Threshold)
                        parent[Find(b)] = Find(a);
                }
        return Enumerable.Range(0, n).GroupBy(Find).Where(g => g.Count() > 1)
            .Select(g =>
            {
                var members = g.OrderBy(r => index.Rows[r]).ToList();
                var examples = members.Select(r => index.Examples[index.Rows[r]]).ToList();
                return new NearDuplicateGroup(examples.Select(e => e.Line).ToList(), examples.Select(e => e.Text).ToList(),
                    examples.Select(e => e.Label ?? string.Join(",", e.Labels ?? [])).ToList(),
                    members.Select(r => MinHash.Jaccard(index.Shingles[members[0]], index.Shingles[r])).ToList());
            })
            .OrderByDescending(g => g.Lines.Count).ThenBy(g => g.Lines[0]).ToList();
    }

    /// <summary>The most similar training row at or above the threshold, or null; exact copies are the caller's.</summary>
    public static (Example Train, double Similarity)? Nearest(Index index, string text)
    {
        var shingles = MinHash.Shingles(text);
        var best = -1;
        var bestSimilarity = 0.0;
        var tried = new HashSet<int>();
        foreach (var key in index.Hash.BandKeys(index.Hash.Signature(shingles)))
        {
            if (!index.Buckets.TryGetValue(key, out var bucket)) continue;
            foreach (var r in bucket.Take(4 * BucketWindow))
            {
                if (!tried.Add(r)) continue;
                var s = MinHash.Jaccard(shingles, index.Shingles[r]);
                if (s >= index.Hash.Threshold && (s > bestSimilarity || s == bestSimilarity && r < best))
                    (best, bestSimilarity) = (r, s);
            }
        }
        return best < 0 ? null : (index.Examples[index.Rows[best]], bestSimilarity);
    }
}
