using System.Globalization;
using Tessera.Core;

namespace Tessera.Augment.Spec;

/// <summary>One parameter value as written: a number, a range "a..b" sampled uniformly, or a word
/// (colour names, modes). <see cref="Column"/> is 1-based so errors can point into the spec.</summary>
public sealed record ParameterValue(string Key, string Text, double? Minimum, double? Maximum, int Column)
{
    public bool IsNumber => Minimum is not null;

    public bool IsRange => IsNumber && Text.Contains("..", StringComparison.Ordinal);
}

/// <summary>One operation as written: its name, its parameters in order, and where it starts.</summary>
public sealed record OperationSpec(string Name, IReadOnlyList<ParameterValue> Parameters, int Column);

/// <summary>The augmentation spec language shared by the library and `tessera augment`:
/// <c>op[:key=value]*</c> separated by commas, e.g. <c>"flip:p=0.5, rotate:degrees=15, jpeg:quality=40..90"</c>.
/// Values are numbers, ranges <c>a..b</c> (sampled uniformly per output) or words.</summary>
public static class AugmentSpec
{
    public static IReadOnlyList<OperationSpec> Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var operations = new List<OperationSpec>();
        int start = 0;
        while (start <= spec.Length)
        {
            int end = spec.IndexOf(',', start);
            if (end < 0) end = spec.Length;
            var piece = spec[start..end];
            if (piece.Trim().Length == 0)
            {
                // An empty spec means "no operations"; an empty item between commas is a typo.
                if (spec.Trim().Length != 0) throw Error(spec, start, "empty operation between commas", "remove the extra comma");
            }
            else
            {
                operations.Add(ParseOperation(spec, piece, start));
            }
            start = end + 1;
        }
        return operations;
    }

    private static OperationSpec ParseOperation(string spec, string piece, int offset)
    {
        var parts = piece.Split(':');
        int position = offset;
        var name = parts[0].Trim();
        int nameColumn = offset + piece.IndexOf(name, StringComparison.Ordinal) + 1;
        if (!IsWord(name)) throw Error(spec, nameColumn - 1, $"'{name}' is not an operation name", "write op:key=value, e.g. rotate:degrees=15");
        position += parts[0].Length + 1;
        var parameters = new List<ParameterValue>();
        for (int i = 1; i < parts.Length; i++)
        {
            var part = parts[i];
            int column = position + (part.Length - part.TrimStart().Length) + 1;
            position += part.Length + 1;
            var text = part.Trim();
            int equals = text.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == text.Length - 1)
            {
                throw Error(spec, column - 1, $"'{text}' in '{name}' is not key=value", $"write {name}:key=value");
            }
            var key = text[..equals].Trim();
            var value = text[(equals + 1)..].Trim();
            if (parameters.Any(p => p.Key == key)) throw Error(spec, column - 1, $"'{key}' is given twice for '{name}'", "keep one");
            parameters.Add(ParseValue(spec, name, key, value, column));
        }
        return new OperationSpec(name, parameters, nameColumn);
    }

    private static ParameterValue ParseValue(string spec, string operation, string key, string value, int column)
    {
        int dots = value.IndexOf("..", StringComparison.Ordinal);
        if (dots >= 0)
        {
            if (!TryNumber(value[..dots], out var low) || !TryNumber(value[(dots + 2)..], out var high))
            {
                throw Error(spec, column - 1, $"'{key}={value}' in '{operation}' is not a range of numbers", $"write {key}=LOW..HIGH, e.g. {key}=0.5..1.5");
            }
            if (low > high) throw Error(spec, column - 1, $"range '{key}={value}' in '{operation}' runs backwards", $"write {key}={Format(high)}..{Format(low)}");
            return new ParameterValue(key, value, low, high, column);
        }
        if (TryNumber(value, out var number)) return new ParameterValue(key, value, number, number, column);
        if (value.StartsWith('#') || IsWord(value)) return new ParameterValue(key, value, null, null, column);
        throw Error(spec, column - 1, $"'{key}={value}' in '{operation}' is neither a number, a range nor a word", "use digits, a..b, or a name");
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static bool IsWord(string text) => text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-') && char.IsAsciiLetter(text[0]);

    internal static string Format(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>Errors name the spec and the 1-based column so the user can find the typo.</summary>
    internal static InvalidInputException Error(string spec, int index, string what, string hint) =>
        new($"{what} (column {index + 1} of \"{spec}\")", "augmentation spec", hint);
}
