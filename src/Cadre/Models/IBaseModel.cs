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

    /// <summary>Shared per-forward routing of batch rows to adapter slots.</summary>
    AdapterRouting Routing { get; }
}

/// <summary>A base that turns texts into fixed-size sentence embeddings.</summary>
public interface ISentenceEncoder : IBaseModel
{
    int Dimension { get; }

    /// <summary>Embeds texts in batches; returns one vector per text, in order.</summary>
    float[][] Embed(IReadOnlyList<string> texts, int batchSize = 64);
}
