using System.CommandLine;
using Cadre.Util;

namespace Cadre.Cli;

/// <summary>
/// An option whose value is one of a fixed list of names. Like System.CommandLine's AcceptOnlyFromAmong (a usage
/// error, exit 2, and shell completions), but its error is one line and names the closest choice.
/// </summary>
internal static class Choices
{
    public static Option<string> Restrict(this Option<string> option, IReadOnlyList<string> names)
    {
        option.CompletionSources.Add([.. names]);
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && !names.Contains(value))
                result.AddError($"{option.Name}: '{value}' is not one of {string.Join(", ", names)}{Suggest.DidYouMean(value, names)}");
        });
        return option;
    }
}
