namespace Cadre;

/// <summary>
/// An error the user can cause (a bad file, an unknown name, a wrong flag). Its message names the file, field or line
/// and is meant to be shown alone: the CLI prints it and exits non-zero; the server maps it to a 4xx problem.
/// </summary>
public class CadreException : Exception
{
    public CadreException(string message) : base(message) { }
    public CadreException(string message, Exception inner) : base(message, inner) { }
}
