using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Specialists;
using Cadre.Util;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre specialist list|show</c>.</summary>
internal static class SpecialistCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("specialist", "List and inspect trained specialists.");
        var list = new Command("list", "List trained specialists.");
        list.SetAction(parse =>
        {
            var records = new SpecialistCatalog(context.Home).List();
            if (records.Count == 0)
                context.Out.WriteLine("no specialists yet (cadre train cadre.yaml)");
            foreach (var r in records)
            {
                if (r.Tasks is { } tasks)
                {
                    context.Out.WriteLine($"{r.Name,-20} {r.Method,-6} {r.Base.Name,-12} {"merged",-14} {tasks.Count,4} tasks   {r.Merge?.Method} of {string.Join(", ", tasks.Select(t => t.Name))}");
                    continue;
                }
                var m = r.Metrics.TryGetValue("test", out var t) ? ("test", t) : ("validation", r.Metrics["validation"]);
                var (metric, value) = MetricText.Headline(m.Item2);
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Name,-20} {r.Method,-6} {r.Base.Name,-12} {r.Task,-14} {r.Labels.Count,4} labels  {m.Item1} {metric} {value:F4}"));
            }
            return 0;
        });
        var name = new Argument<string>("name") { Description = "The specialist: NAME, or NAME@REV for another version than HEAD." };
        var json = new Option<bool>("--json") { Description = "Print cadre.json." };
        var show = new Command("show", "Show a specialist: base, labels, metrics, data, training.") { name, json };
        show.WithExamples("cadre specialist show NAME --json");
        show.SetAction(parse =>
        {
            var at = Store.VersionSpec.Parse(parse.GetRequiredValue(name));
            var catalog = new SpecialistCatalog(context.Home);
            var r = catalog.Get(at.Name, at.Rev);
            if (parse.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(r, SpecialistCatalog.Json));
                return 0;
            }
            context.Out.WriteLine($"name:     {r.Name} ({r.Task}, {r.Method})");
            var shown = catalog.Store.Resolve(at);
            var head = HeadState.Describe(catalog.Store, at.Name);
            context.Out.WriteLine($"version:  {shown.Number} ({shown.ShortId})" + (head is null ? "" : at.Rev is null ? $", {head}" : $"; HEAD: {head}"));
            context.Out.WriteLine($"base:     {r.Base.Name} ({r.Base.Architecture}, content {r.Base.ContentHash[..12]})");
            if (r.Merge is { } merge)
                context.Out.WriteLine($"merge:    {merge.Method} ({string.Join(", ", merge.Parameters.Select(p => $"{p.Key} {p.Value}"))}) of "
                    + string.Join(", ", merge.Inputs.Select(i => string.Create(CultureInfo.InvariantCulture, $"{i.Name} (weight {i.Weight:G4}, {i.ContentHash[..12]})")))
                    + (merge.ReconstructionError is { } e ? string.Create(CultureInfo.InvariantCulture, $"; rank {merge.Rank}, reconstruction error {e["total"]:F4}") : ""));
            foreach (var task in r.TaskList)
            {
                var indent = r.Tasks is null ? "" : "  ";
                if (r.Tasks is not null)
                    context.Out.WriteLine($"task:     {task.Name} ({task.Task})");
                context.Out.WriteLine($"{indent}labels:   {string.Join(", ", task.Labels)}");
                foreach (var (split, m) in task.Metrics)
                    context.Out.WriteLine($"{indent}{split + ":",-10}{MetricText.Line(m)}");
                foreach (var (split, d) in task.Data)
                    context.Out.WriteLine($"{indent}{split + ":",-10}{d.File} ({Plural.Of(d.Rows, "row")}, sha256 {d.Sha256[..12]})");
            }
            context.Out.WriteLine("training: " + string.Join(", ", r.Training.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value}"))));
            return 0;
        });
        var exportName = new Argument<string>("name") { Description = "The specialist: NAME, or NAME@REV for another version than HEAD." };
        var output = new Option<string>("--output", "-o") { Description = "The folder to write.", Required = true };
        var export = new Command("export", "Write a specialist as a PEFT-compatible folder (adapter_config.json, adapter_model.safetensors) with its head, labels and cadre.json.") { exportName, output };
        export.SetAction(parse =>
        {
            var target = parse.GetRequiredValue(output);
            var at = Store.VersionSpec.Parse(parse.GetRequiredValue(exportName));
            var files = SpecialistTransfer.Export(context.Home, at.Name, target, at.Rev);
            context.Out.WriteLine($"exported to {target}: {string.Join(", ", files)}");
            return 0;
        });
        var folder = new Argument<string>("folder") { Description = "A folder written by 'cadre specialist export'." };
        var rename = new Option<string?>("--name") { Description = "Store under this name instead of the one in cadre.json." };
        var newVersion = new Option<bool>("--new-version") { Description = "Record the folder as the next version of an existing specialist of that name." };
        var import = new Command("import", "Import an exported specialist folder.") { folder, rename, newVersion };
        import.SetAction(parse =>
        {
            var record = SpecialistTransfer.Import(context.Home, parse.GetRequiredValue(folder), parse.GetValue(rename), parse.GetValue(newVersion));
            context.Out.WriteLine($"imported specialist '{record.Name}' ({record.Method} on base '{record.Base.Name}', {Plural.Of(record.Labels.Count, "label")})");
            if (!new Store.BaseCatalog(context.Home).List().Any(b => b.Name == record.Base.Name))
                context.Out.WriteLine($"note: base '{record.Base.Name}' is not imported here yet; import it before predicting (cadre base import ... --name {record.Base.Name})");
            return 0;
        });
        command.Add(list);
        command.Add(show);
        command.Add(export);
        command.Add(import);
        return command;
    }
}
