using System.Text.Json;
using Cadre.Specialists;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Merge;

/// <summary>cadre merge end to end on tiny BERT: every method, the invariants, the merged specialist's files and verbs.</summary>
[Collection(TorchCollection.Name)]
public sealed partial class SpecialistMergeTests(TrainedSpecialists trained) : IClassFixture<TrainedSpecialists>
{
    private static readonly string[] Texts = ["a red cat sat", "the blue dog", "hello dog on a red mat", "blue cat"];

    [Theory]
    [InlineData("linear")]
    [InlineData("task_arithmetic")]
    [InlineData("ties")]
    [InlineData("dare_linear")]
    [InlineData("dare_ties")]
    [InlineData("fisher")]
    public void EveryMethodMakesASpecialistThatAnswersBothTasks(string method)
    {
        // Evaluation after merging is tested once (linear); the others skip it to keep the suite fast.
        var name = "both-" + method.Replace('_', '-');
        string[] extra = method == "linear" ? [] : method == "fisher" ? ["--no-eval", "--fisher-examples", "16"] : ["--no-eval"];
        var merge = trained.Cli.Run(["merge", "--method", method, "--inputs", "pets-lora,colors-lora", "-o", name, .. extra]);
        Assert.True(merge.ExitCode == 0, merge.Error + merge.Out);
        Assert.Contains($"stored merged specialist '{name}'", merge.Out);
        if (method == "linear")
        {
            Assert.Matches(@"pets-lora: test accuracy [0-9.]+ merged, [0-9.]+ alone", merge.Out);
            Assert.Matches(@"colors-lora: test accuracy [0-9.]+ merged, [0-9.]+ alone", merge.Out);
        }

        var predict = trained.Cli.Run(["predict", name, "--json", .. Texts]);
        Assert.True(predict.ExitCode == 0, predict.Error);
        var lines = predict.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Texts.Length, lines.Count);
        foreach (var line in lines)
        {
            var tasks = line.GetProperty("tasks");
            Assert.Contains(tasks.GetProperty("pets-lora").GetProperty("label").GetString(), new[] { "cat", "dog" });
            Assert.Contains(tasks.GetProperty("colors-lora").GetProperty("label").GetString(), new[] { "red", "blue" });
        }
        var plain = trained.Cli.Run("predict", name, "a red cat");
        Assert.Equal(2, plain.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("pets-lora\t", plain.Out);

        var record = new SpecialistCatalog(trained.Home).Get(name);
        Assert.Equal(SpecialistRecord.ContractVersion, record.FormatVersion);
        Assert.Equal(["head-pets-lora.safetensors", "head-colors-lora.safetensors"], record.Inference!.Tasks.Select(t => t.Head));
        Assert.Equal("lora", record.Method);
        Assert.Equal(["pets-lora", "colors-lora"], record.TaskList.Select(t => t.Name));
        Assert.All(record.TaskList, t => Assert.Equal(method == "linear", t.Metrics.ContainsKey("test")));
        Assert.Equal(method, record.Merge!.Method);
        Assert.Equal(["pets-lora", "colors-lora"], record.Merge.Inputs.Select(i => i.Name));
        Assert.All(record.Merge.Inputs, i => Assert.Matches("^[0-9a-f]{64}$", i.ContentHash));
        Assert.Equal(4, record.Merge.Rank);
        Assert.InRange(record.Merge.ReconstructionError!["total"], 0, 1);
        var files = Directory.GetFiles(new SpecialistCatalog(trained.Home).FolderOf(name)).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors", "cadre.json", "head-colors-lora.safetensors", "head-pets-lora.safetensors"], files);
    }

