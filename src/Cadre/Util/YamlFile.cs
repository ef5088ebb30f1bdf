using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Cadre.Util;

/// <summary>
/// What every YAML settings file's loader shares (a cadre.yaml, a merge file, a suite): <see cref="Read"/> refuses a
/// missing or oversized file, turns a parse error into one line with the file and the line, and hands the root over as
/// <see cref="YamlFields"/> (types checked, unknown keys refused with a suggestion); the loader adds what its
/// Validate() finds, and <see cref="ThrowIfAny"/> reports every problem at once.
/// </summary>
public static class YamlFile
{
    /// <summary>Settings files are small: a larger one is a data file given by mistake.</summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>
    /// The file's first document as the mapping <paramref name="root"/> (empty for an empty file), whose problems go
    /// to <paramref name="errors"/>. <paramref name="what"/> says what the file should be, for the size error ("a spec").
    /// </summary>
    public static YamlFields Read(string path, string what, string root, List<string> errors)
    {
        if (!File.Exists(path))
            throw new CadreException($"{path}: file not found");
        if (new FileInfo(path).Length > MaxBytes)
            throw new CadreException($"{path}: larger than {MaxBytes} bytes; not {what}");
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new CadreException($"{path}: not valid YAML (line {e.Start.Line}: {e.Message})");
        }
        return new YamlFields(stream.Documents.FirstOrDefault()?.RootNode, root, errors);
    }

    /// <summary>One error listing every problem found in <paramref name="path"/>, each on a line of its own.</summary>
    public static void ThrowIfAny(string path, IReadOnlyCollection<string> errors)
    {
        if (errors.Count > 0)
            throw new CadreException($"{path}: {errors.Count} problem(s):\n  " + string.Join("\n  ", errors));
    }
}
