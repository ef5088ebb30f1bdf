using System.CommandLine;
using System.Globalization;
using Cadre.Specialists;
using Cadre.Training;
using Cadre.Training.Spec;

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
        var command = new Command("train", "Train the specialists declared in a spec.") { spec, only, resume };
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
                var bar = new ProgressBar(context);
                var options = new TrainOptions
                {
                    Log = line => context.Out.WriteLine(line),
                    OnStep = bar.Show,
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
                    context.Error.WriteLine($"interrupted: checkpoint saved in {trainer.CheckpointFolder(s.Name)}; continue with: cadre train {parse.GetRequiredValue(spec)} --only {s.Name} --resume");
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
        return command;
    }

    /// <summary>One self-overwriting line on an interactive stderr: epoch, batch, loss and examples per second.</summary>
    private sealed class ProgressBar(CliContext context)
    {
        private const int Width = 24;
        private DateTime _last = DateTime.MinValue;
        private bool _shown;

        public void Show(StepProgress p)
        {
            if (!context.Interactive || (DateTime.UtcNow - _last).TotalMilliseconds < 250 && p.Batch < p.Batches) return;
            _last = DateTime.UtcNow;
            var filled = (int)((long)Width * p.Batch / Math.Max(1, p.Batches));
            context.Error.Write(string.Create(CultureInfo.InvariantCulture,
                $"\repoch {p.Epoch}/{p.Epochs} [{new string('#', filled)}{new string('.', Width - filled)}] {p.Batch}/{p.Batches}  loss {p.Loss:F4}  {p.ExamplesPerSecond:F0} ex/s "));
            _shown = true;
        }

        public void Clear()
        {
            if (!_shown) return;
            context.Error.Write("\r" + new string(' ', 100) + "\r");
            _shown = false;
        }
    }
}
