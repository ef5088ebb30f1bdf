using System.Text;

namespace Cadre.Benchmarks;

/// <summary>
/// Writes a benchmark's markdown into a results file (docs/RESULTS.md) between markers named after the benchmark,
/// so re-running one benchmark replaces its own section and leaves the others as they were.
/// </summary>
public static class ResultsFile
{
    public static void ReplaceSection(string path, string key, string markdown)
    {
        var begin = $"<!-- bench:{key} begin -->";
        var end = $"<!-- bench:{key} end -->";
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Measured results\n\n";
        var block = $"{begin}\n{markdown.TrimEnd()}\n{end}";
        var i = text.IndexOf(begin, StringComparison.Ordinal);
        var j = text.IndexOf(end, StringComparison.Ordinal);
        text = i >= 0 && j > i
            ? text[..i] + block + text[(j + end.Length)..]
            : text.TrimEnd() + "\n\n" + block + "\n";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>One line describing the machine, for every results table.</summary>
    public static string MachineLine() =>
        $"Machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}, " +
        $"TorchSharp threads {TorchSharp.torch.get_num_threads()}; measured {DateTime.UtcNow:yyyy-MM-dd}.";
}
