using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Models.Import;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre embed --base NAME [--json] [TEXT...] [--input FILE]</c>.</summary>
internal static class EmbedCommand
{
    public static Command Create(CliContext context)
    {
        var baseName = new Option<string>("--base") { Description = "The base to embed with.", DefaultValueFactory = _ => "use-lite" };
        var json = new Option<bool>("--json") { Description = "One JSON object per line: {\"text\": ..., \"embedding\": [...]}." };
        var input = new Option<string?>("--input") { Description = "A file with one text per line ('-' for standard input)." };
        var batch = new Option<int>("--batch-size") { Description = "Texts per forward pass.", DefaultValueFactory = _ => 64 };
        var texts = new Argument<string[]>("text") { Description = "Texts to embed.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("embed", "Print sentence embeddings from a base model.") { baseName, json, input, batch, texts };
        command.SetAction(parse =>
        {
            var all = TextInputs.Read(parse.GetValue(texts), parse.GetValue(input));
            if (parse.GetValue(batch) < 1)
                throw new CadreException("--batch-size: must be at least 1");
            using var encoder = BaseModels.LoadEncoder(new BaseCatalog(context.Home), parse.GetRequiredValue(baseName));
            var vectors = encoder.Embed(all, parse.GetValue(batch));
            for (var i = 0; i < all.Count; i++)
            {
                if (parse.GetValue(json))
                    context.Out.WriteLine(JsonSerializer.Serialize(new { text = all[i], embedding = vectors[i] }));
                else
                    context.Out.WriteLine(all[i].Replace('\t', ' ') + "\t" + string.Join(' ', vectors[i].Select(v => v.ToString("G6", CultureInfo.InvariantCulture))));
            }
            return 0;
        });
        return command.WithExamples(
            "cadre embed --base use-lite \"some text\" \"more text\"",
            "cadre embed --base use-lite --json --input FILE");
    }
}
