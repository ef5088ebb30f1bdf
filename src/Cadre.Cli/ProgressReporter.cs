using System.Globalization;
using Cadre.Util;

namespace Cadre.Cli;

/// <summary>
/// The one progress display of the command line: done/total, rate and time left of each long step, on stderr. On a
/// terminal, one line rewritten in place with '\r' (at most every <see cref="RedrawEvery"/>); elsewhere (a log
/// file, CI, a pipe) a plain line when a stage starts, then at most every <see cref="PlainEvery"/>, and when it
/// ends, so logs show progress without a flood of lines. stdout stays for results.
/// </summary>
internal sealed class ProgressReporter(TextWriter error, bool interactive, Func<TimeSpan>? clock = null) : IProgress<ProgressUpdate>
{
    public static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(5);

    private readonly Func<TimeSpan> _clock = clock ?? StartClock();
    private readonly Lock _gate = new();
    private ProgressMeter? _meter;
    private string? _stage;
    private long _lastDone;
    private TimeSpan? _lastShown;
    private int _shownWidth;

    public static ProgressReporter For(CliContext context) => new(context.Error, context.Interactive);

    private static Func<TimeSpan> StartClock()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        return () => watch.Elapsed;
    }

    public void Report(ProgressUpdate value)
    {
        lock (_gate)
        {
            var now = _clock();
            if (value.Stage != _stage || value.Done < _lastDone)
            {
                ClearLine();
                (_meter, _stage, _lastShown) = (new ProgressMeter(_clock), value.Stage, null);
            }
            _lastDone = value.Done;
            var estimate = _meter!.Observe(value.Done, value.Total);
            var finished = value.Total > 0 && value.Done >= value.Total;
            var since = _lastShown is { } shown ? now - shown : TimeSpan.MaxValue;
            if (!finished && since < (interactive ? RedrawEvery : PlainEvery)) return;
            _lastShown = now;
            var line = Format(value, estimate);
            if (!interactive)
            {
                error.WriteLine(line);
                return;
            }
            error.Write("\r" + line.PadRight(_shownWidth));
            _shownWidth = line.Length;
            if (!finished) return;
            error.WriteLine(); // a finished stage keeps its line
            _shownWidth = 0;
        }
    }

    /// <summary>Erases an unfinished line on a terminal, before other output.</summary>
    public void Clear()
    {
        lock (_gate) ClearLine();
    }

    private void ClearLine()
    {
        if (!interactive || _shownWidth == 0) return;
        error.Write("\r" + new string(' ', _shownWidth) + "\r");
        _shownWidth = 0;
        _lastShown = null; // redraw at the next report
    }

    /// <summary>"embed: 1,200/3,000 rows (40%), 95 rows/s, 0:19 left" or, finished, "embed: 3,000/3,000 rows in 0:31, 97 rows/s".</summary>
    internal static string Format(ProgressUpdate u, ProgressEstimate e)
    {
        var ci = CultureInfo.InvariantCulture;
        var head = u.Detail is null ? u.Stage : $"{u.Stage} ({u.Detail})";
        // Bytes read best in MiB; other units are counted as they are.
        var (scale, unit) = u.Unit == "bytes" ? (1.0 / (1 << 20), "MiB") : (1.0, u.Unit);
        string Amount(long v) => scale == 1 ? v.ToString("N0", ci) : (v * scale).ToString("N1", ci);
        var rate = e.Rate is { } r ? $", {Rate(r * scale)} {unit}/s" : "";
        if (u.Total > 0 && u.Done >= u.Total)
            return $"{head}: {Amount(u.Done)}/{Amount(u.Total)} {unit} in {Time(e.Elapsed)}{rate}";
        var percent = u.Total > 0 ? string.Create(ci, $" ({100.0 * u.Done / u.Total:F0}%)") : "";
        var left = e.Left is { } l ? $", {Time(l)} left" : ", estimating time left";
        if (u.Part is not null && e.Left is { } all && e.LeftFor(u.PartTotal - u.PartDone) is { } part)
            left = $", {u.Part} {Time(part)} left, {Time(all)} left in all";
        return $"{head}: {Amount(u.Done)}/{Amount(u.Total)} {unit}{percent}{rate}{left}";
    }

    private static string Rate(double r) => r >= 100 ? r.ToString("N0", CultureInfo.InvariantCulture) : r.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>m:ss, or h:mm:ss from an hour on.</summary>
    internal static string Time(TimeSpan t)
    {
        var s = (long)Math.Ceiling(t.TotalSeconds);
        return s >= 3600 ? $"{s / 3600}:{s / 60 % 60:00}:{s % 60:00}" : $"{s / 60}:{s % 60:00}";
    }
}
