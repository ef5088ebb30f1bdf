using System.Text.RegularExpressions;

namespace Cadre.Hub;

/// <summary>
/// A model repository on the Hub, <c>ORG/NAME</c> (or a bare <c>NAME</c>, the Hub's oldest repositories), checked as
/// huggingface_hub checks one before any request: letters, digits, '-', '_' and '.', at most 96 characters, no
/// "--" or "..", not ending in ".git". Its cache folder is <c>models--ORG--NAME</c>.
/// </summary>
public sealed partial record HubRepoId
{
    private HubRepoId(string id) => Id = id;

    public string Id { get; }

    /// <summary>The repository's last part (NAME of ORG/NAME).</summary>
    public string Name => Id[(Id.IndexOf('/') + 1)..];

    /// <summary>The folder of the repository in the hub cache.</summary>
    public string CacheFolderName => "models--" + Id.Replace("/", "--", StringComparison.Ordinal);

    public static HubRepoId Parse(string id)
    {
        if (id.Length is 0 or > 96 || !Pattern().IsMatch(id) || id.Contains("--", StringComparison.Ordinal)
            || id.Contains("..", StringComparison.Ordinal) || id.EndsWith(".git", StringComparison.Ordinal))
            throw new CadreException($"'{CadreException.Shown(id)}' is not a Hugging Face model id: expected ORG/NAME "
                + "(letters, digits, '-', '_' and '.'; at most 96 characters), e.g. sentence-transformers/all-MiniLM-L6-v2");
        return new HubRepoId(id);
    }

    public override string ToString() => Id;

    [GeneratedRegex(@"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?/)?[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")]
    private static partial Regex Pattern();
}
