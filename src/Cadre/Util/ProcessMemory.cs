using System.Globalization;

namespace Cadre.Util;

/// <summary>This process's memory as Linux reports it in <c>/proc/self/status</c>, for benchmarks; -1 elsewhere.</summary>
public static class ProcessMemory
{
    /// <summary>Resident set now (VmRSS), in bytes.</summary>
    public static long ResidentBytes() => Read("VmRSS:");

    /// <summary>Peak resident set since the process started (VmHWM), in bytes.</summary>
    public static long PeakResidentBytes() => Read("VmHWM:");

    private static long Read(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return -1;
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024; // kB
        return -1;
    }
}
