using System.CommandLine;
using Cadre.Specialists;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre branch NAME[@REV] [NEW]</c>, <c>cadre branch NAME -d BRANCH</c>; <c>cadre tag NAME[@REV] [TAG] [--force]</c>,
/// <c>cadre tag NAME -d TAG</c>: list, create and delete branches and tags of a specialist.
/// </summary>
internal static class BranchCommand
{
    public static Command Create(CliContext context) => Build(context, tags: false);

    public static Command CreateTag(CliContext context) => Build(context, tags: true);

    private static Command Build(CliContext context, bool tags)
    {
        var what = tags ? "tag" : "branch";
        var spec = new Argument<string>("specialist") { Description = $"NAME, or NAME@REV: where a new {what} points (default HEAD)." };
        var newName = new Argument<string?>(what) { Description = $"The {what} to create; without it, list them.", Arity = ArgumentArity.ZeroOrOne };
        var delete = new Option<string?>("--delete", "-d") { Description = $"Delete this {what}." };
        var force = new Option<bool>("--force") { Description = "Move an existing tag." };
        var command = new Command(what, tags ? "List, create or delete tags of a specialist." : "List, create or delete branches of a specialist.") { spec, newName, delete };
        if (tags) command.Add(force);
        command.SetAction(parse =>
        {
            var catalog = new SpecialistCatalog(context.Home);
            var store = catalog.Store;
            var at = VersionSpec.Parse(parse.GetRequiredValue(spec));
            catalog.Contains(at.Name);
            if (parse.GetValue(delete) is { } gone)
            {
                if (tags) store.DeleteTag(at.Name, gone); else store.DeleteBranch(at.Name, gone);
                context.Out.WriteLine($"{at.Name}: deleted {what} {gone}");
                return 0;
            }
            if (parse.GetValue(newName) is { } created)
            {
                var version = store.Resolve(at);
                if (tags) store.CreateTag(at.Name, created, version, parse.GetValue(force));
                else store.CreateBranch(at.Name, created, version);
                context.Out.WriteLine($"{at.Name}: {what} {created} at version {version.Number} ({version.ShortId})");
                return 0;
            }
            store.Resolve(at.Name, null); // unknown names say so
            var current = store.CurrentBranch(at.Name);
            foreach (var (name, id) in tags ? store.Tags(at.Name) : store.Branches(at.Name))
            {
                var v = store.ReadVersion(id);
                context.Out.WriteLine($"{(name == current && !tags ? "*" : " ")} {name,-24} version {v.Number} ({v.ShortId})");
            }
            return 0;
        });
        return command;
    }
}
