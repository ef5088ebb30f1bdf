using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Cadre.Store.Git;
using Cadre.Util;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre git install|ls-files|prune</c> for users, and what git itself runs once installed: <c>filter-process</c>
/// (clean and smudge for a whole checkout in one process), <c>clean</c>/<c>smudge</c> (single-file fallbacks),
/// <c>textconv</c>, <c>diff-driver</c> and <c>merge-driver</c>. The work is in <c>Cadre.Store.Git</c>.
/// </summary>
internal static class GitCommand
{
    public static Command Create(CliContext context)
    {
        var directory = new Option<string?>("-C") { Description = "Run as if cadre was started in this folder (as git -C).", Recursive = true };
        var command = new Command("git", "Track safetensors checkpoints in a git repository: git stores a small manifest per checkpoint, Cadre's store the tensors; tensor-level diffs and merges.")
        {
            directory, Install(context, directory), LsFiles(context, directory), Prune(context, directory),
            GitFilterCommands.FilterProcess(context, directory), GitFilterCommands.Filter(context, directory, clean: true),
            GitFilterCommands.Filter(context, directory, clean: false), GitFilterCommands.Textconv(context),
            GitDriverCommands.DiffDriver(context, directory), GitDriverCommands.MergeDriver(context, directory),
        };
        return command;
    }

    internal static GitRepository Repository(ParseResult parse, Option<string?> directory) =>
        GitRepository.Open(Path.GetFullPath(parse.GetValue(directory) ?? Environment.CurrentDirectory));

    internal static GitStore Open(CliContext context, ParseResult parse, Option<string?> directory) =>
        GitStore.Open(Repository(parse, directory), context.Home);

    private static Command Install(CliContext context, Option<string?> directory)
    {
        var strategy = new Option<string?>("--strategy") { Description = $"Merge strategy for tensors both branches changed: {string.Join(", ", GitMergeStrategies.All.Select(s => s.Name))} (written as cadre-merge=NAME in .gitattributes; default: stop at a conflict)." };
        var patterns = new Option<string[]>("--pattern") { Description = $"Files to track (repeatable; default {GitInstall.DefaultPattern}).", AllowMultipleArgumentsPerToken = false };
        var cadre = new Option<string?>("--command") { Description = "The shell command that runs cadre, for git to call (default: this executable, quoted)." };
        var install = new Command("install", "Set up this repository: .gitattributes lines and the repository's git config for Cadre's filter, diff and merge driver.") { strategy, patterns, cadre };
        install.SetAction(parse =>
        {
            var chosen = parse.GetValue(strategy) is { } name ? GitMergeStrategies.Find(name, "--strategy") : null;
            var list = parse.GetValue(patterns) is { Length: > 0 } given ? given : [GitInstall.DefaultPattern];
            var git = Open(context, parse, directory);
            var report = GitInstall.Run(git.Repository, parse.GetValue(cadre) ?? CadreCommandLine(), list, chosen);
            context.Out.WriteLine($"{(report.AttributesChanged ? "updated" : "kept")} {report.AttributesFile}: {string.Join("; ", report.Lines)}");
            context.Out.WriteLine($"set {Plural.Of(report.Config.Count, "entry", "entries")} in {Path.Combine(git.Repository.GitDir, "config")} (filter.cadre.*, diff.cadre.*, merge.cadre.*)");
            context.Out.WriteLine($"tensors go to the store at {git.Store.Root}; commit .gitattributes, then git add your checkpoints");
            return 0;
        });
        return install;
    }

    /// <summary>How git should start this cadre: the apphost itself, or <c>dotnet cadre.dll</c> when run through dotnet.</summary>
    private static string CadreCommandLine()
    {
        var process = Environment.ProcessPath;
        var entry = Assembly.GetEntryAssembly();
        if (process is not null && entry?.GetName().Name == "cadre")
        {
            if (Path.GetFileNameWithoutExtension(process) == "dotnet" && entry.Location.Length > 0)
                return $"{GitInstall.Quote(process)} {GitInstall.Quote(entry.Location)}";
            if (Path.GetFileNameWithoutExtension(process) == "cadre")
                return GitInstall.Quote(process);
        }
        throw new CadreException("cannot tell how git should run cadre from this process; pass --command 'PATH/TO/cadre'");
    }

    private static Command LsFiles(CliContext context, Option<string?> directory)
    {
        var json = new Option<bool>("--json") { Description = "Print [{\"path\", \"status\", \"size\", \"tensors\", \"objects\", \"missing\", \"blob\", \"problem\"}]." };
        var ls = new Command("ls-files", "List the checkpoints the index tracks through Cadre: size, tensors, and whether the store has all their objects.") { json };
        ls.SetAction(parse =>
        {
            var files = GitTrackedFiles.List(Open(context, parse, directory));
            if (parse.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(files, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            var ci = CultureInfo.InvariantCulture;
            foreach (var f in files)
                context.Out.WriteLine(f.Status switch
                {
                    "ok" or "missing" => string.Create(ci, $"{f.Status,-11} {f.Size,14:N0} bytes {f.Tensors?.ToString(ci) ?? "-",6} tensors  {f.Path}{(f.Missing > 0 ? $"  ({f.Missing} objects missing from the store: cadre pull)" : "")}"),
                    "not-cleaned" => string.Create(ci, $"{f.Status,-11} {f.Size,14:N0} bytes {"-",6} tensors  {f.Path}  (committed before cadre git install: git add --renormalize .)"),
                    _ => $"{f.Status,-11} {f.Path}: {f.Problem}",
                });
            context.Out.WriteLine($"{Plural.Of(files.Count, "checkpoint")} tracked");
            return files.Any(f => f.Status is "missing" or "malformed") ? CadreCli.UserError : 0;
        });
        return ls;
    }

    private static Command Prune(CliContext context, Option<string?> directory)
    {
        var expire = new Option<string>("--expire") { Description = "Keep roots recorded more recently than this: now, or a number with s, m, h or d (default 1h).", DefaultValueFactory = _ => "1h" };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Only report what would change." };
        var prune = new Command("prune", "Drop this repository's store roots that no commit, reflog entry or index needs (then cadre gc frees their objects); restore missing roots.") { expire, dryRun };
        prune.SetAction(parse =>
        {
            var r = GitPrune.Run(Open(context, parse, directory), Duration(parse.GetRequiredValue(expire)), parse.GetValue(dryRun));
            foreach (var m in r.Malformed) context.Out.WriteLine($"malformed: {m}");
            foreach (var m in r.Missing) context.Out.WriteLine($"missing from the store: {m}");
            var verb = parse.GetValue(dryRun) ? "would drop" : "dropped";
            context.Out.WriteLine($"prune: {r.Needed} checkpoint versions needed; kept {r.Kept} roots, {verb} {r.Dropped}, {r.Young} too recent to drop, {r.Restored} restored; run cadre gc to free the dropped objects");
            return 0;
        });
        return prune;
    }

    private static TimeSpan Duration(string text)
    {
        if (text == "now") return TimeSpan.Zero;
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        throw new CadreException($"--expire '{text}': use now, or a number with s, m, h or d (30m, 2h, 14d)");
    }
}
