using System.Globalization;

namespace Cadre.Store.Git;

/// <summary>Values of one chunk of a tensor: the merge base's (empty when the strategy needs none), ours, theirs, and the result.</summary>
public delegate void ElementwiseMerge(ReadOnlySpan<double> ancestor, ReadOnlySpan<double> ours, ReadOnlySpan<double> theirs, double lambda, Span<double> result);

/// <summary>
/// How the merge driver resolves a tensor that both branches changed differently: take one side whole
/// (<see cref="Side"/>), or combine the values element by element (<see cref="Elementwise"/>; float tensors of one
/// dtype and shape on both sides, and of the merge base's shape when <see cref="NeedsBase"/>).
/// </summary>
public sealed record GitMergeStrategy(string Name, string Description, GitMergeSide? Side, bool NeedsBase, ElementwiseMerge? Elementwise);

public enum GitMergeSide { Ours, Theirs }

/// <summary>The merge strategies, an explicit list; <c>cadre-merge=NAME</c> in .gitattributes or <c>git config cadre.merge.strategy NAME</c> picks one.</summary>
public static class GitMergeStrategies
{
    public const string Attribute = "cadre-merge";
    public const string LambdaAttribute = "cadre-merge-lambda";
    public const string ConfigKey = "cadre.merge.strategy";
    public const string LambdaConfigKey = "cadre.merge.lambda";

    public static readonly IReadOnlyList<GitMergeStrategy> All =
    [
        new("ours", "keep our branch's tensor", GitMergeSide.Ours, false, null),
        new("theirs", "take the other branch's tensor", GitMergeSide.Theirs, false, null),
        new("average", "elementwise mean of ours and theirs", null, false, (_, a, b, _, r) =>
        {
            for (var i = 0; i < r.Length; i++) r[i] = (a[i] + b[i]) / 2;
        }),
        new("task_arithmetic", "base + lambda * ((ours - base) + (theirs - base)), lambda from cadre-merge-lambda (default 1)", null, true, (o, a, b, lambda, r) =>
        {
            for (var i = 0; i < r.Length; i++) r[i] = o[i] + lambda * ((a[i] - o[i]) + (b[i] - o[i]));
        }),
    ];

    /// <summary>The strategy named <paramref name="name"/> ('-' read as '_', so task-arithmetic works too).</summary>
    public static GitMergeStrategy Find(string name, string where) =>
        All.FirstOrDefault(s => s.Name == name.Trim().Replace('-', '_'))
        ?? throw new CadreException($"{where}: unknown merge strategy '{name}' (use one of: {string.Join(", ", All.Select(s => s.Name))})");

    /// <summary>
    /// The strategy and lambda for <paramref name="path"/>: its gitattributes first (<c>cadre-merge</c>, unset with
    /// <c>-cadre-merge</c> for "always stop at a conflict"), then git config. Null strategy: conflicts stop the merge.
    /// </summary>
    public static (GitMergeStrategy? Strategy, double Lambda) For(GitRepository repository, string path)
    {
        var attributes = repository.Attributes([path], Attribute, LambdaAttribute).GetValueOrDefault(path) ?? [];
        var attribute = attributes.GetValueOrDefault(Attribute);
        GitMergeStrategy? strategy = attribute switch
        {
            "unset" => null,
            "set" => throw new CadreException($"{path}: the {Attribute} attribute needs a value ({Attribute}=average, say)"),
            null => repository.Config(ConfigKey) is { } configured ? Find(configured, $"git config {ConfigKey}") : null,
            _ => Find(attribute, $"{path}: gitattribute {Attribute}"),
        };
        var lambdaText = attributes.GetValueOrDefault(LambdaAttribute) ?? repository.Config(LambdaConfigKey);
        var lambda = 1.0;
        if (lambdaText is not null && (!double.TryParse(lambdaText, NumberStyles.Float, CultureInfo.InvariantCulture, out lambda) || !double.IsFinite(lambda)))
            throw new CadreException($"{path}: merge lambda '{lambdaText}' is not a number (set {LambdaAttribute}=0.5 or git config {LambdaConfigKey} 0.5)");
        return (strategy, lambda);
    }
}
