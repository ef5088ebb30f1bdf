namespace Cadre.Cli.Commands;

/// <summary>Texts from the command line and/or a file with one text per line ("-" reads standard input).</summary>
internal static class TextInputs
{
    public static IReadOnlyList<string> Read(IEnumerable<string>? texts, string? input, TextReader? stdin = null)
    {
        var all = new List<string>(texts ?? []);
        if (input is not null)
        {
            if (input == "-")
            {
                var reader = stdin ?? Console.In;
                while (reader.ReadLine() is { } line)
                    all.Add(line);
            }
            else
            {
                if (!File.Exists(input))
                    throw new CadreException($"{input}: file not found");
                all.AddRange(File.ReadLines(input));
            }
        }
        if (all.Count == 0)
            throw new CadreException("no texts: give them as arguments or with --input FILE (one per line)");
        return all;
    }
}
