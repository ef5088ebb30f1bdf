using System.CommandLine;
using Cadre.Benchmarks;
using Cadre.Benchmarks.Load;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre bench load --url URL --rate R --seconds S [--warmup S] [--specialists N] [--prefix serve-] [--texts FILE]</c>:
/// the open-loop client of <c>cadre bench serve-external</c>, in a process of its own so that it shares no runtime,
/// thread pool or garbage collector with the server. Prints one JSON object: sent, ok, errors by status, p50/p90/p99/max
/// latency (ms, from each request's scheduled time) and the achieved rate. Hidden: any running server can be its target.
/// </summary>
internal static class BenchLoadCommand
{
    public static Command Create(CliContext context)
    {
        var url = new Option<string>("--url") { Description = "The server's address (http://127.0.0.1:PORT).", Required = true };
        var rate = new Option<double>("--rate") { Description = "Requests per second, scheduled by the clock.", Required = true };
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds.", DefaultValueFactory = _ => 15 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of the same load before the measured ones (not counted).", DefaultValueFactory = _ => 3 };
        var specialists = new Option<int>("--specialists") { Description = "Spread requests uniformly over PREFIX0000 .. PREFIX{N-1}.", DefaultValueFactory = _ => 1 };
        var prefix = new Option<string>("--prefix") { Description = "Specialist name prefix (names end in a 4-digit index).", DefaultValueFactory = _ => ServeBenchSpecialists.Prefix };
        var texts = new Option<string?>("--texts") { Description = "Texts to send, one per line (one text per request, drawn uniformly)." };
        var connections = new Option<int>("--connections") { Description = "Connections at most; requests beyond wait in the client (and that wait counts).", DefaultValueFactory = _ => 1024 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var command = new Command("load", "Open-loop HTTP load on a running cadre server (used by bench serve-external).")
            { url, rate, seconds, warmup, specialists, prefix, texts, connections, seed };
        command.Hidden = true;
        command.SetAction(async (parse, cancel) =>
        {
            var (r, s, w, n, c) = (parse.GetValue(rate), parse.GetValue(seconds), parse.GetValue(warmup), parse.GetValue(specialists), parse.GetValue(connections));
            if (!(r > 0) || !(s > 0) || !(w >= 0) || n < 1 || c < 1)
                throw new CadreException("bench load: --rate, --seconds, --specialists and --connections must be positive, --warmup not negative");
            if (!Uri.TryCreate(parse.GetRequiredValue(url), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
                throw new CadreException($"bench load: --url '{parse.GetRequiredValue(url)}' is not an http:// address");
            var lines = parse.GetValue(texts) is { } file ? File.ReadAllLines(file).Where(l => l.Length > 0).ToList() : [];
            if (lines.Count == 0) lines.Add(OpenLoopLoad.DefaultText);
            var result = await OpenLoopLoad.HttpAsync(address, r, TimeSpan.FromSeconds(s), TimeSpan.FromSeconds(w), n,
                                                      parse.GetRequiredValue(prefix), lines, c, parse.GetValue(seed), cancel);
            context.Out.WriteLine(result.ToJson());
            return 0;
        });
        return command;
    }
}
