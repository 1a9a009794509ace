using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Simulator;

/// <summary>Which inner loop computes int8 dot products: AVX-VNNI (vpdpbusd), AVX2 (widen to int16, then
/// vpmaddwd; exact, no int16 saturation) or plain scalar loops. All give identical results; tests force
/// each one.</summary>
public enum KernelPath
{
    Automatic,
    Vnni,
    Avx2,
    Scalar,
}

/// <summary>The functional core of one systolic-array pass: out[m, n] (+)= sum_k a[row(m) + k] * w[k, n],
/// int8 x int8 -> int32, wrapping on int32 overflow exactly as a 32-bit accumulator does. Weights are
/// packed once per pass so the inner loop broadcasts four activations and multiplies eight columns at a
/// time, the layout VNNI wants.</summary>
public sealed class GemmKernel
{
    private byte[] packed = new byte[4096];
    private int[] columnSums = new int[64];
    private int[] row = new int[64];
    private byte[] activation = new byte[64];

    public KernelPath Path { get; }

    public GemmKernel(KernelPath path = KernelPath.Automatic)
    {
        Path = path switch
        {
            KernelPath.Automatic => AvxVnni.IsSupported ? KernelPath.Vnni : Avx2.IsSupported ? KernelPath.Avx2 : KernelPath.Scalar,
            KernelPath.Vnni when !AvxVnni.IsSupported => Avx2.IsSupported ? KernelPath.Avx2 : KernelPath.Scalar,
            KernelPath.Avx2 when !Avx2.IsSupported => KernelPath.Scalar,
            _ => path,
        };
    }

