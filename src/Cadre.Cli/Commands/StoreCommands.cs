using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Specialists;
using Cadre.Util;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre gc</c> and <c>cadre verify [--json]</c>: keep the store small and check it whole.</summary>
internal static class StoreCommands
{
    public static Command Gc(CliContext context)
    {
        var command = new Command("gc", "Remove objects that no version, branch, tag or base reaches, and leftovers of interrupted writes.");
        command.SetAction(parse =>
        {
            var store = new SpecialistCatalog(context.Home).Store;
            var r = store.Gc();
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gc: kept {Plural.Of(r.Reachable, "reachable object")}; removed {Plural.Of(r.RemovedObjects, "object")} ({Plural.Of(r.RemovedBytes, "byte")}), {Plural.Of(r.RemovedTemporary, "temporary entry", "temporary entries")} ({Plural.Of(r.RemovedTemporaryBytes, "byte")}), {Plural.Of(r.RemovedCheckouts, "stale checkout")}"));
            return 0;
        });
        return command;
    }

    public static Command Verify(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print {\"ok\", \"objects\", \"versions\", \"bases\", \"problems\"}." };
        var command = new Command("verify", "Re-hash every object and re-read every version, manifest and ref; exit 1 naming each corrupt or missing object.") { json };
        command.SetAction(parse =>
        {
            var store = new SpecialistCatalog(context.Home).Store;
            var r = store.Verify();
            if (parse.GetValue(json))
                context.Out.WriteLine(JsonSerializer.Serialize(new { ok = r.Ok, objects = r.Objects, versions = r.Versions, bases = r.Bases, problems = r.Problems }));
            else
            {
                foreach (var p in r.Problems) context.Out.WriteLine($"problem: {p}");
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"verify: {Plural.Of(r.Objects, "object")}, {Plural.Of(r.Versions, "version")}, {Plural.Of(r.Bases, "base")}: {(r.Ok ? "ok" : Plural.Of(r.Problems.Count, "problem"))}"));
            }
            return r.Ok ? 0 : CadreCli.UserError;
        });
        return command;
    }
}
