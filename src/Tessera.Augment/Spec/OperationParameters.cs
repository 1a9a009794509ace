using System.Globalization;

namespace Tessera.Augment.Spec;

/// <summary>A closed interval sampled uniformly; a single number is the interval [v, v].</summary>
public readonly record struct NumberRange(double Minimum, double Maximum)
{
    public static NumberRange Fixed(double value) => new(value, value);

    public double Sample(Random random) => Minimum == Maximum ? Minimum : Minimum + (Maximum - Minimum) * random.NextDouble();

    public override string ToString() =>
        Minimum == Maximum ? AugmentSpec.Format(Minimum) : $"{AugmentSpec.Format(Minimum)}..{AugmentSpec.Format(Maximum)}";
}

/// <summary>Documentation of one parameter: its name, default and meaning (shown in errors and docs).</summary>
public sealed record ParameterInfo(string Name, string Default, string Meaning);

/// <summary>The parameters of one operation in a spec, read by the operation's factory. Every accessor
/// checks the value's kind and bounds; the constructor rejects keys the operation does not know.</summary>
public sealed class OperationParameters
{
    private readonly string spec;
    private readonly OperationSpec operation;

    public OperationParameters(string spec, OperationSpec operation, IReadOnlyList<ParameterInfo> known)
    {
        this.spec = spec;
        this.operation = operation;
        foreach (var parameter in operation.Parameters)
        {
            if (parameter.Key != "p" && known.All(k => k.Name != parameter.Key))
            {
                var names = string.Join(", ", known.Select(k => k.Name).Append("p"));
                throw AugmentSpec.Error(spec, parameter.Column - 1, $"'{operation.Name}' has no parameter '{parameter.Key}'", $"its parameters are {names}");
            }
        }
    }

    public string OperationName => operation.Name;

    /// <summary>The probability that the step runs for one output (key p, default 1).</summary>
    public double Probability
    {
        get
        {
            var found = Find("p");
            if (found is { IsRange: true }) throw AugmentSpec.Error(spec, found.Column - 1, $"p in '{operation.Name}' must be one number", "write p=0.5");
            return Value("p", 1, 0, 1).Minimum;
        }
    }

    public bool Has(string key) => Find(key) is not null;

    /// <summary>A number or a range, both within [lowest, highest]; the default when absent.</summary>
    public NumberRange Value(string key, double fallback, double lowest, double highest)
    {
        var found = Find(key);
        if (found is null) return NumberRange.Fixed(fallback);
        var range = NumberOf(found);
        if (range.Minimum < lowest || range.Maximum > highest)
        {
            throw AugmentSpec.Error(spec, found.Column - 1, $"{key}={found.Text} in '{operation.Name}' is outside {AugmentSpec.Format(lowest)}..{AugmentSpec.Format(highest)}",
                $"give a value in {AugmentSpec.Format(lowest)}..{AugmentSpec.Format(highest)}");
        }
        return range;
    }

    /// <summary>A single number v means the symmetric range [-v, v] (e.g. rotate:degrees=15); a range is kept as written.</summary>
    public NumberRange Spread(string key, double fallback, double lowest, double highest)
    {
        var found = Find(key);
        if (found is not null && !found.IsRange && found.Minimum < 0)
        {
            throw AugmentSpec.Error(spec, found.Column - 1, $"{key}={found.Text} in '{operation.Name}' must not be negative (it means -v..v)", $"write {key}={AugmentSpec.Format(-found.Minimum!.Value)} or a range");
        }
        var range = Value(key, fallback, found is { IsRange: true } ? lowest : 0, highest);
        return found is { IsRange: true } ? range : new NumberRange(-range.Maximum, range.Maximum);
    }

    /// <summary>A whole number (ranges allowed; sampled values are rounded).</summary>
    public NumberRange Integer(string key, int fallback, int lowest, int highest)
    {
        var found = Find(key);
        var range = Value(key, fallback, lowest, highest);
        if (found is { IsRange: false } && range.Minimum != System.Math.Round(range.Minimum))
        {
            throw AugmentSpec.Error(spec, found.Column - 1, $"{key}={found.Text} in '{operation.Name}' must be a whole number", $"write {key}={System.Math.Round(range.Minimum)}");
        }
        return range;
    }

    public string Word(string key, string fallback, params string[] allowed)
    {
        var found = Find(key);
        if (found is null) return fallback;
        var word = found.Text.ToLowerInvariant();
        if (!allowed.Contains(word))
        {
            throw AugmentSpec.Error(spec, found.Column - 1, $"{key}={found.Text} in '{operation.Name}' is not one of {string.Join(", ", allowed)}", $"write e.g. {key}={allowed[0]}");
        }
        return word;
    }

    /// <summary>A colour as #rrggbb, or one number 0..255 for a grey.</summary>
    public (byte R, byte G, byte B) Color(string key, (byte R, byte G, byte B) fallback)
    {
        var found = Find(key);
        if (found is null) return fallback;
        if (found is { IsNumber: true, IsRange: false } && found.Minimum is >= 0 and <= 255 && found.Minimum == System.Math.Round(found.Minimum.Value))
        {
            var grey = (byte)found.Minimum.Value;
            return (grey, grey, grey);
        }
        var text = found.Text;
        if (text.Length == 7 && text[0] == '#' && int.TryParse(text.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rgb))
        {
            return ((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
        }
        throw AugmentSpec.Error(spec, found.Column - 1, $"{key}={text} in '{operation.Name}' is not a colour", $"write {key}=#rrggbb or {key}=0..255 for grey");
    }

    public InvalidInputExceptionBuilder Fail(string key) => new(spec, operation.Name, Find(key)?.Column ?? operation.Column);

    private NumberRange NumberOf(ParameterValue found)
    {
        if (!found.IsNumber)
        {
            throw AugmentSpec.Error(spec, found.Column - 1, $"{found.Key}={found.Text} in '{operation.Name}' must be a number or a range", $"write e.g. {found.Key}=1 or {found.Key}=0.5..2");
        }
        return new NumberRange(found.Minimum!.Value, found.Maximum!.Value);
    }

    private ParameterValue? Find(string key) => operation.Parameters.FirstOrDefault(p => p.Key == key);
}

/// <summary>Builds an error that points at one parameter of one operation.</summary>
public readonly record struct InvalidInputExceptionBuilder(string Spec, string Operation, int Column)
{
    public Core.InvalidInputException Because(string what, string hint) => AugmentSpec.Error(Spec, Column - 1, $"{what} in '{Operation}'", hint);
}
