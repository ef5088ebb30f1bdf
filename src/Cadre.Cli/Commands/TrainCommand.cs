using System.CommandLine;
using System.Globalization;
using Cadre.Training;
using Cadre.Training.Spec;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre train cadre.yaml [--only NAME]</c>: trains each specialist of a spec and stores it.</summary>
internal static class TrainCommand
{
    public static Command Create(CliContext context)
    {
        var spec = new Argument<string>("spec") { Description = "The cadre.yaml that declares the specialists." };
        var only = new Option<string?>("--only") { Description = "Train only the specialist with this name." };
        var command = new Command("train", "Train the specialists declared in a spec.") { spec, only };
        command.SetAction((parse, cancel) =>
        {
            var file = SpecFile.Load(parse.GetRequiredValue(spec));
            var name = parse.GetValue(only);
            var chosen = file.Specialists.Where(s => name is null || s.Name == name).ToList();
            if (chosen.Count == 0)
                throw new CadreException($"no specialist '{name}' in {file.Path}; it declares: {string.Join(", ", file.Specialists.Select(s => s.Name))}");
            var trainer = new SpecialistTrainer(context.Home);
            foreach (var s in chosen)
            {
                context.Out.WriteLine($"== {s.Name}: {s.Adapter.Method} on {s.Base}");
                var outcome = trainer.Train(s, line => context.Out.WriteLine(line), e => context.Out.WriteLine(
                    string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}: loss {e.Loss:F4}, validation {s.Training.Metric} {e.Metric:F4}, {e.ExamplesPerSecond:F0} examples/s")), cancel);
                foreach (var (split, m) in outcome.Record.Metrics)
                    context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{split}: accuracy {m.Accuracy:F4}, macro-F1 {m.MacroF1:F4}, ECE {m.Ece:F4} ({m.Count} rows)"));
                context.Out.WriteLine($"stored specialist '{s.Name}' (best epoch {outcome.Record.Training["best_epoch"]}); try: cadre predict {s.Name} \"some text\"");
            }
            return Task.FromResult(0);
        });
        return command;
    }
}
