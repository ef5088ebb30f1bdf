using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Benchmarks;

[Collection(TorchCollection.Name)]
public sealed class StoreBenchmarkTests
{
    [Fact]
    public void BenchStoreTabulatesPlainCopiesWholeFilesAndCadreForEachKindOfSpecialist()
    {
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        var result = cli.Run("bench", "store", "--base", "tiny", "--versions", "2", "--size-gb", "0");
        Assert.True(result.ExitCode == 0, result.Error);
        foreach (var row in new[] { "| bench-lora | 2 |", "| bench-lora-merged | 2 |", "| bench-full | 2 |" })
            Assert.Contains(row, result.Out);
        // Fully fine-tuned versions differ from the base and from each other by small updates: deltas, not copies.
        // (The tiny base's matrices are too small for low-rank objects; ObjectStoreTests covers those.)
        var full = result.Out.Split('\n').Single(l => l.StartsWith("| bench-full", StringComparison.Ordinal));
        var cells = full.Split('|', StringSplitOptions.TrimEntries);
        var (plain, cadre) = (long.Parse(cells[4].Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture), long.Parse(cells[6].Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(cadre < plain, full);
        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(home.Path, "tmp")), d => Path.GetFileName(d).StartsWith("bench-store", StringComparison.Ordinal));
    }
}
