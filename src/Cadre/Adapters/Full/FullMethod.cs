using System.Text.Json.Nodes;
using Cadre.Models;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Adapters.Full;

/// <summary>
/// Full fine-tuning, the baseline the parameter-efficient methods are measured against: every weight of the base
/// trains, and the specialist saves the whole state dict under the base's own (Hugging Face) key names in
/// <c>model.safetensors</c>. Such a specialist cannot share its base with others when served.
/// </summary>
public sealed class FullMethod : IAdapterMethod
{
    public string Name => "full";
    public string? PeftType => null;
    public double DefaultLearningRate => 5e-5;

    public IReadOnlyList<string> Validate(AdapterSpec spec) => [];

    public AttachedAdapter Create(ISentenceEncoder model, AdapterSpec spec, long seed, string baseName) => new FullAdapter(this, model);

    public AttachedAdapter FromConfig(ISentenceEncoder model, JsonObject? config, string source) => new FullAdapter(this, model);

    public bool OwnsBaseWeights => true;

    public AdapterContributions Contributions(ISentenceEncoder model, JsonObject? config, IReadOnlyDictionary<string, Tensor> tensors, string source) =>
        throw new CadreException($"{source}: a full fine-tune changes the base's weights; it cannot share a served base");

    private sealed class FullAdapter : AttachedAdapter
    {
        private readonly Dictionary<string, Parameter> _parameters;

        public FullAdapter(IAdapterMethod method, IBaseModel model) : base(method, model)
        {
            _parameters = model.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            foreach (var p in _parameters.Values)
                p.requires_grad = true;
        }

        public override IReadOnlyDictionary<string, Parameter> Parameters => _parameters;

        public override JsonObject? PeftConfig => null;

        public override string WeightsFile => "model.safetensors";

        /// <summary>The whole state dict, buffers included, so the file is a complete checkpoint of the tuned base.</summary>
        public override IReadOnlyDictionary<string, Tensor> StateDict() => Model.Module.state_dict();

        /// <summary>The base owns these tensors: only freeze them again (the tuned values stay in the base).</summary>
        protected override void Release()
        {
            foreach (var p in _parameters.Values)
                p.requires_grad = false;
            _parameters.Clear();
        }
    }
}
