using System.Numerics;

namespace Tessera.Ops.Math;

/// <summary>Compile-time facts about generic element types (the JIT folds these checks away).</summary>
public static class NumberTraits
{
    public static bool IsFloat<T>() where T : INumberBase<T> =>
        typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(Half);

    /// <summary>Converts a double constant (an attribute value) to the element type.</summary>
    public static T From<T>(double value) where T : INumberBase<T> => T.CreateTruncating(value);
}
