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
            FilterProcess(context, directory), Filter(context, directory, clean: true), Filter(context, directory, clean: false),
            Textconv(context), DiffDriver(context, directory), MergeDriver(context, directory),
        };
        return command;
    }

    private static GitRepository Repository(ParseResult parse, Option<string?> directory) =>
        GitRepository.Open(Path.GetFullPath(parse.GetValue(directory) ?? Environment.CurrentDirectory));

    private static GitStore Open(CliContext context, ParseResult parse, Option<string?> directory) =>
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

    private static Command FilterProcess(CliContext context, Option<string?> directory)
    {
        var command = new Command("filter-process", "Git's long-running filter (filter.cadre.process): clean and smudge over pkt-line, one process for a whole checkout.");
        command.SetAction(parse =>
        {
            GitTrace.Write("start filter-process");
            // Buffered both ways: a packet is a 4-byte length and its data, two system calls each unbuffered.
            using var input = new BufferedStream(Console.OpenStandardInput(), 1 << 16);
            using var output = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
            GitFilterProcess.Serve(() => new GitFilter(Open(context, parse, directory)), input, output, context.Error);
            return 0;
        });
        return command;
    }

    private static Command Filter(CliContext context, Option<string?> directory, bool clean)
    {
        var path = new Argument<string>("path") { Description = "The path git names (%f)." };
        var command = new Command(clean ? "clean" : "smudge", clean
            ? "Single-file clean (filter.cadre.clean): checkpoint on stdin to the store, its manifest on stdout."
            : "Single-file smudge (filter.cadre.smudge): manifest on stdin, the checkpoint's bytes on stdout.") { path };
        command.SetAction(parse =>
        {
            GitTrace.Write($"start {(clean ? "clean" : "smudge")} {parse.GetRequiredValue(path)}");
            var filter = new GitFilter(Open(context, parse, directory));
            using var writing = filter.Git.WriteLock();
            var spool = filter.Git.NewTemporaryFile();
            try
            {
                using (var input = Console.OpenStandardInput())
                using (var file = new FileStream(spool, FileMode.CreateNew, FileAccess.Write))
                    input.CopyTo(file);
                using var output = Console.OpenStandardOutput();
                if (clean) output.Write(filter.Clean(parse.GetRequiredValue(path), spool));
                else filter.PrepareSmudge(parse.GetRequiredValue(path), spool).WriteTo(output);
            }
            finally { File.Delete(spool); }
            return 0;
        });
        return command;
    }

    private static Command Textconv(CliContext context)
    {
        var file = new Argument<string>("file") { Description = "A manifest or a checkpoint (git passes either)." };
        var command = new Command("textconv", "Git's textconv (diff.cadre.textconv): one line per tensor (name, dtype, shape, short id), for git log -p and friends.") { file };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(file);
            var checkpoint = GitCheckpointFile.Open(path, path) ?? throw new CadreException($"{path}: no such file");
            context.Out.Write(checkpoint.Describe());
            return 0;
        });
        return command;
    }

    private static Command DiffDriver(CliContext context, Option<string?> directory)
    {
        var args = new Argument<string[]>("args") { Description = "What git passes: path old-file old-hex old-mode new-file new-hex new-mode [new-path message].", Arity = ArgumentArity.OneOrMore };
        var command = new Command("diff-driver", "Git's external diff (diff.cadre.command): the tensor-level summary of git diff (L2, relative change, cosine per changed tensor).") { args };
        command.SetAction(parse =>
        {
            var a = parse.GetRequiredValue(args);
            if (a.Length == 1)
            {
                context.Out.WriteLine($"cadre diff {a[0]}: unmerged (resolve the merge, or git checkout --ours/--theirs {a[0]})");
                return 0;
            }
            if (a.Length is not (7 or 9)) throw new CadreException($"diff-driver: git passes 7 or 9 arguments, got {a.Length}");
            var git = Open(context, parse, directory);
            var (from, to) = (DiffSide(git, a[1], a[2], $"{a[0]} (old)"), DiffSide(git, a[4], a[5], $"{a[0]} (new)"));
            var newPath = a.Length == 9 ? a[7] : a[0];
            context.Out.WriteLine($"cadre diff a/{a[0]} b/{newPath}");
            context.Out.WriteLine($"--- {Side(from)}");
            context.Out.WriteLine($"+++ {Side(to)}");
            var result = GitDiff.Compare(git.Objects, a[0], from, to);
            foreach (var note in result.Notes) context.Out.WriteLine($"note: {note}");
            DiffCommand.Print(context.Out, result.Report, all: false);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// One side of git diff: git smudges blobs into the temporary file it passes, so the manifest is read from git
    /// by the blob id when it has one (cheaper, and LoRA sites can be compared); else the file as given.
    /// </summary>
    private static GitCheckpointFile? DiffSide(GitStore git, string file, string hex, string what)
    {
        if (file != "/dev/null" && hex.Length >= 40 && hex.Any(c => c != '0') && hex.All(char.IsAsciiHexDigit))
        {
            try
            {
                if (git.ManifestAt(hex, what) is { } manifest && manifest.MissingObjects(git.Objects).Count == 0)
                    return GitCheckpointFile.Of(manifest);
            }
            catch (CadreException) { } // malformed: the file as given says so below
        }
        return GitCheckpointFile.Open(file, what);
    }

    private static string Side(GitCheckpointFile? f) => f is null ? "(none)"
        : f.Problem is not null ? "(malformed)"
        : string.Create(CultureInfo.InvariantCulture, $"{f.Size:N0} bytes, {(f.IsCheckpoint ? Plural.Of(f.Tensors.Count, "tensor") : "not a checkpoint")}");

    private static Command MergeDriver(CliContext context, Option<string?> directory)
    {
        var ancestor = new Argument<string>("ancestor") { Description = "%O: the merge base's version (empty when there is none)." };
        var ours = new Argument<string>("ours") { Description = "%A: our version; the result is written here." };
        var theirs = new Argument<string>("theirs") { Description = "%B: their version." };
        var path = new Argument<string>("path") { Description = "%P: the path in the repository." };
        var command = new Command("merge-driver", "Git's merge driver (merge.cadre.driver): three-way merge tensor by tensor, conflicts resolved by cadre-merge or cadre.merge.strategy.") { ancestor, ours, theirs, path };
        command.SetAction(parse =>
        {
            var name = parse.GetRequiredValue(path);
            var filter = new GitFilter(Open(context, parse, directory));
            var (strategy, lambda) = GitMergeStrategies.For(filter.Git.Repository, name);
            using var writing = filter.Git.WriteLock();
            GitManifest Side(string file, string which) =>
                GitFilter.ReadManifestFile(file, $"{name} ({which})") ?? GitManifest.Parse(filter.Clean(name, file), $"{name} ({which})");
            var o = new FileInfo(parse.GetRequiredValue(ancestor)).Length == 0 ? null : Side(parse.GetRequiredValue(ancestor), "merge base");
            var target = parse.GetRequiredValue(ours);
            var outcome = GitMerge.Merge(filter.Git, o, Side(target, "ours"), Side(parse.GetRequiredValue(theirs), "theirs"), strategy, lambda);
            if (outcome.Result is null)
            {
                context.Error.WriteLine($"cadre: merge conflict in {name}: {Plural.Of(outcome.Conflicts.Count, "tensor")} cannot be merged{(strategy is null ? "" : $" with {strategy.Name}")}:");
                foreach (var c in outcome.Conflicts.Take(20)) context.Error.WriteLine($"  {c}");
                if (outcome.Conflicts.Count > 20) context.Error.WriteLine($"  ... and {outcome.Conflicts.Count - 20} more");
                context.Error.WriteLine($"cadre: set a strategy ({string.Join(", ", GitMergeStrategies.All.Select(s => s.Name))}) with '{name} {GitMergeStrategies.Attribute}=NAME' in .gitattributes or git config {GitMergeStrategies.ConfigKey} NAME, or pick a side: git checkout --ours/--theirs {name}");
                return CadreCli.UserError;
            }
            filter.Git.RecordRoot(outcome.Result);
            File.WriteAllBytes(target, outcome.Result.ToBytes());
            context.Out.WriteLine($"cadre: merged {name}: {GitMerge.Summary(outcome)}");
            return 0;
        });
        return command;
    }
}
