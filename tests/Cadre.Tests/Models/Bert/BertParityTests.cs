using Cadre.Models.Bert;
using Cadre.Tests.Infrastructure;
using Cadre.Tokenizers.WordPiece;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.Bert;

/// <summary>
/// Outputs of the tiny seeded checkpoints against an independent PyTorch implementation of Hugging Face's
/// eager BertModel / RobertaModel (tools/reference/bert/reference_model.py), to 1e-5.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class BertParityTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void BatchedHiddenStatesAndPoolingMatchTheReference()
    {
        using var scope = NewDisposeScope();
        var golden = BertGolden.Outputs("tiny_bert");
        using var model = LoadTinyBert(new SentencePooling());
        var ids = BertGolden.Longs(golden.GetProperty("input_ids"));
        var mask = BertGolden.Longs(golden.GetProperty("attention_mask"));
        var types = BertGolden.Longs(golden.GetProperty("token_type_ids"));
        var (b, t, h) = (ids.shape[0], ids.shape[1], model.Config.HiddenSize);

        using var output = model.Forward(ids, mask, types);
        AssertClose(output.LastHiddenState, BertGolden.Floats(golden.GetProperty("last_hidden_state"), b, t, h));
        AssertClose(output.PoolerOutput!, BertGolden.Floats(golden.GetProperty("pooler_output"), b, h));
        AssertClose(output.SentenceEmbedding, BertGolden.Floats(golden.GetProperty("mean"), b, h));

        foreach (var (mode, key) in new[] { (PoolingMode.Cls, "cls"), (PoolingMode.Max, "max"), (PoolingMode.MeanSqrtLength, "mean_sqrt_len") })
        {
            var pooled = new SentencePooling { Modes = [mode] }.Apply(output.LastHiddenState, mask);
            AssertClose(pooled, BertGolden.Floats(golden.GetProperty(key), b, h), key);
        }
        var normalized = new SentencePooling { Normalize = true }.Apply(output.LastHiddenState, mask);
        AssertClose(normalized, BertGolden.Floats(golden.GetProperty("mean_normalized"), b, h));
    }

    [Fact]
    public void EachRowAloneMatchesItsRowInThePaddedBatch()
    {
        using var scope = NewDisposeScope();
        var golden = BertGolden.Outputs("tiny_bert");
        using var model = LoadTinyBert(new SentencePooling());
        var ids = BertGolden.Longs(golden.GetProperty("input_ids"));
        var mask = BertGolden.Longs(golden.GetProperty("attention_mask"));
        var types = BertGolden.Longs(golden.GetProperty("token_type_ids"));
        var (b, t, h) = (ids.shape[0], ids.shape[1], model.Config.HiddenSize);
        var expected = BertGolden.Floats(golden.GetProperty("last_hidden_state"), b, t, h);
        var expectedMean = BertGolden.Floats(golden.GetProperty("mean"), b, h);
        for (var row = 0; row < b; row++)
        {
            var length = mask[row].sum().item<long>();
            var slice = TensorIndex.Slice(0, length);
            using var alone = model.Forward(ids[row, slice].unsqueeze(0), mask[row, slice].unsqueeze(0), types[row, slice].unsqueeze(0));
            AssertClose(alone.LastHiddenState[0], expected[row, slice], $"row {row}");
            AssertClose(alone.SentenceEmbedding[0], expectedMean[row], $"row {row}");
        }
    }

    [Fact]
    public void EmbedTokenizesAndPoolsAsTheSentenceTransformersFolderSays()
    {
        using var scope = NewDisposeScope();
        var golden = BertGolden.Outputs("tiny_bert");
        using var model = BertModel.Load(BertGolden.Folder("tiny-bert"));
        var tokenizer = model.Tokenizer!;
        Assert.Equal([PoolingMode.Mean], model.Pooling.Modes);
        Assert.True(model.Pooling.Normalize);
        Assert.Equal(64, tokenizer.Settings.MaxLength);

        var texts = golden.GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var ids = golden.GetProperty("input_ids").EnumerateArray().ToArray();
        for (var i = 0; i < texts.Length; i++)
        {
            var expectedIds = ids[i].EnumerateArray().Select(e => e.GetInt32()).Where(id => id != 0).ToArray();
            Assert.Equal(expectedIds, tokenizer.Encode(texts[i]));
        }
        var embeddings = model.Embed(texts, batchSize: 4);
        var expected = BertGolden.Floats(golden.GetProperty("mean_normalized"), ids.Length, model.Dimension);
        Assert.Equal(texts.Length, embeddings.Length);
        for (var i = 0; i < texts.Length; i++)
        {
            var diff = embeddings[i].Zip(expected[i].data<float>().ToArray(), (a, e) => Math.Abs(a - e)).Max();
            Assert.True(diff <= Tolerance, $"text {i}: {diff}");
        }
    }

    [Fact]
    public void EmbedAndScopedForwardLeaveNoLiveTensors()
    {
        var folder = BertGolden.Folder("tiny-bert");
        using var model = LoadTinyBert(SentencePooling.Load(folder), BertWordPieceTokenizer.Load(folder));
        string[] texts = ["The cat sat on the mat.", "hello", "A dog runs fast!"];
        model.Embed(texts, batchSize: 2);
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        model.Embed(texts, batchSize: 2);
        using (NewDisposeScope())
        {
            using var output = model.Forward(model.Tokenizer!.EncodeBatch(texts));
        }
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void RobertaPositionsStartAfterThePaddingIdAndHeadKeysAreIgnored()
    {
        using var scope = NewDisposeScope();
        var golden = BertGolden.Outputs("tiny_roberta");
        using var model = BertModel.Load(BertGolden.Folder("tiny-roberta"));
        var config = model.Config;
        Assert.Equal((1, 2), (config.PadTokenId, config.PositionOffset));
        Assert.Equal(["classifier.dense.bias", "classifier.dense.weight", "classifier.out_proj.bias", "classifier.out_proj.weight"], model.IgnoredKeys);
        Assert.Equal("roberta", model.Architecture);
        // No WordPiece vocabulary in a RoBERTa folder: it runs from ids, and says why it cannot embed text.
        Assert.Null(model.Tokenizer);
        Assert.Contains("no WordPiece tokenizer", Assert.Throws<CadreException>(() => model.Embed(["text"])).Message);

        var ids = BertGolden.Longs(golden.GetProperty("input_ids"));
        var mask = BertGolden.Longs(golden.GetProperty("attention_mask"));
        using var output = model.Forward(ids, mask);
        var expected = BertGolden.Floats(golden.GetProperty("last_hidden_state"), ids.shape[0], ids.shape[1], config.HiddenSize);
        AssertClose(output.LastHiddenState, expected);
        AssertClose(output.PoolerOutput!, BertGolden.Floats(golden.GetProperty("pooler_output"), ids.shape[0], config.HiddenSize));
    }

    private static void AssertClose(Tensor actual, Tensor expected, string what = "")
    {
        var diff = BertGolden.MaxAbsDiff(actual, expected);
        Assert.True(diff <= Tolerance, $"{what} max abs diff {diff:E2} > {Tolerance:E0}");
    }

    internal static BertModel LoadTinyBert(SentencePooling pooling, BertWordPieceTokenizer? tokenizer = null)
    {
        var folder = BertGolden.Folder("tiny-bert");
        var config = BertConfig.Load(Path.Combine(folder, "config.json"));
        var weights = BertGolden.ReadAll(Path.Combine(folder, "model.safetensors"));
        return BertModel.FromStateDict(config, weights, tokenizer, pooling);
    }
}
