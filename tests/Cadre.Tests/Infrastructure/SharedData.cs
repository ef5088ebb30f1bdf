namespace Cadre.Tests.Infrastructure;

/// <summary>
/// Locates the real models and data sets in <c>../shared</c> (beside the repository root), or where
/// <c>CADRE_SHARED</c> points. Tests that need them call <see cref="Require"/>, which skips with a visible reason
/// on a fresh clone where the folder is absent.
/// </summary>
public static class SharedData
{
    public static string? Root { get; } = Find();

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Returns the absolute path of <paramref name="relative"/> inside shared/, or skips the test.</summary>
    public static string Require(string relative)
    {
        if (Root is null)
            Assert.Skip($"needs ../shared/{relative}: no shared folder beside the repository (set CADRE_SHARED)");
        var path = Path.Combine(Root, relative);
        if (!File.Exists(path) && !Directory.Exists(path))
            Assert.Skip($"needs {path}, which is absent");
        return path;
    }

    private static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("CADRE_SHARED");
        if (!string.IsNullOrEmpty(fromEnv))
            return Directory.Exists(fromEnv) ? Path.GetFullPath(fromEnv) : null;
        var beside = Path.Combine(FindRepositoryRoot(), "..", "shared");
        return Directory.Exists(beside) ? Path.GetFullPath(beside) : null;
    }

    internal static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cadre.slnx")))
                return dir.FullName;
        throw new InvalidOperationException("Cadre.slnx not found above " + AppContext.BaseDirectory);
    }
}
