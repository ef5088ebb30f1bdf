using System.Buffers.Binary;
using Cadre.Tests.Infrastructure;
using Cadre.Training;

namespace Cadre.Tests.Training;

/// <summary>The confusion-matrix PNG: a real PNG whose size follows the class count and whose pixels follow the counts.</summary>
public sealed class ConfusionPlotTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void WritesPngsWhoseSizeGrowsWithTheClassCount()
    {
        using var dir = new TempDir();
        var small = Save(dir.File("small.png"), ["spam", "ham", "never seen"], [[5, 1, 0], [2, 7, 0], [0, 0, 0]]);
        var labels = Enumerable.Range(0, 40).Select(i => $"class number {i} with a rather long name").ToList();
        var big = Save(dir.File("big.png"), labels, Diagonal(40, 3, 1));

        var (w3, h3) = Size(small);
        var (w40, h40) = Size(big);
        Assert.InRange(w3, 150, 1200);
        Assert.InRange(h3, 150, 1200);
        Assert.InRange(w40, 600, ConfusionPlot.MaxSide);
        Assert.InRange(h40, 600, ConfusionPlot.MaxSide);
        Assert.True(w40 > w3 && h40 > h3, $"3 classes: {w3}×{h3}, 40 classes: {w40}×{h40}");
    }

    [Fact]
    public void ManyClassesStayWithinTheSizeCap()
    {
        using var dir = new TempDir();
        var labels = Enumerable.Range(0, 400).Select(i => $"c{i}").ToList();
        var (w, h) = Size(Save(dir.File("huge.png"), labels, Diagonal(400, 2, 1)));
        Assert.InRange(w, 1000, ConfusionPlot.MaxSide);
        Assert.InRange(h, 1000, ConfusionPlot.MaxSide);
    }

    [Fact]
    public void DifferentMatricesGiveDifferentImages()
    {
        using var dir = new TempDir();
        string[] labels = ["a", "b", "c"];
        var good = Save(dir.File("good.png"), labels, [[9, 1, 0], [0, 10, 0], [1, 0, 9]]);
        var again = Save(dir.File("again.png"), labels, [[9, 1, 0], [0, 10, 0], [1, 0, 9]]);
        // Different shares, not only different counts: the shading differs even where no font is installed.
        var bad = Save(dir.File("bad.png"), labels, [[2, 8, 0], [5, 5, 0], [0, 9, 1]]);
        Assert.Equal(good, again);
        Assert.NotEqual(good, bad);
    }

    [Fact]
    public void MatrixMustMatchTheLabels()
    {
        using var dir = new TempDir();
        Assert.Throws<ArgumentException>(() => ConfusionPlot.Save(["a", "b"], [[1, 0], [0]], dir.File("x.png")));
        Assert.Throws<ArgumentException>(() => ConfusionPlot.Save(["a", "b", "c"], [[1, 0], [0, 1]], dir.File("x.png")));
        Assert.Throws<ArgumentException>(() => ConfusionPlot.Save([], [], dir.File("x.png")));
        Assert.False(File.Exists(dir.File("x.png")));
    }

    [Fact]
    public void CheckPathRejectsMissingFoldersAndOtherFormats()
    {
        using var dir = new TempDir();
        Assert.Equal(dir.File("m.png"), ConfusionPlot.CheckPath(dir.File("m.png")));
        var missing = Assert.Throws<CadreException>(() => ConfusionPlot.CheckPath(Path.Combine(dir.Path, "nope", "m.png")));
        Assert.Contains("does not exist", missing.Message);
        Assert.Contains(".png", Assert.Throws<CadreException>(() => ConfusionPlot.CheckPath(dir.File("m.jpg"))).Message);
    }

    private static byte[] Save(string path, IReadOnlyList<string> labels, int[][] confusion)
    {
        ConfusionPlot.Save(labels, confusion, path, "test");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.AsSpan().StartsWith(PngSignature), "not a PNG");
        return bytes;
    }

    /// <summary>Width and height from the IHDR chunk, which follows the signature.</summary>
    private static (int Width, int Height) Size(byte[] png)
    {
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    private static int[][] Diagonal(int k, int hit, int miss) =>
        Enumerable.Range(0, k).Select(r => Enumerable.Range(0, k).Select(c => c == r ? hit : c == (r + 1) % k ? miss : 0).ToArray()).ToArray();
}
