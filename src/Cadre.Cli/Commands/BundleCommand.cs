using System.CommandLine;
using System.Globalization;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Store.Bundles;
using Cadre.Util;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre bundle create NAME@REV [--since REV] [--include-base] -o FILE</c>,
/// <c>cadre bundle apply FILE [--force] [--base-name NEW]</c>, <c>cadre push DEST NAME[@REV]</c>,
/// <c>cadre pull SOURCE NAME[@REV] [--base-name NEW]</c>: updates that travel.
/// </summary>
internal static class BundleCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("bundle", "Write or apply a bundle: a specialist's new versions and their tags, with only the objects the receiver lacks.");
        var spec = new Argument<string>("version") { Description = "NAME@REV: the version to bundle (default HEAD)." };
        var since = new Option<string?>("--since") { Description = "A version the receiver already has: only what came after it travels." };
        var withBase = new Option<bool>("--include-base") { Description = "Carry the base model too (for a receiver that lacks it)." };
        var output = new Option<string>("--output", "-o") { Description = "The bundle file to write.", Required = true };
        var create = new Command("create", "Write a bundle.") { spec, since, withBase, output };
        create.SetAction(parse =>
        {
            var store = new SpecialistCatalog(context.Home).Store;
            var at = VersionSpec.Parse(parse.GetRequiredValue(spec));
            var tip = store.Resolve(at);
            var from = parse.GetValue(since) is { } s ? store.Resolve(at.Name, s) : null;
            var summary = BundleWriter.Write(store, tip, from, parse.GetValue(withBase), parse.GetRequiredValue(output),
                                             branch: at.Rev is { } rev && store.Branches(at.Name).Any(b => b.Name == rev) ? rev : null);
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bundle {parse.GetRequiredValue(output)}: {Plural.Of(summary.Versions, "version")} of {summary.Specialist} up to {tip.Number}, {Plural.Of(summary.Objects, "object")}, {summary.Bytes:N0} bytes{(summary.WithBase ? ", with its base" : "")}{(summary.Tags.Count > 0 ? $", tags {string.Join(", ", summary.Tags)}" : "")}"));
            return 0;
        });
        var file = new Argument<string>("file") { Description = "A bundle written by 'cadre bundle create'." };
        var force = new Option<bool>("--force") { Description = "Move the branch even when it is not a fast-forward." };
        var baseName = BaseNameOption();
        var apply = new Command("apply", "Check a bundle whole, then add its versions (nothing changes if any check fails).") { file, force, baseName };
        apply.SetAction(parse =>
        {
            var store = new SpecialistCatalog(context.Home).Store;
            Print(context, BundleApplier.Apply(store, parse.GetRequiredValue(file), parse.GetValue(force), parse.GetValue(baseName)));
            return 0;
        });
        command.Add(create);
        command.Add(apply);
        return command;
    }

    private static Option<string?> BaseNameOption() => new("--base-name")
    {
        Description = "Add the base the bundle carries under this name (when a base of the bundle's base name here holds other content); the specialist finds it by content.",
    };

    public static Command Push(CliContext context) => Remote(context, push: true);

    public static Command Pull(CliContext context) => Remote(context, push: false);

    private static Command Remote(CliContext context, bool push)
    {
        var other = new Argument<string>(push ? "destination" : "source") { Description = "Another store: a CADRE_HOME folder or its store folder." };
        var spec = new Argument<string>("specialist") { Description = "NAME or NAME@REV (default HEAD)." };
        var force = new Option<bool>("--force") { Description = "Move the receiving branch even when it is not a fast-forward." };
        var command = new Command(push ? "push" : "pull", push
            ? "Send a specialist's versions (and its base, if missing there) to another store folder."
            : "Fetch a specialist's versions (and its base, if missing here) from another store folder, checking everything.") { other, spec, force };
        var baseName = BaseNameOption();
        command.Add(baseName);
        command.SetAction(parse =>
        {
            var here = new SpecialistCatalog(context.Home).Store;
            var path = parse.GetRequiredValue(other);
            if (!push && !Directory.Exists(path)) throw new CadreException($"{path}: no such folder");
            var there = new CadreStore(Remotes.HomeOf(path));
            var at = VersionSpec.Parse(parse.GetRequiredValue(spec));
            Print(context, push ? Remotes.Transfer(here, there, at, parse.GetValue(force), parse.GetValue(baseName))
                                : Remotes.Transfer(there, here, at, parse.GetValue(force), parse.GetValue(baseName)));
            return 0;
        });
        return command;
    }

    private static void Print(CliContext context, ApplyResult r)
    {
        context.Out.WriteLine($"{r.Specialist}: {Plural.Of(r.NewVersions, "new version")}, {Plural.Of(r.NewObjects, "new object")}; {r.Branch} at version {r.Tip.Number} ({r.Tip.ShortId}){(r.BaseAdded ? $"; base '{r.BaseName}' added" : "")}{(r.TagsAdded.Count > 0 ? $"; new tags {string.Join(", ", r.TagsAdded)}" : "")}");
        foreach (var w in r.Warnings)
            context.Error.WriteLine($"warning: {w}");
    }
}
