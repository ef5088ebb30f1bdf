using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;
using Cadre.Tests.Merge;

namespace Cadre.Tests.Serving;

/// <summary>
/// One CADRE_HOME for the serving tests: tiny-BERT specialists of every method that shares a base (LoRA at two
/// ranks, (IA)³, input and deep soft prompts of different lengths, a bare head), a full fine-tune that cannot
/// share it, a two-task merge, and a prototype router. Trained once (two epochs: the numbers only need to be
/// reproducible, not good).
/// </summary>
public sealed class ServedHome : IDisposable
{
    private readonly TempDir _home = new();
    private readonly TempDir _work = new();

    public static readonly string[] Shared =
        ["pets-lora", "colors-lora8", "pets-ia3", "colors-prompt", "pets-deep", "pets-prompt3", "colors-head"];

    public ServedHome()
    {
        Cli = new CliRunner(_home.Path);
        TwoTasks.Train(Cli, _work.Path,
            ("pets-lora", "pets", "method: lora, r: 4"), ("colors-lora8", "colors", "method: lora, r: 8, targets: [attention]"),
            ("pets-ia3", "pets", "method: ia3"), ("colors-prompt", "colors", "method: prompt, prompt_tokens: 2"),
            ("pets-deep", "pets", "method: prompt, prompt_tokens: 2, deep_prompt: true"),
            ("pets-prompt3", "pets", "method: prompt, prompt_tokens: 3"), ("colors-head", "colors", "method: head"),
            ("pets-full", "pets", "method: full"));
        Run("merge", "--method", "linear", "--inputs", "pets-lora,colors-lora8", "-o", "both-merged");
        Run("router", "build");
    }

    public CliRunner Cli { get; }
    public string Home => _home.Path;

    private void Run(params string[] args)
    {
        var r = Cli.Run(args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"cadre {string.Join(' ', args)}: {r.Error}{r.Out}");
    }

    public void Dispose()
    {
        _home.Dispose();
        _work.Dispose();
    }
}
