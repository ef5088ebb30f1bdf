namespace Cadre;

/// <summary>
/// An error the user can cause (a bad file, an unknown name, a wrong flag). Its message names the file, field or line
/// and is meant to be shown alone: the CLI prints it and exits non-zero; the server maps it to a 4xx problem.
/// </summary>
public class CadreException : Exception
{
    /// <summary>Strings from a file or the user longer than this are cut when an error echoes them.</summary>
    public const int MaxEchoed = 120;

    public CadreException(string message) : base(message) { }
    public CadreException(string message, Exception inner) : base(message, inner) { }

    /// <summary>
    /// <paramref name="text"/> as an error message echoes it: whole up to <see cref="MaxEchoed"/> characters, otherwise
    /// its start, an ellipsis and its length, so that a 100,000-character tensor name makes a one-line error.
    /// </summary>
    public static string Shown(string text)
    {
        if (text.Length <= MaxEchoed)
            return text;
        var cut = char.IsHighSurrogate(text[MaxEchoed - 2]) ? MaxEchoed - 2 : MaxEchoed - 1; // never half a character
        return string.Concat(text.AsSpan(0, cut), string.Create(System.Globalization.CultureInfo.InvariantCulture, $"… ({text.Length:N0} characters)"));
    }
}
