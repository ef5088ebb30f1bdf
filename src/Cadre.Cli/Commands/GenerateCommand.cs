using System.CommandLine;
using Cadre.Models.Generation;
using Cadre.Models.Import;
using Cadre.Models.Llama;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre generate --base NAME [PROMPT] [--max-tokens N] [--greedy | --temperature T --top-p P --seed S]</c>.</summary>
internal static class GenerateCommand
{
    public static Command Create(CliContext context)
    {
        var baseName = new Option<string>("--base") { Description = "A Llama-family base.", Required = true };
        var prompt = new Argument<string>("prompt") { Description = "The prompt (empty: start from BOS).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "New tokens at most.", DefaultValueFactory = _ => 256 };
        var greedy = new Option<bool>("--greedy") { Description = "Always take the most likely token (temperature 0)." };
        var temperature = new Option<double?>("--temperature") { Description = "Sampling temperature (default 1.0; 0 is greedy)." };
        var topP = new Option<double?>("--top-p") { Description = "Nucleus sampling mass (default 0.9)." };
        var seed = new Option<ulong?>("--seed") { Description = "Seed for sampling; the same seed gives the same text." };
        var command = new Command("generate", "Generate text with a decoder base.") { baseName, prompt, maxTokens, greedy, temperature, topP, seed };
        command.SetAction(parse =>
        {
            if (parse.GetValue(greedy) && (parse.GetValue(temperature) is > 0 || parse.GetValue(topP) is not null || parse.GetValue(seed) is not null))
                throw new CadreException("--greedy cannot be combined with --temperature, --top-p or --seed");
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(greedy) ? 0 : parse.GetValue(temperature) ?? 1.0,
                TopP = parse.GetValue(topP) ?? 0.9,
                Seed = parse.GetValue(seed),
            };
            var errors = options.Validate();
            if (errors.Count > 0)
                throw new CadreException(string.Join("; ", errors));
            using var model = BaseModels.LoadDecoder(new BaseCatalog(context.Home), parse.GetRequiredValue(baseName));
            if (model is not LlamaModel llama)
                throw new CadreException("this base cannot generate text");
            llama.Generate(parse.GetValue(prompt) ?? "", options, piece =>
            {
                context.Out.Write(piece);
                context.Out.Flush();
            });
            context.Out.WriteLine();
            return 0;
        });
        return command;
    }
}
