namespace Cadre.Data;

/// <summary>Seeded, stratified hold-outs: the same seed gives the same split on any machine.</summary>
public static class Splits
{
    /// <summary>
    /// Holds out <paramref name="fraction"/> of each label's rows (at least one where a label has two or more rows);
    /// regression and unlabelled data are split without strata. Row order inside each part follows the file.
    /// </summary>
    public static (Dataset Train, Dataset Validation) Stratified(Dataset data, double fraction, int seed)
    {
        if (fraction is <= 0 or >= 1)
            throw new CadreException($"validation_split: must be between 0 and 1 (exclusive), got {fraction}");
        var random = new Random(seed); // System.Random with a seed is stable across .NET versions and platforms
        var held = new HashSet<int>();
        var strata = data.Examples.Select((e, i) => (Key: e.Label ?? (e.Labels is null ? "" : string.Join("\u001f", e.Labels)), Index: i))
            .GroupBy(p => p.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var stratum in strata)
        {
            var rows = stratum.Select(p => p.Index).ToArray();
            random.Shuffle(rows);
            var take = rows.Length < 2 ? 0 : Math.Max(1, (int)Math.Round(rows.Length * fraction));
            held.UnionWith(rows.Take(take));
        }
        var train = data.Examples.Where((_, i) => !held.Contains(i)).ToList();
        var validation = data.Examples.Where((_, i) => held.Contains(i)).ToList();
        return (data with { Examples = train }, data with { Examples = validation });
    }
}
