namespace Cadre;

/// <summary>Where Cadre keeps its data: <c>CADRE_HOME</c>, or <c>~/.cadre</c> when unset.</summary>
public static class CadreHome
{
    public const string EnvironmentVariable = "CADRE_HOME";

    public static string Resolve()
    {
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
            return Path.GetFullPath(fromEnv);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(home) ? Path.GetTempPath() : home, ".cadre");
    }
}
