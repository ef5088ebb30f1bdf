using System.CommandLine;
using Cadre.Server;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre serve [--host 127.0.0.1] [--port 8080] [--max-batch-rows N] [--batch-wait-ms N] [--pool-budget-mb N] ...</c>:
/// every stored specialist over HTTP (docs/serving.md), from one process and one base. Prints the address it listens
/// on; Ctrl-C or SIGTERM drains (readyz turns 503, requests in flight finish) and exits 0. A stop nobody asked for
/// exits 1, and a port that cannot be bound is one error line.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliContext context)
    {
        var defaults = new ServingOptions();
        var host = new Option<string>("--host") { Description = "IP address to listen on (or localhost); 0.0.0.0 for every interface.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port; 0 picks a free one.", DefaultValueFactory = _ => 8080 };
        var maxBatchRows = new Option<int>("--max-batch-rows") { Description = "Rows in one forward pass of the base at most.", DefaultValueFactory = _ => defaults.MaxBatchRows };
        var batchWait = new Option<double>("--batch-wait-ms") { Description = "How long the batcher waits for more requests after the first.", DefaultValueFactory = _ => defaults.MaxBatchWait.TotalMilliseconds };
        var queue = new Option<int>("--queue-capacity") { Description = "Rows waiting at most; beyond it requests get 429.", DefaultValueFactory = _ => defaults.QueueCapacity };
        var poolBudget = new Option<long>("--pool-budget-mb") { Description = "Megabytes of adapters and heads kept hot (least recently used evicted).", DefaultValueFactory = _ => defaults.PoolBudgetBytes >> 20 };
        var maxInputs = new Option<int>("--max-inputs") { Description = "Inputs in one request at most (413 beyond).", DefaultValueFactory = _ => defaults.MaxInputs };
        var maxChars = new Option<int>("--max-input-chars") { Description = "Characters in one input at most (413 beyond).", DefaultValueFactory = _ => defaults.MaxInputChars };
        var maxBody = new Option<long>("--max-body-kb") { Description = "Kilobytes of a request body at most (413 beyond).", DefaultValueFactory = _ => defaults.MaxBodyBytes >> 10 };
        var timeout = new Option<double>("--timeout-s") { Description = "Seconds a request may queue and run before it answers 504.", DefaultValueFactory = _ => defaults.RequestTimeout.TotalSeconds };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads of the forward pass (0: one per core).", DefaultValueFactory = _ => defaults.Threads };
        var command = new Command("serve", $"Serve every stored specialist over HTTP (admin endpoints need {ServerSettings.AdminTokenVariable}).")
            { host, port, maxBatchRows, batchWait, queue, poolBudget, maxInputs, maxChars, maxBody, timeout, threads };
        command.SetAction(async (parse, cancel) =>
        {
            var options = new ServingOptions
            {
                MaxBatchRows = parse.GetValue(maxBatchRows), MaxBatchWait = Milliseconds(parse.GetValue(batchWait)),
                QueueCapacity = parse.GetValue(queue), PoolBudgetBytes = parse.GetValue(poolBudget) << 20,
                MaxInputs = parse.GetValue(maxInputs), MaxInputChars = parse.GetValue(maxChars), MaxBodyBytes = parse.GetValue(maxBody) << 10,
                RequestTimeout = Seconds(parse.GetValue(timeout)), Threads = parse.GetValue(threads),
            };
            var settings = new ServerSettings { Host = parse.GetRequiredValue(host), Port = parse.GetValue(port) };
            // Every problem at once, before the engine loads anything.
            if (options.Validate().Concat(settings.Validate()).ToList() is { Count: > 0 } errors)
                throw new CadreException(string.Join("; ", errors));

            await using var engine = new SpecialistEngine(context.Home, options);
            await using var app = CadreServer.Build(engine, settings);
            await app.StartListeningAsync(cancel);
            context.Out.WriteLine($"cadre serve: listening on {app.Address()} (home {context.Home}; admin endpoints {(settings.AdminToken is null ? $"closed: {ServerSettings.AdminTokenVariable} is not set" : "open to the admin token")})");
            context.Out.Flush();
            if (!await app.RunUntilStoppedAsync(cancel))
                throw new CadreException("the server stopped by itself, without Ctrl-C or SIGTERM (the log above says why)");
            context.Out.WriteLine("cadre serve: stopped");
            return 0;
        });
        return command.WithExamples(
            "cadre serve --port 8080 --pool-budget-mb 512");
    }

    // Out-of-range values become ones that Validate refuses with its own message (TimeSpan would throw on them).
    private static TimeSpan Milliseconds(double ms) => double.IsFinite(ms) ? TimeSpan.FromMilliseconds(Math.Clamp(ms, -1, 1e7)) : TimeSpan.MinValue;

    private static TimeSpan Seconds(double s) => double.IsFinite(s) ? TimeSpan.FromSeconds(Math.Clamp(s, -1, 1e9)) : TimeSpan.Zero;
}
