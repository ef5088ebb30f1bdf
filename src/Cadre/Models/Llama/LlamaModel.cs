using Cadre.Models.Generation;
using Cadre.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.Llama;

/// <summary>
/// A frozen Llama-family decoder (Llama 1/2/3, TinyLlama, llama2.c's tinyllamas) with its tokenizer: the base
/// that decoder specialists build on. <see cref="Load"/> reads a Hugging Face folder (config.json +
/// model.safetensors or a sharded index) or a llama2.c <c>.bin</c>; weights are kept in float32 on the CPU.
/// </summary>
public sealed class LlamaModel : ICausalLanguageModel
{
    private readonly LlamaForCausalLM _module;

    internal LlamaModel(LlamaConfig config, SentencePieceBpeTokenizer? tokenizer, string source)
    {
        Config = config.EnsureValid(source);
        Tokenizer = tokenizer;
        Source = source;
        _module = new LlamaForCausalLM(Config);
        _module.eval();
        Sites = _module.Sites.ToDictionary(s => s.GetName());
    }

    /// <summary>
    /// Loads from a folder or a file, finding the format by itself: config.json with model.safetensors (or
    /// model.safetensors.index.json), else a llama2.c <c>.bin</c>. The tokenizer is <paramref name="tokenizerPath"/>
    /// or the first of tokenizer.model, tokenizer.bin, tok*.bin, *.model beside the weights that reads as one.
    /// PyTorch pickles are refused with the command that converts them.
    /// </summary>
    public static LlamaModel Load(string path, string? tokenizerPath = null) => LlamaLoader.Load(path, tokenizerPath);

    /// <summary>A model with every weight zero, to be filled by a loader or a test.</summary>
    internal static LlamaModel Empty(LlamaConfig config, SentencePieceBpeTokenizer? tokenizer = null) => new(config, tokenizer, "memory");

    public LlamaConfig Config { get; }

    /// <summary>What was loaded, for messages: the format and the path.</summary>
    public string Source { get; }

    public SentencePieceBpeTokenizer? Tokenizer { get; }
    public string Architecture => LlamaConfig.ModelTypeName;
    public nn.Module Module => _module;
    public IReadOnlyDictionary<string, AdaptableLinear> Sites { get; }
    public int VocabularySize => Config.VocabSize;
    public int ContextLength => Config.MaxPositionEmbeddings;
    public IReadOnlyList<int> StopTokenIds => [.. Config.EosTokenIds, Config.BosTokenId];

    internal LlamaForCausalLM CausalModule => _module;

    public Tensor Forward(Tensor inputIds, IKeyValueCache? cache = null, bool lastPositionOnly = false, ForwardContext? context = null)
    {
        if (inputIds.dim() != 2)
            throw new ArgumentException($"input ids must be (B, T), not [{string.Join(", ", inputIds.shape)}]", nameof(inputIds));
        // Per-row site tensors work at every step; prompts would have to enter the cache first (not built yet).
        if (context?.Prompt is not null)
            throw new ArgumentException("soft prompts on a Llama base are not supported yet", nameof(context));
        context ??= ForwardContext.None;
        return cache switch
        {
            null => _module.Forward(inputIds, null, context, lastPositionOnly),
            LlamaKvCache own => _module.Forward(inputIds, own, context, lastPositionOnly),
            _ => throw new ArgumentException($"a {cache.GetType().Name} cannot serve a Llama model; use CreateCache", nameof(cache)),
        };
    }

    public IKeyValueCache CreateCache(int batchSize, int capacity) => new LlamaKvCache(Config, batchSize, capacity);

    /// <summary>
    /// Continues <paramref name="prompt"/> (BOS is added; an empty prompt is BOS alone) and returns the new text.
    /// <paramref name="onToken"/> receives the text of each token as it is generated.
    /// </summary>
    public string Generate(string prompt, GenerationOptions options, Action<string>? onToken = null) =>
        GenerateDetailed(prompt, options, onToken).Text;

    /// <summary>Like <see cref="Generate"/>, also returning the ids, why it stopped and the seed used.</summary>
    public GenerationResult GenerateDetailed(string prompt, GenerationOptions options, Action<string>? onToken = null) =>
        TextGenerator.Generate(this, RequireTokenizer(), prompt, options, onToken);

    public SentencePieceBpeTokenizer RequireTokenizer() => Tokenizer
        ?? throw new CadreException($"{Source}: no tokenizer was found beside the weights; pass the path of a tokenizer.model or llama2.c tokenizer.bin");

    public void Dispose() => _module.Dispose();
}
