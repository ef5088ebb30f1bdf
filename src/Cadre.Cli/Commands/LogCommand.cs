using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Specialists;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre log NAME[@REV] [-n N] [--json]</c>: a specialist's versions, newest first.</summary>
internal static class LogCommand
{
    public static Command Create(CliContext context)
    {
        var spec = new Argument<string>("specialist") { Description = "NAME or NAME@REV (REV: a version number, tag, branch or id prefix; default HEAD)." };
        var count = new Option<int?>("--max-count", "-n") { Description = "Show at most this many versions." };
        var json = new Option<bool>("--json") { Description = "One JSON object per version." };
        var command = new Command("log", "Show a specialist's versions, newest first.") { spec, count, json };
        command.SetAction(parse =>
        {
            var catalog = new SpecialistCatalog(context.Home);
            var store = catalog.Store;
            var at = VersionSpec.Parse(parse.GetRequiredValue(spec));
            catalog.Contains(at.Name); // migrates folders of earlier releases
            var versions = store.Log(store.Resolve(at), parse.GetValue(count) ?? int.MaxValue);
            var decorations = Decorations(store, at.Name);
            if (!parse.GetValue(json) && store.CurrentBranch(at.Name) is null && HeadState.Describe(store, at.Name) is { } detached)
                context.Out.WriteLine($"{at.Name}: {detached}");
            foreach (var v in versions)
            {
                var created = v.Record.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                if (parse.GetValue(json))
                {
                    context.Out.WriteLine(JsonSerializer.Serialize(new
                    {
                        number = v.Number, id = v.Id, parents = v.Record.Parents, message = v.Record.Message,
                        created_at = v.Record.CreatedAt, refs = decorations.GetValueOrDefault(v.Id, []),
                    }));
                    continue;
                }
                var refs = decorations.TryGetValue(v.Id, out var d) ? $"  ({string.Join(", ", d)})" : "";
                context.Out.WriteLine($"version {v.Number}  {v.ShortId}  {created}{refs}");
                context.Out.WriteLine($"    {v.Record.Message}");
            }
            return 0;
        });
        return command.WithExamples(
            "cadre log NAME",
            "cadre log NAME@main --json");
    }

    /// <summary>Per version id: "HEAD -> main" (or "HEAD detached"), branch names, "tag: v1".</summary>
    internal static Dictionary<string, List<string>> Decorations(CadreStore store, string name)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string id, string label) => (result.TryGetValue(id, out var l) ? l : result[id] = []).Add(label);
        var current = store.CurrentBranch(name);
        var head = store.Head(name);
        if (head is not null && current is null) Add(head.Id, "HEAD detached");
        foreach (var (branch, id) in store.Branches(name))
            Add(id, branch == current ? $"HEAD -> {branch}" : branch);
        foreach (var (tag, id) in store.Tags(name))
            Add(id, $"tag: {tag}");
        return result;
    }
}
