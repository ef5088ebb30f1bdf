using Cadre.Models.Import;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Training;
using Cadre.Specs;

namespace Cadre;

/// <summary>
/// Cadre from .NET code, in one place: a <c>CADRE_HOME</c> opened in process to import a base, train a specialist
/// and load one to predict with. It is the same home the command line uses, so what one stores the other sees. Each
/// call is the one the matching <c>cadre</c> verb makes (<see cref="BaseImporter"/>, <see cref="SpecialistTrainer"/>,
/// <see cref="SpecialistModel"/>); this class adds only what a spec file would have done: relative data paths
/// resolved and the settings checked before training starts. The README's "Use Cadre from .NET" shows it in use.
/// </summary>
public sealed class CadreWorkspace
{
    /// <summary>A workspace on <paramref name="home"/>, created on first write when it does not exist.</summary>
    public CadreWorkspace(string home) => Home = Path.GetFullPath(home);

    /// <summary>The folder Cadre keeps its bases, store and caches in.</summary>
    public string Home { get; }

    /// <summary>The home the command line would use: <c>CADRE_HOME</c>, or <c>~/.cadre</c> when unset.</summary>
    public static CadreWorkspace Open() => new(CadreHome.Resolve());

    /// <summary>
    /// Imports a base from a file or folder, as <c>cadre base import PATH --name NAME</c>: a USE-lite .tgz or folder,
    /// a Hugging Face BERT-family or Llama folder, or a llama2.c checkpoint. Throws <see cref="CadreException"/> when
    /// the name is taken (unless <paramref name="replace"/>) or the files are not a base Cadre reads.
    /// </summary>
    public BaseRecord ImportBase(string path, string name, bool replace = false) =>
        BaseImporter.ImportPath(new BaseCatalog(Home), path, name, replace);

    /// <summary>The imported bases.</summary>
    public IReadOnlyList<BaseRecord> Bases() => new BaseCatalog(Home).List();

    /// <summary>The stored specialists, each as its HEAD version's record.</summary>
    public IReadOnlyList<SpecialistRecord> Specialists() => new SpecialistCatalog(Home).List();

    /// <summary>
    /// Trains one specialist and stores it as a new version on top of its HEAD, as <c>cadre train</c> does for one
    /// entry of a spec (every setting and its default: docs/spec.md; the C# names are the YAML keys in PascalCase).
    /// Relative data paths are taken from the current directory. Throws <see cref="CadreException"/> listing every
    /// problem of the settings before anything is read, and for data that cannot be trained on.
    /// </summary>
    public TrainOutcome Train(SpecialistSpec spec, TrainOptions? options = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        static string? Full(string? p) => string.IsNullOrEmpty(p) ? p : Path.GetFullPath(p);
        var resolved = spec with { Data = spec.Data with { Train = Full(spec.Data.Train)!, Validation = Full(spec.Data.Validation), Test = Full(spec.Data.Test) } };
        // The checks cadre.yaml gets; their messages name the YAML keys (specialists[0].data.train: file not found: ...).
        var errors = new SpecFile("(code)", [resolved]).Validate();
        if (errors.Count > 0)
            throw new CadreException($"specialist '{spec.Name}': {errors.Count} problem(s):\n  " + string.Join("\n  ", errors));
        return new SpecialistTrainer(Home).Train(resolved, options ?? new TrainOptions(), cancel);
    }

    /// <summary>
    /// Loads a stored specialist with its base to predict with, as <c>cadre predict NAME[@REV]</c>: HEAD, or the
    /// version <paramref name="rev"/> names (a number, tag, branch or id prefix). Dispose it to free its tensors.
    /// </summary>
    public SpecialistModel Load(string name, string? rev = null) => SpecialistModel.Load(Home, name, rev);
}
