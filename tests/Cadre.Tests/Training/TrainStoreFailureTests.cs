using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tensors;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;
using Cadre.Tests.Store;
using Cadre.Training;
using static TorchSharp.torch;

namespace Cadre.Tests.Training;

/// <summary>A training run is never lost to a store that stays busy (or fails) when the trained specialist is stored.</summary>
[Collection(TorchCollection.Name)]
public sealed class TrainStoreFailureTests
{
    [Fact]
    public void ARunThatCannotStoreKeepsItsWeightsAndResumeStoresThemWithoutTrainingAgain()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, epochs: 2);
        var store = new CadreStore(home.Path);
        (int Code, string Out, string Error) failed;
        // Another process holds refs.lock (a long gc, say) past the waiting time of every try of the commit.
        using (StoreLock.Acquire(store.Root, StoreLock.RefsLock))
        using (var train = new CadreProcess(home.Path, new Dictionary<string, string> { ["CADRE_LOCK_TIMEOUT"] = "0.5" }, "train", spec))
            failed = train.Wait();
        Assert.True(failed.Code != 0, failed.Out);
        Assert.Contains("could not be stored", failed.Error);
        Assert.Contains($"cadre train {spec} --only tiny-task --resume", failed.Error);
        Assert.Null(store.Head("tiny-task"));
        var checkpoint = new TrainingCheckpoint(new SpecialistTrainer(home.Path).CheckpointFolder("tiny-task"));
        Assert.True(checkpoint.Exists, "the trained weights were thrown away");

        using var scope = NewDisposeScope();
        var kept = checkpoint.ReadTensors("best")!["head.classifier.weight"];
        var resumed = cli.Run("train", spec, "--only", "tiny-task", "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("(resumed from checkpoint)", resumed.Out);
        Assert.DoesNotContain("epoch 1:", resumed.Out); // stored as trained, not trained again
        Assert.False(checkpoint.Exists);
        var version = store.Head("tiny-task")!;
        Assert.Equal(1, version.Number);
        using var head = SafetensorsReader.Open(Path.Combine(new SpecialistCatalog(home.Path).FolderOf("tiny-task"), SpecialistRecord.HeadFile));
        Assert.True(kept.equal(head.ReadTensor("classifier.weight")).all().item<bool>(), "the stored head differs from the trained one");
    }
}
