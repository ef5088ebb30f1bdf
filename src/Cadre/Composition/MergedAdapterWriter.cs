using System.Text.Json;
using System.Text.Json.Nodes;
using Cadre.Adapters;
using Cadre.Merge;
using Cadre.Specialists;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Composition;

/// <summary>
/// Writes a merge's result as adapter files, one tensor at a time: the <see cref="Merger"/> makes each merged task
/// vector only when the streaming writer reaches its place in the file, and it is written and freed before the next.
/// </summary>
internal static class MergedAdapterWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly Dictionary<string, string> PeftMetadata = new() { ["format"] = "pt" };

    /// <summary>
    /// A LoRA folder: each merged ΔW (key <c>{site}.weight</c>) factored back to <paramref name="rank"/> by SVD, saved
    /// with lora_alpha = rank (scale 1). Returns the relative reconstruction error per site and in total.
    /// </summary>
    public static Dictionary<string, double> WriteLora(Merger merger, string folder, int rank, string baseName)
    {
        var sites = merger.Keys.Select(k => k.EndsWith(".weight", StringComparison.Ordinal) ? k[..^".weight".Length]
            : throw new InvalidOperationException($"not a LoRA key: {k}")).ToList();
        var pending = new Dictionary<string, Tensor>(StringComparer.Ordinal); // the other factor of a site, until written
        var errors = new Dictionary<string, double>(StringComparer.Ordinal);
        double deltaSquares = 0, errorSquares = 0;
        Tensor Factor(string site, bool wantA)
        {
            var name = site + (wantA ? ".A" : ".B");
            if (pending.Remove(name, out var kept))
            {
                var copy = kept.clone(); // in the writer's scope, which frees it once written
                kept.Dispose();
                return copy;
            }
            using var delta = merger.Merge(site + ".weight");                     // (out, in)
            var factors = LoraFactorization.Factor(delta, rank);
            errors[site] = factors.RelativeError;
            deltaSquares += factors.DeltaNorm * factors.DeltaNorm;
            errorSquares += factors.ErrorNorm * factors.ErrorNorm;
            var (mine, other) = wantA ? (factors.A, factors.B) : (factors.B, factors.A);
            pending[site + (wantA ? ".B" : ".A")] = other.DetachFromDisposeScope();
            return mine;
        }
        var entries = sites.SelectMany(site => new[]
        {
            new LazyTensor($"{AttachedAdapter.PeftPrefix}{site}.lora_A.weight", DType.F32, [rank, merger.Shapes[site + ".weight"][1]], () => Factor(site, true)),
            new LazyTensor($"{AttachedAdapter.PeftPrefix}{site}.lora_B.weight", DType.F32, [merger.Shapes[site + ".weight"][0], rank], () => Factor(site, false)),
        });
        SafetensorsWriter.WriteStreaming(Path.Combine(folder, AdapterFiles.WeightsFile), entries, PeftMetadata);
        foreach (var t in pending.Values) t.Dispose();
        WriteConfig(folder, new JsonObject
        {
            ["peft_type"] = "LORA", ["task_type"] = "FEATURE_EXTRACTION", ["base_model_name_or_path"] = baseName,
            ["r"] = rank, ["lora_alpha"] = rank, ["lora_dropout"] = 0.0,
            ["target_modules"] = new JsonArray([.. sites.Select(s => (JsonNode)s)]),
            ["bias"] = "none", ["fan_in_fan_out"] = false, ["inference_mode"] = true, ["init_lora_weights"] = true,
            ["modules_to_save"] = null, ["use_rslora"] = false, ["use_dora"] = false,
        });
        errors["total"] = deltaSquares > 0 ? Math.Sqrt(errorSquares / deltaSquares) : 0;
        return errors;
    }

    /// <summary>An (IA)³ folder: each merged vector is 1 + the merged task vector.</summary>
    public static void WriteIa3(Merger merger, string folder, IReadOnlySet<string> inputScaled, string baseName)
    {
        var entries = merger.Keys.Select(key => new LazyTensor(key, DType.F32, merger.Shapes[key], () => merger.Merge(key) + 1));
        SafetensorsWriter.WriteStreaming(Path.Combine(folder, AdapterFiles.WeightsFile), entries, PeftMetadata);
        static string Site(string key) => key[AttachedAdapter.PeftPrefix.Length..^".ia3_l".Length];
        WriteConfig(folder, new JsonObject
        {
            ["peft_type"] = "IA3", ["task_type"] = "FEATURE_EXTRACTION", ["base_model_name_or_path"] = baseName,
            ["target_modules"] = new JsonArray([.. merger.Keys.Select(k => (JsonNode)Site(k))]),
            ["feedforward_modules"] = new JsonArray([.. merger.Keys.Where(inputScaled.Contains).Select(k => (JsonNode)Site(k))]),
            ["fan_in_fan_out"] = false, ["inference_mode"] = true, ["init_ia3_weights"] = true, ["modules_to_save"] = null,
        });
    }

    /// <summary>A full fine-tune's <c>model.safetensors</c> (<see cref="InferenceAdapter.FullWeightsFile"/>): the base's whole state dict, base + merged task vector where merged.</summary>
    public static void WriteFull(Merger merger, string folder, IReadOnlyDictionary<string, Tensor> baseState)
    {
        var merged = merger.Keys.ToHashSet(StringComparer.Ordinal);
        var unknown = merged.Where(k => !baseState.ContainsKey(k)).Take(3).ToList();
        if (unknown.Count > 0)
            throw new CadreException($"merged tensors the base does not have: {string.Join(", ", unknown)}");
        var entries = baseState.Select(p => new LazyTensor(p.Key, DTypes.FromScalarType(p.Value.dtype), p.Value.shape,
            () => merged.Contains(p.Key) ? (p.Value.to(ScalarType.Float32) + merger.Merge(p.Key)).to(p.Value.dtype) : p.Value.clone()));
        SafetensorsWriter.WriteStreaming(Path.Combine(folder, InferenceAdapter.FullWeightsFile), entries, PeftMetadata);
    }

    private static void WriteConfig(string folder, JsonObject config) =>
        File.WriteAllText(Path.Combine(folder, AdapterFiles.ConfigFile), config.ToJsonString(Indented));
}
