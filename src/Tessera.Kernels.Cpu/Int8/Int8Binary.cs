using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of an int8 <see cref="BinaryStep"/> (TFLite's fixed-point Add and Mul), bit for bit the
/// same: eight lanes at a time through <see cref="MultiplierVector"/>. It covers equal shapes and an operand that
/// is one value per outer index (a [1, C, 1, 1] scale against [1, C, H, W], or a scalar); other broadcasts run
/// the reference step.</summary>
public sealed class Int8Binary(BinaryStep reference, int threads) : IntegerStep(reference.Name, [.. reference.Inputs], [.. reference.Outputs])
{
    private readonly int[] _p = reference.FixedPointParameters;
    private readonly ReusedBuffer<sbyte> _output = new();

    public override string Kind => reference.Kind;

    public override string Parameters => reference.Parameters + " cpu";

    public override void Execute(IntegerState state)
    {
        var a = state.Int8(Inputs[0]);
        var b = state.Int8(Inputs[1]);
        if (!Avx2.IsSupported)
        {
            reference.Execute(state);
            return;
        }
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        int total = (int)ShapeMath.ElementCount(shape);
        sbyte[] y;
        if (a.Shape.AsSpan().SequenceEqual(b.Shape))
        {
            y = _output.Get(total);
            Run(a.As<sbyte>(), b.As<sbyte>(), 1, total, false, y);
        }
        else if (a.Length == total && PerOuter(b.Shape, shape) is int innerB)
        {
            y = _output.Get(total);
            Run(a.As<sbyte>(), b.As<sbyte>(), total / innerB, innerB, false, y);
        }
        else if (b.Length == total && PerOuter(a.Shape, shape) is int innerA)
        {
            y = _output.Get(total);
            Run(b.As<sbyte>(), a.As<sbyte>(), total / innerA, innerA, true, y);
        }
        else
        {
            reference.Execute(state);
            return;
        }
        state.SetInt8(Outputs[0], Tensor.Create(shape, y), reference.Unsigned);
    }

    /// <summary>When <paramref name="small"/>, aligned to the output's rank, equals the output on a leading run of
    /// axes and is 1 on all the others, the element count of those others (each small value serves that many
    /// consecutive outputs); otherwise null.</summary>
    private static int? PerOuter(int[] small, int[] output)
    {
        int offset = output.Length - small.Length, split = output.Length;
        for (int axis = output.Length - 1; axis >= 0; axis--)
        {
            int size = axis >= offset ? small[axis - offset] : 1;
            if (size == 1 && split == axis + 1) split = axis;
        }
        for (int axis = 0; axis < split; axis++)
        {
            int size = axis >= offset ? small[axis - offset] : 1;
            if (size != output[axis]) return null;
        }
        int inner = (int)ShapeMath.ElementCount(output.AsSpan(split));
        return inner == 0 ? null : inner;
    }

    /// <summary>y[o * inner + i] = f(full[o * inner + i], other[o] (or other[o * inner + i] when inner is the
    /// whole when both are full)); <paramref name="swapped"/> when the full operand is the right one.</summary>
    private void Run(sbyte[] full, sbyte[] other, int outer, int inner, bool swapped, sbyte[] y)
    {
        bool same = outer == 1 && other.Length == full.Length && full.Length == inner;
        int total = outer * inner;
        if (total == 0) return;
        int workers = total < (1 << 16) ? 1 : threads;
        if (same)
        {
            int chunks = Math.Max(1, Math.Min(workers * 4, total / 4096));
            CpuParallel.For(chunks, workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
            {
                int start = (int)((long)total * chunk / chunks) & ~7, end = chunk == chunks - 1 ? total : (int)((long)total * (chunk + 1) / chunks) & ~7;
                Span(full.AsSpan(start, end - start), other.AsSpan(start, end - start), 0, false, swapped, y.AsSpan(start, end - start));
            });
            return;
        }
        int outerChunks = Math.Max(1, Math.Min(outer, workers * 4));
        CpuParallel.For(outerChunks, outer < 2 ? 1 : workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
        {
            for (int o = (int)((long)outer * chunk / outerChunks), end = (int)((long)outer * (chunk + 1) / outerChunks); o < end; o++)
            {
                Span(full.AsSpan(o * inner, inner), default, other[o], true, swapped, y.AsSpan(o * inner, inner));
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Span(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> z, sbyte scalar, bool useScalar, bool swapped, Span<sbyte> y)
    {
        var p = _p;
        int n = y.Length, i = 0;
        bool multiply = reference.IsMultiply;
        var s = Vector256.Create((int)scalar);
        if (n >= 8)
        {
            if (multiply)
            {
                var za = Vector256.Create(p[0]);
                var zb = Vector256.Create(p[1]);
                var scale = new MultiplierVector(p[2], p[3]);
                var zero = Vector256.Create(p[4]);
                var lo = Vector256.Create(p[5]);
                var hi = Vector256.Create(p[6]);
                for (; i + 8 <= n; i += 8)
                {
                    var (a, b) = Load(x, z, s, useScalar, swapped, i);
                    var r = scale.Apply((a - za) * (b - zb)) + zero;
                    MultiplierVector.StoreBytes(Vector256.Min(Vector256.Max(r, lo), hi), ref y[i]);
                }
            }
            else
            {
                var za = Vector256.Create(p[0]);
                var zb = Vector256.Create(p[1]);
                int leftShift = p[2];
                var scaleA = new MultiplierVector(p[3], p[4]);
                var scaleB = new MultiplierVector(p[5], p[6]);
                var scaleOut = new MultiplierVector(p[7], p[8]);
                var zero = Vector256.Create(p[9]);
                var lo = Vector256.Create(p[10]);
                var hi = Vector256.Create(p[11]);
                for (; i + 8 <= n; i += 8)
                {
                    var (a, b) = Load(x, z, s, useScalar, swapped, i);
                    var sum = scaleA.Apply(Vector256.ShiftLeft(a - za, leftShift)) + scaleB.Apply(Vector256.ShiftLeft(b - zb, leftShift));
                    var r = scaleOut.Apply(sum) + zero;
                    MultiplierVector.StoreBytes(Vector256.Min(Vector256.Max(r, lo), hi), ref y[i]);
                }
            }
        }
        for (; i < n; i++)
        {
            int first = x[i], second = useScalar ? scalar : z[i];
            if (swapped) (first, second) = (second, first);
            y[i] = multiply ? FixedPoint.Multiply(first, second, p) : FixedPoint.Add(first, second, p);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<int> A, Vector256<int> B) Load(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> z, Vector256<int> scalar, bool useScalar, bool swapped, int i)
    {
        var first = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.AsRef(in x[i])))).AsSByte());
        var second = useScalar ? scalar : Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.AsRef(in z[i])))).AsSByte());
        return swapped ? (second, first) : (first, second);
    }
}
