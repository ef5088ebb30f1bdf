using System.Text.Json.Nodes;
using Cadre.Adapters;
using Cadre.Models;
using Cadre.Models.Bert;
using Cadre.Models.Import;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Adapters;

/// <summary>Every adapter method on a tiny BERT: identity at start, frozen base, PEFT names, save and load.</summary>
[Collection(TorchCollection.Name)]
public sealed class AdapterTests
{
    private static readonly string[] Texts = ["the cat sat on the mat", "a red dog", "hello world !"];

    public static TheoryData<string> Methods => ["lora", "ia3", "prompt", "full"];

    private static BertModel Tiny() => BertModel.Load(TinyTask.TinyBert);

    private static float[] Flat(ISentenceEncoder model) => model.Embed(Texts).SelectMany(v => v).ToArray();

    [Theory]
    [InlineData("lora")]
    [InlineData("ia3")]
    public void AFreshAdapterLeavesTheBaseOutputUnchanged(string method)
    {
        using var model = Tiny();
        var before = Flat(model);
        using var adapter = AdapterMethods.Get(method).Create(model, new AdapterSpec { Method = method }, seed: 3, "tiny");
        Assert.True(adapter.TrainableParameterCount > 0);
        Assert.Equal(before, Flat(model));
    }

    [Theory]
    [InlineData("lora")]
    [InlineData("ia3")]
    [InlineData("prompt")]
    public void OnlyTheAdapterTrainsAndDisposingDetachesIt(string method)
    {
        using var model = Tiny();
        var before = Flat(model);
        var adapter = AdapterMethods.Get(method).Create(model, new AdapterSpec { Method = method }, seed: 3, "tiny");
        Assert.All(model.Module.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(adapter.Parameters.Values, p => Assert.True(p.requires_grad));
        Perturb(adapter);
        Assert.NotEqual(before, Flat(model));
        adapter.Dispose();
        Assert.All(model.Sites.Values, s => Assert.Empty(s.Adapters));
        Assert.Null(model.Prompt.Vectors);
        Assert.Equal(before, Flat(model));
    }

    [Fact]
    public void FullFineTuningUnfreezesEveryWeightAndFreezesThemAgain()
    {
        using var model = Tiny();
        var count = model.Module.parameters().Sum(p => p.numel());
        using (var adapter = AdapterMethods.Get("full").Create(model, new AdapterSpec { Method = "full" }, 3, "tiny"))
        {
            Assert.Equal(count, adapter.TrainableParameterCount);
            Assert.All(model.Module.parameters(), p => Assert.True(p.requires_grad));
        }
        Assert.All(model.Module.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void PeftKeyNamesShapesAndConfigs()
    {
        using var model = Tiny();
        using (var lora = AdapterMethods.Get("lora").Create(model, new AdapterSpec { Method = "lora", R = 4, Alpha = 8 }, 1, "tiny"))
        {
            var a = lora.Parameters["base_model.model.encoder.layer.0.attention.self.query.lora_A.weight"];
            var b = lora.Parameters["base_model.model.encoder.layer.1.output.dense.lora_B.weight"];
            Assert.Equal([4L, 32], a.shape);
            Assert.Equal([32L, 4], b.shape);
            Assert.Equal(2 * 2 * 6, lora.Parameters.Count); // 2 layers × 6 sites (q, k, v, o, up, down) × (A, B)
            Assert.Equal("LORA", lora.PeftConfig!["peft_type"]!.GetValue<string>());
            Assert.Equal(8, lora.PeftConfig["lora_alpha"]!.GetValue<double>());
            Assert.DoesNotContain(lora.Parameters.Keys, k => k.Contains("pooler"));
        }
        using (var ia3 = AdapterMethods.Get("ia3").Create(model, new AdapterSpec { Method = "ia3" }, 1, "tiny"))
        {
            Assert.Equal([32L, 1], ia3.Parameters["base_model.model.encoder.layer.0.attention.self.key.ia3_l"].shape);
            Assert.Equal([1L, 64], ia3.Parameters["base_model.model.encoder.layer.0.output.dense.ia3_l"].shape);
            Assert.Equal(2 * 3, ia3.Parameters.Count); // key, value, feed-forward output per layer
            var feedForward = ia3.PeftConfig!["feedforward_modules"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            Assert.Equal(["encoder.layer.0.output.dense", "encoder.layer.1.output.dense"], feedForward);
        }
        using (var prompt = AdapterMethods.Get("prompt").Create(model, new AdapterSpec { Method = "prompt", PromptTokens = 5 }, 1, "tiny"))
        {
            Assert.Equal([5L, 32], prompt.Parameters["prompt_embeddings"].shape);
            Assert.Equal("PROMPT_TUNING", prompt.PeftConfig!["peft_type"]!.GetValue<string>());
            Assert.Equal(5, prompt.PeftConfig["num_virtual_tokens"]!.GetValue<int>());
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void SavedAdaptersLoadBackToTheSameOutputs(string method)
    {
        using var folder = new TempDir();
        float[] expected;
        using (var model = Tiny())
        using (var adapter = AdapterMethods.Get(method).Create(model, new AdapterSpec { Method = method, PromptTokens = 4 }, 5, "tiny"))
        {
            Perturb(adapter);
            expected = Flat(model);
            AdapterFiles.Save(adapter, folder.Path);
        }
        using var fresh = Tiny();
        using var loaded = AdapterFiles.Load(fresh, folder.Path, method);
        Assert.Equal(method, loaded.Method.Name);
        var actual = Flat(fresh);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void TargetsSelectGroupsSuffixesAndGlobs()
    {
        using var model = Tiny();
        Assert.Equal(["encoder.layer.0.attention.self.query", "encoder.layer.1.attention.self.query"], SiteSelection.Select(model, ["query"]));
        Assert.Equal(4, SiteSelection.Select(model, ["encoder.layer.*.attention.self.*y"]).Count); // query, key
        Assert.Equal(8, SiteSelection.Select(model, ["attention"]).Count);
        Assert.Equal(12, SiteSelection.Select(model, ["all"]).Count);
        var e = Assert.Throws<CadreException>(() => SiteSelection.Select(model, ["qkv", "query"]));
        Assert.Contains("'qkv' matches no linear site", e.Message);
    }

    /// <summary>
    /// The contributions read from a saved adapter's files, put into a pass's context for one row of two, give that
    /// row what the attached adapter gives it and leave the other row at the bare base; reading attached nothing.
    /// </summary>
    [Theory]
    [InlineData("lora")]
    [InlineData("ia3")]
    public void ContributionsFromFilesAdaptOnlyTheirRowsOfAPass(string method)
    {
        using var folder = new TempDir();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var model = Tiny();
        var texts = Texts[..2];
        Tensor adapted;
        using (var adapter = AdapterMethods.Get(method).Create(model, new AdapterSpec { Method = method }, 2, "tiny"))
        {
            Perturb(adapter);
            adapted = model.EmbedBatch(texts, 32);                                      // (2, D), every row adapted
            AdapterFiles.Save(adapter, folder.Path);
        }
        var plain = model.EmbedBatch(texts, 32);                                        // (2, D)
        var read = AdapterFiles.ReadContributions(model, folder.Path, method);
        Assert.All(model.Sites.Values, s => Assert.Empty(s.Adapters));
        Assert.NotEmpty(read.Sites);
        Assert.Null(read.Prompt);
        // Row 0 takes the adapter, row 1 the identity (zeros for LoRA, ones for (IA)³).
        var sites = new Dictionary<AdaptableLinear, SiteRows>(ReferenceEqualityComparer.Instance);
        foreach (var (name, contribution) in read.Sites)
            sites[model.Sites[name]] = contribution switch
            {
                LowRankContribution lr => new SiteRows(stack([lr.A, zeros_like(lr.A)]), stack([lr.B * lr.Scaling, zeros_like(lr.B)]), null, null), // (2, r, in), (2, out, r)
                ScaleContribution { ScalesInput: true } s => new SiteRows(null, null, stack([s.Vector, ones_like(s.Vector)]), null),               // (2, F)
                ScaleContribution s => new SiteRows(null, null, null, stack([s.Vector, ones_like(s.Vector)])),                                    // (2, F)
                _ => throw new InvalidOperationException(contribution.GetType().Name),
            };
        var mixed = model.EmbedBatch(texts, 32, new ForwardContext { Sites = sites });  // (2, D)
        Assert.True((mixed[0] - adapted[0]).abs().max().item<float>() < 1e-5);
        Assert.True((mixed[1] - plain[1]).abs().max().item<float>() < 1e-6);
        Assert.True((adapted[1] - plain[1]).abs().max().item<float>() > 1e-3, "the adapter must matter");
    }

    [Fact]
    public void ContributionsOfAPromptAndRefusalsOfWhatCannotShareABase()
    {
        using var folder = new TempDir();
        using var scope = NewDisposeScope();
        using var model = Tiny();
        using (var adapter = AdapterMethods.Get("prompt").Create(model, new AdapterSpec { Method = "prompt", PromptTokens = 3 }, 2, "tiny"))
            AdapterFiles.Save(adapter, folder.Path);
        var read = AdapterFiles.ReadContributions(model, folder.Path, null);
        Assert.Empty(read.Sites);
        Assert.Equal([3L, model.TokenWidth], read.Prompt!.Vectors.shape);
        Assert.False(read.Prompt.Deep);
        Assert.Null(model.Prompt.Vectors);

        using var full = new TempDir();
        using (var adapter = AdapterMethods.Get("full").Create(model, new AdapterSpec { Method = "full" }, 2, "tiny"))
            AdapterFiles.Save(adapter, full.Path);
        Assert.Contains("cannot share a served base", Assert.Throws<CadreException>(() => AdapterFiles.ReadContributions(model, full.Path, "full")).Message);
    }

    [Fact]
    public void PeftFoldersWithUnsupportedFeaturesAreRefused()
    {
        using var folder = new TempDir();
        using var model = Tiny();
        File.WriteAllText(Path.Combine(folder.Path, AdapterFiles.ConfigFile), new JsonObject
        {
            ["peft_type"] = "LORA", ["r"] = 4, ["lora_alpha"] = 8, ["use_dora"] = true, ["target_modules"] = new JsonArray("query"),
        }.ToJsonString());
        Assert.Contains("DoRA", Assert.Throws<CadreException>(() => AdapterFiles.Load(model, folder.Path, null)).Message);
        File.WriteAllText(Path.Combine(folder.Path, AdapterFiles.ConfigFile), """{"peft_type": "LOHA"}""");
        Assert.Contains("LOHA", Assert.Throws<CadreException>(() => AdapterFiles.Load(model, folder.Path, null)).Message);
        File.WriteAllText(Path.Combine(folder.Path, AdapterFiles.ConfigFile), "{not json");
        Assert.Contains("invalid JSON", Assert.Throws<CadreException>(() => AdapterFiles.Load(model, folder.Path, null)).Message);
    }

    [Fact]
    public void AdapterWeightsOfTheWrongShapeAreRefused()
    {
        using var folder = new TempDir();
        using (var model = Tiny())
        using (var adapter = AdapterMethods.Get("lora").Create(model, new AdapterSpec { Method = "lora", R = 4 }, 1, "tiny"))
            AdapterFiles.Save(adapter, folder.Path);
        var config = Path.Combine(folder.Path, AdapterFiles.ConfigFile);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"r\": 4", "\"r\": 6"));
        using var fresh = Tiny();
        var e = Assert.Throws<CadreException>(() => AdapterFiles.Load(fresh, folder.Path, null));
        Assert.Contains("has shape [4, 32], the base needs [6, 32]", e.Message);
        Assert.All(fresh.Sites.Values, s => Assert.Empty(s.Adapters)); // nothing left attached
        using var scope = NewDisposeScope();
        e = Assert.Throws<CadreException>(() => AdapterFiles.ReadContributions(fresh, folder.Path, null));
        Assert.Contains("does not fit this base", e.Message);
        Assert.Contains("has shape [4, 32], the base needs [6, 32]", e.Message);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"r\": 6", "\"r\": 4").Replace("encoder.layer.0.attention.self.query", "decoder.q"));
        e = Assert.Throws<CadreException>(() => AdapterFiles.ReadContributions(fresh, folder.Path, null));
        Assert.Contains("unexpected 'base_model.model.encoder.layer.0.attention.self.query.lora_A.weight'", e.Message);
    }

    /// <summary>Moves every adapter tensor away from its identity start, seeded.</summary>
    internal static void Perturb(AttachedAdapter adapter)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        manual_seed(11);
        foreach (var p in adapter.Parameters.Values)
            p.add_(randn_like(p) * 0.1);
    }
}
