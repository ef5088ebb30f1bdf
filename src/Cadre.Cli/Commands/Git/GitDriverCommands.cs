using System.CommandLine;
using System.Globalization;
using Cadre.Store.Git;
using Cadre.Util;

namespace Cadre.Cli.Commands;

/// <summary>What git runs as Cadre's diff and merge drivers: <c>cadre git diff-driver</c> (per-tensor summary) and <c>merge-driver</c> (three-way tensor merge).</summary>
internal static class GitDriverCommands
{
    public static Command DiffDriver(CliContext context, Option<string?> directory)
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
            var git = GitCommand.Open(context, parse, directory);
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

    public static Command MergeDriver(CliContext context, Option<string?> directory)
    {
        var ancestor = new Argument<string>("ancestor") { Description = "%O: the merge base's version (empty when there is none)." };
        var ours = new Argument<string>("ours") { Description = "%A: our version; the result is written here." };
        var theirs = new Argument<string>("theirs") { Description = "%B: their version." };
        var path = new Argument<string>("path") { Description = "%P: the path in the repository." };
        var command = new Command("merge-driver", "Git's merge driver (merge.cadre.driver): three-way merge tensor by tensor, conflicts resolved by cadre-merge or cadre.merge.strategy.") { ancestor, ours, theirs, path };
        command.SetAction(parse =>
        {
            var name = parse.GetRequiredValue(path);
            var filter = new GitFilter(GitCommand.Open(context, parse, directory));
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
