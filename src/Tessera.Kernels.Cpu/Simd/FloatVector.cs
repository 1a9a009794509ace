using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Cpu.Simd;

/// <summary>The handful of float vector operations the kernels' row loops need, over one register width.
/// A loop written once against this interface is compiled by the JIT separately for <see cref="Float512"/>
/// and <see cref="Float256"/> (struct type arguments get their own code), so the widths share one body
/// without a virtual call (.NET 10 keeps its own <c>ISimdVector</c> internal).</summary>
internal unsafe interface IFloatVector<TSelf> where TSelf : unmanaged, IFloatVector<TSelf>
{
    /// <summary>Lanes per register.</summary>
    static abstract int Count { get; }

    /// <summary>Whether this width runs in hardware on this machine.</summary>
    static abstract bool IsAccelerated { get; }

    static abstract TSelf Splat(float value);

    static abstract TSelf Load(float* source);

    /// <summary>a * b + addend with one rounding.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf addend);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf Min(TSelf a, TSelf b);

    static abstract TSelf Max(TSelf a, TSelf b);

    /// <summary>Per lane: <paramref name="ifNegative"/> where <paramref name="value"/> is below zero, else
    /// <paramref name="otherwise"/>.</summary>
    static abstract TSelf SelectWhereNegative(TSelf value, TSelf ifNegative, TSelf otherwise);

    void Store(float* target);
}

internal readonly struct Float512(Vector512<float> value) : IFloatVector<Float512>
{
    private readonly Vector512<float> value = value;

    public static int Count => Vector512<float>.Count;

    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Splat(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Float512 Load(float* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 MultiplyAdd(Float512 a, Float512 b, Float512 addend) => new(Vector512.FusedMultiplyAdd(a.value, b.value, addend.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 operator +(Float512 a, Float512 b) => new(a.value + b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 operator *(Float512 a, Float512 b) => new(a.value * b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Min(Float512 a, Float512 b) => new(Vector512.Min(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Max(Float512 a, Float512 b) => new(Vector512.Max(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 SelectWhereNegative(Float512 value, Float512 ifNegative, Float512 otherwise) =>
        new(Vector512.ConditionalSelect(Vector512.LessThan(value.value, Vector512<float>.Zero), ifNegative.value, otherwise.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Store(float* target) => value.Store(target);
}

internal readonly struct Float256(Vector256<float> value) : IFloatVector<Float256>
{
    private readonly Vector256<float> value = value;

    public static int Count => Vector256<float>.Count;

    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Splat(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Float256 Load(float* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 MultiplyAdd(Float256 a, Float256 b, Float256 addend) => new(Vector256.FusedMultiplyAdd(a.value, b.value, addend.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 operator +(Float256 a, Float256 b) => new(a.value + b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 operator *(Float256 a, Float256 b) => new(a.value * b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Min(Float256 a, Float256 b) => new(Vector256.Min(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Max(Float256 a, Float256 b) => new(Vector256.Max(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 SelectWhereNegative(Float256 value, Float256 ifNegative, Float256 otherwise) =>
        new(Vector256.ConditionalSelect(Vector256.LessThan(value.value, Vector256<float>.Zero), ifNegative.value, otherwise.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Store(float* target) => value.Store(target);
}
