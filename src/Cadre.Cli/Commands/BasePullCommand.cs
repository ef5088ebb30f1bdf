using System.CommandLine;
using System.Globalization;
using Cadre.Hub;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre base pull ORG/NAME</c>: a base from the Hugging Face Hub, through the cache huggingface_hub shares (docs/hub.md).</summary>
internal static class BasePullCommand
{
    public static Command Create(CliContext context)
    {
        var repo = new Argument<string>("repository") { Description = "The model's id on the Hub, ORG/NAME, e.g. sentence-transformers/all-MiniLM-L6-v2." };
        var revision = new Option<string?>("--revision") { Description = "A branch, tag or commit (default: main); a pull request is refs/pr/N." };
        var name = new Option<string?>("--name") { Description = "The name to store the base under (default: NAME in lower case)." };
        var force = new Option<bool>("--force") { Description = "Replace an existing base of the same name." };
        var command = new Command("pull", "Download a model from the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HUB_OFFLINE as huggingface_hub reads them) and import it as a base.")
        {
            repo, revision, name, force,
        };
        command.SetAction((parse, cancel) =>
        {
            var settings = HubSettings.FromEnvironment(Environment.GetEnvironmentVariable);
            var progress = ProgressReporter.For(context);
            var catalog = new BaseCatalog(context.Home) { Progress = progress };
            HubSnapshot snapshot;
            BaseRecord record;
            try
            {
                (snapshot, record) = HubBaseImport.Run(catalog, settings, parse.GetRequiredValue(repo), parse.GetValue(revision),
                    parse.GetValue(name), parse.GetValue(force), progress, cancel);
            }
            catch (OperationCanceledException)
            {
                progress.Clear();
                context.Error.WriteLine($"interrupted: what was downloaded stays in {settings.Cache} (as blobs/*.incomplete); the same command resumes it");
                return Task.FromResult(TrainCommand.Interrupted);
            }
            progress.Clear();
            var reused = snapshot.Files.Count - snapshot.Downloaded;
            var how = snapshot.CacheOnly is { } why
                ? $"from the cache only ({why})"
                : string.Create(CultureInfo.InvariantCulture, $"{snapshot.Downloaded} downloaded ({snapshot.DownloadedBytes / 1048576.0:N1} MiB), {reused} already cached");
            context.Out.WriteLine($"pulled {snapshot.Repo} at {snapshot.Commit[..12]} (revision {snapshot.Revision}): {snapshot.Files.Count} files, {how}; in {snapshot.Folder}");
            context.Out.WriteLine($"imported base '{record.Name}': {record.Architecture}, {record.ParameterCount:N0} parameters, content {record.ContentHash[..12]}");
            return Task.FromResult(0);
        });
        return command.WithExamples(
            "cadre base pull sentence-transformers/all-MiniLM-L6-v2 --name minilm",
            "cadre base pull TinyLlama/TinyLlama-1.1B-Chat-v1.0 --revision main --name tinyllama");
    }
}
