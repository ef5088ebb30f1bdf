using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Specialists;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre diff NAME@A [NAME@B] [--json] [--all]</c>: what changed, tensor by tensor.</summary>
internal static class DiffCommand
{
    public static Command Create(CliContext context)
    {
        var from = new Argument<string>("from") { Description = "NAME@REV to compare from (alone: compared with its parent)." };
        var to = new Argument<string?>("to") { Description = "NAME@REV to compare to.", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print {\"tensors\": [...], \"lora_sites\": [...], \"files\": [...]} (a changed JSON file lists its changed keys)." };
        var all = new Option<bool>("--all") { Description = "List unchanged tensors too." };
        var command = new Command("diff", "Compare two versions tensor by tensor: status, shape, L2 norm of the change, relative change, cosine; for LoRA, the rank of the change; for JSON files (settings, labels), the keys that changed.") { from, to, json, all };
        command.SetAction(parse =>
        {
            var store = new SpecialistCatalog(context.Home).Store;
            var a = store.Resolve(VersionSpec.Parse(parse.GetRequiredValue(from)));
            VersionInfo b;
            if (parse.GetValue(to) is { } other) b = store.Resolve(VersionSpec.Parse(other));
            else
            {
                b = a;
                a = a.Record.Parents.Count > 0 ? store.ReadVersion(a.Record.Parents[0])
                    : throw new CadreException($"{a.Name}@{a.Number} has no parent; name the version to compare with");
            }
            var report = ManifestDiff.Compare(store.Objects, store.ReadManifest(a), store.ReadManifest(b));
            if (parse.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    from = new { name = a.Name, number = a.Number, id = a.Id },
                    to = new { name = b.Name, number = b.Number, id = b.Id },
                    tensors = report.Tensors, lora_sites = report.LoraSites, files = report.Files,
                }, DiffReport.Json));
                return 0;
            }
            context.Out.WriteLine($"diff {a.Name}@{a.Number} ({a.ShortId}) -> {b.Name}@{b.Number} ({b.ShortId})");
            Print(context.Out, report, parse.GetValue(all));
            return 0;
        });
        return command.WithExamples(
            "cadre diff NAME@1 NAME@2",
            "cadre diff NAME@2 --json");
    }

    internal static void Print(TextWriter output, DiffReport report, bool all)
    {
        var ci = CultureInfo.InvariantCulture;
        static string Shape(long[]? s) => s is null ? "-" : "[" + string.Join(", ", s) + "]";
        static string Num(double? v) => v is { } x ? x.ToString("G4", CultureInfo.InvariantCulture) : "-";
        foreach (var f in report.Files.Where(f => all || f.Status != "unchanged"))
        {
            output.WriteLine(string.Create(ci, $"{f.Status,-9} file   {f.Path} ({f.SizeFrom?.ToString("N0", ci) ?? "-"} -> {f.SizeTo?.ToString("N0", ci) ?? "-"} bytes)"));
            foreach (var k in f.Keys ?? [])
                output.WriteLine($"                 {k.Key}: {k.From ?? "(absent)"} -> {k.To ?? "(absent)"}");
            if (f.KeysOmitted is { } more)
                output.WriteLine(string.Create(ci, $"                 ... and {more:N0} more changed keys"));
        }
        foreach (var t in report.Tensors.Where(t => all || t.Status != "unchanged"))
        {
            var shape = t.ShapeFrom is not null && t.ShapeTo is not null && !t.ShapeFrom.SequenceEqual(t.ShapeTo)
                ? $"{Shape(t.ShapeFrom)} -> {Shape(t.ShapeTo)}" : Shape(t.ShapeTo ?? t.ShapeFrom);
            var stats = t.Status == "changed" && t.L2 is not null ? $"  l2 {Num(t.L2)}  relative {Num(t.Relative)}  cosine {Num(t.Cosine)}" : "";
            output.WriteLine($"{t.Status,-9} tensor {t.File}:{t.Name} {t.DType} {shape}{stats}");
        }
        foreach (var s in report.LoraSites.Where(s => all || s.Status != "unchanged"))
            output.WriteLine(string.Create(ci, $"{s.Status,-9} lora   {s.Site} r {s.RankFrom?.ToString(ci) ?? "-"} -> {s.RankTo?.ToString(ci) ?? "-"}  change: l2 {Num(s.L2)}  rank {s.Rank}  effective rank {s.EffectiveRank:F2}"));
        var counts = report.Tensors.GroupBy(t => t.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
        output.WriteLine($"tensors: {string.Join(", ", counts)}");
    }
}
