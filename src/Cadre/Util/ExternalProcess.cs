using System.ComponentModel;
using System.Diagnostics;

namespace Cadre.Util;

/// <summary>Runs an outside program (npm, node) with an argument list, captured output and a time limit.</summary>
public static class ExternalProcess
{
    public sealed record Result(int ExitCode, string Out, string Error);

    /// <summary>Runs <paramref name="file"/>; a missing program or a time-out is a <see cref="CadreException"/>.</summary>
    public static Result Run(string file, IEnumerable<string> arguments, string? workingDirectory = null,
                             TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new CadreException($"could not start '{file}'");
        }
        catch (Win32Exception e)
        {
            throw new CadreException($"'{file}' is not available on this machine ({e.Message}); install it and retry");
        }
        using (process)
        {
            // Read both pipes concurrently: a full stderr pipe would otherwise block the child.
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(10)))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw new CadreException($"'{file} {string.Join(' ', info.ArgumentList)}' did not finish within {timeout ?? TimeSpan.FromMinutes(10)}");
            }
            return new Result(process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
