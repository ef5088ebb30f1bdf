using System.CommandLine;
using Cadre.Specialists;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre checkout NAME@REV</c>: makes a version the one predict, eval and export use.</summary>
internal static class CheckoutCommand
{
    public static Command Create(CliContext context)
    {
        var spec = new Argument<string>("version") { Description = "NAME@REV: a branch (later training extends it), or a version number, tag or id prefix (HEAD detached there)." };
        var command = new Command("checkout", "Make a version of a specialist its current one (HEAD).") { spec };
        command.SetAction(parse =>
        {
            var catalog = new SpecialistCatalog(context.Home);
            var at = VersionSpec.Parse(parse.GetRequiredValue(spec));
            if (at.Rev is null) throw new CadreException($"give NAME@REV, e.g. {at.Name}@main or {at.Name}@1");
            catalog.Contains(at.Name);
            var previous = catalog.Store.CurrentBranch(at.Name);
            var version = catalog.Store.Checkout(at.Name, at.Rev);
            if (catalog.Store.CurrentBranch(at.Name) is { } branch)
                context.Out.WriteLine($"{at.Name}: on branch {branch} at version {version.Number} ({version.ShortId})");
            else
                foreach (var line in HeadState.Detached(catalog.Store, at.Name, version, previous))
                    context.Out.WriteLine(line);
            return 0;
        });
        return command;
    }
}
