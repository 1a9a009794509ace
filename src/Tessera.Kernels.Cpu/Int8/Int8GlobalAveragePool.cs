using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Core;
using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of an int8 GlobalAveragePool <see cref="PoolStep"/> (the integer average, not the float
/// one of the Float and ArmNn profiles): per plane the exact int32 sum of (x - zero), the sum of x taken as the
/// sum of the unsigned bytes x + 128 (VPSADBW) minus 128 per element, then the reference's requantizer for the
/// plane's element count, so each output is bit for bit the reference step's. Planes run in parallel.</summary>
public sealed class Int8GlobalAveragePool(PoolStep reference, int threads) : IntegerStep(reference.Name, [.. reference.Inputs], [.. reference.Outputs])
{
    private readonly ReusedBuffer<sbyte> _output = new();

    public override string Kind => reference.Kind;

    public override string Parameters => reference.Parameters + " cpu";

    public static bool Covers(PoolStep step) =>
        step.Node.OpType == "GlobalAveragePool" && step.AverageOutput is not null && !step.FloatAverage;

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        int[] lifted = Windows.Lift(x.Shape);
        int planes = lifted[0] * lifted[1], count = lifted[2] * lifted[3];
        var requantizer = reference.AverageOutput!.ForCount(Math.Max(1, count));
        int zero = reference.InputZero;
        var source = x.As<sbyte>();
        var y = _output.Get(planes);
        int workers = (long)planes * count < (1 << 16) ? 1 : threads;
        int chunks = Math.Max(1, Math.Min(planes, workers * 4));
        CpuParallel.For(chunks, workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
        {
            for (int p = planes * chunk / chunks, end = planes * (chunk + 1) / chunks; p < end; p++)
            {
                long sum = Sum(source.AsSpan(p * count, count)) - (long)zero * count;
                y[p] = requantizer.Apply(IntegerKernels.ToAccumulator(sum), 0);
            }
        });
        int[] outShape = [x.Shape[0], x.Shape[1], .. Enumerable.Repeat(1, x.Rank - 2)];
        state.SetInt8(Outputs[0], _output.Wrap(outShape, y), reference.Unsigned);
    }

    /// <summary>The sum of the values, exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static long Sum(ReadOnlySpan<sbyte> values)
    {
        int n = values.Length, i = 0;
        long sum = 0;
        if (Avx2.IsSupported && n >= 32)
        {
            ref byte s = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(values));
            var bias = Vector256.Create((byte)0x80);
            var total = Vector256<ulong>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                // (byte)(x ^ 0x80) = x + 128; VPSADBW against zero sums eight bytes into each 64-bit lane.
                var u = Vector256.LoadUnsafe(ref s, (nuint)i) ^ bias;
                total += Avx2.SumAbsoluteDifferences(u, Vector256<byte>.Zero).AsUInt64();
            }
            sum = (long)Vector256.Sum(total) - 128L * i;
        }
        for (; i < n; i++) sum += values[i];
        return sum;
    }
}
