using System.Diagnostics;
using Cadre.Tensors;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store.Git;

/// <summary>
/// A temporary git repository with its own CADRE_HOME, driven by the real git and the real cadre executable
/// (git starts cadre as its filter, diff and merge driver). Global and system git config are ignored, so the
/// tests see only what <c>cadre git install</c> sets. With <see cref="Trace"/>, every cadre process git starts
/// appends what it did (<c>CADRE_GIT_TRACE</c>).
/// </summary>
internal sealed class GitHarness : IDisposable
{
    private readonly TempDir _dir = new();

    public GitHarness(bool install = true)
    {
        Directory.CreateDirectory(Repo);
        Git("init", "-q", "-b", "main");
        if (install) Cadre("git", "install").Ok();
    }

    public string Repo => Path.Combine(_dir.Path, "repo");
    public string Home => Path.Combine(_dir.Path, "home");
    public string Trace => Path.Combine(_dir.Path, "trace");
    public string Scratch(string name) => Path.Combine(_dir.Path, name);
    public string PathOf(string file) => Path.Combine(Repo, file);

    /// <summary>The cadre the tests built, run through dotnet (it sits beside the test assembly).</summary>
    public static string CadreDll => Path.Combine(AppContext.BaseDirectory, "cadre.dll");

    public sealed record Result(int ExitCode, string Out, string Error, string[] Arguments)
    {
        public Result Ok()
        {
            Assert.True(ExitCode == 0, $"{string.Join(' ', Arguments)} exited {ExitCode}\nstdout: {Out}\nstderr: {Error}");
            return this;
        }
    }

    public Result Git(params string[] arguments) => Run("git", arguments);

    public Result GitWith(IReadOnlyDictionary<string, string> environment, params string[] arguments) => Run("git", arguments, environment);

    public Result Cadre(params string[] arguments) =>
        Run(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", [CadreDll, .. arguments]);

    public void Commit(string message)
    {
        Git("add", "-A").Ok();
        Git("commit", "-q", "-m", message).Ok();
    }

    /// <summary>Writes a safetensors checkpoint of F32 tensors into the work tree and returns its bytes.</summary>
    public byte[] WriteCheckpoint(string file, params (string Name, float[] Values, long[] Shape)[] tensors)
    {
        SafetensorsWriter.WriteRaw(PathOf(file), tensors.Select(t => StoreFixtures.F32(t.Name, t.Values, t.Shape)));
        return File.ReadAllBytes(PathOf(file));
    }

    public string[] TraceLines() => File.Exists(Trace) ? File.ReadAllLines(Trace) : [];

    private Result Run(string program, string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = Repo,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        var env = info.Environment;
        env["CADRE_HOME"] = Home;
        env["CADRE_GIT_TRACE"] = Trace;
        env["GIT_CONFIG_GLOBAL"] = "/dev/null";
        env["GIT_CONFIG_NOSYSTEM"] = "1";
        env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "t";
        env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "t@example.com";
        env["GIT_TERMINAL_PROMPT"] = "0";
        env["GIT_PAGER"] = env["PAGER"] = "cat";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) env[key] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result, [program, .. arguments]);
    }

    public void Dispose() => _dir.Dispose();
}
