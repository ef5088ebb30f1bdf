namespace Cadre.Cli;

internal static class Program
{
    public static int Main(string[] args) => CadreCli.Run(args, Console.Out, Console.Error);
}
