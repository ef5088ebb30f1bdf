using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Cadre.Benchmarks.Load;

/// <summary>Starts <c>cadre</c> (or another tool) as a child process of a benchmark and collects what it prints.</summary>
public static class ChildProcess
{
    /// <summary>
    /// How to start this same <c>cadre</c>: the running executable when it is cadre (or <c>dotnet cadre.dll</c>),
    /// else the cadre apphost beside this assembly (a test host runs the command line in-process).
    /// </summary>
    public static ProcessStartInfo Cadre(IEnumerable<string> args)
    {
        var running = Environment.ProcessPath ?? throw new CadreException("cannot tell which executable runs cadre");
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "cadre.exe" : "cadre");
        var dll = Path.Combine(AppContext.BaseDirectory, "cadre.dll");
        var info = Path.GetFileNameWithoutExtension(running) switch
        {
            "cadre" => new ProcessStartInfo(running),
            "dotnet" when File.Exists(dll) => new ProcessStartInfo(running) { ArgumentList = { dll } },
            _ when File.Exists(apphost) => new ProcessStartInfo(apphost),
            _ => throw new CadreException($"cannot find the cadre executable beside {AppContext.BaseDirectory}"),
        };
        info.UseShellExecute = false;
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        foreach (var a in args) info.ArgumentList.Add(a);
        return info;
    }

    /// <summary>
    /// Runs to the end and returns its exit code and standard output; standard error goes to <paramref name="log"/>
    /// line by line. Cancelled or failing, the child and its children are killed: a benchmark leaves no process behind.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo info, Action<string> log, CancellationToken cancel)
    {
        using var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log(e.Data); };
        if (!process.Start()) throw new CadreException($"could not start {info.FileName}");
        try
        {
            process.BeginErrorReadLine();
            var output = await process.StandardOutput.ReadToEndAsync(cancel);
            await process.WaitForExitAsync(cancel);
            return (process.ExitCode, output);
        }
        finally
        {
            Stop(process);
        }
    }

    /// <summary>Kills the process and its children if it is still running (the last resort of every exit path).</summary>
    public static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { } // never started, or already reaped
    }

    /// <summary>Sends SIGTERM (a graceful stop for <c>cadre serve</c>); false where it cannot be sent.</summary>
    public static bool Terminate(Process process)
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false });
            kill?.WaitForExit(10_000);
            return kill is { ExitCode: 0 };
        }
        catch (System.ComponentModel.Win32Exception) { return false; } // no kill(1) on this system
    }

    /// <summary>The last lines a child printed, for an error message.</summary>
    public sealed class Tail(int lines)
    {
        private readonly Queue<string> _lines = new();

        public void Add(string line)
        {
            lock (_lines)
            {
                _lines.Enqueue(line);
                while (_lines.Count > lines) _lines.Dequeue();
            }
        }

        public override string ToString()
        {
            lock (_lines) return new StringBuilder().AppendJoin('\n', _lines).ToString();
        }
    }
}
