using Cadre.Adapters;
using Cadre.Models;
using Cadre.Models.Bert;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Adapters;

/// <summary>Deep prompts (P-tuning v2 prefixes at every layer) on a tiny BERT.</summary>
[Collection(TorchCollection.Name)]
public sealed class DeepPromptTests
{
    private static readonly AdapterSpec Deep = new() { Method = "prompt", DeepPrompt = true, PromptTokens = 5 };

    private static float[] Flat(ISentenceEncoder model, params string[] texts) => model.Embed(texts).SelectMany(v => v).ToArray();

    [Fact]
    public void PrefixesHavePeftPrefixTuningShapeAndConfig()
    {
        using var model = BertModel.Load(TinyTask.TinyBert);
        using var adapter = AdapterMethods.Get("prompt").Create(model, Deep, 1, "tiny");
        Assert.Equal([5L, 2 * 2 * 32], adapter.Parameters["prompt_embeddings"].shape); // (P, L · 2 · W)
        Assert.Equal(adapter.Parameters["prompt_embeddings"].numel(), adapter.TrainableParameterCount);
        var config = adapter.PeftConfig!;
        Assert.Equal("PREFIX_TUNING", config["peft_type"]!.GetValue<string>());
        Assert.Equal(2, config["num_layers"]!.GetValue<int>());
        Assert.Equal(32, config["token_dim"]!.GetValue<long>());
        Assert.False(config["prefix_projection"]!.GetValue<bool>());
        Assert.Null(model.Prompt.Vectors); // nothing is added before the text
    }

    [Fact]
    public void EveryLayersPrefixCountsAndPaddingDoesNot()
    {
        using var model = BertModel.Load(TinyTask.TinyBert);
        var plain = Flat(model, "the cat sat");
        using var adapter = AdapterMethods.Get("prompt").Create(model, Deep, 1, "tiny");
        var prefixes = adapter.Parameters["prompt_embeddings"];
        var alone = Flat(model, "the cat sat");
        Assert.NotEqual(plain, alone);
        // Batched with a longer text, the short one is padded: the prefix slots must stay visible, padding hidden.
        var batched = Flat(model, "the cat sat", "a big red dog is on the small mat and not fast").Take(alone.Length).ToArray();
        for (var i = 0; i < alone.Length; i++)
            Assert.Equal(alone[i], batched[i], 5);
        // Each layer's key block and value block change the output (none is silently ignored).
        for (var block = 0; block < 4; block++)
        {
            using (no_grad()) prefixes.narrow(1, block * 32, 32).add_(1.0);
            var changed = Flat(model, "the cat sat");
            Assert.NotEqual(alone, changed);
            using (no_grad()) prefixes.narrow(1, block * 32, 32).sub_(1.0);
        }
        adapter.Dispose();
        Assert.Null(model.Prompt.Prefixes);
        Assert.Equal(plain, Flat(model, "the cat sat"));
    }

    [Fact]
    public void SavedDeepPromptsLoadBackAndTrainThroughTheCli()
    {
        using var folder = new TempDir();
        float[] expected;
        using (var model = BertModel.Load(TinyTask.TinyBert))
        using (var adapter = AdapterMethods.Get("prompt").Create(model, Deep, 5, "tiny"))
        {
            AdapterTests.Perturb(adapter);
            expected = Flat(model, "the cat sat", "a red dog");
            AdapterFiles.Save(adapter, folder.Path);
        }
        using (var fresh = BertModel.Load(TinyTask.TinyBert))
        using (var loaded = AdapterFiles.Load(fresh, folder.Path, "prompt"))
        {
            var actual = Flat(fresh, "the cat sat", "a red dog");
            for (var i = 0; i < expected.Length; i++)
                Assert.Equal(expected[i], actual[i], 5);
        }

        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new Cli.CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, "method: prompt\n      deep_prompt: true\n      prompt_tokens: 4", epochs: 10);
        var train = cli.Run("train", spec);
        Assert.True(train.ExitCode == 0, train.Error + train.Out);
        var eval = cli.Run("eval", "tiny-task", "--data", Path.Combine(work.Path, "test.tsv"), "--json");
        using var m = System.Text.Json.JsonDocument.Parse(eval.Out);
        Assert.True(m.RootElement.GetProperty("accuracy").GetDouble() >= 0.75, eval.Out);
        var exported = Path.Combine(work.Path, "exported");
        Assert.Equal(0, cli.Run("specialist", "export", "tiny-task", "-o", exported).ExitCode);
        var import = cli.Run("specialist", "import", exported, "--name", "copy");
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Equal(cli.Run("predict", "tiny-task", "--json", "a red cat").Out, cli.Run("predict", "copy", "--json", "a red cat").Out);
    }
}
