using System.CommandLine;
using System.CommandLine.Parsing;
using Cadre.Util;

namespace Cadre.Cli;

/// <summary>One line for a command line that does not parse, with "did you mean" for a mistyped verb or option.</summary>
internal static class ParseErrors
{
    public static string Describe(ParseResult parsed)
    {
        // "Unrecognized command or argument 'x'" says more than "Required command was not provided".
        var error = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
        var message = error.Message.ReplaceLineEndings(" ").TrimEnd('.', ' ');
        var token = parsed.UnmatchedTokens.FirstOrDefault();
        return token is null ? message : message + Suggest.DidYouMean(token, Candidates(parsed.CommandResult, token.StartsWith('-')));
    }

    /// <summary>The names a token could have meant where it stands: subcommands, or options (with inherited ones).</summary>
    private static IEnumerable<string> Candidates(CommandResult result, bool option)
    {
        if (!option)
            return result.Command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
        var options = result.Command.Options.AsEnumerable();
        for (var r = result.Parent as CommandResult; r is not null; r = r.Parent as CommandResult)
            options = options.Concat(r.Command.Options.Where(o => o.Recursive));
        return options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name));
    }
}
