using Cadre.Models;
using Cadre.Models.Generation;
using Cadre.Models.Llama;
using Cadre.Tests.Infrastructure;
using Cadre.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.Llama;

[Collection(TorchCollection.Name)]
public sealed class TextGeneratorTests
{
    /// <summary>64 pieces: &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, a-z, ▁a-▁z and nine more, so any id decodes to text.</summary>
    private static readonly SentencePieceBpeTokenizer Letters = MakeLetters();

    [Fact]
    public void SamplingIsDeterministicPerSeedAndDiffersAcrossSeeds()
    {
        using var model = new TinyLlamaCheckpoint(seed: 2).LoadHuggingFaceLayout();
        GenerationResult Run(ulong? seed) => TextGenerator.Generate(model, Letters, "ab",
            new GenerationOptions { MaxNewTokens = 24, Temperature = 1.0, TopP = 0.95, Seed = seed, StopAtEos = false });

        var first = Run(11);
        Assert.Equal(24, first.TokenIds.Count);
        Assert.Equal(first.TokenIds, Run(11).TokenIds);
        Assert.NotEqual(first.TokenIds, Run(12).TokenIds);
        Assert.Equal(11UL, first.Seed);
        var random = Run(null); // a seed is drawn, reported, and reproduces the run
        Assert.NotNull(random.Seed);
        Assert.Equal(random.TokenIds, Run(random.Seed).TokenIds);
    }

    [Fact]
    public void GenerationLeaksNoTensors()
    {
        using var model = new TinyLlamaCheckpoint(seed: 4).LoadHuggingFaceLayout();
        var options = new GenerationOptions { MaxNewTokens = 8, Seed = 3, StopAtEos = false };
        TextGenerator.Generate(model, Letters, "a", options); // warm up lazily created native state
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        TextGenerator.Generate(model, Letters, "a", options);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void StopsAtEosOrBosWithoutEmittingIt()
    {
        var chunks = new List<string>();
        var result = Generate(new ScriptedModel(10, 11, 2, 12), GenerationOptions.Greedy(10), chunks.Add);
        Assert.Equal([10, 11], result.TokenIds);
        Assert.Equal(StopReason.EndOfSequence, result.Reason);
        Assert.Equal(Letters.Decode([1, 10, 11]), result.Text);
        Assert.Equal(result.Text, string.Concat(chunks));

        Assert.Equal([10], Generate(new ScriptedModel(10, 1, 11), GenerationOptions.Greedy(10)).TokenIds);
        var ignoring = Generate(new ScriptedModel(10, 2, 11, 1), GenerationOptions.Greedy(4) with { StopAtEos = false });
        Assert.Equal([10, 2, 11, 1], ignoring.TokenIds);
        Assert.Equal(StopReason.MaxNewTokens, ignoring.Reason);
    }

    [Fact]
    public void StopsWhenTheContextIsFull()
    {
        // Like run.c: positions 0..context-1 are fed, the last one still predicts a token.
        var model = new ScriptedModel(Enumerable.Repeat(20, 50).ToArray()) { ContextLength = 6 };
        var result = TextGenerator.Generate(model, Letters, [1, 30], GenerationOptions.Greedy(100));
        Assert.Equal(StopReason.ContextFull, result.Reason);
        Assert.Equal(5, result.TokenIds.Count);
        Assert.Throws<CadreException>(() => TextGenerator.Generate(model, Letters, [1, 30, 31, 32, 33, 34], GenerationOptions.Greedy(1)));
    }

    [Fact]
    public void InvalidOptionsAreRefusedAllAtOnce()
    {
        var options = new GenerationOptions { MaxNewTokens = -1, Temperature = -1, TopP = 0, Seed = 0 };
        Assert.Equal(4, options.Validate().Count);
        var e = Assert.Throws<CadreException>(() => Generate(new ScriptedModel(5), options));
        Assert.Contains("temperature", e.Message);
        Assert.Contains("top-p", e.Message);
    }

    [Fact]
    public void NucleusSamplingKeepsOnlyTheMostLikelyTokens()
    {
        // Probabilities after softmax ≈ 0.66, 0.24, 0.09, 0.0...: top-p 0.5 leaves only the first.
        float[] logits = [3, 2, 1, -5, -5];
        var sampler = new TokenSampler(temperature: 1, topP: 0.5, seed: 99);
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal(0, sampler.Sample((float[])logits.Clone())));
        var wide = new TokenSampler(temperature: 1, topP: 1, seed: 99);
        Assert.Equal(3, Enumerable.Range(0, 300).Select(_ => wide.Sample((float[])logits.Clone())).Where(i => i < 3).Distinct().Count());
    }

    private static GenerationResult Generate(ScriptedModel model, GenerationOptions options, Action<string>? onText = null) =>
        TextGenerator.Generate(model, Letters, [1], options, onText);

    private static SentencePieceBpeTokenizer MakeLetters()
    {
        var pieces = new List<Piece> { new("<unk>", 0, PieceType.Unknown), new("<s>", 0, PieceType.Control), new("</s>", 0, PieceType.Control) };
        var letters = Enumerable.Range('a', 26).Select(c => ((char)c).ToString()).ToList();
        pieces.AddRange(letters.Select(l => new Piece(l, -1, PieceType.Normal)));
        pieces.AddRange(letters.Select(l => new Piece("▁" + l, -2, PieceType.Normal)));
        pieces.AddRange("▁.,!?'-:;".Select(c => new Piece(c.ToString(), -3, PieceType.Normal)));
        return new SentencePieceBpeTokenizer(new SentencePieceVocabulary(pieces, 0, 1, 2), new NormalizerOptions());
    }

    /// <summary>A model whose every step puts all probability on the next id of a script.</summary>
    private sealed class ScriptedModel(params int[] script) : ICausalLanguageModel
    {
        private int _step;

        public int VocabularySize => 64;
        public int ContextLength { get; init; } = 512;
        public IReadOnlyList<int> StopTokenIds => [2, 1];
        public SentencePieceBpeTokenizer? Tokenizer => Letters;
        public string Architecture => "scripted";
        public nn.Module Module { get; } = nn.Identity();
        public IReadOnlyDictionary<string, AdaptableLinear> Sites { get; } = new Dictionary<string, AdaptableLinear>();

        public Tensor Forward(Tensor inputIds, IKeyValueCache? cache = null, bool lastPositionOnly = false, ForwardContext? context = null)
        {
            ((Cache)cache!).Length += (int)inputIds.shape[1];
            var logits = zeros(1, inputIds.shape[1], VocabularySize); // (1, T, V)
            logits[0, -1, script[_step++]] = tensor(100f);
            return logits;
        }

        public IKeyValueCache CreateCache(int batchSize, int capacity) => new Cache { Capacity = capacity, BatchSize = batchSize };

        public void Dispose() => Module.Dispose();

        private sealed class Cache : IKeyValueCache
        {
            public int Length { get; set; }
            public int Capacity { get; init; }
            public int BatchSize { get; init; }
            public void Dispose() { }
        }
    }
}