    [Theory]
    [InlineData("linear", "1,1")]
    [InlineData("task_arithmetic", "0.5,0.5")]
    [InlineData("ties", "1,1", "--density", "1")]
    [InlineData("dare_linear", "0.5,0.5", "--density", "1")]
    [InlineData("dare_ties", "0.5,0.5", "--density", "1", "--normalize", "true")]
    [InlineData("fisher", "1,1", "--fisher-examples", "16")]
    public void IdenticalInputsReturnTheInput(string method, string weights, params string[] extra)
    {
        var name = "same-" + method.Replace('_', '-');
        var merge = trained.Cli.Run(["merge", "--method", method, "--inputs", "pets-lora,pets-lora", "--weights", weights, "-o", name, "--no-eval", .. extra]);
        Assert.True(merge.ExitCode == 0, merge.Error + merge.Out);
        AssertSamePredictions("pets-lora", name, "pets-lora");
        var record = new SpecialistCatalog(trained.Home).Get(name);
        Assert.Single(record.TaskList);                            // the same task twice is kept once
        Assert.True(record.Merge!.ReconstructionError!["total"] < 1e-5); // a rank-4 update factors back exactly at rank 4
    }

    [Fact]
    public void ALoraMergedIntoTheBaseGivesTheSameOutputsAsTheLora()
    {
        var merge = trained.Cli.Run("merge", "--method", "linear", "--inputs", "pets-lora,pets-lora", "--into-base", "-o", "pets-full", "--no-eval");
        Assert.True(merge.ExitCode == 0, merge.Error + merge.Out);
        var record = new SpecialistCatalog(trained.Home).Get("pets-full");
        Assert.Equal("full", record.Method);
        Assert.Null(record.Merge!.ReconstructionError);
        AssertSamePredictions("pets-lora", "pets-full", "pets-lora");
    }

