using System.Globalization;
using Cadre.Specialists;
using Cadre.Store;

namespace Cadre.Composition;

/// <summary>
/// What a merge request amounts to, checked before any tensor is read: the inputs' records, the one base they
/// share, the kind of adapter the result is (<c>lora</c>, <c>ia3</c>, <c>full</c> or <c>head</c>), the tasks it
/// keeps (each with its input's inference contract), and notes for the user. Every problem is reported at once.
/// </summary>
internal sealed record MergePlan(
    IReadOnlyList<SpecialistRecord> Inputs, IReadOnlyList<string> Folders, string Output, IReadOnlyList<(TaskRecord Task, InferenceTask Contract, string Folder)> Tasks,
    IReadOnlyList<string> Notes, IReadOnlyList<VersionInfo> Versions)
{
    /// <summary>Methods whose updates are weight deltas (LoRA, full fine-tuning) or nothing (a head on the frozen base).</summary>
    private static readonly string[] WeightDeltas = ["lora", "full", "head"];

    public static MergePlan Check(string home, MergeRequest request)
    {
        var errors = request.Validate().ToList();
        if (errors.Count > 0)
            throw new CadreException("cannot merge: " + string.Join("; ", errors));
        var catalog = new SpecialistCatalog(home);
        var resolved = request.Inputs.Select(i => catalog.GetVersion(i.Specialist)).ToList(); // HEAD of each, once
        var inputs = resolved.Select(r => r.Record).ToList();
        var versions = resolved.Select(r => r.Version).ToList();
        var folders = versions.Select(catalog.Store.FolderOf).ToList();
        var notes = new List<string>();

        var first = inputs[0].Base;
        foreach (var r in inputs.Skip(1).Where(r => r.Base.Name != first.Name || r.Base.ContentHash != first.ContentHash))
            errors.Add($"'{r.Name}' is on base '{r.Base.Name}' ({r.Base.ContentHash[..12]}), '{inputs[0].Name}' on '{first.Name}' ({first.ContentHash[..12]}); only specialists of one base merge");
        var baseRecord = new BaseCatalog(home).List().FirstOrDefault(b => b.Name == first.Name);
        if (baseRecord is null)
            errors.Add($"base '{first.Name}' is not imported here");
        else if (baseRecord.ContentHash != first.ContentHash)
            errors.Add($"base '{first.Name}' now holds content {baseRecord.ContentHash[..12]}, the inputs were trained on {first.ContentHash[..12]}");

        foreach (var r in inputs.Where(r => r.Method == "prompt"))
            errors.Add($"'{r.Name}' is a prompt-tuning specialist: its soft prompt is a sequence of input positions, not an update of weights, so it "
                       + "has no per-entry task vector to average with others (concatenating prompts would be a longer prompt, not a merge); serve it beside the merge instead");
        var methods = inputs.Select(r => r.Method).Where(m => m != "prompt").Distinct().ToList();
        string output;
        if (methods.Contains("ia3") && methods.Any(m => m is "lora" or "full"))
        {
            errors.Add($"cannot merge {string.Join(" with ", methods.Where(m => m != "head"))} specialists: (IA)³ rescales activations while LoRA and full "
                       + "fine-tuning add weight updates; merge specialists of one kind");
            output = "head";
        }
        else if (methods.Contains("ia3"))
            output = "ia3";
        else if (methods.Contains("full") || (request.IntoBase && methods.All(WeightDeltas.Contains)))
            output = "full";
        else if (methods.Contains("lora"))
            output = "lora";
        else
            output = "head";
        if (request.IntoBase && output is "ia3")
            errors.Add("into_base: only weight updates (LoRA, full fine-tuning) go into the base; (IA)³ vectors stay an adapter");
        if (request.IntoBase && methods.All(m => m == "head"))
            errors.Add("into_base: the inputs are heads on the frozen base; there are no weights to merge into it");
        if (request.Rank is not null && output != "lora")
            errors.Add($"rank: only a LoRA result is factored to a rank; this merge writes {output}");
        if (methods.Contains("head") && methods.Count > 1)
            notes.Add($"head-only inputs ({string.Join(", ", inputs.Where(r => r.Method == "head").Select(r => r.Name))}) change no weights: they count as zero task vectors");

        var tasks = new List<(TaskRecord, InferenceTask, string)>();
        var heads = new Dictionary<string, (string Owner, string Hash)>(StringComparer.Ordinal);
        for (var i = 0; i < inputs.Count; i++)
        {
            var contract = inputs[i].Contract;
            foreach (var t in inputs[i].TaskList)
            {
                var hash = TrainingHash(Path.Combine(folders[i], t.Head));
                if (heads.TryGetValue(t.Name, out var seen))
                {
                    if (seen.Hash != hash)
                        errors.Add($"task '{t.Name}' comes from both '{seen.Owner}' and '{inputs[i].Name}' with different heads; a merged specialist keeps one head per task");
                    continue; // the same head twice (an input given twice): kept once
                }
                heads[t.Name] = (inputs[i].Name, hash);
                tasks.Add((t, contract.Task(t.Name), folders[i]));
            }
        }

        if (catalog.List().FirstOrDefault(r => r.Name == request.Name) is { } existing)
        {
            if (existing.Merge is null)
                errors.Add($"name: '{request.Name}' is a trained specialist; a merge does not replace it (choose another name)");
            else
            {
                notes.Add($"adds a version to the earlier merge '{request.Name}' ({existing.Merge.Method} of {string.Join(", ", existing.Merge.Inputs.Select(i => i.Name))})");
            }
        }
        var weights = request.Inputs.Select(i => i.Weight).ToList();
        if (request.Method == "linear" && Math.Abs(weights.Sum() - 1) > 1e-9)
            notes.Add("linear normalizes weights to sum 1: " + string.Join(", ", request.Inputs.Select(i =>
                string.Create(CultureInfo.InvariantCulture, $"{i.Specialist} {i.Weight:G4} → {i.Weight / weights.Sum():G4}"))));
        else if (Merge.MergeMethods.Get(request.Method).Effective(request.Parameters).GetValueOrDefault("normalize") == "false"
                 && Math.Abs(weights.Sum() - 1) > 1e-9)
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{request.Method} adds the weighted task vectors as given: the weights sum to {weights.Sum():G4}, not 1 (normalize: true divides by their sum)"));
        if (errors.Count > 0)
            throw new CadreException("cannot merge: " + string.Join("; ", errors));
        return new MergePlan(inputs, folders, output, tasks, notes, versions);
    }

    private static string TrainingHash(string file)
    {
        if (!File.Exists(file))
            throw new CadreException($"{file}: the head is missing");
        return Training.TrainingData.FileHash(file);
    }
}
