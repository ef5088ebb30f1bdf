using System.Text.Json;
using Cadre.Util;
using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.Bert;

/// <summary>How token vectors become one sentence vector, with sentence-transformers' semantics.</summary>
public enum PoolingMode
{
    /// <summary>The first ([CLS]) token's vector.</summary>
    Cls,

    /// <summary>Mean over real (unmasked) tokens.</summary>
    Mean,

    /// <summary>Element-wise max over real tokens.</summary>
    Max,

    /// <summary>Sum over real tokens divided by the square root of their count.</summary>
    MeanSqrtLength,
}

/// <summary>
/// Sentence pooling as a sentence-transformers folder declares it: <c>modules.json</c> lists a Pooling module
/// (its <c>config.json</c> names the modes; several modes concatenate in the order cls, max, mean, mean_sqrt_len)
/// and optionally a Normalize module (L2). Without <c>modules.json</c> the default is mean pooling, unnormalized.
/// </summary>
public sealed record SentencePooling
{
    /// <summary>Modes, concatenated in this order (default: mean alone).</summary>
    public IReadOnlyList<PoolingMode> Modes { get; init; } = [PoolingMode.Mean];

    /// <summary>L2-normalize the pooled vector (sentence-transformers' Normalize module; default false).</summary>
    public bool Normalize { get; init; }

    /// <summary>Pooled width for token vectors of width <paramref name="hidden"/>.</summary>
    public int Dimension(int hidden) => hidden * Modes.Count;

    /// <summary>(B, T, H) token vectors and (B, T) 0/1 mask to (B, H × modes).</summary>
    public Tensor Apply(Tensor hidden, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var mask = attentionMask.to(hidden.dtype).unsqueeze(-1);                 // (B, T, 1)
        var summed = (hidden * mask).sum(1);                                     // (B, H)
        var counts = mask.sum(1).clamp_min(1e-9);                                // (B, 1)
        var parts = Modes.Select(mode => mode switch
        {
            PoolingMode.Cls => hidden.select(1, 0),                             // (B, H)
            // sentence-transformers sets padded positions to -1e9 before the max.
            PoolingMode.Max => hidden.masked_fill(mask.eq(0), -1e9).amax(1),   // (B, H)
            PoolingMode.Mean => summed / counts,                                 // (B, H)
            PoolingMode.MeanSqrtLength => summed / counts.sqrt(),                // (B, H)
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        }).ToArray();
        var pooled = parts.Length == 1 ? parts[0] : cat(parts, 1);              // (B, H × modes)
        if (Normalize)
            pooled = nn.functional.normalize(pooled, p: 2, dim: 1);
        return pooled.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Reads a sentence-transformers folder's pooling. Returns the default (mean) when there is no
    /// <c>modules.json</c>; rejects modules Cadre cannot reproduce (Dense, ...) rather than silently skipping them.
    /// </summary>
    public static SentencePooling Load(string directory)
    {
        var modulesPath = Path.Combine(directory, "modules.json");
        if (!File.Exists(modulesPath))
            return new SentencePooling();
        var pooling = new SentencePooling { Modes = [] };
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(modulesPath));
        }
        catch (JsonException e)
        {
            throw new CadreException($"modules.json: invalid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new CadreException("modules.json: must hold a JSON array of modules");
            var index = 0;
            foreach (var module in document.RootElement.EnumerateArray())
            {
                var type = module.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
                var path = module.TryGetProperty("path", out var p) ? p.GetString() ?? "" : "";
                switch (type.Split('.')[^1])
                {
                    case "Transformer":
                        break;
                    case "Pooling":
                        pooling = pooling with { Modes = ReadModes(Path.Combine(directory, path, "config.json"), path) };
                        break;
                    case "Normalize":
                        pooling = pooling with { Normalize = true };
                        break;
                    default:
                        throw new CadreException($"modules.json: [{index}].type: {type} is not supported; Cadre reproduces "
                            + "sentence-transformers pipelines of Transformer, Pooling and Normalize modules");
                }
                index++;
            }
        }
        return pooling.Modes.Count == 0 ? pooling with { Modes = [PoolingMode.Mean] } : pooling;
    }

    private static IReadOnlyList<PoolingMode> ReadModes(string path, string folder)
    {
        var file = JsonFile.Read(path, $"{folder}/config.json");
        var modes = new List<PoolingMode>();
        // sentence-transformers concatenates in this fixed order, whatever the file's order.
        if (file.Bool("pooling_mode_cls_token") is true) modes.Add(PoolingMode.Cls);
        if (file.Bool("pooling_mode_max_tokens") is true) modes.Add(PoolingMode.Max);
        if (file.Bool("pooling_mode_mean_tokens") is true) modes.Add(PoolingMode.Mean);
        if (file.Bool("pooling_mode_mean_sqrt_len_tokens") is true) modes.Add(PoolingMode.MeanSqrtLength);
        foreach (var unsupported in new[] { "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken" })
            if (file.Bool(unsupported) is true)
                file.Errors.Add($"{file.Name}: {unsupported}: is not supported; use cls, mean, max or mean_sqrt_len");
        if (modes.Count == 0 && file.Errors.Count == 0)
            file.Errors.Add($"{file.Name}: no pooling mode is true");
        if (file.Errors.Count > 0)
            throw new CadreException(string.Join("\n", file.Errors));
        return modes;
    }
}
