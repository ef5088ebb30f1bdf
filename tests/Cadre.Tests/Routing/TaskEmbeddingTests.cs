using System.Text.Json;
using Cadre.Data;
using Cadre.Routing;
using Cadre.Routing.TaskEmbeddings;
using Cadre.Specialists;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Routing;

/// <summary>Task2Vec-style Fisher embeddings, data similarity, and the transfer ranking of cadre route rank.</summary>
[Collection(TorchCollection.Name)]
public sealed class TaskEmbeddingTests(TrainedTasks trained) : IClassFixture<TrainedTasks>
{
    /// <summary>A routing sample from the synthetic clusters of <see cref="RouterMethodTests"/>: one specialist's rows, its groups as classes.</summary>
    private static RoutingSample Task(int owner, int seed, Func<int, int>? relabel = null)
    {
        var data = RouterMethodTests.Clusters(30, seed);
        var rows = Enumerable.Range(0, data.Rows).Where(i => data.Owner[i] == owner).ToList();
        var part = data.Take(rows);
        return new RoutingSample
        {
            Specialist = data.Specialists[owner], Task = TaskKind.Classification, Dimension = data.Dimension, MaxLength = 16,
            Embeddings = part.Embeddings, Classes = [.. part.Group.Select((g, i) => relabel?.Invoke(i) ?? g)],
        };
    }

    [Fact]
    public void FisherEmbeddingHasOneLengthWhateverTheLabelsAndSeparatesTasks()
    {
        var reference = FisherTaskEmbedding.ReferenceMean([Task(0, 1), Task(1, 1), Task(2, 1)]);
        float[] Embed(RoutingSample s) => FisherTaskEmbedding.Compute(s, reference);
        var a = Embed(Task(0, 1));
        Assert.Equal(FisherTaskEmbedding.Hidden * 16, a.Length);
        Assert.All(a, v => Assert.True(v >= 0 && float.IsFinite(v)));
        Assert.Equal(0, FisherTaskEmbedding.Distance(a, Embed(Task(0, 1))), 12);

        var fourLabels = Embed(Task(0, 1, i => i % 4));
        Assert.Equal(a.Length, fourLabels.Length);
        var sameInputsOtherDraw = Embed(Task(0, 2));
        var otherTask = Embed(Task(2, 1));
        Assert.True(FisherTaskEmbedding.Distance(a, sameInputsOtherDraw) < FisherTaskEmbedding.Distance(a, otherTask),
                    $"{FisherTaskEmbedding.Distance(a, sameInputsOtherDraw)} vs {FisherTaskEmbedding.Distance(a, otherTask)}");
    }

    [Fact]
    public void DataDistanceIsSmallForTheSameDistributionAndRankingPutsTheSourceFirst()
    {
        var query = Task(1, 5);
        var bandwidth = DataSimilarity.Bandwidth(query);
        Assert.True(DataSimilarity.Mmd(query, Task(1, 6), bandwidth) < DataSimilarity.Mmd(query, Task(0, 6), bandwidth));
        Assert.Equal(0, DataSimilarity.Mmd(query, query, bandwidth), 6);

        var ranking = TransferRanking.Rank(query, [Task(0, 1), Task(1, 1), Task(2, 1)]);
        Assert.Equal(["alpha", "beta", "gamma"], ranking.Select(r => r.Specialist).Order());
        Assert.Equal("beta", ranking[0].Specialist);
        Assert.Equal(1, ranking[0].Rank);
        Assert.Equal([1, 2, 3], ranking.Select(r => r.Rank));
    }

    [Fact]
    public void RouteRankPutsTheSpecialistOfTheSameInputsFirst()
    {
        var (home, work, cli) = trained.Copy();
        using var _ = home;
        using var __ = work;
        // A new task over the paint vocabulary with label names of its own: a relabelled copy of paint.
        var few = RoutingTasks.WriteTsv(work.File("few.tsv"), RoutingTasks.Rows(RoutingTasks.All[1], 24, 77)
            .Select(r => (r.Text, r.Label == "red" ? "warm" : "cool")));
        var rank = cli.Run("route", "rank", "--data", few, "--json");
        Assert.True(rank.ExitCode == 0, rank.Error);
        var rows = rank.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal("paint", rows[0].GetProperty("specialist").GetString());
        Assert.Equal(1, rows[0].GetProperty("data_rank").GetInt32());
        Assert.Equal(1, rows[0].GetProperty("task2vec_rank").GetInt32());
        Assert.Contains("task2vec", cli.Run("route", "rank", "--data", few).Out);

        File.WriteAllLines(work.File("one.tsv"), ["text\tlabel", "a red mat\tx", "a blue mat\tx"]);
        var single = cli.Run("route", "rank", "--data", work.File("one.tsv"));
        Assert.Equal(1, single.ExitCode);
        Assert.Contains("one label only", single.Error);
    }
}
