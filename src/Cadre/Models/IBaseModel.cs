using static TorchSharp.torch;

namespace Cadre.Models;

/// <summary>What every frozen base offers: its identity, its parameters and its adapter-ready linear sites.</summary>
public interface IBaseModel : IDisposable
{
    /// <summary>snake_case architecture name as stored in the base's config: <c>use_lite</c>, <c>bert</c>, <c>llama</c>.</summary>
    string Architecture { get; }

    /// <summary>The TorchSharp module; its state dict keys are the checkpoint's (Hugging Face) key names.</summary>
    nn.Module Module { get; }

    /// <summary>Every adapter-ready linear site by its full checkpoint name (without <c>.weight</c>).</summary>
    IReadOnlyDictionary<string, AdaptableLinear> Sites { get; }
}

/// <summary>A base that turns texts into fixed-size sentence embeddings.</summary>
public interface ISentenceEncoder : IBaseModel
{
    int Dimension { get; }

    /// <summary>Embeds texts in batches; returns one vector per text, in order.</summary>
    float[][] Embed(IReadOnlyList<string> texts, int batchSize = 64);

    /// <summary>
    /// One batch's sentence embeddings (B, D) with gradients flowing into attached adapters and the soft prompt,
    /// texts cut to <paramref name="maxLength"/> tokens. <paramref name="context"/> carries what this pass adapts
    /// per row (serving's mixed batches); null runs the base with what is attached to it. The tensor belongs to the
    /// caller's dispose scope.
    /// </summary>
    Tensor EmbedBatch(IReadOnlyList<string> texts, int maxLength, ForwardContext? context = null);

    /// <summary>How many tokens a text becomes (before truncation): lets trainers bucket batches by length.</summary>
    int CountTokens(string text);

    /// <summary>
    /// The encoder's prompt widths, and the soft prompt a training run attaches (put before every text's token
    /// embeddings when a pass's context brings none); empty by default.
    /// </summary>
    SoftPrompt Prompt { get; }

    /// <summary>Width of one token embedding, the width of a soft prompt vector.</summary>
    long TokenWidth { get; }

    /// <summary>The frozen token embedding table (V, E), owned by the base (prompt tuning samples its rows).</summary>
    Tensor TokenEmbeddings { get; }
}
