using System.Globalization;

namespace Cadre.Cli;

internal static class Program
{
    public static int Main(string[] args)
    {
        var code = CadreCli.Run(args, Console.Out, Console.Error);
        if (Environment.GetEnvironmentVariable("CADRE_PEAK_MEMORY_FILE") is { Length: > 0 } file)
            File.WriteAllText(file, Cadre.Util.ProcessMemory.PeakResidentBytes().ToString(CultureInfo.InvariantCulture));
        return code;
    }
}
