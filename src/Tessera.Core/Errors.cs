namespace Tessera.Core;

/// <summary>Base of every error a user can act on. The message says what went wrong; <see cref="Where"/>
/// names the file, node or tensor; <see cref="Hint"/> says what to do. The CLI prints
/// <see cref="UserMessage"/> on one line and exits with code 2.</summary>
public class TesseraException : Exception
{
    public TesseraException(string message, string? where = null, string? hint = null, Exception? inner = null)
        : base(message, inner)
    {
        Where = where;
        Hint = hint;
    }

    public string? Where { get; }

    public string? Hint { get; }

    /// <summary>One line: "where: what (hint)".</summary>
    public string UserMessage
    {
        get
        {
            var text = Where is null ? Message : $"{Where}: {Message}";
            return Hint is null ? text : $"{text}; {Hint}";
        }
    }
}

/// <summary>A model or tensor file that is malformed, truncated, inconsistent or exceeds safety bounds.</summary>
public sealed class ModelFormatException(string message, string? where = null, string? hint = null, Exception? inner = null)
    : TesseraException(message, where, hint ?? "check that the file is a complete, valid model", inner);

/// <summary>A valid model that uses an operator, attribute or type this backend does not implement.</summary>
public sealed class UnsupportedException(string message, string? where = null, string? hint = null)
    : TesseraException(message, where, hint);

/// <summary>Inputs given by the user that do not match what the model expects (names, shapes, types).</summary>
public sealed class InvalidInputException(string message, string? where = null, string? hint = null)
    : TesseraException(message, where, hint);
