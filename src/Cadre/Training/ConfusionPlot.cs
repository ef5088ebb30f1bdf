using System.Globalization;
using ScottPlot;

using Cadre.Tasks;
namespace Cadre.Training;

/// <summary>
/// Draws a confusion matrix as a PNG heatmap with ScottPlot: rows gold, columns predicted, cells shaded by their share
/// of the gold row, counts written in the cells up to <see cref="MaxClassesWithCounts"/> classes.
/// </summary>
/// <remarks>
/// Text comes from the fonts under /usr/share/fonts (SkiaSharp's no-dependencies build reads that folder directly,
/// without fontconfig). Where there are none, the image is still written, without any text: see
/// <see cref="CanDrawText"/>.
/// </remarks>
public static class ConfusionPlot
{
    public const int MaxClassesWithCounts = 30;
    public const int MaxSide = 2400;
    private const int MaxLabelChars = 20;
    private const float TitleSize = 16;

    /// <summary>Full path of a PNG to write; a CadreException when it cannot be one (checked before evaluating).</summary>
    public static string CheckPath(string path)
    {
        var full = Path.GetFullPath(path);
        if (!string.Equals(Path.GetExtension(full), ".png", StringComparison.OrdinalIgnoreCase))
            throw new CadreException($"plot '{path}': the plot is a PNG image; give a path ending in .png");
        var folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
            throw new CadreException($"plot '{path}': the folder {folder} does not exist");
        if (Directory.Exists(full))
            throw new CadreException($"plot '{path}' is a folder");
        return full;
    }

    /// <summary>False when no font with the digits can be found: plots are then written without text.</summary>
    public static bool CanDrawText() =>
        Fonts.GetTypeface(FontName(), bold: false, italic: false) is { GlyphCount: > 0 } typeface
        && typeface.ContainsGlyphs("0123456789");

    /// <summary>A common sans-serif font when installed (ScottPlot's own guess can land on a serif one), else its guess.</summary>
    private static string FontName()
    {
        var installed = SkiaSharp.SKFontManager.Default.FontFamilies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Open Sans", "Arial", "Helvetica" }
            .FirstOrDefault(installed.Contains) ?? Fonts.Sans;
    }

    /// <param name="labels">class names, in the order of the matrix</param>
    /// <param name="confusion"><c>confusion[i][j]</c> counts gold i predicted as j, as in <see cref="ClassificationMetrics"/></param>
    /// <param name="path">the PNG to write (replaced if present)</param>
    /// <param name="title">drawn above the matrix when given</param>
    public static void Save(IReadOnlyList<string> labels, IReadOnlyList<int[]> confusion, string path, string? title = null)
    {
        var k = labels.Count;
        if (k == 0)
            throw new ArgumentException("no classes to plot", nameof(labels));
        if (confusion.Count != k || confusion.Any(row => row.Length != k))
            throw new ArgumentException($"the confusion matrix must be {k}×{k}, one row and column per label", nameof(confusion));

        var layout = Layout.For(labels, title);
        using var plot = new Plot();
        plot.Font.Set(FontName());
        var shares = RowShares(confusion);
        var heatmap = plot.Add.Heatmap(shares);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues().Reversed(); // 0 white, 1 dark blue
        heatmap.ManualRange = new ScottPlot.Range(0, 1);

        // Heatmap row 0 is drawn at the top: cell (r, c) is centred on (c, k - 1 - r).
        if (k <= MaxClassesWithCounts)
            for (var r = 0; r < k; r++)
                for (var c = 0; c < k; c++)
                {
                    var count = confusion[r][c].ToString(CultureInfo.InvariantCulture);
                    var text = plot.Add.Text(count, c, k - 1 - r);
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontSize = Math.Min(layout.FontSize, layout.Cell * 1.5f / Math.Max(2, count.Length));
                    text.LabelFontColor = shares[r, c] > 0.5 ? Colors.White : Colors.Black;
                }

        // Every class gets a tick label while they fit; beyond that every n-th, so that they never overlap.
        var stride = (int)Math.Ceiling(layout.FontSize * 1.2f / layout.Cell);
        var ticks = Enumerable.Range(0, k).Where(i => i % stride == 0).ToArray();
        var names = ticks.Select(i => Truncate(labels[i])).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            ticks.Select(i => (double)i).ToArray(), names);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            ticks.Select(i => (double)(k - 1 - i)).ToArray(), names);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.TickLabelStyle.FontSize = layout.FontSize;
            axis.MinorTickStyle.Length = 0;
            // Fixed panel sizes put the axis title at the image's edge, clear of the rotated tick labels.
            axis.MinimumSize = axis.MaximumSize = layout.Margin;
        }
        plot.XLabel("predicted", TitleSize);
        plot.YLabel("gold", TitleSize);
        if (title is not null)
            plot.Title(title, TitleSize);
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.Layout.Fixed(new PixelPadding(layout.Margin, layout.Right, layout.Margin, layout.Top));
        plot.SavePng(path, layout.Width, layout.Height);
    }

    private static double[,] RowShares(IReadOnlyList<int[]> confusion)
    {
        var k = confusion.Count;
        var shares = new double[k, k];
        for (var r = 0; r < k; r++)
        {
            var total = confusion[r].Sum(v => (long)v);
            for (var c = 0; c < k; c++)
                shares[r, c] = total == 0 ? 0 : confusion[r][c] / (double)total;
        }
        return shares;
    }

    private static string Truncate(string label) =>
        label.Length <= MaxLabelChars ? label : label[..(MaxLabelChars - 1)] + "…";

    /// <summary>
    /// Pixel sizes: square cells that shrink as classes grow, margins that fit the longest tick label, and a data area
    /// wide enough for the title, which is centred over it. Text widths are estimated at 0.58 em per character.
    /// </summary>
    private sealed record Layout(float Cell, float FontSize, int Margin, int Right, int Top, int Width, int Height)
    {
        public static Layout For(IReadOnlyList<string> labels, string? title)
        {
            var k = labels.Count;
            var fontSize = Math.Clamp(Math.Clamp(840f / k, 12, 64) * 0.5f, 8, 14);
            var chars = labels.Max(l => Math.Min(l.Length, MaxLabelChars));
            var margin = (int)Math.Ceiling(chars * fontSize * 0.58f) + 50; // tick labels, tick marks, axis title
            var (right, top) = (20, title is null ? 20 : 44);
            var titleWidth = (title?.Length ?? 0) * TitleSize * 0.58f + 10;
            var data = Math.Max(Math.Clamp(840f / k, 12, 64) * k, Math.Max(200, titleWidth - 2 * right));
            data = Math.Min(data, MaxSide - margin - Math.Max(right, top));
            var side = (int)Math.Ceiling(data) + margin;
            return new Layout(data / k, fontSize, margin, right, top, side + right, side + top);
        }
    }
}
