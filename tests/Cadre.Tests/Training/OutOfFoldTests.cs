using Cadre.Data.Quality;
using Cadre.Embeddings;
using Cadre.Models.Bert;
using Cadre.Tests.Infrastructure;
using Cadre.Training;
using static TorchSharp.torch;

namespace Cadre.Tests.Training;

/// <summary>Cross-validated heads, the k-NN graph and the embedding cache behind <c>cadre data check</c>.</summary>
[Collection(TorchCollection.Name)]
public sealed class OutOfFoldTests
{
    /// <summary>Three separable clusters in 8 dimensions, 60 rows each; every tenth row's label is moved to the next class.</summary>
    private static (Tensor Features, int[] Given, int[] Flipped) Clusters()
    {
        var random = new Random(4);
        var rows = new List<float[]>();
        var given = new List<int>();
        var flipped = new List<int>();
        for (var i = 0; i < 180; i++)
        {
            var c = i % 3;
            rows.Add(Enumerable.Range(0, 8).Select(d => (float)((d == c ? 3 : 0) + random.NextDouble() - 0.5)).ToArray());
            if (i % 10 == 7) { given.Add((c + 1) % 3); flipped.Add(i); } else given.Add(c);
        }
        return (tensor(rows.SelectMany(r => r).ToArray()).reshape(180, 8), given.ToArray(), flipped.ToArray());
    }

    [Fact]
    public void FoldsAreStratifiedSeededAndLevel()
    {
        var labels = Enumerable.Range(0, 103).Select(i => i % 4 == 0 ? 1 : 0).ToArray();
        var folds = OutOfFold.Folds(labels, 5, 3);
        Assert.Equal(folds, OutOfFold.Folds(labels, 5, 3));
        Assert.NotEqual(folds, OutOfFold.Folds(labels, 5, 4));
        var sizes = folds.GroupBy(f => f).Select(g => g.Count()).ToList();
        Assert.True(sizes.Max() - sizes.Min() <= 1);
        Assert.All(Enumerable.Range(0, 5), f => Assert.InRange(labels.Where((_, i) => folds[i] == f).Count(l => l == 1), 5, 6));
    }

    [Fact]
    public void OutOfFoldHeadsLetConfidentLearningFindTheFlippedRows()
    {
        var (features, given, flipped) = Clusters();
        using (features)
        {
            var (p, c) = OutOfFold.Probabilities(features, given, 3, new OutOfFoldOptions(), TestContext.Current.CancellationToken);
            Assert.Contains(c, OutOfFoldOptions.Candidates);
            Assert.All(p, row => Assert.Equal(1, row.Sum(), 4));
            var issues = ConfidentLearning.FindIssues(given, p, 3).Issues;
            Assert.All(issues, i => Assert.Contains(i.Row, flipped));             // no clean row is accused
            Assert.True(issues.Count >= 0.8 * flipped.Length, $"{issues.Count} of {flipped.Length} flips found");
            Assert.All(issues, i => Assert.Equal(i.Row % 3, i.Suggested)); // the cluster it came from
            var fixedC = OutOfFold.Probabilities(features, given, 3, new OutOfFoldOptions { C = 0.5 }, TestContext.Current.CancellationToken);
            Assert.Equal(0.5, fixedC.C);
        }
    }

    [Fact]
    public void KnnGraphMatchesBruteForceCosine()
    {
        var random = new Random(2);
        var vectors = Enumerable.Range(0, 1500).Select(_ => Enumerable.Range(0, 6).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToList();
        using var x = tensor(vectors.SelectMany(v => v).ToArray()).reshape(1500, 6);
        var (distances, neighbours) = KnnGraph.Build(x, 3, TestContext.Current.CancellationToken); // more rows than one block
        foreach (var row in new[] { 0, 1023, 1024, 1499 })
        {
            var expected = NearestNeighbours.Search(vectors[row], vectors, 3, exclude: row);
            Assert.Equal(expected.Select(e => e.Index), neighbours[row]);
            for (var k = 0; k < 3; k++)
                Assert.Equal(1 - expected[k].Cosine, distances[row][k], 4);
        }
    }

    [Fact]
    public void EmbeddingCacheReturnsTheSameVectorsAndKeysOnEveryInput()
    {
        using var dir = new TempDir();
        using var model = BertModel.Load(TinyTask.TinyBert);
        var cache = new EmbeddingCache(dir.Path);
        string[] texts = ["the cat sat", "a red mat"];
        using var first = cache.Embed(model, "hash", texts, 16, out var hit1);
        using var second = cache.Embed(model, "hash", texts, 16, out var hit2);
        Assert.False(hit1);
        Assert.True(hit2);
        Assert.True(first.allclose(second));
        Assert.Single(Directory.GetFiles(cache.Folder));
        Assert.NotEqual(EmbeddingCache.Key("hash", texts, 16), EmbeddingCache.Key("hash", texts, 17));
        Assert.NotEqual(EmbeddingCache.Key("hash", texts, 16), EmbeddingCache.Key("other", texts, 16));
        Assert.NotEqual(EmbeddingCache.Key("hash", ["ab", "c"], 16), EmbeddingCache.Key("hash", ["a", "bc"], 16));
        File.WriteAllText(Directory.GetFiles(cache.Folder)[0], "damaged");
        using var third = cache.Embed(model, "hash", texts, 16, out var hit3);
        Assert.False(hit3); // a damaged entry is embedded again
        Assert.True(first.allclose(third));
    }
}
