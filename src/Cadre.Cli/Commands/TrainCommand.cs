using System.CommandLine;
using System.Globalization;
using Cadre.Specialists;
using Cadre.Training;
using Cadre.Specs;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre train cadre.yaml [--only NAME] [--resume]</c>: trains each specialist of a spec and stores it.</summary>
internal static class TrainCommand
{
    /// <summary>Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    public static Command Create(CliContext context)
    {
        var spec = new Argument<string>("spec") { Description = "The cadre.yaml that declares the specialists." };
        var only = new Option<string?>("--only") { Description = "Train only the specialist with this name." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run that Ctrl-C (or a crash) interrupted, from its checkpoint." };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Skip bad rows (and report them) instead of stopping; sets the spec's data.skip_invalid." };
        var command = new Command("train", "Train the specialists declared in a spec.") { spec, only, resume, skipInvalid };
        command.SetAction((parse, cancel) =>
        {
            var file = SpecFile.Load(parse.GetRequiredValue(spec));
            var name = parse.GetValue(only);
            var chosen = file.Specialists.Where(s => name is null || s.Name == name)
                .Select(s => parse.GetValue(skipInvalid) ? s with { Data = s.Data with { SkipInvalid = true } } : s).ToList();
            if (chosen.Count == 0)
                throw new CadreException($"no specialist '{name}' in {file.Path}; it declares: {string.Join(", ", file.Specialists.Select(s => s.Name))}");
            var trainer = new SpecialistTrainer(context.Home);
            foreach (var s in chosen)
            {
                context.Out.WriteLine($"== {s.Name}: {s.Adapter.Method} on {s.Base}");
                var bar = ProgressReporter.For(context);
                var options = new TrainOptions
                {
                    Log = line => { bar.Clear(); context.Out.WriteLine(line); },
                    Progress = bar,
                    OnEpoch = e =>
                    {
                        bar.Clear();
                        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"epoch {e.Epoch}: loss {e.Loss:F4}, validation {s.Training.MetricFor(s.Task)} {e.Metric:F4}, {e.ExamplesPerSecond:F0} examples/s"));
                    },
                    Resume = parse.GetValue(resume),
                };
                TrainOutcome outcome;
                try
                {
                    outcome = trainer.Train(s, options, cancel);
                }
                catch (TrainingNotStoredException e)
                {
                    bar.Clear();
                    throw new CadreException($"{e.Message}; store it (no training again) with: cadre train {parse.GetRequiredValue(spec)} --only {s.Name} --resume");
                }
                catch (OperationCanceledException)
                {
                    bar.Clear();
                    context.Error.WriteLine($"interrupted: checkpoint saved in {trainer.CheckpointFolder(s.Name)}; continue with: cadre train {parse.GetRequiredValue(spec)} --only {s.Name} --resume{(parse.GetValue(skipInvalid) ? " --skip-invalid" : "")}");
                    return Task.FromResult(Interrupted);
                }
                if (outcome.Resumed)
                    context.Out.WriteLine("(resumed from checkpoint)");
                foreach (var (split, m) in outcome.Record.Metrics)
                    context.Out.WriteLine($"{split}: {MetricText.Line(m)}");
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"stored specialist '{s.Name}' version {outcome.Version.Number} ({outcome.Version.ShortId}; best epoch {outcome.Record.Training["best_epoch"]}, {outcome.Record.Training["trainable_parameters"]:N0} trainable parameters); try: cadre predict {s.Name} \"some text\""));
            }
            return Task.FromResult(0);
        });
        return command.WithExamples(
            "cadre train cadre.yaml",
            "cadre train cadre.yaml --only NAME --skip-invalid");
    }

}
