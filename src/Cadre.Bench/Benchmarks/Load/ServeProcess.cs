using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Cadre.Benchmarks.Load;

/// <summary>
/// <c>cadre serve</c> as its own child process on 127.0.0.1 and a free port, for benchmarks that drive it from
/// outside: started, awaited until <c>/readyz</c> answers 200, stopped with SIGTERM (it drains and exits 0), and
/// killed with its children on every other way out, so no server outlives the benchmark.
/// </summary>
public sealed partial class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ChildProcess.Tail _tail = new(20);

    private ServeProcess(Process process) => _process = process;

    public Uri Address { get; private set; } = null!;
    public int Id => _process.Id;

    [GeneratedRegex(@"listening on (http://[^ ]+)")]
    private static partial Regex Listening();

    public static async Task<ServeProcess> StartAsync(string home, IEnumerable<string> serveArgs, CancellationToken cancel)
    {
        var info = ChildProcess.Cadre(["serve", "--host", "127.0.0.1", "--port", "0", .. serveArgs]);
        info.Environment["CADRE_HOME"] = home;
        var process = new Process { StartInfo = info };
        var server = new ServeProcess(process);
        var address = new TaskCompletionSource<Uri?>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Both pipes are read to the end: a full pipe would block the server's log, and so its requests.
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { address.TrySetResult(null); return; } // closed its output without listening
            server._tail.Add(e.Data);
            if (Listening().Match(e.Data) is { Success: true } m) address.TrySetResult(new Uri(m.Groups[1].Value));
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) server._tail.Add(e.Data); };
        if (!process.Start()) throw new CadreException($"could not start {info.FileName}");
        try
        {
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            limit.CancelAfter(TimeSpan.FromMinutes(2));
            server.Address = await address.Task.WaitAsync(limit.Token) ?? await ExitedAsync(process, server._tail, limit.Token);
            await server.WaitReadyAsync(limit.Token);
            return server;
        }
        catch
        {
            ChildProcess.Stop(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the exit (and so for the end of its error output), then fails with what it printed.</summary>
    private static async Task<Uri> ExitedAsync(Process process, ChildProcess.Tail tail, CancellationToken cancel)
    {
        await process.WaitForExitAsync(cancel);
        throw new CadreException($"cadre serve exited before listening (exit {process.ExitCode}):\n{tail}");
    }

    private async Task WaitReadyAsync(CancellationToken cancel)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(10) };
        while (true)
        {
            try
            {
                using var ready = await http.GetAsync("/readyz", cancel);
                if (ready.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { } // not accepting yet
            if (_process.HasExited) throw new CadreException($"cadre serve exited ({_process.ExitCode}) before it was ready:\n{_tail}");
            await Task.Delay(100, cancel);
        }
    }

    /// <summary>
    /// One predict per specialist (16 at a time), so each is loaded and hot before anything is measured, as in
    /// <c>cadre bench serve</c>. Any answer but 200 fails the benchmark: the figures would not be about serving.
    /// </summary>
    public async Task WarmAsync(IReadOnlyList<string> names, string text, CancellationToken cancel)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(120) };
        var body = System.Text.Json.JsonSerializer.Serialize(new { inputs = new[] { text } });
        foreach (var chunk in names.Chunk(16))
            await Task.WhenAll(chunk.Select(async name =>
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await http.PostAsync($"/v1/specialists/{name}/predict", content, cancel);
                if (!response.IsSuccessStatusCode)
                    throw new CadreException($"warming {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancel)}");
            }));
    }

    /// <summary>
    /// SIGTERM, then up to 30 s to drain and exit; killed if it does not. Returns its exit code, or -1 where SIGTERM
    /// cannot be sent (no kill(1), Windows) and the server was killed instead.
    /// </summary>
    public async Task<int> StopAsync()
    {
        if (_process.HasExited) return _process.ExitCode;
        if (!ChildProcess.Terminate(_process))
        {
            ChildProcess.Stop(_process);
            return -1;
        }
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            try { await _process.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException) { } // hung: killed below
        }
        if (!_process.HasExited)
        {
            ChildProcess.Stop(_process);
            throw new CadreException("cadre serve did not exit within 30 s of SIGTERM and was killed:\n" + _tail);
        }
        _process.WaitForExit(); // the output pipes are read to their end
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        ChildProcess.Stop(_process);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    public override string ToString() => _tail.ToString();
}
