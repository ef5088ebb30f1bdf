using System.Globalization;

namespace Cadre.Cli;

internal static class Program
{
    public static int Main(string[] args)
    {
        var code = CadreCli.Run(args, Console.Out, Console.Error);
        if (Environment.GetEnvironmentVariable("CADRE_PEAK_MEMORY_FILE") is { Length: > 0 } file)
            File.WriteAllText(file, PeakResidentBytes().ToString(CultureInfo.InvariantCulture));
        return code;
    }

    /// <summary>The process's peak resident set (VmHWM in /proc/self/status), for benchmarks that measure memory.</summary>
    private static long PeakResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        return -1;
    }
}
