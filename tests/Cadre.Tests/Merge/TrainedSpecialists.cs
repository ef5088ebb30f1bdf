using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Merge;

/// <summary>
/// One CADRE_HOME with tiny-BERT specialists trained once for all merge tests: LoRA for both tasks, and (IA)³, a soft
/// prompt and a head for the pets task. Tests merge them under names of their own.
/// </summary>
public sealed class TrainedSpecialists : IDisposable
{
    private readonly TempDir _home = new();
    private readonly TempDir _work = new();

    public TrainedSpecialists()
    {
        Cli = new CliRunner(_home.Path);
        TwoTasks.Train(Cli, _work.Path,
            ("pets-lora", "pets", "method: lora, r: 4"), ("colors-lora", "colors", "method: lora, r: 4"),
            ("pets-ia3", "pets", "method: ia3"), ("colors-ia3", "colors", "method: ia3"),
            ("pets-prompt", "pets", "method: prompt, prompt_tokens: 2"), ("colors-head", "colors", "method: head"));
    }

    public CliRunner Cli { get; }
    public string Home => _home.Path;
    public string Work => _work.Path;

    public string Data(string file) => Path.Combine(_work.Path, file);

    public void Dispose()
    {
        _home.Dispose();
        _work.Dispose();
    }
}
