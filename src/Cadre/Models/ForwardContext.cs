namespace Cadre.Models;

/// <summary>
/// What one forward pass adapts, handed explicitly from a base's batch entry point (<c>EmbedBatch</c>, <c>Forward</c>)
/// through its layers to every site: per-row adapter tensors by site, and the pass's soft prompts. A shared base
/// serves a mixed batch by building one per pass (serving's <c>GatheredAdapters</c>) and leaving the base itself
/// untouched, so nothing of one pass outlives it or is seen by another. A site without an entry runs as the frozen
/// base (plus the adapters a model of its own attached). The context does not own its tensors: whoever built it
/// frees them after the pass.
/// </summary>
public sealed record ForwardContext
{
    // Declared before None: static fields initialize in order, and None's Sites reads this one.
    private static readonly IReadOnlyDictionary<AdaptableLinear, SiteRows> NoSites = new Dictionary<AdaptableLinear, SiteRows>();

    /// <summary>Nothing per row and no prompt: the base as it is (or as its attached adapters make it).</summary>
    public static readonly ForwardContext None = new();

    /// <summary>Per-row tensors by site, keyed by the site object itself (compared by reference).</summary>
    public IReadOnlyDictionary<AdaptableLinear, SiteRows> Sites { get; init; } = NoSites;

    /// <summary>The pass's soft prompts, shared by every row or one per row; null for none.</summary>
    public PromptBatch? Prompt { get; init; }

    /// <summary>The per-row tensors for <paramref name="site"/>, or null when no row adapts it.</summary>
    public SiteRows? At(AdaptableLinear site) => Sites.GetValueOrDefault(site);
}
