using System.Text.Json;
using Cadre.Util;

namespace Cadre.Benchmarks;

/// <summary>Throughput of the Node.js USE-lite reference (tools/reference/use-lite/bench.js), run in the same session.</summary>
public static class NodeReference
{
    public sealed record Rate(int Batch, int Sentences, double Seconds);

    /// <summary>Finds tools/reference/use-lite from the working folder upwards.</summary>
    public static string? Find(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tools", "reference", "use-lite");
            if (File.Exists(Path.Combine(candidate, "bench.js")))
                return candidate;
        }
        return null;
    }

    /// <summary>Runs the reference on the same sentences; installs its npm packages first when missing.</summary>
    public static (string Backend, IReadOnlyList<Rate> Rates) Measure(string folder, IReadOnlyList<string> sentences,
                                                                     IReadOnlyList<int> batchSizes, double seconds)
    {
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "@energetic-ai", "embeddings")))
        {
            var install = ExternalProcess.Run("npm", ["install", "--no-audit", "--no-fund", "--silent"], folder, TimeSpan.FromMinutes(10));
            if (install.ExitCode != 0)
                throw new CadreException($"npm install in {folder} failed: {install.Error.Trim()}");
        }
        var input = Path.Combine(Path.GetTempPath(), "cadre-bench-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        File.WriteAllText(input, JsonSerializer.Serialize(new { sentences, batchSizes, seconds }));
        try
        {
            var run = ExternalProcess.Run("node", ["bench.js", input], folder, TimeSpan.FromMinutes(10));
            if (run.ExitCode != 0)
                throw new CadreException($"the Node reference failed: {run.Error.Trim()}");
            using var doc = JsonDocument.Parse(run.Out.Trim().Split('\n')[^1]);
            var rates = doc.RootElement.GetProperty("results").EnumerateArray()
                .Select(r => new Rate(r.GetProperty("batch").GetInt32(), r.GetProperty("sentences").GetInt32(), r.GetProperty("seconds").GetDouble()))
                .ToList();
            return (doc.RootElement.GetProperty("backend").GetString() ?? "tfjs", rates);
        }
        finally
        {
            File.Delete(input);
        }
    }
}
