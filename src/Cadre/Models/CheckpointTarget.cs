using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models;

/// <summary>
/// Fills a module's parameters from checkpoint tensors one at a time (so loading never holds the model twice),
/// checking names and shapes. Every unexpected, misshapen or missing tensor is collected and reported at once by
/// <see cref="Complete"/>, naming the checkpoint.
/// </summary>
internal sealed class CheckpointTarget
{
    private readonly Dictionary<string, Tensor> _targets;
    private readonly HashSet<string> _loaded = [];
    private readonly List<string> _errors = [];
    private readonly string _source;
    private readonly Func<string, bool> _ignore;

    /// <param name="ignore">Names a checkpoint may carry that the module does not need (say, a tied lm_head).</param>
    public CheckpointTarget(nn.Module module, string source, Func<string, bool> ignore)
    {
        _targets = module.state_dict();
        _source = source;
        _ignore = ignore;
    }

    /// <summary>
    /// True when the model has a parameter named <paramref name="key"/>, so the caller reads the tensor only then;
    /// a name it does not have and may not ignore is recorded as unexpected.
    /// </summary>
    public bool Expects(string key)
    {
        if (_targets.ContainsKey(key))
            return true;
        if (!_ignore(key))
            _errors.Add($"unexpected tensor '{CadreException.Shown(key)}'");
        return false;
    }

    /// <summary>Copies <paramref name="value"/> (any floating dtype; converted) into the parameter named <paramref name="key"/>.</summary>
    public void Copy(string key, Tensor value)
    {
        if (!Expects(key))
            return;
        var target = _targets[key];
        if (_loaded.Contains(key))
        {
            _errors.Add($"'{CadreException.Shown(key)}' appears more than once");
            return;
        }
        if (!target.shape.SequenceEqual(value.shape))
        {
            _errors.Add($"'{CadreException.Shown(key)}' has shape [{string.Join(", ", value.shape)}]; the config needs [{string.Join(", ", target.shape)}]");
            return;
        }
        if (!value.is_floating_point())
        {
            _errors.Add($"'{CadreException.Shown(key)}' holds {value.dtype}, not floating-point weights");
            return;
        }
        using (no_grad())
            target.copy_(value);
        _loaded.Add(key);
    }

    public void Complete()
    {
        var missing = _targets.Keys.Where(k => !_loaded.Contains(k)).Select(k => $"missing tensor '{k}'");
        var all = _errors.Concat(missing).ToList();
        if (all.Count > 0)
            throw new CadreException($"{_source}: the weights do not fit the config ({all.Count} problems):\n  " + string.Join("\n  ", all.Take(20))
                + (all.Count > 20 ? $"\n  ... and {all.Count - 20} more" : ""));
    }
}
