using Cadre.Models.Import;
using Cadre.Store;
using Cadre.Util;

namespace Cadre.Hub;

/// <summary>
/// <c>cadre base pull ORG/NAME</c>: the repository's files into the hub cache (<see cref="HubPull"/>), then the
/// import <c>cadre base import</c> does, from a folder of links to exactly the pulled files (a snapshot folder may
/// hold more, downloaded by Python for other uses). The base records <c>hf:ORG/NAME@COMMIT</c> as its source.
/// </summary>
public static class HubBaseImport
{
    /// <summary>The base name a repository gets without --name: its NAME, in lower case (base names are).</summary>
    public static string DefaultName(string repoId) => HubRepoId.Parse(repoId).Name.ToLowerInvariant();

    public static (HubSnapshot Snapshot, BaseRecord Base) Run(BaseCatalog catalog, HubSettings settings, string repoId, string? revision,
        string? name, bool replace, IProgress<ProgressUpdate>? progress, CancellationToken cancel)
    {
        name ??= DefaultName(repoId);
        // Before any download: a name that cannot be stored would waste it.
        BaseCatalog.ValidateName(name);
        if (!replace && catalog.Contains(name))
            throw new CadreException($"base '{name}' already exists (use --force to replace it, or --name to give another)");
        var snapshot = HubPull.Pull(settings, repoId, revision, progress, cancel);
        using var view = StagingLease.Create(catalog.Home, "hub");
        foreach (var file in snapshot.Files)
        {
            var link = Path.Combine([view.Path, .. file.Split('/')]);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, Path.Combine([snapshot.Folder, .. file.Split('/')]));
        }
        var shown = $"{snapshot.Repo}@{snapshot.Commit[..12]}";
        try
        {
            var record = BaseImporter.ImportPath(catalog, view.Path, name, replace, source: $"hf:{snapshot.Repo}@{snapshot.Commit}");
            return (snapshot, record);
        }
        catch (CadreException e) when (e.Message.Contains(view.Path, StringComparison.Ordinal))
        {
            throw new CadreException(e.Message.Replace(view.Path, shown, StringComparison.Ordinal), e);
        }
    }
}
