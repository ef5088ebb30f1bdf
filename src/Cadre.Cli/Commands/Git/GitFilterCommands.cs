using System.CommandLine;
using Cadre.Store.Git;

namespace Cadre.Cli.Commands;

/// <summary>What git runs as Cadre's filter: <c>cadre git filter-process</c> (clean and smudge over pkt-line), the single-file <c>clean</c>/<c>smudge</c> fallbacks, and <c>textconv</c>.</summary>
internal static class GitFilterCommands
{
    public static Command FilterProcess(CliContext context, Option<string?> directory)
    {
        var command = new Command("filter-process", "Git's long-running filter (filter.cadre.process): clean and smudge over pkt-line, one process for a whole checkout.");
        command.SetAction(parse =>
        {
            GitTrace.Write("start filter-process");
            // Buffered both ways: a packet is a 4-byte length and its data, two system calls each unbuffered.
            using var input = new BufferedStream(Console.OpenStandardInput(), 1 << 16);
            using var output = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
            GitFilterProcess.Serve(() => new GitFilter(GitCommand.Open(context, parse, directory)), input, output, context.Error);
            return 0;
        });
        return command;
    }

    public static Command Filter(CliContext context, Option<string?> directory, bool clean)
    {
        var path = new Argument<string>("path") { Description = "The path git names (%f)." };
        var command = new Command(clean ? "clean" : "smudge", clean
            ? "Single-file clean (filter.cadre.clean): checkpoint on stdin to the store, its manifest on stdout."
            : "Single-file smudge (filter.cadre.smudge): manifest on stdin, the checkpoint's bytes on stdout.") { path };
        command.SetAction(parse =>
        {
            GitTrace.Write($"start {(clean ? "clean" : "smudge")} {parse.GetRequiredValue(path)}");
            var filter = new GitFilter(GitCommand.Open(context, parse, directory));
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

    public static Command Textconv(CliContext context)
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
}
