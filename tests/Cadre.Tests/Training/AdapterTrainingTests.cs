using Cadre.Adapters;
using Cadre.Models.Bert;
using Cadre.Models.Import;
using Cadre.Specialists;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;
using Cadre.Training;
using Cadre.Specs;
using TorchSharp;

namespace Cadre.Tests.Training;

/// <summary>The training loop with adapters: frozen base, determinism, Ctrl-C and --resume, no leaked tensors.</summary>
[Collection(TorchCollection.Name)]
public sealed class AdapterTrainingTests
{
    private static (SpecialistSpec Spec, CliRunner Cli) Prepare(TempDir home, TempDir work, string adapter, int epochs = 3)
    {
        var cli = new CliRunner(home.Path);
        var path = TinyTask.Prepare(cli, work.Path, adapter, "seed: 4");
        var spec = SpecFile.Load(path).Specialists[0];
        return (spec with { Training = spec.Training with { Epochs = epochs } }, cli);
    }

    [Fact]
    public void LoraTrainingChangesTheAdapterAndHeadButNeverTheBase()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var (spec, _) = Prepare(home, work, "method: lora", epochs: 2);
        var outcome = new SpecialistTrainer(home.Path).Train(spec, new TrainOptions(), TestContext.Current.CancellationToken);
        var folder = new SpecialistCatalog(home.Path).FolderOf(spec.Name);
        var saved = SavedWeights.Read(Path.Combine(folder, AdapterFiles.WeightsFile));
        Assert.Contains(saved, p => p.Key.EndsWith("lora_B.weight", StringComparison.Ordinal) && p.Value.Any(v => v != 0)); // B left zero
        Assert.All(saved.Keys, k => Assert.Matches(@"^base_model\.model\..*\.lora_[AB]\.weight$", k));
        // The stored base is untouched: its content hash still matches, and the trainable count is adapter + head.
        using var model = SpecialistModel.Load(home.Path, spec.Name);
        Assert.Equal(outcome.Record.Training["adapter_parameters"] + 32 * 2 + 2, outcome.Record.Training["trainable_parameters"]);
        using var tiny = BertModel.Load(TinyTask.TinyBert);
        using var original = BertModel.Load(TinyTask.TinyBert);
        using var adapter = AdapterFiles.Load(tiny, folder, null);
        Assert.Equal(BaseModels.Fingerprint(original).Hash, Fingerprint(tiny, adapter));
    }

    /// <summary>The base's own state dict hash with an adapter attached: attaching must not touch base tensors.</summary>
    private static string Fingerprint(BertModel model, AttachedAdapter _) => BaseModels.Fingerprint(model).Hash;

    [Theory]
    [InlineData("method: lora\n      dropout: 0.1")] // the dropout stream must resume where it stopped, too
    [InlineData("method: prompt")]
    public void AnInterruptedRunResumesToTheSameResultAsAnUninterruptedOne(string adapter)
    {
        using var homeA = new TempDir();
        using var homeB = new TempDir();
        using var work = new TempDir();
        var (spec, _) = Prepare(homeA, work, adapter);
        new CliRunner(homeB.Path).Run("base", "import", TinyTask.TinyBert, "--name", "tiny");

        var straight = new SpecialistTrainer(homeA.Path).Train(spec, new TrainOptions(), TestContext.Current.CancellationToken);

        var trainer = new SpecialistTrainer(homeB.Path);
        using var cancel = new CancellationTokenSource();
        var steps = 0;
        // Stop in the middle of the second epoch, as Ctrl-C would.
        var options = new TrainOptions { OnStep = p => { if (++steps == 11) cancel.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(spec, options, cancel.Token));
        Assert.True(File.Exists(Path.Combine(trainer.CheckpointFolder(spec.Name), "state.json")));
        Assert.Throws<CadreException>(() => new SpecialistCatalog(homeB.Path).Get(spec.Name)); // nothing stored yet

        var resumed = trainer.Train(spec, new TrainOptions { Resume = true }, TestContext.Current.CancellationToken);
        Assert.True(resumed.Resumed);
        Assert.False(Directory.Exists(trainer.CheckpointFolder(spec.Name))); // a finished run cleans up
        Assert.Equal(straight.Epochs.Select(e => e.Loss), resumed.Epochs.Select(e => e.Loss));
        Assert.Equal(straight.Record.Metrics["test"], resumed.Record.Metrics["test"]);
        foreach (var file in new[] { AdapterFiles.WeightsFile, SpecialistRecord.HeadFile })
            SavedWeights.AssertSame(Path.Combine(new SpecialistCatalog(homeA.Path).FolderOf(spec.Name), file),
                                    Path.Combine(new SpecialistCatalog(homeB.Path).FolderOf(spec.Name), file));
    }

    [Fact]
    public void ResumingWithAChangedSpecIsRefused()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var (spec, _) = Prepare(home, work, "method: ia3");
        var trainer = new SpecialistTrainer(home.Path);
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            trainer.Train(spec, new TrainOptions { OnStep = _ => cancel.Cancel() }, cancel.Token));
        var changed = spec with { Training = spec.Training with { LearningRate = 0.5 } };
        var e = Assert.Throws<CadreException>(() => trainer.Train(changed, new TrainOptions { Resume = true }, TestContext.Current.CancellationToken));
        Assert.Contains("another spec", e.Message);
    }

    [Fact]
    public void TrainingStepsLeaveNoLiveTensorsBehind()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var (spec, _) = Prepare(home, work, "method: lora", epochs: 1);
        var trainer = new SpecialistTrainer(home.Path);
        trainer.Train(spec, new TrainOptions(), TestContext.Current.CancellationToken); // warm-up: lazily created native state
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        trainer.Train(spec with { Name = "again" }, new TrainOptions(), TestContext.Current.CancellationToken);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void DeepPromptsBelongToThePromptMethod()
    {
        using var work = new TempDir();
        var path = Path.Combine(work.Path, "cadre.yaml");
        TinyTask.WriteTsv(Path.Combine(work.Path, "train.tsv"), 10, 1);
        File.WriteAllText(path, """
            specialists:
              - name: p
                data: {train: train.tsv}
                adapter: {method: lora, deep_prompt: true}
            """);
        var e = Assert.Throws<CadreException>(() => SpecFile.Load(path));
        Assert.Contains("specialists[0].adapter.deep_prompt: only the prompt method has deep prompts", e.Message);
    }

    [Fact]
    public void TheHeadLearnsInItsOwnGroupAtAtLeastItsMinimumRate()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var (spec, _) = Prepare(home, work, "method: full", epochs: 1);
        spec = spec with { Training = spec.Training with { LearningRate = null, EarlyStopping = 0 } };
        var record = new SpecialistTrainer(home.Path).Train(spec, new TrainOptions(), TestContext.Current.CancellationToken).Record;
        Assert.Equal(5e-5, record.Training["learning_rate"]);
        Assert.Equal(TrainingSpec.MinimumHeadLearningRate, record.Training["head_learning_rate"]);
        Assert.Equal(1e-3, new TrainingSpec().HeadLearningRateFor("lora"));
        Assert.Equal(3e-2, new TrainingSpec().HeadLearningRateFor("prompt"));
        Assert.Equal(0.5, new TrainingSpec { HeadLearningRate = 0.5 }.HeadLearningRateFor("full"));
    }
}
