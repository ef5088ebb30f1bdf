using System.Text.Json;
using Cadre.Models.Generation;
using Cadre.Models.Llama;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Models.Llama;

/// <summary>Parity with llama2.c on the real stories260K model (../shared/models/stories260k).</summary>
[Collection(TorchCollection.Name)]
public sealed class Stories260kTests
{
    private static string Folder => SharedData.Require("models/stories260k");

    /// <summary>expected-greedy.txt is run.c's output for 80 steps: the text, then the newline run.c prints at the end.</summary>
    private static string ExpectedGreedy => File.ReadAllText(Path.Combine(Folder, "expected-greedy.txt"))[..^1];

    [Fact]
    public void GreedyFromLlama2cBinMatchesDocumentedOutput()
    {
        using var model = LlamaModel.Load(Path.Combine(Folder, "stories260K.bin"));
        Assert.Equal(64, model.Config.HiddenSize);
        Assert.Equal(4, model.Config.NumKeyValueHeads);
        Assert.True(model.Config.TieWordEmbeddings);
        Assert.Equal(512, model.RequireTokenizer().VocabularySize);
        Assert.False(model.RequireTokenizer().Normalizer.RemoveExtraWhitespaces); // tok512.bin, as run.c reads
        var streamed = new List<string>();
        var result = model.GenerateDetailed("", GenerationOptions.Greedy(80), streamed.Add);
        Assert.Equal(ExpectedGreedy, result.Text);
        Assert.Equal(80, result.TokenIds.Count);
        Assert.Equal(StopReason.MaxNewTokens, result.Reason);
        Assert.Equal(result.Text, string.Concat(streamed));
    }

    [Fact]
    public void GreedyFromHuggingFaceSafetensorsMatchesDocumentedOutput()
    {
        using var model = LlamaModel.Load(Folder); // config.json + model.safetensors win over the .bin beside them
        Assert.Contains("model.safetensors", model.Source);
        Assert.Equal(1e-5, model.Config.RmsNormEps);
        Assert.True(model.RequireTokenizer().Normalizer.RemoveExtraWhitespaces); // tok512.model, SentencePiece's
        Assert.Equal(ExpectedGreedy, model.Generate("", GenerationOptions.Greedy(80)));
    }

    [Fact]
    public void ConvertedSafetensorsEqualThePermutedBin()
    {
        // model.safetensors was converted by an independent script: equality pins the q/k permutation.
        using var fromBin = LlamaModel.Load(Path.Combine(Folder, "stories260K.bin"));
        using var fromHf = LlamaModel.Load(Path.Combine(Folder, "model.safetensors"));
        var hf = fromHf.Module.state_dict();
        Assert.Equal(hf.Keys.Order(), fromBin.Module.state_dict().Keys.Order());
        foreach (var (name, tensor) in fromBin.Module.state_dict())
            Assert.True(tensor.allclose(hf[name], rtol: 0, atol: 0), $"{name} differs");
    }

    [Fact]
    public void SamplingAndPromptsMatchLlama2cRunC()
    {
        using var model = LlamaModel.Load(Path.Combine(Folder, "stories260K.bin"));
        var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "golden", "llama", "stories260k-run-c.json")));
        foreach (var c in golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            var prompt = c.GetProperty("prompt").GetString()!;
            var promptIds = model.RequireTokenizer().Encode(prompt, addBos: true, addEos: false);
            // run.c's -n counts positions from BOS, prompt included; it prints the prompt, then the continuation.
            var options = new GenerationOptions
            {
                MaxNewTokens = c.GetProperty("steps").GetInt32() - promptIds.Count + 1,
                Temperature = c.GetProperty("temperature").GetDouble(),
                TopP = c.GetProperty("topp").GetDouble(),
                Seed = c.GetProperty("seed").GetUInt64(),
            };
            var text = model.Generate(prompt, options);
            Assert.Equal(c.GetProperty("output").GetString(), prompt + text);
        }
    }
}
