using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Cadre.Util;

/// <summary>
/// Reads one YAML mapping with typed getters that never throw: a wrong type or an unknown key becomes an error
/// with its path and line (<c>specialists[0].training.epochs: expected an integer, got 'five' (line 12)</c>),
/// so a whole file's problems are reported at once (<see cref="YamlFile"/> reads the file and reports them).
/// </summary>
public sealed class YamlFields
{
    private readonly YamlMappingNode _node;
    private readonly List<string> _errors;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public YamlFields(YamlNode? node, string path, List<string> errors)
    {
        Path = path;
        _errors = errors;
        if (node is YamlMappingNode map)
            _node = map;
        else
        {
            _node = new YamlMappingNode();
            if (node is not null && !(node is YamlScalarNode { Value: null or "" }))
                errors.Add($"{path}: expected a mapping of keys (line {node.Start.Line})");
        }
    }

    public string Path { get; }

    public YamlNode? Node(string key)
    {
        _known.Add(key);
        return _node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
    }

    public string? String(string key)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is YamlScalarNode s) return s.Value;
        Error(key, node, "expected a text value");
        return null;
    }

    public int? Int(string key) => Parse<int>(key, "an integer", v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null);

    public double? Double(string key) => Parse<double>(key, "a number", v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null);

    public bool? Bool(string key) => Parse<bool>(key, "true or false", v => v switch { "true" or "yes" => true, "false" or "no" => false, _ => (bool?)null });

    public IReadOnlyList<string>? List(string key)
    {
        var node = Node(key);
        switch (node)
        {
            case null: return null;
            case YamlSequenceNode seq:
                var items = new List<string>();
                foreach (var item in seq.Children)
                {
                    if (item is YamlScalarNode { Value: { } v }) items.Add(v);
                    else Error(key, item, "expected a list of text values");
                }
                return items;
            case YamlScalarNode { Value: { } single }: return [single];
            default:
                Error(key, node, "expected a list");
                return null;
        }
    }

    /// <summary>Reports keys nobody asked for, with a suggestion when one is close to a known key.</summary>
    public void RejectUnknown()
    {
        foreach (var (k, _) in _node.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? "?";
            if (_known.Contains(key)) continue;
            var hint = Suggest.DidYouMean(key, _known.Order()) is { Length: > 0 } near ? near : $"; known keys: {string.Join(", ", _known.Order())}";
            _errors.Add($"{Path}.{key}: unknown key (line {k.Start.Line}){hint}");
        }
    }

    public void Error(string key, YamlNode node, string message) => _errors.Add($"{Path}.{key}: {message} (line {node.Start.Line})");

    private T? Parse<T>(string key, string expected, Func<string, T?> parse) where T : struct
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is YamlScalarNode { Value: { } v } && parse(v.Trim()) is { } value) return value;
        Error(key, node, $"expected {expected}, got '{(node as YamlScalarNode)?.Value ?? node.NodeType.ToString()}'");
        return null;
    }
}
