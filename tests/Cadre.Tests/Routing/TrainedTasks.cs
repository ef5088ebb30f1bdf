using System.Text.Json;
using Cadre.Specialists;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Routing;

/// <summary>
/// The three <see cref="RoutingTasks"/> trained once as head specialists on tiny BERT, in a template home and work
/// folder that every test copies (<see cref="Copy"/>), so each test mutates its own files and none trains again.
/// </summary>
public sealed class TrainedTasks : IDisposable
{
    private readonly TempDir _home = new();
    private readonly TempDir _work = new();

    public TrainedTasks()
    {
        var cli = new CliRunner(_home.Path);
        var train = cli.Run("train", RoutingTasks.Prepare(cli, _work.Path));
        if (train.ExitCode != 0)
            throw new InvalidOperationException("training the routing tasks failed: " + train.Error + train.Out);
    }

    /// <summary>A fresh copy: (home, work folder, a CLI on the home). The caller disposes both folders.</summary>
    public (TempDir Home, TempDir Work, CliRunner Cli) Copy()
    {
        var home = new TempDir();
        var work = new TempDir();
        CopyTree(_work.Path, work.Path);
        CopyTree(_home.Path, home.Path);
        // Records name their data files: each specialist gets a version whose cadre.json points at the copy's files.
        var catalog = new SpecialistCatalog(home.Path);
        foreach (var record in catalog.List())
        {
            var folder = catalog.FolderOf(record.Name);
            var text = File.ReadAllText(Path.Combine(folder, SpecialistRecord.FileName)).Replace(_work.Path, work.Path, StringComparison.Ordinal);
            catalog.Save(JsonSerializer.Deserialize<SpecialistRecord>(text, SpecialistCatalog.Json)!, staging =>
            {
                foreach (var file in Directory.GetFiles(folder).Where(f => Path.GetFileName(f) != SpecialistRecord.FileName))
                    File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
            }, "test copy: data files in the copied work folder");
        }
        return (home, work, new CliRunner(home.Path));
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    public void Dispose()
    {
        _home.Dispose();
        _work.Dispose();
    }
}
