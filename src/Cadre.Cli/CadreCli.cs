using System.CommandLine;
using Cadre.Cli.Commands;

namespace Cadre.Cli;

/// <summary>
/// Composes the verbs and runs one command line. User errors (<see cref="CadreException"/>, bad flags, unknown
/// verbs) print one line to stderr and return a non-zero code; no stack trace unless CADRE_DEBUG=1.
/// </summary>
public static class CadreCli
{
    public const int UserError = 1;
    public const int UsageError = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, string? home = null)
    {
        var context = new CliContext(stdout, stderr, home);
        var parsed = Parse(Root(context), args);
        if (parsed.Errors.Count > 0)
        {
            var verb = string.Join(' ', VerbPath(parsed.CommandResult));
            stderr.WriteLine($"error: {ParseErrors.Describe(parsed)}");
            stderr.WriteLine($"Try 'cadre {(verb.Length > 0 ? verb + " " : "")}--help'.");
            return UsageError;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                // Ctrl-C cancels the verb's token; a training run then saves its checkpoint, which may take a while.
                ProcessTerminationTimeout = TimeSpan.FromMinutes(2),
            });
        }
        catch (CadreException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return UserError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException
                                      && Environment.GetEnvironmentVariable("CADRE_DEBUG") != "1")
        {
            stderr.WriteLine($"error: {e.Message}");
            return UserError;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("CADRE_DEBUG") != "1")
        {
            stderr.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message} (set CADRE_DEBUG=1 for the stack trace)");
            return UserError;
        }
    }

    /// <summary>The whole command tree, with the Examples section of <c>--help</c>.</summary>
    public static RootCommand Root(CliContext context)
    {
        var root = new RootCommand("Cadre: an ecosystem of small specialist models on one frozen base.");
        foreach (var command in Verbs(context))
            root.Add(command);
        HelpExamples.Install(root);
        return root;
    }

    /// <summary>
    /// Parses without response files: System.CommandLine would read any argument starting with '@' as a file of
    /// arguments, and npm package names (@scope/name) are arguments here.
    /// </summary>
    public static ParseResult Parse(RootCommand root, IReadOnlyList<string> args) =>
        root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    /// <summary>The explicit list of top-level verbs.</summary>
    private static IEnumerable<Command> Verbs(CliContext context) =>
    [
        BaseCommand.Create(context),
        EmbedCommand.Create(context),
        GenerateCommand.Create(context),
        TrainCommand.Create(context),
        PredictCommand.Create(context),
        EvalCommand.Create(context),
        DataCommand.Create(context),
        SpecialistCommand.Create(context),
        LogCommand.Create(context),
        ShowCommand.Create(context),
        DiffCommand.Create(context),
        CheckoutCommand.Create(context),
        BranchCommand.Create(context),
        BranchCommand.CreateTag(context),
        StoreCommands.Gc(context),
        StoreCommands.Verify(context),
        BundleCommand.Create(context),
        BundleCommand.Push(context),
        BundleCommand.Pull(context),
        GitCommand.Create(context),
        MergeCommand.Create(context),
        RouterCommand.Create(context),
        RouteCommand.Create(context),
        AskCommand.Create(context),
        SuiteCommand.Create(context),
        BenchCommand.Create(context),
        ServeCommand.Create(context),
        QuickstartCommand.Create(context),
    ];

    private static IEnumerable<string> VerbPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new Stack<string>();
        for (var r = result; r?.Parent is System.CommandLine.Parsing.CommandResult parent; r = parent)
            names.Push(r.Command.Name);
        return names;
    }
}
