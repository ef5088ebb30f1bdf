using Cadre.Merge;
using Cadre.Util;
using YamlDotNet.RepresentationModel;

namespace Cadre.Composition;

/// <summary>
/// The YAML form of a merge (<c>cadre merge merge.yaml</c>), every problem reported at once with its path and line,
/// unknown keys with a suggestion:
/// <code>
/// name: trec-ag
/// method: ties
/// inputs:
///   - {specialist: trec-lora, weight: 1}
///   - ag-lora                     # weight 1
/// parameters: {density: 0.3, lambda: 1}
/// rank: 16                        # or into_base: true
/// </code>
/// </summary>
public static class MergeFile
{
    public static MergeRequest Load(string path)
    {
        var errors = new List<string>();
        var root = YamlFile.Read(path, "a merge file", "merge", errors);
        var name = root.String("name");
        var method = root.String("method");
        if (name is null) errors.Add("name: required");
        if (method is null) errors.Add($"method: required, one of {string.Join(", ", MergeMethods.All.Select(m => m.Name))}");
        var inputs = new List<MergeRequestInput>();
        if (root.Node("inputs") is YamlSequenceNode list)
            for (var i = 0; i < list.Children.Count; i++)
            {
                if (list.Children[i] is YamlScalarNode { Value: { } plain })
                {
                    inputs.Add(new MergeRequestInput(plain));
                    continue;
                }
                var f = new YamlFields(list.Children[i], $"inputs[{i}]", errors);
                var specialist = f.String("specialist");
                if (specialist is null) errors.Add($"inputs[{i}].specialist: required");
                inputs.Add(new MergeRequestInput(specialist ?? "", f.Double("weight") ?? 1));
                f.RejectUnknown();
            }
        else
            errors.Add("inputs: required, a list of specialists (names, or {specialist, weight})");
        var p = new YamlFields(root.Node("parameters"), "parameters", errors);
        var settings = new MergeSettings
        {
            Lambda = p.Double("lambda"), Density = p.Double("density"), Normalize = p.Bool("normalize"), Rescale = p.Bool("rescale"),
            Consensus = p.String("consensus"), Seed = p.Int("seed"), Epsilon = p.Double("epsilon"),
            NormalizeFisher = p.Bool("normalize_fisher"), FisherExamples = p.Int("fisher_examples"),
            FisherLabels = p.String("fisher_labels"), FisherClasses = p.Int("fisher_classes"),
        };
        p.RejectUnknown();
        var request = new MergeRequest
        {
            Name = name ?? "", Method = method ?? "", Inputs = inputs, Parameters = settings, Rank = root.Int("rank"),
            IntoBase = root.Bool("into_base") ?? false, Evaluate = root.Bool("evaluate") ?? true,
        };
        root.RejectUnknown();
        if (name is not null && method is not null)
            errors.AddRange(request.Validate().Where(e => !errors.Contains(e)));
        YamlFile.ThrowIfAny(path, errors);
        return request;
    }
}
