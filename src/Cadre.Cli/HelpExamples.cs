using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Cadre.Cli;

/// <summary>
/// The "Examples:" section of a verb's <c>--help</c>: a few command lines each verb declares next to its options.
/// A test runs every one as typed (tests/Cadre.Tests/Cli/CommandLineExampleTests.cs), so they cannot go stale.
/// </summary>
public static class HelpExamples
{
    private static readonly ConditionalWeakTable<Command, IReadOnlyList<string>> Table = [];

    /// <summary>Declares the examples of a command (whole lines starting with <c>cadre</c>); returns the command.</summary>
    public static Command WithExamples(this Command command, params string[] lines)
    {
        Table.AddOrUpdate(command, lines);
        return command;
    }

    public static IReadOnlyList<string> Of(Command command) => Table.TryGetValue(command, out var lines) ? lines : [];

    /// <summary>Every command of the tree with its examples, depth first.</summary>
    public static IEnumerable<(Command Command, IReadOnlyList<string> Lines)> All(Command root) =>
        new[] { (root, Of(root)) }.Where(p => p.Item2.Count > 0).Concat(root.Subcommands.SelectMany(All));

    /// <summary>Makes <c>--help</c> print the default help, then the command's examples.</summary>
    public static void Install(RootCommand root)
    {
        if (root.Options.OfType<HelpOption>().FirstOrDefault() is { Action: HelpAction help } option)
            option.Action = new HelpThenExamples(help);
    }

    /// <summary>The default help action followed by an Examples section (System.CommandLine keeps its layout internal).</summary>
    private sealed class HelpThenExamples(HelpAction help) : SynchronousCommandLineAction
    {
        // As the default help: `cadre x --help` shows help even when x's required options are missing.
        public override bool ClearsParseErrors => help.ClearsParseErrors;

        public override int Invoke(ParseResult parseResult)
        {
            var code = help.Invoke(parseResult);
            var lines = Of(parseResult.CommandResult.Command);
            if (lines.Count == 0)
                return code;
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Examples:");
            foreach (var line in lines)
                output.WriteLine("  " + line);
            output.WriteLine();
            return code;
        }
    }
}
