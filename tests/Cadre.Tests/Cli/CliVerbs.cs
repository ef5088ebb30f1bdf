namespace Cadre.Tests.Cli;

/// <summary>Every verb the CLI offers; the help test walks them all.</summary>
internal static class CliVerbs
{
    public static readonly string[] All =
    [
        "base", "base import", "base list", "base show", "embed", "generate", "quickstart", "train", "predict", "eval", "specialist", "specialist list", "specialist show", "specialist export", "specialist import", "merge",
        "data", "data check", "data curate", "data undo",
        "bench", "bench matmul", "bench embed", "bench specialists", "bench train", "bench store", "bench data", "bench label-noise", "bench merge", "bench serve-external",
        "log", "show", "diff", "checkout", "branch", "tag", "gc", "verify", "bundle", "bundle create", "bundle apply", "push", "pull",
        "git", "git install", "git ls-files", "git prune", "git filter-process", "git clean", "git smudge", "git textconv", "git diff-driver", "git merge-driver",
        "router", "router build", "router list", "router show", "router remove", "route", "route rank", "ask", "suite", "suite run", "serve",
    ];
}
