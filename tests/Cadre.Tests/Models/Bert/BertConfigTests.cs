using Cadre.Models.Bert;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Models.Bert;

public sealed class BertConfigTests
{
    [Fact]
    public void ParsesTheRealMiniLmConfig()
    {
        var config = BertConfig.Load(Path.Combine(SharedData.Require("models/minilm-tokenizer"), "config.json"));
        Assert.Equal(new BertConfig
        {
            ModelType = "bert", VocabSize = 30522, HiddenSize = 384, NumHiddenLayers = 6, NumAttentionHeads = 12,
            IntermediateSize = 1536, HiddenAct = "gelu", MaxPositionEmbeddings = 512, TypeVocabSize = 2,
            LayerNormEps = 1e-12, PadTokenId = 0,
        }, config);
        Assert.Equal(32, config.HeadDimension);
        Assert.Equal(512, config.MaxSequenceLength);
    }

    [Fact]
    public void MissingFieldsTakeHuggingFacesDefaultsAndRobertaOffsetsPositions()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), "{}");
        Assert.Equal(new BertConfig(), BertConfig.Load(dir.File("config.json")));
        File.WriteAllText(dir.File("config.json"), """{"model_type": "xlm-roberta", "max_position_embeddings": 514}""");
        var roberta = BertConfig.Load(dir.File("config.json"));
        Assert.Equal((1, 2, 512), (roberta.PadTokenId, roberta.PositionOffset, roberta.MaxSequenceLength));
    }

    [Fact]
    public void ValidateReturnsEveryErrorWithItsPath()
    {
        var errors = new BertConfig { HiddenSize = 100, NumAttentionHeads = 3, HiddenAct = "tanh", LayerNormEps = 0, PadTokenId = -1 }.Validate();
        Assert.Equal(
        [
            "config.json: hidden_size: must be divisible by num_attention_heads (100 is not a multiple of 3)",
            "config.json: hidden_act: 'tanh' is not supported; supported: gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, relu, silu, swish",
            "config.json: layer_norm_eps: must be > 0, found 0",
            "config.json: pad_token_id: must be a token id in [0, 30522), found -1",
        ], errors);
        Assert.Empty(new BertConfig().Validate());
    }

    [Fact]
    public void LoadReportsTypeAndValueErrorsTogether()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"),
            """{"model_type": "distilbert", "hidden_size": "384", "num_attention_heads": 5, "intermediate_size": 0, "position_embedding_type": "relative_key", "is_decoder": true}""");
        var error = Assert.Throws<CadreException>(() => BertConfig.Load(dir.File("config.json")));
        Assert.Contains("config.json: hidden_size: must be an integer, found \"384\"", error.Message);
        Assert.Contains("config.json: model_type: 'distilbert' is not supported; supported: bert, roberta, xlm-roberta", error.Message);
        Assert.Contains("config.json: intermediate_size: must be > 0, found 0", error.Message);
        Assert.Contains("config.json: position_embedding_type: 'relative_key' is not supported", error.Message);
        Assert.Contains("config.json: is_decoder: must be false", error.Message);
        // hidden_size failed to parse, so no divisibility complaint about its default.
        Assert.DoesNotContain("divisible", error.Message);

        File.WriteAllText(dir.File("config.json"), "{ not json");
        Assert.StartsWith("config.json: invalid JSON", Assert.Throws<CadreException>(() => BertConfig.Load(dir.File("config.json"))).Message);
    }
}
