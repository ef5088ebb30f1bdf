using YamlDotNet.RepresentationModel;

namespace Cadre.Specs;

/// <summary>
/// Writes a spec for one specialist of an existing spec with its training file replaced (curation's output): the
/// entry's every other key is kept as written, data paths become absolute so the new spec works from any folder.
/// </summary>
public static class SpecRewriter
{
    public static string WithTrain(string specPath, string name, string newTrain)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(specPath))
            stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var list = (YamlSequenceNode)root.Children[new YamlScalarNode("specialists")];
        var entry = list.Children.OfType<YamlMappingNode>()
            .First(s => s.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode { Value: var v } && v == name);
        var folder = Path.GetDirectoryName(Path.GetFullPath(specPath))!;
        var data = (YamlMappingNode)entry.Children[new YamlScalarNode("data")];
        foreach (var role in new[] { "train", "validation", "test" })
        {
            if (!data.Children.TryGetValue(new YamlScalarNode(role), out var node)) continue;
            var target = node is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode("path"), out var p) ? (m, p) : (data, node);
            var value = role == "train" ? newTrain : Path.GetFullPath(Path.Combine(folder, ((YamlScalarNode)target.Item2).Value ?? ""));
            var key = target.Item1 == data ? role : "path";
            target.Item1.Children[new YamlScalarNode(key)] = new YamlScalarNode(value);
        }
        list.Children.Clear();
        list.Children.Add(entry);
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        var text = writer.ToString().ReplaceLineEndings("\n");
        if (text.EndsWith("...\n", StringComparison.Ordinal)) text = text[..^4]; // the document-end marker Save adds
        return "# written by cadre data curate from " + Path.GetFullPath(specPath) + "\n" + text;
    }
}
