using System.Diagnostics;
using System.Text;

namespace Cadre.Tests.Store;

/// <summary>A real <c>cadre</c> process on a given CADRE_HOME, its output captured: for tests of what processes do to each other.</summary>
internal sealed class CadreProcess : IDisposable
{
    private static readonly string Cadre = Path.Combine(AppContext.BaseDirectory, "cadre");
    private readonly Process _process;
    private readonly StringBuilder _out = new(), _error = new();

    public CadreProcess(string home, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        Args = string.Join(' ', args);
        var info = new ProcessStartInfo(Cadre) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["CADRE_HOME"] = home;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { lock (_out) _out.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_error) _error.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public CadreProcess(string home, params string[] args) : this(home, null, args) { }

    public string Args { get; }
    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the exit (at most 10 minutes: a hung process fails the test instead of hanging it).</summary>
    public (int Code, string Out, string Error) Wait()
    {
        if (!_process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"cadre {Args} did not finish in 10 minutes");
        }
        _process.WaitForExit(); // flushes the output events
        lock (_out) lock (_error) return (_process.ExitCode, _out.ToString(), _error.ToString());
    }

    /// <summary>SIGKILL: no cleanup runs, as when the machine loses the process.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public static (int Code, string Out, string Error) Run(string home, params string[] args)
    {
        using var p = new CadreProcess(home, args);
        return p.Wait();
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
