using Cadre.Tokenizers;
using Cadre.Tokenizers.WordPiece;
using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.Bert;

/// <summary>
/// A frozen Hugging Face BERT-family encoder (BERT, MiniLM, RoBERTa/XLM-R weights) as a sentence encoder. Its
/// module tree keeps the checkpoint's key names, every linear layer is an adapter-ready
/// <see cref="AdaptableLinear"/> site, and every parameter has requires_grad = false.
/// </summary>
public sealed partial class BertModel : ISentenceEncoder
{
    private readonly BertNetwork _network;
    private readonly Dictionary<string, AdaptableLinear> _sites;

    private BertModel(BertConfig config, BertNetwork network, SoftPrompt prompt,
        BertWordPieceTokenizer? tokenizer, SentencePooling pooling, IReadOnlyList<string> ignoredKeys)
    {
        Prompt = prompt;
        Config = config;
        _network = network;
        Tokenizer = tokenizer;
        Pooling = pooling;
        IgnoredKeys = ignoredKeys;
        _sites = network.named_modules().Where(m => m.module is AdaptableLinear)
            .ToDictionary(m => m.name, m => (AdaptableLinear)m.module, StringComparer.Ordinal);
    }

    public BertConfig Config { get; }

    /// <summary>The WordPiece tokenizer from the checkpoint folder; null when built without one.</summary>
    public BertWordPieceTokenizer? Tokenizer { get; }

    public SentencePooling Pooling { get; }

    /// <summary>Checkpoint keys outside the base (task heads such as <c>classifier.*</c>), left unused.</summary>
    public IReadOnlyList<string> IgnoredKeys { get; }

    /// <summary>Whether the checkpoint had <c>pooler.dense</c>, so <see cref="BertOutput.PoolerOutput"/> exists.</summary>
    public bool HasPooler => _network.HasPooler;

    public string Architecture => Config.ModelType.Replace('-', '_');

    public nn.Module Module => _network;

    public IReadOnlyDictionary<string, AdaptableLinear> Sites => _sites;

    public int Dimension => Pooling.Dimension(Config.HiddenSize);

    public SoftPrompt Prompt { get; }

    public long TokenWidth => Config.HiddenSize;

    public Tensor TokenEmbeddings => _network.TokenEmbeddings;

