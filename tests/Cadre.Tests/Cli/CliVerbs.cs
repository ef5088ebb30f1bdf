namespace Cadre.Tests.Cli;

/// <summary>Every verb the CLI offers; the help test walks them all.</summary>
internal static class CliVerbs
{
    public static readonly string[] All =
    [
        "base", "base import", "base list", "base show", "embed", "generate", "quickstart", "train", "predict", "eval", "specialist", "specialist list", "specialist show", "specialist export", "specialist import",
        "router", "router build", "router list", "router show", "router remove", "route", "route rank", "ask", "suite", "suite run",
        "bench", "bench matmul", "bench embed", "bench specialists", "bench train",
    ];
}
