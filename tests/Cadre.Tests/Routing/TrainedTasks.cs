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
        CopyTree(_work.Path, work.Path, null);
        CopyTree(_home.Path, home.Path, (_work.Path, work.Path)); // records name their data files: point them at the copy
        return (home, work, new CliRunner(home.Path));
    }

    private static void CopyTree(string from, string to, (string Old, string New)? rewrite)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            if (rewrite is { } r && Path.GetFileName(file) == "cadre.json")
                File.WriteAllText(target, File.ReadAllText(file).Replace(r.Old, r.New, StringComparison.Ordinal));
            else
                File.Copy(file, target);
        }
    }

    public void Dispose()
    {
        _home.Dispose();
        _work.Dispose();
    }
}