    /// <summary>
    /// Builds the model from a state dict with Hugging Face key names (bare, or under a task model's prefix such
    /// as <c>bert.</c>). Tensors are copied, so the caller keeps ownership of <paramref name="weights"/>.
    /// </summary>
    public static BertModel FromStateDict(BertConfig config, IReadOnlyDictionary<string, Tensor> weights,
        BertWordPieceTokenizer? tokenizer = null, SentencePooling? pooling = null, string source = "state dict") =>
        Build(config, weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal),
            key => weights[key], disposeAfterCopy: false, tokenizer, pooling ?? new SentencePooling(), source);

    private static BertModel Build(BertConfig config, IReadOnlyDictionary<string, long[]> shapes, Func<string, Tensor> read,
        bool disposeAfterCopy, BertWordPieceTokenizer? tokenizer, SentencePooling pooling, string source)
    {
        var errors = config.Validate();
        if (errors.Count > 0)
            throw new CadreException($"{source}: invalid BERT config:\n  " + string.Join("\n  ", errors));
        if (tokenizer is not null && tokenizer.VocabularySize > config.VocabSize)
            throw new CadreException($"the tokenizer has {tokenizer.VocabularySize} tokens but config.json's vocab_size is "
                + $"{config.VocabSize}: they do not belong to the same model");
        var prefix = BertWeights.FindPrefix(shapes.Keys, source);
        var prompt = new SoftPrompt { LayerWidths = Enumerable.Repeat((long)config.HiddenSize, config.NumHiddenLayers).ToList() };
        var network = new BertNetwork(config, BertWeights.HasPooler(shapes.Keys, prefix));
        try
        {
            var ignored = BertWeights.Copy(network, shapes, read, disposeAfterCopy, prefix, source);
            foreach (var parameter in network.parameters())
                parameter.requires_grad = false;
            network.eval();
            return new BertModel(config, network, prompt, tokenizer, pooling, ignored);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Batched forward pass: (B, T) int64 ids, (B, T) 0/1 attention mask and optional (B, T) token types (default
    /// all 0). Returns token vectors, the pooled sentence embedding and the BertPooler output. Gradients flow when
    /// the caller enables them (for adapters); the base's own parameters never require them. <paramref name="context"/>
    /// carries what this pass adapts per row (null: the base with what is attached to it).
    /// </summary>
    public BertOutput Forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null, ForwardContext? context = null)
    {
        var pass = Prompt.Resolve(context);
        CheckInputs(inputIds, attentionMask, tokenTypeIds, pass.Prompt);
        using var scope = NewDisposeScope();
        var types = tokenTypeIds ?? zeros_like(inputIds);
        var hidden = _network.call(inputIds, attentionMask, types, pass);      // (B, T, H)
        var sentence = Pooling.Apply(hidden, attentionMask);                    // (B, D)
        var pooled = _network.Pool(hidden, pass);                               // (B, H) or null
        return new BertOutput(hidden.MoveToOuterDisposeScope(), sentence.MoveToOuterDisposeScope(),
            pooled?.MoveToOuterDisposeScope());
    }

    /// <summary>Forward pass over a tokenizer batch.</summary>
    public BertOutput Forward(EncodedBatch batch, ForwardContext? context = null)
    {
        using var scope = NewDisposeScope();
        var ids = tensor(batch.InputIds, [batch.BatchSize, batch.Length], int64);          // (B, T)
        var mask = tensor(batch.AttentionMask, [batch.BatchSize, batch.Length], int64);    // (B, T)
        var types = tensor(batch.TokenTypeIds, [batch.BatchSize, batch.Length], int64);    // (B, T)
        var output = Forward(ids, mask, types, context);
        output.LastHiddenState.MoveToOuterDisposeScope();
        output.SentenceEmbedding.MoveToOuterDisposeScope();
        output.PoolerOutput?.MoveToOuterDisposeScope();
        return output;
    }

    /// <summary>
    /// Sentence embeddings in input order. Texts are sorted by length before batching so that a batch pads little
    /// (as sentence-transformers does); padding does not change a text's vector.
    /// </summary>
    public float[][] Embed(IReadOnlyList<string> texts, int batchSize = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var tokenizer = RequireTokenizer();
        var maxLength = Math.Min(tokenizer.Settings.MaxLength, Config.MaxSequenceLength - (int)(Prompt.Length + Prompt.PrefixLength));
        var encoded = texts.Select(t => tokenizer.Encode(t, null, maxLength)).ToArray();
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => encoded[i].Ids.Count).ToArray();
        var result = new float[texts.Count][];
        using var noGrad = no_grad();
        foreach (var chunk in order.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var output = Forward(EncodedBatch.Pad([.. chunk.Select(i => encoded[i])], tokenizer.PaddingId));
            var values = output.SentenceEmbedding.to(float32).cpu().data<float>().ToArray();
            for (var row = 0; row < chunk.Length; row++)
                result[chunk[row]] = values.AsSpan(row * Dimension, Dimension).ToArray();
        }
        return result;
    }

    public Tensor EmbedBatch(IReadOnlyList<string> texts, int maxLength, ForwardContext? context = null)
    {
        var tokenizer = RequireTokenizer();
        var pass = Prompt.Resolve(context);
        // Room for the soft prompt inside the position table (the longest, when rows bring prompts of their own).
        var prompts = (pass.Prompt?.Length ?? 0) + (pass.Prompt?.PrefixLength ?? 0);
        var limit = Math.Min(Math.Min(tokenizer.Settings.MaxLength, maxLength), Config.MaxSequenceLength - (int)prompts);
        using var scope = NewDisposeScope();
        // The output's other tensors belong to this scope and go with it.
        var output = Forward(EncodedBatch.Pad([.. texts.Select(t => tokenizer.Encode(t, null, limit))], tokenizer.PaddingId), context);
        return output.SentenceEmbedding.MoveToOuterDisposeScope(); // (B, D)
    }

    public int CountTokens(string text) => RequireTokenizer().Encode(text, null, Config.MaxSequenceLength).Ids.Count;

    private BertWordPieceTokenizer RequireTokenizer() => Tokenizer ?? throw new CadreException(
        "this BERT model has no WordPiece tokenizer (vocab.txt or a WordPiece tokenizer.json), so it cannot embed text");

    public void Dispose() => _network.Dispose();

    private void CheckInputs(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, PromptBatch? prompts)
    {
        if (inputIds.dim() != 2)
            throw new ArgumentException($"input ids must be (B, T), got [{string.Join(", ", inputIds.shape)}]", nameof(inputIds));
        if (!attentionMask.shape.SequenceEqual(inputIds.shape) || tokenTypeIds?.shape.SequenceEqual(inputIds.shape) == false)
            throw new ArgumentException("attention mask and token types must have the input ids' shape (B, T)");
        if (inputIds.shape[1] + (prompts?.Length ?? 0) + (prompts?.PrefixLength ?? 0) > Config.MaxSequenceLength)
            throw new ArgumentException($"{inputIds.shape[1]} tokens exceed the model's limit of {Config.MaxSequenceLength} "
                + "(max_position_embeddings); truncate the input", nameof(inputIds));
        if (inputIds.numel() == 0)
            return;
        // One sync each; an out-of-range id would otherwise surface as an opaque native indexing error.
        if (inputIds.min().item<long>() < 0 || inputIds.max().item<long>() >= Config.VocabSize)
            throw new ArgumentException($"input ids must lie in [0, {Config.VocabSize}) (vocab_size)", nameof(inputIds));
        if (tokenTypeIds is not null && (tokenTypeIds.min().item<long>() < 0 || tokenTypeIds.max().item<long>() >= Config.TypeVocabSize))
            throw new ArgumentException($"token types must lie in [0, {Config.TypeVocabSize}) (type_vocab_size)", nameof(tokenTypeIds));
    }
}
