using Cadre.Tensors;
using Cadre.Tokenizers.Unigram;
using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.UseLite;

/// <summary>
/// Universal Sentence Encoder Lite as a frozen base: load a converted folder (<see cref="UseLiteConverter"/>),
/// tokenize, batch with padding, and embed. Batched and unbatched results agree (padding keys are masked and
/// pooling counts real tokens only).
/// </summary>
public sealed class UseLiteModel : ISentenceEncoder
{
    private readonly UseLiteNetwork _network;
    private readonly Dictionary<string, AdaptableLinear> _sites = new(StringComparer.Ordinal);

    private UseLiteModel(UseLiteConfig config, UnigramTokenizer tokenizer)
    {
        Config = config;
        Tokenizer = tokenizer;
        Prompt = new SoftPrompt { LayerWidths = config.Layers.Select(l => (long)l.AttentionSize).ToList() };
        _network = new UseLiteNetwork(config, _sites);
        foreach (var p in _network.parameters())
            p.requires_grad = false;
        _network.eval();
    }

    public UseLiteConfig Config { get; }
    public UnigramTokenizer Tokenizer { get; }
    public string Architecture => UseLiteConfig.ModelType;
    public nn.Module Module => _network;
    public IReadOnlyDictionary<string, AdaptableLinear> Sites => _sites;
    public SoftPrompt Prompt { get; }
    public int Dimension => Config.HiddenSize;
    public long TokenWidth => Config.EmbeddingSize;
    public Tensor TokenEmbeddings => _network.TokenEmbeddings;

    /// <summary>A model with zero weights and a one-piece-per-byte vocabulary: for structure tests and benchmarks of shape.</summary>
    public static UseLiteModel Create(UseLiteConfig config)
    {
        var pieces = Enumerable.Range(0, Math.Min(config.VocabSize, 300))
            .Select(i => (i < UnigramTokenizer.ReservedCount ? $"<reserved{i}>" : ((char)(i + 26)).ToString(), -1.0)).ToList();
        return new UseLiteModel(config, new UnigramTokenizer(pieces));
    }

    /// <summary>Loads <c>config.json</c>, <c>vocab.json</c> and <c>model.safetensors</c> from a converted folder.</summary>
    public static UseLiteModel Load(string folder)
    {
        var config = UseLiteConfig.Read(Path.Combine(folder, UseLiteConverter.ConfigFile));
        var tokenizer = UnigramTokenizer.Load(Path.Combine(folder, UseLiteConverter.VocabFile));
        var model = new UseLiteModel(config, tokenizer);
        try
        {
            var weights = Path.Combine(folder, UseLiteConverter.WeightsFile);
            using var reader = SafetensorsReader.Open(weights);
            var target = new CheckpointTarget(model._network, weights, _ => false);
            foreach (var info in reader.Tensors)
            {
                if (!target.Expects(info.Name))
                    continue;
                using var t = reader.ReadTensor(info.Name);
                target.Copy(info.Name, t);
            }
            target.Complete();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Token ids and a float mask for a batch, right-padded; rows keep at most <c>max_length</c> tokens.</summary>
    public (Tensor Ids, Tensor Mask) Encode(IReadOnlyList<string> texts) => Encode(texts, Config.MaxLength);

    /// <summary>As <see cref="Encode(IReadOnlyList{string})"/>, keeping at most <paramref name="maxLength"/> tokens.</summary>
    public (Tensor Ids, Tensor Mask) Encode(IReadOnlyList<string> texts, int maxLength)
    {
        var keep = Math.Min(maxLength, Config.MaxLength);
        var rows = texts.Select(t => Tokenizer.Encode(t).Take(keep).ToArray()).ToList();
        var width = Math.Max(1, rows.Max(r => r.Length));
        var ids = new long[rows.Count * width];
        var mask = new float[rows.Count * width];
        for (var i = 0; i < rows.Count; i++)
            for (var j = 0; j < rows[i].Length; j++)
            {
                ids[i * width + j] = rows[i][j];
                mask[i * width + j] = 1;
            }
        return (tensor(ids, [rows.Count, width]), tensor(mask, [rows.Count, width])); // (B, T) each
    }

    /// <summary>
    /// The full forward pass; the caller owns the returned tensors (use a dispose scope). <paramref name="context"/>
    /// carries what this pass adapts per row (null: the base with what is attached to it).
    /// </summary>
    public UseLiteOutput Forward(Tensor ids, Tensor mask, ForwardContext? context = null) => _network.forward(ids, mask, Prompt.Resolve(context));

    public float[][] Embed(IReadOnlyList<string> texts, int batchSize = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var result = new float[texts.Count][];
        using var _ = no_grad();
        foreach (var chunk in Batches(texts, batchSize))
        {
            using var scope = NewDisposeScope();
            var (ids, mask) = Encode(chunk.Select(i => texts[i]).ToList());
            var embedding = Forward(ids, mask).Embedding; // (B, H)
            var values = embedding.data<float>().ToArray();
            for (var r = 0; r < chunk.Length; r++)
                result[chunk[r]] = values.AsSpan(r * Dimension, Dimension).ToArray();
        }
        return result;
    }

    /// <summary>
    /// The batches <see cref="Embed"/> runs, as indices into <paramref name="texts"/>: sorted by length so that a batch
    /// pads little (results go back to the callers' order). <c>cadre bench embed</c> measures these same batches.
    /// </summary>
    public static int[][] Batches(IReadOnlyList<string> texts, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return [.. Enumerable.Range(0, texts.Count).OrderBy(i => texts[i].Length).Chunk(batchSize)];
    }

    public Tensor EmbedBatch(IReadOnlyList<string> texts, int maxLength, ForwardContext? context = null)
    {
        using var scope = NewDisposeScope();
        var (ids, mask) = Encode(texts, maxLength);
        return Forward(ids, mask, context).Embedding.MoveToOuterDisposeScope(); // (B, H)
    }

    public int CountTokens(string text) => Tokenizer.Encode(text).Count;

    public void Dispose() => _network.Dispose();
}
