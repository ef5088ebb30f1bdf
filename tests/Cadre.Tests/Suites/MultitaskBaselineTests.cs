using Cadre.Adapters;
using Cadre.Data;
using Cadre.Models.Bert;
using Cadre.Suites;
using Cadre.Tests.Infrastructure;
using Cadre.Training;
using Cadre.Specs;
using TorchSharp;

namespace Cadre.Tests.Suites;

/// <summary>The suite's multitask baseline on two tiny tasks: the budget exactly, seeded, the cache, no leaked tensors.</summary>
[Collection(TorchCollection.Name)]
public sealed class MultitaskBaselineTests
{
    private const long Budget = 2 * 40 * 2 + 5; // two epochs of both tasks and a few rows more: the last batch is cut

    private static Dataset Rows(string name, int count, int seed, Func<string, string> label)
    {
        var examples = TinyTask.Rows(count, seed).Select((r, i) => new Example(r.Text, label(r.Text), null, null, name, i + 2)).ToList();
        return new Dataset(name, TaskKind.Classification, examples, [.. examples.Select(e => e.Label!).Distinct().Order()], []);
    }

    private static IReadOnlyList<SuiteTask> Tasks(TrainingSpec? training = null)
    {
        training ??= new TrainingSpec { BatchSize = 8, MaxLength = 16 };
        string Kind(string text) => text.Contains("cat") || text.Contains("dog") ? "animal" : "color";
        string Size(string text) => text.Contains("big") ? "big" : "other";
        return [.. new[] { ("kind", (Func<string, string>)Kind, 1), ("size", Size, 2) }.Select(t =>
        {
            var spec = new SpecialistSpec { Name = t.Item1, Base = "tiny", Adapter = new AdapterSpec { Method = "lora", R = 4 }, Training = training };
            var fit = Rows(t.Item1, 40, t.Item3, t.Item2);
            return new SuiteTask(t.Item1, spec, fit.Labels, fit, Rows(t.Item1, 12, t.Item3 + 10, t.Item2), Rows(t.Item1, 12, t.Item3 + 20, t.Item2), "test file");
        })];
    }

    private static MultitaskBaseline Train(string cache, List<string>? log = null, TrainingSpec? training = null) =>
        MultitaskBaseline.Train(BertModel.Load(TinyTask.TinyBert), "tiny", Tasks(training), Budget, seed: 3, cache, "fingerprint", line => log?.Add(line));

    [Fact]
    public void TrainsForTheBudgetExactlyTheSameWayForTheSameSeedAndReusesItsCache()
    {
        using var dir = new TempDir();
        var log = new List<string>();
        using (var a = Train(dir.File("a.safetensors"), log))
        {
            Assert.Equal(Budget, a.Examples);
            Assert.InRange(a.BestEpoch, 1, 3);
            Assert.InRange(a.Accuracy(0, Tasks()[0].Test), 0, 1);
        }
        Assert.Equal(3, log.Count(l => l.Contains("multitask epoch", StringComparison.Ordinal)));
        Assert.Contains(FormattableString.Invariant($"{Budget:N0}/{Budget:N0} examples"), log[^1]);
        using (var b = Train(dir.File("b.safetensors"))) { }
        SavedWeights.AssertSame(dir.File("a.safetensors"), dir.File("b.safetensors"));
        var again = new List<string>();
        using (var c = Train(dir.File("a.safetensors"), again))
            Assert.Equal(Budget, c.Examples);
        Assert.Contains(again, l => l.Contains("multitask: reusing", StringComparison.Ordinal));
    }

    [Fact]
    public void TrainingLeavesNoLiveTensorsBehind()
    {
        using var dir = new TempDir();
        Train(dir.File("warm.safetensors")).Dispose(); // warm-up: lazily created native state
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var model = Train(dir.File("again.safetensors")))
            model.Predict(1, ["a big cat", "red"]);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void ADivergingBaselineStopsWithTheTrainingLoopsErrorAndCachesNothing()
    {
        using var dir = new TempDir();
        var training = new TrainingSpec { BatchSize = 8, MaxLength = 16, LearningRate = 1e30, HeadLearningRate = 1e30 };
        var e = Assert.Throws<TrainingDivergedException>(() => Train(dir.File("m.safetensors"), training: training));
        Assert.Matches(@"^training diverged: the loss became (NaN|infinite) at epoch 1, step \d+ \(a batch of task (kind|size)\); nothing was stored\. Lower the learning rate \(learning_rate 1E\+30", e.Message);
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }
}
