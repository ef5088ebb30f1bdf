using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Store;

/// <summary>
/// How a LoRA site's update ΔW = s·B·A changed between two snapshots: the change C = ΔW_to − ΔW_from (ΔW_from = 0
/// for a site that is new), its Frobenius norm, its numerical rank (singular values above σ_max·max(m, n)·ε of
/// float32, numpy's rule) and its effective rank exp(H(σ/Σσ)) (Roy and Vetterli, 2007), which says how many
/// directions carry the change. s = lora_alpha / r (or / √r with rsLoRA) from adapter_config.json, else 1.
/// </summary>
public sealed record LoraSiteChange(
    [property: JsonPropertyName("site")] string Site,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("rank_from")] long? RankFrom,
    [property: JsonPropertyName("rank_to")] long? RankTo,
    [property: JsonPropertyName("l2")] double L2,
    [property: JsonPropertyName("rank")] int Rank,
    [property: JsonPropertyName("effective_rank")] double EffectiveRank);

public static partial class LoraRank
{
    private sealed record Site(string Name, ManifestTensor A, ManifestTensor B, double Scale);

    public static IReadOnlyList<LoraSiteChange> Sites(ObjectStore store, Manifest from, Manifest to)
    {
        var before = SitesOf(store, from);
        var after = SitesOf(store, to);
        var result = new List<LoraSiteChange>();
        foreach (var name in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var (a, b) = (before.GetValueOrDefault(name), after.GetValueOrDefault(name));
            if (b is null) { result.Add(new LoraSiteChange(name, "removed", a!.A.Shape[0], null, 0, 0, 0)); continue; }
            if (a is not null && a.A.Id == b.A.Id && a.B.Id == b.B.Id && a.Scale == b.Scale)
            {
                result.Add(new LoraSiteChange(name, "unchanged", a.A.Shape[0], b.A.Shape[0], 0, 0, 0));
                continue;
            }
            var (l2, rank, effective) = ChangeRank(store, a, b);
            result.Add(new LoraSiteChange(name, a is null ? "added" : "changed", a?.A.Shape[0], b.A.Shape[0], l2, rank, effective));
        }
        return result;
    }

    private static Dictionary<string, Site> SitesOf(ObjectStore store, Manifest manifest)
    {
        var scale = Scale(store, manifest);
        var sites = new Dictionary<string, Site>(StringComparer.Ordinal);
        foreach (var file in manifest.Files.Where(f => f.Tensors is not null))
        {
            var byName = file.Tensors!.ToDictionary(t => t.Name, StringComparer.Ordinal);
            foreach (var t in file.Tensors!)
            {
                var m = LoraKey().Match(t.Name);
                if (!m.Success || m.Groups[2].Value != "A") continue;
                var bName = t.Name[..m.Groups[2].Index] + "B" + t.Name[(m.Groups[2].Index + 1)..];
                if (byName.TryGetValue(bName, out var b) && t.Shape.Length == 2 && b.Shape.Length == 2 && b.Shape[1] == t.Shape[0])
                    sites.TryAdd(m.Groups[1].Value, new Site(m.Groups[1].Value, t, b, scale));
            }
        }
        return sites;
    }

    /// <summary>s from adapter_config.json: lora_alpha / r, or lora_alpha / √r with use_rslora; 1 without a config.</summary>
    private static double Scale(ObjectStore store, Manifest manifest)
    {
        if (manifest.File("adapter_config.json") is not { Blob: { } blob }) return 1;
        try
        {
            using var doc = JsonDocument.Parse(store.ReadAll(blob, 1 << 20));
            var root = doc.RootElement;
            if (!root.TryGetProperty("r", out var r) || !root.TryGetProperty("lora_alpha", out var alpha)) return 1;
            var rs = root.TryGetProperty("use_rslora", out var u) && u.ValueKind == JsonValueKind.True;
            return alpha.GetDouble() / (rs ? Math.Sqrt(r.GetDouble()) : r.GetDouble());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException) { return 1; }
    }

    /// <summary>σ(C) for C = [s_b·B_b, −s_a·B_a]·[A_b; A_a] from the QR factors of both sides: a (2r × 2r) problem.</summary>
    private static (double L2, int Rank, double Effective) ChangeRank(ObjectStore store, Site? a, Site b)
    {
        using var scope = NewDisposeScope();
        var (bTo, aTo) = (Load(store, b.B).mul(b.Scale), Load(store, b.A)); // (m, r), (r, n)
        Tensor left = bTo, right = aTo;
        if (a is not null)
        {
            left = cat([bTo, Load(store, a.B).mul(-a.Scale)], 1); // (m, r_b + r_a)
            right = cat([aTo, Load(store, a.A)], 0);              // (r_b + r_a, n)
        }
        var (_, r1) = linalg.qr(left);             // (k, k)
        var (_, r2) = linalg.qr(right.t());        // (k, k)
        var sigma = linalg.svdvals(r1.mm(r2.t())); // σ of C, (k)
        var values = sigma.data<double>().ToArray();
        var max = values.Length == 0 ? 0 : values.Max();
        var tol = max * Math.Max(bTo.shape[0], aTo.shape[1]) * 1.1920929e-7; // numpy.linalg.matrix_rank's tolerance at float32 ε
        var rank = values.Count(v => v > tol);
        var sum = values.Where(v => v > tol).Sum();
        var entropy = sum <= 0 ? 0 : -values.Where(v => v > tol).Select(v => v / sum).Sum(p => p * Math.Log(p));
        var l2 = Math.Sqrt(values.Sum(v => v * v));
        return (l2, rank, rank == 0 ? 0 : Math.Exp(entropy));
    }

    private static Tensor Load(ObjectStore store, ManifestTensor t)
    {
        var dtype = DTypes.Parse(t.DType)!.Value;
        using var raw = store.OpenRaw(t.Id);
        var values = TensorElements.ReadAll(dtype, raw, t.Shape[0] * t.Shape[1]);
        return tensor(values, t.Shape, ScalarType.Float64);
    }

    /// <summary>PEFT's saved keys: <c>PATH.lora_A.weight</c> (or with an adapter name: <c>PATH.lora_A.NAME.weight</c>).</summary>
    [GeneratedRegex(@"^(.*)\.lora_(A|B)(?:\.[^.]+)?\.weight$")]
    private static partial Regex LoraKey();
}
