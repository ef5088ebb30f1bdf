using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Util;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre show NAME[@REV] [--json]</c>: one version: its record, files, tensors and metrics.</summary>
internal static class ShowCommand
{
    public static Command Create(CliContext context)
    {
        var spec = new Argument<string>("version") { Description = "NAME@REV (REV: a version number, tag, branch or id prefix; default HEAD)." };
        var json = new Option<bool>("--json") { Description = "Print the version record, its manifest and cadre.json." };
        var command = new Command("show", "Show one version of a specialist.") { spec, json };
        command.SetAction(parse =>
        {
            var catalog = new SpecialistCatalog(context.Home);
            var at = VersionSpec.Parse(parse.GetRequiredValue(spec));
            var (record, version) = catalog.GetVersion(at.Name, at.Rev);
            var manifest = catalog.Store.ReadManifest(version);
            if (parse.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new { id = version.Id, version = version.Record, manifest, specialist = record },
                                                               SpecialistCatalog.Json));
                return 0;
            }
            var ci = CultureInfo.InvariantCulture;
            context.Out.WriteLine($"version {version.Number} of {version.Name}  {version.Id}");
            context.Out.WriteLine($"parents:  {(version.Record.Parents.Count == 0 ? "(none)" : string.Join(", ", version.Record.Parents.Select(p => p[..12])))}");
            context.Out.WriteLine($"base:     {version.Record.Base.Name} ({version.Record.Base.Architecture}, content {version.Record.Base.ContentHash[..12]})");
            context.Out.WriteLine($"created:  {version.Record.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss zzz", ci)}");
            context.Out.WriteLine($"message:  {version.Record.Message}");
            if (LogCommand.Decorations(catalog.Store, version.Name).TryGetValue(version.Id, out var refs))
                context.Out.WriteLine($"refs:     {string.Join(", ", refs)}");
            if (HeadState.Describe(catalog.Store, version.Name) is { } head)
                context.Out.WriteLine($"HEAD:     {head}");
            context.Out.WriteLine($"task:     {record.Task}, {record.Method}, {Plural.Of(record.Labels.Count, "label")}");
            foreach (var (split, m) in record.Metrics)
                context.Out.WriteLine($"{split + ":",-10}{MetricText.Line(m)}");
            foreach (var f in manifest.Files)
                context.Out.WriteLine(string.Create(ci, $"file:     {f.Path} ({f.Size:N0} bytes{(f.Tensors is { } t ? $", {Plural.Of(t.Count, "tensor")}" : "")})"));
            return 0;
        });
        return command;
    }
}
