using System.Text.Json;
using Cadre.Adapters;
using Cadre.Models.Bert;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Adapters;

/// <summary>
/// PEFT-layout folders written outside Cadre (tools/reference/peft/make_golden.py), loaded onto the tiny BERT,
/// give the embeddings of a PyTorch forward pass that follows PEFT's semantics for LoRA, rsLoRA, (IA)³, prompt
/// tuning and prefix tuning.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class PeftGoldenTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "golden", "peft");

    [Theory]
    [InlineData("lora", "lora")]
    [InlineData("lora_rs", "lora")]
    [InlineData("ia3", "ia3")]
    [InlineData("prompt", "prompt")]
    [InlineData("prefix", "prompt")]
    public void PeftFoldersLoadToTheReferenceEmbeddings(string name, string method)
    {
        using var golden = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root, "embeddings.json")));
        var texts = golden.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToList();
        var expected = golden.RootElement.GetProperty("cases").GetProperty(name).EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToList();
        using var model = BertModel.Load(TinyTask.TinyBert);
        var plain = model.Embed(texts);
        using var adapter = AdapterFiles.Load(model, Path.Combine(Root, name), method: null);
        Assert.Equal(method, adapter.Method.Name);
        var actual = model.Embed(texts);
        for (var i = 0; i < texts.Count; i++)
        {
            Assert.True(expected[i].Zip(plain[i]).Max(p => Math.Abs(p.First - p.Second)) > 0.01, "the adapter must matter");
            for (var k = 0; k < expected[i].Length; k++)
                Assert.True(Math.Abs(expected[i][k] - actual[i][k]) <= 1e-5, $"{name}, text {i}, dim {k}: {actual[i][k]} vs {expected[i][k]}");
        }
    }
}
