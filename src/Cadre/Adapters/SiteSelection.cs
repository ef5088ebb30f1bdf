using System.Text.RegularExpressions;
using Cadre.Models;

namespace Cadre.Adapters;

/// <summary>What a linear site does in its layer, read from its checkpoint name (USE-lite, BERT and Llama naming).</summary>
public enum SiteRole { Query, Key, Value, AttentionOutput, FfnUp, FfnDown, Other }

/// <summary>
/// Chooses the sites an adapter goes on from <c>targets:</c>. A target is a group (<c>attention</c>: query, key,
/// value and output projections; <c>ffn</c>: the feed-forward's two or three linears; <c>all</c>: both) or a site
/// name pattern as PEFT's <c>target_modules</c> reads it: the full name, a suffix after a dot
/// (<c>query</c> matches <c>encoder.layer.0.attention.self.query</c>), or a glob with <c>*</c>.
/// </summary>
public static class SiteSelection
{
    public static readonly IReadOnlyList<string> Groups = ["attention", "ffn", "all"];

    public static SiteRole RoleOf(string site)
    {
        var last = site[(site.LastIndexOf('.') + 1)..];
        return last switch
        {
            "query" or "q_proj" => SiteRole.Query,
            "key" or "k_proj" => SiteRole.Key,
            "value" or "v_proj" => SiteRole.Value,
            "o_proj" => SiteRole.AttentionOutput,
            "intermediate" or "gate_proj" or "up_proj" => SiteRole.FfnUp,
            "down_proj" => SiteRole.FfnDown,
            "output" when site.EndsWith(".attention.output", StringComparison.Ordinal) => SiteRole.AttentionOutput, // USE-lite
            "output" when site.EndsWith(".ffn.output", StringComparison.Ordinal) => SiteRole.FfnDown,               // USE-lite
            "dense" when site.EndsWith(".attention.output.dense", StringComparison.Ordinal) => SiteRole.AttentionOutput, // BERT
            "dense" when site.EndsWith(".intermediate.dense", StringComparison.Ordinal) => SiteRole.FfnUp,
            "dense" when site.EndsWith(".output.dense", StringComparison.Ordinal) && site.Contains(".layer.", StringComparison.Ordinal) => SiteRole.FfnDown,
            _ => SiteRole.Other,
        };
    }

    public static bool IsAttention(SiteRole r) => r is SiteRole.Query or SiteRole.Key or SiteRole.Value or SiteRole.AttentionOutput;

    public static bool IsFfn(SiteRole r) => r is SiteRole.FfnUp or SiteRole.FfnDown;

    /// <summary>
    /// The chosen site names, in the model's order. <paramref name="groupRoles"/> narrows what a group means for a
    /// method ((IA)³ puts vectors on keys, values and the feed-forward output only); explicit patterns are taken as given.
    /// </summary>
    public static IReadOnlyList<string> Select(IBaseModel model, IReadOnlyList<string> targets, Func<SiteRole, bool>? groupRoles = null)
    {
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var target in targets)
        {
            var matches = model.Sites.Keys.Where(site => Matches(site, target, groupRoles)).ToList();
            if (matches.Count == 0)
                errors.Add($"'{target}' matches no linear site of this {model.Architecture} base");
            chosen.UnionWith(matches);
        }
        if (errors.Count > 0)
            throw new CadreException("adapter.targets: " + string.Join("; ", errors) + ". Sites are named like "
                + string.Join(", ", model.Sites.Keys.Take(6)) + " (groups: " + string.Join(", ", Groups) + ")");
        return model.Sites.Keys.Where(chosen.Contains).ToList();
    }

    private static bool Matches(string site, string target, Func<SiteRole, bool>? groupRoles)
    {
        var role = RoleOf(site);
        bool Allowed() => groupRoles?.Invoke(role) ?? true;
        return target switch
        {
            "attention" => IsAttention(role) && Allowed(),
            "ffn" => IsFfn(role) && Allowed(),
            "all" => role != SiteRole.Other && Allowed(),
            _ when target.Contains('*') => Regex.IsMatch(site, "^" + Regex.Escape(target).Replace("\\*", ".*") + "$"),
            _ => site == target || site.EndsWith("." + target, StringComparison.Ordinal),
        };
    }
}
