namespace Cadre.Adapters;

/// <summary><c>adapter:</c> the parameter-efficient update trained on the frozen base.</summary>
public sealed record AdapterSpec
{
    /// <summary><c>head</c> (no adapter: a head on frozen features) and every method of <see cref="AdapterMethods"/>.</summary>
    public static IReadOnlyList<string> Methods => ["head", .. AdapterMethods.All.Select(m => m.Name)];

    /// <summary><c>head</c> | <c>lora</c> | <c>ia3</c> | <c>prompt</c> | <c>full</c>. Default <c>lora</c>.</summary>
    public string Method { get; init; } = "lora";
    /// <summary>LoRA rank. Default 8.</summary>
    public int R { get; init; } = 8;
    /// <summary>LoRA scale numerator (the update is scaled by alpha / r). Default 16.</summary>
    public double Alpha { get; init; } = 16;
    /// <summary>
    /// Dropout on the LoRA input. Default 0, as PEFT's: 0.1 scored the same on four tasks (docs/RESULTS.md) and
    /// drawing its masks made a LoRA step about 40 % slower on a CPU.
    /// </summary>
    public double Dropout { get; init; }
    /// <summary>Where adapters go: groups (<c>attention</c>, <c>ffn</c>, <c>all</c>) or site-name patterns. Default attention and ffn.</summary>
    public IReadOnlyList<string> Targets { get; init; } = ["attention", "ffn"];
    /// <summary>Soft prompt length for <c>prompt</c>. Default 20.</summary>
    public int PromptTokens { get; init; } = 20;
    /// <summary>Prompts at every layer (P-tuning v2) instead of the input only. Default false.</summary>
    public bool DeepPrompt { get; init; }
}