    /// <summary>Input row m = i1 * m0 + i0 starts at input + i1 * stride1 + i0 * stride0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(ReadOnlySpan<sbyte> activations, ReadOnlySpan<sbyte> weights, Span<int> accumulator,
        int rows, int m0, int input, int stride0, int stride1, int k, int n, int weightAddress, int weightStride,
        int outputAddress, int outputStride, bool accumulate)
    {
        int RowAddress(int m) => input + (m / m0) * stride1 + (m % m0) * stride0;

        int paddedN = (n + 7) & ~7;
        int paddedK = (k + 3) & ~3;
        Grow(ref row, paddedN);
        Grow(ref activation, paddedK);
        if (Path == KernelPath.Scalar)
        {
            for (int m = 0; m < rows; m++)
            {
                var a = activations.Slice(RowAddress(m), k);
                var output = accumulator.Slice(outputAddress + m * outputStride, n);
                for (int column = 0; column < n; column++)
                {
                    int sum = 0;
                    for (int i = 0; i < k; i++) sum += a[i] * weights[weightAddress + i * weightStride + column];
                    output[column] = accumulate ? unchecked(output[column] + sum) : sum;
                }
            }
            return;
        }
        Pack(weights, k, n, weightAddress, weightStride, paddedK, paddedN);
        for (int m = 0; m < rows; m++)
        {
            var a = MemoryMarshal.AsBytes(activations.Slice(RowAddress(m), k));
            if (Path == KernelPath.Vnni) RowVnni(a, k, paddedK, paddedN);
            else RowAvx2(a, k, paddedK, paddedN);
            var output = accumulator.Slice(outputAddress + m * outputStride, n);
            if (accumulate)
            {
                int column = 0;
                for (; column + 8 <= n; column += 8)
                {
                    (Vector256.Create<int>(output[column..]) + Vector256.LoadUnsafe(ref row[column])).CopyTo(output[column..]);
                }
                for (; column < n; column++) output[column] = unchecked(output[column] + row[column]);
            }
            else
            {
                row.AsSpan(0, n).CopyTo(output);
            }
        }
    }

    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[Math.Max(length, buffer.Length * 2)];
    }

    /// <summary>VNNI: layout [k/4][paddedN][4] signed bytes; AVX2: [k/2][paddedN][2] int16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pack(ReadOnlySpan<sbyte> weights, int k, int n, int address, int stride, int paddedK, int paddedN)
    {
        bool vnni = Path == KernelPath.Vnni;
        int group = vnni ? 4 : 2;
        int bytes = paddedK * paddedN * (vnni ? 1 : 2);
        Grow(ref packed, bytes);
        packed.AsSpan(0, bytes).Clear();
        Grow(ref columnSums, paddedN);
        columnSums.AsSpan(0, paddedN).Clear();
        var asShorts = MemoryMarshal.Cast<byte, short>(packed.AsSpan(0, bytes));
        for (int i = 0; i < k; i++)
        {
            var source = weights.Slice(address + i * stride, n);
            int block = i / group, lane = i % group;
            for (int column = 0; column < n; column++)
            {
                int index = (block * paddedN + column) * group + lane;
                if (vnni) packed[index] = (byte)source[column];
                else asShorts[index] = source[column];
                columnSums[column] += source[column];
            }
        }
    }

    /// <summary>vpdpbusd multiplies unsigned by signed bytes, so activations are biased by +128 (xor 0x80) and
    /// 128 * column sum is subtracted afterwards; the result is exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RowVnni(ReadOnlySpan<byte> a, int k, int paddedK, int paddedN)
    {
        ref byte activationBase = ref MemoryMarshal.GetReference(a);
        if (k != paddedK)
        {
            for (int i = 0; i < k; i++) activation[i] = a[i];
            for (int i = k; i < paddedK; i++) activation[i] = 0;
            activationBase = ref activation[0];
        }
        ref byte weightBase = ref packed[0];
        int blocks = paddedK / 4;
        int column = 0;
        for (; column + 32 <= paddedN; column += 32)
        {
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int b = 0; b < blocks; b++)
            {
                var broadcast = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref activationBase, b * 4)) ^ Bias).AsByte();
                ref byte w = ref Unsafe.Add(ref weightBase, (b * paddedN + column) * 4);
                s0 = AvxVnni.MultiplyWideningAndAdd(s0, broadcast, Vector256.LoadUnsafe(ref w).AsSByte());
                s1 = AvxVnni.MultiplyWideningAndAdd(s1, broadcast, Vector256.LoadUnsafe(ref w, 32).AsSByte());
                s2 = AvxVnni.MultiplyWideningAndAdd(s2, broadcast, Vector256.LoadUnsafe(ref w, 64).AsSByte());
                s3 = AvxVnni.MultiplyWideningAndAdd(s3, broadcast, Vector256.LoadUnsafe(ref w, 96).AsSByte());
            }
            Finish(s0, column);
            Finish(s1, column + 8);
            Finish(s2, column + 16);
            Finish(s3, column + 24);
        }
        for (; column < paddedN; column += 8)
        {
            Vector256<int> s = default;
            for (int b = 0; b < blocks; b++)
            {
                var broadcast = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref activationBase, b * 4)) ^ Bias).AsByte();
                s = AvxVnni.MultiplyWideningAndAdd(s, broadcast, Vector256.LoadUnsafe(ref Unsafe.Add(ref weightBase, (b * paddedN + column) * 4)).AsSByte());
            }
            Finish(s, column);
        }
    }

    /// <summary>Adds 128 to each of four packed int8 activations (flips their sign bits).</summary>
    private const int Bias = unchecked((int)0x80808080);

    private void Finish(Vector256<int> sums, int column)
    {
        var correction = Vector256.LoadUnsafe(ref columnSums[column]) << 7;
        (sums - correction).StoreUnsafe(ref row[column]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RowAvx2(ReadOnlySpan<byte> a, int k, int paddedK, int paddedN)
    {
        Grow(ref activation, paddedK * 2);
        var pairs = MemoryMarshal.Cast<byte, short>(activation.AsSpan());
        for (int i = 0; i < k; i++) pairs[i] = (sbyte)a[i];
        for (int i = k; i < paddedK; i++) pairs[i] = 0;
        ref short weightBase = ref MemoryMarshal.Cast<byte, short>(packed.AsSpan())[0];
        int blocks = paddedK / 2;
        var activationWords = MemoryMarshal.Cast<byte, int>(activation.AsSpan());
        for (int column = 0; column < paddedN; column += 8)
        {
            Vector256<int> s = default;
            for (int b = 0; b < blocks; b++)
            {
                var broadcast = Vector256.Create(activationWords[b]).AsInt16();
                var w = Vector256.LoadUnsafe(ref Unsafe.Add(ref weightBase, (b * paddedN + column) * 2));
                s += Avx2.MultiplyAddAdjacent(broadcast, w);
            }
            s.StoreUnsafe(ref row[column]);
        }
    }
}
