using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Routing;
using Cadre.Util;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre router build|list|show|remove</c>: routers live under CADRE_HOME/routers/NAME/ (docs/formats.md).</summary>
internal static class RouterCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("router", "Build and inspect routers that choose a specialist for each input.");
        command.Add(Build(context));
        var list = new Command("list", "List built routers.");
        list.SetAction(_ =>
        {
            var routers = new RouterCatalog(context.Home).List();
            if (routers.Count == 0)
                context.Out.WriteLine("no routers yet (cadre router build)");
            foreach (var r in routers)
                context.Out.WriteLine($"{r.Name,-16} {r.Method,-10} {Plural.Of(r.Specialists.Count, "specialist"),15}  base {r.Base.Name}  {Summary(r)}");
            return 0;
        });
        command.Add(list);
        var name = new Argument<string>("name") { Description = "The router.", DefaultValueFactory = _ => RouterRecord.DefaultName };
        var json = new Option<bool>("--json") { Description = "Print router.json." };
        var show = new Command("show", "Show a router: method, specialists, calibration and abstention threshold.") { name, json };
        show.SetAction(parse =>
        {
            var catalog = new RouterCatalog(context.Home);
            var r = catalog.Get(parse.GetRequiredValue(name));
            if (parse.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(r, RouterCatalog.Json));
                return 0;
            }
            context.Out.WriteLine($"name:        {r.Name} ({r.Method})");
            context.Out.WriteLine($"base:        {r.Base.Name} (content {r.Base.ContentHash[..12]})");
            context.Out.WriteLine($"specialists: {string.Join(", ", r.Specialists.Select(s => $"{s.Name} ({Plural.Of(s.Rows, "row")})"))}");
            context.Out.WriteLine($"calibration: {Summary(r)}");
            return 0;
        });
        command.Add(show);
        var removeName = new Argument<string>("name") { Description = "The router." };
        var remove = new Command("remove", "Delete a router (the specialists stay).") { removeName };
        remove.SetAction(parse =>
        {
            new RouterCatalog(context.Home).Remove(parse.GetRequiredValue(removeName));
            context.Out.WriteLine($"removed router '{parse.GetRequiredValue(removeName)}'");
            return 0;
        });
        command.Add(remove);
        return command;
    }

    private static Command Build(CliContext context)
    {
        var defaults = new RouterRequest();
        var name = new Option<string>("--name") { Description = "The router's name; 'default' is the one route and ask use.", DefaultValueFactory = _ => defaults.Name };
        var method = new Option<string>("--method")
        {
            Description = "How to route: " + string.Join("; ", Routers.All.Select(m => $"{m.Name}: {m.Description}")),
            DefaultValueFactory = _ => defaults.Method,
        };
        method.Restrict([.. Routers.All.Select(m => m.Name)]);
        var specialists = new Option<string?>("--specialists") { Description = "Comma-separated specialists to choose among (default: every trained one)." };
        var coverage = new Option<double>("--coverage") { Description = "Share of held-out in-scope inputs that must not abstain; sets the threshold.", DefaultValueFactory = _ => defaults.Coverage };
        var heldOut = new Option<double>("--held-out") { Description = "Share of each specialist's routing rows held out for calibration.", DefaultValueFactory = _ => defaults.HeldOut };
        var seed = new Option<int>("--seed") { Description = "Seed of the held-out split and the fit.", DefaultValueFactory = _ => defaults.Seed };
        var force = new Option<bool>("--force") { Description = "Replace the router of that name if it exists." };
        var build = new Command("build", "Build a router from the specialists' routing samples: fit, calibrate its temperature, set its abstention threshold.")
            { name, method, specialists, coverage, heldOut, seed, force };
        build.SetAction(parse =>
        {
            var chosen = parse.GetValue(specialists)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var record = RouterBuilder.Build(context.Home, new RouterRequest
            {
                Name = parse.GetRequiredValue(name), Method = parse.GetRequiredValue(method), Specialists = chosen,
                Coverage = parse.GetValue(coverage), HeldOut = parse.GetValue(heldOut), Seed = parse.GetValue(seed),
                Replace = parse.GetValue(force), Warn = line => context.Error.WriteLine("warning: " + line),
            });
            context.Out.WriteLine($"built router '{record.Name}' ({record.Method}) over {Plural.Of(record.Specialists.Count, "specialist")}: {string.Join(", ", record.Specialists.Select(s => s.Name))}");
            context.Out.WriteLine("held out: " + Summary(record));
            return 0;
        });
        return build.WithExamples(
            "cadre router build --method learned --specialists a,b");
    }

    /// <summary>One line: held-out accuracy, ECE before and after the temperature, and the abstention rule.</summary>
    public static string Summary(RouterRecord r)
    {
        var c = r.Calibration;
        return string.Create(CultureInfo.InvariantCulture,
            $"{c.GetValueOrDefault("rows"):F0} rows, accuracy {c.GetValueOrDefault("accuracy"):F4}, ECE {c.GetValueOrDefault("ece_uncalibrated"):F4} -> {c.GetValueOrDefault("ece"):F4} at temperature {r.Temperature:G4}; abstains below {r.Abstention.Signal} {r.Abstention.Threshold:F4} (coverage {r.Abstention.Coverage:P0})");
    }
}
