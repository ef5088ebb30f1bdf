using System.CommandLine;

namespace Cadre.Cli;

internal static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Cadre: an ecosystem of small specialist models on one frozen base.");
        return root.Parse(args).Invoke();
    }
}
