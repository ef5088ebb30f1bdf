using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using Cadre.Cli;

namespace Cadre.Tests.Cli.Examples;

/// <summary>One documented command line: where it was found and the text as typed.</summary>
public sealed record ExampleLine(string Source, string Text);

/// <summary>
/// The command lines the documentation shows: README.md's code blocks and every <c>--help</c> Examples section. Each
/// is read shell-like and expanded into the variants a reader could type: <c>a | b</c> alternatives separately,
/// <c>x|y</c> values each, and <c>[optional parts]</c> both left out and all put in.
/// </summary>
public static partial class ExampleLines
{
    // Unquoted syntax marks survive tokenizing as these characters, so quoted text keeps its brackets and bars.
    private const char Open = '\u0001', Close = '\u0002', Bar = '\u0003';

    /// <summary>The cadre command lines of README.md's plain code blocks (yaml and csharp blocks, and non-cadre lines, left out).</summary>
    public static IReadOnlyList<ExampleLine> Readme(string path)
    {
        var lines = new List<ExampleLine>();
        string? fence = null; // the open code block's info string ("" for a plain block), null outside blocks
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            if (raw.StartsWith("```", StringComparison.Ordinal))
            {
                fence = fence is null ? raw.Trim()[3..] : null;
                continue;
            }
            if (fence != "")
                continue; // prose, or a yaml or csharp block
            var line = EnvPrefix().Replace(raw.Trim(), "");
            line = DotnetRun().Replace(line, "cadre ");
            foreach (var part in line.Split(" && "))
                if (part.TrimStart().StartsWith("cadre ", StringComparison.Ordinal))
                    lines.Add(new ExampleLine($"README.md:{number}", part.Trim()));
        }
        return lines;
    }

    /// <summary>Every Examples line of every command's <c>--help</c>.</summary>
    public static IReadOnlyList<ExampleLine> Help(Command root) =>
        [.. HelpExamples.All(root).SelectMany(p => p.Lines.Select(l => new ExampleLine($"cadre {Path(p.Command)} --help", l)))];

    private static string Path(Command c)
    {
        var names = new List<string>();
        for (var s = c; s is not null and not RootCommand; s = s.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, s.Name);
        return string.Join(' ', names);
    }

    /// <summary>Every variant of a line, as argument lists without the leading <c>cadre</c>.</summary>
    public static IReadOnlyList<string[]> Variants(string line)
    {
        var variants = new List<string[]>();
        foreach (var command in Words(line).Aggregate(new List<List<string>> { new() }, SplitAlternatives))
        {
            if (command.Count == 0 || command[0] != "cadre")
                throw new FormatException($"not a cadre command: {line}");
            foreach (var bracketed in new[] { Optional(command, keep: false), Optional(command, keep: true) })
            {
                var choices = bracketed.Select(w => w.Split(Bar)).ToList();
                var most = choices.Max(c => c.Length);
                for (var i = 0; i < most; i++)
                    variants.Add([.. choices.Skip(1).Select(c => c[Math.Min(i, c.Length - 1)]).Where(w => w.Length > 0)]);
            }
        }
        return [.. variants.DistinctBy(v => string.Join('\u0000', v))];
    }

    /// <summary>A word that is a lone unquoted bar starts another command: <c>cadre gc | cadre verify</c>.</summary>
    private static List<List<string>> SplitAlternatives(List<List<string>> commands, string word)
    {
        if (word == Bar.ToString()) commands.Add([]);
        else commands[^1].Add(word);
        return commands;
    }

    /// <summary>The words with every bracketed part dropped (keep false) or kept without its brackets.</summary>
    private static List<string> Optional(List<string> words, bool keep)
    {
        var result = new List<string>();
        var depth = 0;
        foreach (var word in words)
        {
            var sb = new StringBuilder();
            var any = false;
            foreach (var ch in word)
            {
                if (ch == Open) depth++;
                else if (ch == Close) depth--;
                else if (keep || depth == 0) { sb.Append(ch); any = true; }
            }
            if (any) result.Add(sb.ToString());
        }
        return result;
    }

    /// <summary>Shell-like words: quotes group and are removed, a <c>#</c> starting a word comments out the rest.</summary>
    public static List<string> Words(string line)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        var inWord = false;
        char? quote = null;
        foreach (var ch in line)
        {
            if (quote is { } q)
            {
                if (ch == q) quote = null;
                else sb.Append(ch);
                continue;
            }
            if (char.IsWhiteSpace(ch))
            {
                if (inWord) words.Add(sb.ToString());
                sb.Clear();
                inWord = false;
                continue;
            }
            if (ch == '#' && !inWord)
                break;
            inWord = true;
            if (ch is '\'' or '"') quote = ch;
            else sb.Append(ch switch { '[' => Open, ']' => Close, '|' => Bar, _ => ch });
        }
        if (quote is not null)
            throw new FormatException($"unclosed quote: {line}");
        if (inWord) words.Add(sb.ToString());
        return words;
    }

    [GeneratedRegex(@"^([A-Z_]+=\S+\s+)+")]
    private static partial Regex EnvPrefix();

    [GeneratedRegex(@"^dotnet run --project src/Cadre\.Cli( -c Release)? -- ")]
    private static partial Regex DotnetRun();
}
