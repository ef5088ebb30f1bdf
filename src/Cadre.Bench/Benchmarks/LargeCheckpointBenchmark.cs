using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Training;
using Cadre.Specs;

namespace Cadre.Benchmarks;

/// <summary>One step of the large-checkpoint benchmark: a whole cadre process, its time and peak resident memory.</summary>
public sealed record LargeCheckpointRow(string Step, long FileBytes, double Seconds, long PeakBytes, string Notes);

/// <summary>
/// <c>cadre bench store</c>, part two: a synthetic checkpoint of a given size (float32 tensors of 64 MiB, seeded
/// random values) in a specialist folder, committed, changed in 1 % of its elements and committed again, checked out
/// from the objects, bundled as an update and verified, each by its own <c>cadre</c> process whose peak resident
/// memory it reports through <c>CADRE_PEAK_MEMORY_FILE</c>. Streaming shows as peak memory far below the file.
/// </summary>
public static class LargeCheckpointBenchmark
{
    private const long TensorElements = 16L << 20; // 64 MiB of float32

    public static IReadOnlyList<LargeCheckpointRow> Run(string home, string baseName, double gib, string work, IReadOnlyList<string> cadre, Action<string> log)
    {
        var data = SyntheticTask.Write(work, 200, 50);
        var spec = Path.Combine(work, "seed.yaml");
        File.WriteAllText(spec, $$"""
            specialists:
              - name: seed
                base: {{baseName}}
                data: {train: {{data.Train}}, test: {{data.Test}}}
                adapter: {method: head}
                training: {epochs: 1}
            """);
        new SpecialistTrainer(home).Train(SpecFile.Load(spec).Specialists[0], new TrainOptions());
        var folder = Path.Combine(work, "big");
        SpecialistTransfer.Export(home, "seed", folder);
        var model = Path.Combine(folder, "model.safetensors");
        var tensors = Math.Max(1, (int)Math.Round(gib * (1L << 30) / (TensorElements * 4)));
        log($"writing a {tensors * TensorElements * 4 / (double)(1 << 30):F2} GiB checkpoint ...");
        Write(model, tensors);
        var size = new FileInfo(model).Length;
        var rows = new List<LargeCheckpointRow>();
        LargeCheckpointRow Step(string step, string notes, params string[] args)
        {
            var (seconds, peak) = Child(cadre, home, args);
            var row = new LargeCheckpointRow(step, size, seconds, peak, notes);
            log(string.Create(CultureInfo.InvariantCulture, $"{step}: {seconds:F1} s, peak {peak >> 20} MiB"));
            rows.Add(row);
            return row;
        }
        Step("commit v1 (`cadre specialist import`)", "copies the folder into staging, then stores every tensor", "specialist", "import", folder, "--name", "big");
        ChangeOnePercent(model);
        Step("commit v2, 1 % of elements changed", "each tensor stored as a sparse delta on v1's", "specialist", "import", folder, "--name", "big", "--new-version");
        var checkouts = Path.Combine(home, "checkouts");
        if (Directory.Exists(checkouts)) Directory.Delete(checkouts, recursive: true);
        Step("checkout v1 (`cadre checkout big@1`)", "rebuilds the files from the objects, byte for byte", "checkout", "big@1");
        var bundle = Path.Combine(work, "update.bundle");
        var created = Step("bundle v2 since v1", "", "bundle", "create", "big@2", "--since", "1", "-o", bundle);
        rows[^1] = created with { Notes = string.Create(CultureInfo.InvariantCulture, $"update bundle: {new FileInfo(bundle).Length:N0} bytes") };
        Step("verify (`cadre verify`)", "re-hashes every object, deltas decoded", "verify");
        rows.Add(Step("a trivial command (`cadre log big`)", "the runtime's own footprint, for scale", "log", "big") with { FileBytes = 0 });
        rows.RemoveAt(rows.Count - 2);
        return rows;
    }

    /// <summary>Writes a safetensors file tensor by tensor, a chunk at a time: the benchmark itself stays small too.</summary>
    private static void Write(string path, int tensors)
    {
        var header = new StringBuilder("{");
        for (var t = 0; t < tensors; t++)
        {
            var (begin, end) = (t * TensorElements * 4, (t + 1) * TensorElements * 4);
            header.Append(CultureInfo.InvariantCulture, $"{(t > 0 ? "," : "")}\"layer.{t:D3}.weight\":{{\"dtype\":\"F32\",\"shape\":[4096,4096],\"data_offsets\":[{begin},{end}]}}");
        }
        header.Append('}');
        while ((header.Length + 8) % 8 != 0) header.Append(' ');
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        file.Write(prefix);
        file.Write(Encoding.ASCII.GetBytes(header.ToString()));
        var random = new Random(1);
        var chunk = new byte[1 << 20];
        for (long written = 0; written < tensors * TensorElements * 4; written += chunk.Length)
        {
            for (var i = 0; i < chunk.Length; i += 4)
                BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(i), (float)(random.NextDouble() - 0.5) * 0.02f);
            file.Write(chunk);
        }
    }

    /// <summary>Adds a small step to every 100th element, in place, a chunk at a time.</summary>
    private static void ChangeOnePercent(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        Span<byte> prefix = stackalloc byte[8];
        file.ReadExactly(prefix);
        var start = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        var chunk = new byte[1 << 20];
        for (var at = start; at < file.Length; at += chunk.Length)
        {
            var n = (int)Math.Min(chunk.Length, file.Length - at);
            file.Position = at;
            file.ReadExactly(chunk, 0, n);
            for (var i = 0; i + 4 <= n; i += 400)
                BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(i), BinaryPrimitives.ReadSingleLittleEndian(chunk.AsSpan(i)) + 1e-3f);
            file.Position = at;
            file.Write(chunk, 0, n);
        }
    }

    private static (double Seconds, long Peak) Child(IReadOnlyList<string> cadre, string home, string[] args)
    {
        using var peak = StagingLease.Create(home, "peak", folder: false); // the child writes it; removed on dispose
        var peakFile = peak.Path;
        var info = new ProcessStartInfo(cadre[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in cadre.Skip(1).Concat(args)) info.ArgumentList.Add(a);
        info.Environment["CADRE_HOME"] = home;
        info.Environment["CADRE_PEAK_MEMORY_FILE"] = peakFile;
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(info) ?? throw new CadreException($"could not start {cadre[0]}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        var seconds = watch.Elapsed.TotalSeconds;
        if (p.ExitCode != 0)
            throw new CadreException($"cadre {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result.Trim()} {stdout.Result.Trim()}");
        return (seconds, File.Exists(peakFile) ? long.Parse(File.ReadAllText(peakFile).Trim(), CultureInfo.InvariantCulture) : -1);
    }
}
