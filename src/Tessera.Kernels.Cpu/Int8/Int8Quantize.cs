using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Core;
using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of a <see cref="QuantizeStep"/> on float32 input: the reference's arithmetic on eight
/// lanes (x / scale in float32, rounded half to even, plus the zero point, clamped to int8; NaN gives 0 as the
/// reference's saturating conversion does) into a reused array. The sum is formed in float32 where the reference
/// uses double: both are exact while |round(x / scale)| is below 2^24, and beyond that both clamp to the same end.
/// Inputs that are not float32 run the reference step.</summary>
public sealed class Int8Quantize(QuantizeStep reference, int threads) : IntegerStep(reference.Name, [.. reference.Inputs], [.. reference.Outputs])
{
    private readonly ReusedBuffer<sbyte> _output = new();

    public override string Kind => reference.Kind;

    public override bool IsFloat => true;

    public override string Parameters => reference.Parameters + " cpu";

    public override void Execute(IntegerState state)
    {
        var input = state.Get(Inputs[0]);
        if (input.Data is not float[] x)
        {
            reference.Execute(state);
            return;
        }
        var y = _output.Get(x.Length);
        QuantizeInChunks(x, y, reference.Quantization.Scale, reference.Quantization.ZeroPoint, threads);
        state.SetInt8(Outputs[0], _output.Wrap(input.Shape, y), reference.Unsigned);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    /// <summary><see cref="Quantize"/> over all of <paramref name="x"/>, in 32-aligned chunks on
    /// <paramref name="threads"/> threads when it is large (64 K elements or more).</summary>
    internal static void QuantizeInChunks(float[] x, sbyte[] y, float scale, float zero, int threads)
    {
        int n = x.Length;
        int chunks = n < (1 << 16) ? 1 : Math.Max(1, threads * 4);
        CpuParallel.For(chunks, chunks == 1 ? 1 : threads, chunk =>
        {
            int begin = (int)((long)n * chunk / chunks) & ~31, end = chunk == chunks - 1 ? n : (int)((long)n * (chunk + 1) / chunks) & ~31;
            Quantize(x.AsSpan(begin, end - begin), y.AsSpan(begin, end - begin), scale, zero);
        });
    }

    internal static void Quantize(ReadOnlySpan<float> x, Span<sbyte> y, float scale, float zero)
    {
        int n = x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated && n >= 32)
        {
            ref float xs = ref MemoryMarshal.GetReference(x);
            ref sbyte ys = ref MemoryMarshal.GetReference(y);
            var s = Vector256.Create(scale);
            var z = Vector256.Create(zero);
            var low = Vector256.Create(-128f);
            var high = Vector256.Create(127f);
            Vector256<int> Lane(ref float from, nuint at)
            {
                var q = Vector256.Round(Vector256.LoadUnsafe(ref from, at) / s) + z;
                q &= Vector256.Equals(q, q).AsSingle(); // NaN -> +0
                return Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(q, low), high));
            }
            for (; i + 32 <= n; i += 32)
            {
                var a = Vector256.Narrow(Lane(ref xs, (nuint)i), Lane(ref xs, (nuint)i + 8));
                var b = Vector256.Narrow(Lane(ref xs, (nuint)i + 16), Lane(ref xs, (nuint)i + 24));
                // Narrow works lane-wise on 256-bit vectors in .NET (not per 128-bit half as VPACKSSDW does).
                Vector256.Narrow(a, b).AsSByte().StoreUnsafe(ref ys, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            double q = MathF.Round(x[i] / scale) + (double)zero;
            y[i] = (sbyte)Math.Clamp(q, sbyte.MinValue, sbyte.MaxValue);
        }
    }
}

/// <summary>The fast form of a <see cref="DequantizeStep"/>: (q - zero) x scale in float32 on eight lanes (the int
/// converts exactly, one multiply rounds as the reference's). The result is a new array every run: dequantized
/// values are graph outputs or float-island inputs, which a caller may keep.</summary>
public sealed class Int8Dequantize(DequantizeStep reference) : IntegerStep(reference.Name, [.. reference.Inputs], [.. reference.Outputs])
{
    public override string Kind => reference.Kind;

    public override bool IsFloat => true;

    public override string Parameters => reference.Parameters + " cpu";

    public override void Execute(IntegerState state)
    {
        var q = state.Int8(Inputs[0]);
        var source = q.As<sbyte>();
        var data = GC.AllocateUninitializedArray<float>(source.Length);
        Dequantize(source, data, reference.Quantization.Scale, reference.Quantization.ZeroPoint);
        state.Set(Outputs[0], Tensor.Create((int[])q.Shape.Clone(), data));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Dequantize(ReadOnlySpan<sbyte> q, Span<float> y, float scale, int zero)
    {
        int n = q.Length, i = 0;
        if (Avx2.IsSupported && n >= 8)
        {
            ref byte qs = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(q));
            ref float ys = ref MemoryMarshal.GetReference(y);
            var s = Vector256.Create(scale);
            var z = Vector256.Create(zero);
            for (; i + 8 <= n; i += 8)
            {
                // Eight bytes, sign-extended to int32 (VPMOVSXBD).
                var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref qs, i))).AsSByte();
                (Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(bytes) - z) * s).StoreUnsafe(ref ys, (nuint)i);
            }
        }
        for (; i < n; i++) y[i] = (q[i] - zero) * scale;
    }
}
