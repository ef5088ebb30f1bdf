using System.CommandLine;
using System.Globalization;
using Cadre.Benchmarks;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre bench store [--base use-lite] [--versions 10] [--size-gb 1] [--work DIR] [--results FILE]</c>.</summary>
internal static class StoreBenchCommand
{
    public static Command Create(CliContext context)
    {
        var baseName = new Option<string>("--base") { Description = "The base to train on (copied into a scratch CADRE_HOME).", DefaultValueFactory = _ => "use-lite" };
        var versions = new Option<int>("--versions") { Description = "Successive versions per specialist.", DefaultValueFactory = _ => 10 };
        var size = new Option<double>("--size-gb") { Description = "Size of the synthetic checkpoint in GiB (0 skips it).", DefaultValueFactory = _ => 1.0 };
        var work = new Option<string?>("--work") { Description = "Scratch folder (default: under CADRE_HOME/tmp; removed afterwards unless given)." };
        var results = BenchCommand.ResultsOption();
        var command = new Command("store", "Bytes stored for successive versions (Cadre vs plain copies vs whole files), and commit/checkout time and peak memory for a large checkpoint.") { baseName, versions, size, work, results };
        command.SetAction(parse =>
        {
            var (name, count, gib) = (parse.GetRequiredValue(baseName), parse.GetValue(versions), parse.GetValue(size));
            if (count < 1 || gib < 0) throw new CadreException("--versions must be at least 1 and --size-gb at least 0");
            // A default scratch folder is held while the bench runs (a gc meanwhile leaves it) and removed afterwards.
            var lease = parse.GetValue(work) is null ? Store.StagingLease.Create(context.Home, "bench-store") : null;
            var folder = parse.GetValue(work) ?? lease!.Path;
            var scratch = Path.Combine(folder, "home");
            try
            {
                var (baseBytes, baseFiles) = StoreBenchHome.Prepare(context.Home, name, scratch);
                var rows = StoreBenchmark.Versions(scratch, name, count, Path.Combine(folder, "versions"), context.Error.WriteLine);
                var large = gib > 0
                    ? LargeCheckpointBenchmark.Run(scratch, name, gib, Path.Combine(folder, "large"), CadreCommand(), context.Error.WriteLine)
                    : [];
                var line = $"cadre bench store --base {name} --versions {count} --size-gb {gib.ToString(CultureInfo.InvariantCulture)}" + (parse.GetValue(results) is { } r ? $" --results {r}" : "");
                var md = StoreBenchmark.Markdown(rows, baseBytes, baseFiles, large, line);
                context.Out.WriteLine(md);
                if (parse.GetValue(results) is { } path)
                    ResultsFile.ReplaceSection(path, "store", md);
            }
            finally
            {
                lease?.Dispose();
            }
            return 0;
        });
        return command;
    }

    /// <summary>How to start this same cadre as a child process: its apphost, or dotnet with its assembly.</summary>
    private static IReadOnlyList<string> CadreCommand()
    {
        var process = Environment.ProcessPath ?? throw new CadreException("cannot tell which executable runs cadre");
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, typeof(StoreBenchCommand).Assembly.Location] : [process];
    }
}
