namespace Cadre.Tests.Infrastructure;

/// <summary>TorchSharp's native state is process-wide: tests that touch tensors run in this one serial collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "torch";
}