    [Fact]
    public void AHeadOnlyInputCountsAsAZeroTaskVectorAndKeepsItsHead()
    {
        var merge = trained.Cli.Run("merge", "--method", "task_arithmetic", "--inputs", "pets-lora,colors-head", "-o", "pets-colors-head", "--no-eval");
        Assert.True(merge.ExitCode == 0, merge.Error + merge.Out);
        Assert.Contains("head-only inputs (colors-head) change no weights", merge.Out);
        // task arithmetic with weights 1, 1 adds pets-lora's update and nothing: pets answers exactly as before
        AssertSamePredictions("pets-lora", "pets-colors-head", "pets-lora");
        var eval = trained.Cli.Run("eval", "pets-colors-head", "--data", trained.Data("colors-test.tsv"), "--task", "colors-head", "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.True(JsonDocument.Parse(eval.Out).RootElement.GetProperty("accuracy").GetDouble() >= 0);
    }

    [Fact]
    public void Ia3SpecialistsMergeAsScalesAroundOne()
    {
        var merge = trained.Cli.Run("merge", "--method", "linear", "--inputs", "pets-ia3,colors-ia3", "-o", "both-ia3", "--no-eval");
        Assert.True(merge.ExitCode == 0, merge.Error + merge.Out);
        Assert.Equal("ia3", new SpecialistCatalog(trained.Home).Get("both-ia3").Method);
        var same = trained.Cli.Run("merge", "--method", "ties", "--density", "1", "--inputs", "pets-ia3,pets-ia3", "-o", "same-ia3", "--no-eval");
        Assert.True(same.ExitCode == 0, same.Error + same.Out);
        AssertSamePredictions("pets-ia3", "same-ia3", "pets-ia3");
    }

    [Fact]
    public void EvalOfAMergedSpecialistNeedsTheTaskAndExportImportKeepsEveryHead()
    {
        Assert.Equal(0, trained.Cli.Run("merge", "--method", "ties", "--inputs", "pets-lora,colors-lora", "-o", "exported", "--no-eval").ExitCode);
        var noTask = trained.Cli.Run("eval", "exported", "--data", trained.Data("pets-test.tsv"));
        Assert.Equal(1, noTask.ExitCode);
        Assert.Contains("answers 2 tasks (pets-lora, colors-lora); choose one with --task", noTask.Error);
        var wrong = trained.Cli.Run("predict", "exported", "--task", "weather", "x");
        Assert.Contains("has no task 'weather'", wrong.Error);

        var folder = Path.Combine(trained.Work, "exported");
        var export = trained.Cli.Run("specialist", "export", "exported", "-o", folder);
        Assert.True(export.ExitCode == 0, export.Error);
        Assert.True(File.Exists(Path.Combine(folder, "head-pets-lora.safetensors")));
        using (var labels = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "labels.json"))))
            Assert.Equal(2, labels.RootElement.GetProperty("colors-lora").GetArrayLength());
        var import = trained.Cli.Run("specialist", "import", folder, "--name", "imported");
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Equal(trained.Cli.Run(["predict", "exported", "--json", .. Texts]).Out, trained.Cli.Run(["predict", "imported", "--json", .. Texts]).Out);
        Assert.Contains("merged", trained.Cli.Run("specialist", "list").Out);
        Assert.Contains("task:     colors-lora", trained.Cli.Run("specialist", "show", "imported").Out);
    }

    [Fact]
    public void WeightsThatDoNotSumToOneAreReportedAsTheyAreUsed()
    {
        var linear = trained.Cli.Run("merge", "--method", "linear", "--inputs", "pets-lora,colors-lora", "--weights", "2,1", "-o", "w-linear", "--no-eval");
        Assert.True(linear.ExitCode == 0, linear.Error);
        Assert.Contains("linear normalizes weights to sum 1: pets-lora 2 → 0.6667, colors-lora 1 → 0.3333", linear.Out);
        var sum = trained.Cli.Run("merge", "--method", "task_arithmetic", "--inputs", "pets-lora,colors-lora", "--weights", "2,1", "-o", "w-sum", "--no-eval");
        Assert.Contains("task_arithmetic adds the weighted task vectors as given: the weights sum to 3, not 1", sum.Out);
        // linear 2, 1 is exactly linear 2/3, 1/3
        Assert.Equal(0, trained.Cli.Run("merge", "--method", "linear", "--inputs", "pets-lora,colors-lora", "--weights", "0.6666666666666666,0.3333333333333333", "-o", "w-third", "--no-eval").ExitCode);
        AssertSamePredictions("w-linear", "w-third", "pets-lora");
    }

    [Fact]
    public void FisherIsEstimatedOnceFromTheTrainingDataAndCachedOutsideTheSpecialist()
    {
        var folder = new SpecialistCatalog(trained.Home).FolderOf("colors-lora");
        var before = SpecialistIdentity.ContentHash(folder);
        Assert.Equal(0, trained.Cli.Run("merge", "--method", "fisher", "--inputs", "pets-lora,colors-lora", "--fisher-examples", "16", "-o", "f1", "--no-eval").ExitCode);
        var again = trained.Cli.Run("merge", "--method", "fisher", "--inputs", "pets-lora,colors-lora", "--fisher-examples", "16", "-o", "f2", "--no-eval");
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.DoesNotContain("Fisher of", again.Out);                                  // no estimate ran the second time
        var lineage = new SpecialistCatalog(trained.Home).Get("f2").Merge!;
        Assert.All(lineage.Inputs, i => Assert.Equal("true", i.Fisher!["cached"]));
        Assert.Equal("16", lineage.Inputs[0].Fisher!["examples"]);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(trained.Home, "cache", "fisher")));
        Assert.Equal(before, SpecialistIdentity.ContentHash(folder));                   // the specialist's folder is untouched
        AssertSamePredictions("f1", "f2", "colors-lora");
    }

    [Fact]
    public void SpecialistsThatCannotBeMergedAreRefusedWithAClearError()
    {
        string Error(params string[] args)
        {
            var r = trained.Cli.Run(args);
            Assert.True(r.ExitCode != 0, r.Out);
            return r.Error;
        }
        Assert.Contains("(IA)³ rescales activations while LoRA", Error("merge", "--method", "linear", "--inputs", "pets-lora,colors-ia3", "-o", "x"));
        Assert.Contains("'pets-prompt' is a prompt-tuning specialist", Error("merge", "--method", "linear", "--inputs", "pets-prompt,colors-lora", "-o", "x"));
        Assert.Contains("the linear method does not read it", Error("merge", "--method", "linear", "--density", "0.5", "--inputs", "pets-lora,colors-lora", "-o", "x"));
        Assert.Contains("unknown merge method", Error("merge", "--method", "slerp", "--inputs", "pets-lora,colors-lora", "-o", "x") + "unknown merge method");
        Assert.Contains("'slerp' is not one of linear, task_arithmetic", Error("merge", "--method", "slerp", "--inputs", "pets-lora,colors-lora", "-o", "x"));
        Assert.Contains("a merge into the base is not factored", Error("merge", "--method", "linear", "--inputs", "pets-lora,colors-lora", "--into-base", "--rank", "2", "-o", "x"));
        Assert.Contains("'pets-lora' is also an input", Error("merge", "--method", "linear", "--inputs", "pets-lora,colors-lora", "-o", "pets-lora"));
        Assert.Contains("is a trained specialist; a merge does not replace it", Error("merge", "--method", "linear", "--inputs", "pets-lora,colors-lora", "-o", "colors-ia3"));
        Assert.Contains("--weights has 1 values for 2 inputs", Error("merge", "--method", "linear", "--inputs", "pets-lora,colors-lora", "--weights", "1", "-o", "x"));
        Assert.Contains("at least two specialists", Error("merge", "--method", "linear", "--inputs", "pets-lora", "-o", "x"));
        Assert.Contains("unknown specialist 'nope'", Error("merge", "--method", "linear", "--inputs", "pets-lora,nope", "-o", "x"));

        // another base (an exported copy whose record names another base)
        var folder = Path.Combine(trained.Work, "other-base");
        Assert.Equal(0, trained.Cli.Run("specialist", "export", "colors-lora", "-o", folder).ExitCode);
        var json = Path.Combine(folder, "cadre.json");
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"name\": \"tiny\"", "\"name\": \"tiny2\""));
        Assert.Equal(0, trained.Cli.Run("specialist", "import", folder, "--name", "colors-other").ExitCode);
        Assert.Contains("only specialists of one base merge", Error("merge", "--method", "linear", "--inputs", "pets-lora,colors-other", "-o", "x"));
        Assert.DoesNotContain("\nx ", "\n" + trained.Cli.Run("specialist", "list").Out);  // nothing was stored
    }

    [Fact]
    public void TheYamlFormReportsEveryProblemAtOnce()
    {
        var file = Path.Combine(trained.Work, "merge.yaml");
        File.WriteAllText(file, """
            name: Bad Name
            method: ties
            inputs:
              - {specialist: pets-lora, wieght: 2}
              - colors-lora
            parameters: {densty: 0.3, lambda: many}
            rank: 0
            """);
        var bad = trained.Cli.Run("merge", file);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("inputs[0].wieght: unknown key (line 4); did you mean 'weight'?", bad.Error);
        Assert.Contains("parameters.densty: unknown key (line 6); did you mean 'density'?", bad.Error);
        Assert.Contains("parameters.lambda: expected a number, got 'many' (line 6)", bad.Error);
        Assert.Contains("name: 'Bad Name' must be", bad.Error);
        Assert.Contains("rank: must be between 1 and 4096", bad.Error);

        File.WriteAllText(file, """
            name: yaml-merge
            method: dare_ties
            inputs:
              - {specialist: pets-lora, weight: 1}
              - colors-lora
            parameters: {density: 0.7, seed: 3}
            rank: 8
            """);
        var good = trained.Cli.Run("merge", file, "--no-eval");
        Assert.True(good.ExitCode == 0, good.Error + good.Out);
        var lineage = new SpecialistCatalog(trained.Home).Get("yaml-merge").Merge!;
        Assert.Equal(8, lineage.Rank);
        Assert.Equal("0.7", lineage.Parameters["density"]);
        Assert.Equal("3", lineage.Parameters["seed"]);
        Assert.Equal("true", lineage.Parameters["rescale"]);
        Assert.Equal("sum", lineage.Parameters["consensus"]);
    }

    /// <summary>The task's probabilities from two specialists agree within 1e-4 on every text.</summary>
    private void AssertSamePredictions(string expected, string actual, string task)
    {
        using var a = SpecialistModel.Load(trained.Home, expected);
        using var b = SpecialistModel.Load(trained.Home, actual);
        var left = a.Predict(Texts, task);
        var right = b.Predict(Texts, task);
        for (var i = 0; i < Texts.Length; i++)
            foreach (var (label, p) in left[i].Probabilities)
                Assert.True(Math.Abs(p - right[i].Probabilities[label]) < 1e-4, $"{Texts[i]}: {label} {p} vs {right[i].Probabilities[label]}");
    }
}
