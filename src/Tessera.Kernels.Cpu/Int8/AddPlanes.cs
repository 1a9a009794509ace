using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Hardware;
using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>TFLite's int8 Add (<see cref="FixedPoint.Add"/>) as two 256-entry int32 tables and one requantization,
/// bit for bit the step: each operand's rescaled value, MultiplyByQuantizedMultiplier((x - zx) 2^leftShift, m, s),
/// depends on that operand alone, so it is a table of its 256 int8 values (int32, wrapping as the scalar form), the
/// two are added in int32 and the sum is requantized to the output (multiplier, shift, zero point, clamp) as a
/// convolution's row is. With AVX512-VBMI the tables are looked up 64 values at a time: each byte of the int32
/// entries is a 256-byte row (two VPERMI2B and a select on the index's sign), the four bytes are joined into
/// dwords by byte and word unpacks, and one VPERMB puts the requantized bytes back in order. This replaces the
/// 64 KB pair table's one gather per value (about 2 cycles per value, bound by the gathers, not by memory).</summary>
internal sealed class AddPlanes
{
    // [operand][byte of the int32][256]: byte k of table[(byte)x].
    private readonly byte[] _planes = new byte[2 * 4 * 256];
    private readonly int[] _left = new int[256], _right = new int[256];
    private readonly ChannelRequantization _output;

    private AddPlanes(int[] p)
    {
        // p: a_zero, b_zero, left_shift, a_multiplier, a_shift, b_multiplier, b_shift, out_multiplier, out_shift, out_zero, min, max
        for (int i = 0; i < 256; i++)
        {
            int x = (sbyte)(byte)i;
            _left[i] = FixedPoint.MultiplyByQuantizedMultiplier(unchecked((x - p[0]) * (1 << p[2])), p[3], p[4]);
            _right[i] = FixedPoint.MultiplyByQuantizedMultiplier(unchecked((x - p[1]) * (1 << p[2])), p[5], p[6]);
            for (int k = 0; k < 4; k++)
            {
                _planes[k * 256 + i] = (byte)(_left[i] >> (8 * k));
                _planes[(4 + k) * 256 + i] = (byte)(_right[i] >> (8 * k));
            }
        }
        _output = new ChannelRequantization(p[7], p[8], 0, p[9], p[10], p[11]);
    }

    /// <summary>The plane form of an int8 fixed-point Add, or null where it does not apply (no AVX512-VBMI, a
    /// Mul, float arithmetic, or a clamp outside int8, which the sixteen-lane requantization does not cover).</summary>
    public static AddPlanes? For(BinaryStep step)
    {
        if (!Avx512Vbmi.IsSupported || step.IsMultiply || step.FloatArithmetic || step.OnnxRuntime) return null;
        var p = step.FixedPointParameters;
        if (p.Length != 12 || p[10] < sbyte.MinValue || p[10] > p[11] || p[11] > sbyte.MaxValue) return null;
        var planes = new AddPlanes(p);
        return planes._output.Wide ? planes : null;
    }

    /// <summary>The scalar form of one value (the tail, and the tests' check of the decomposition).</summary>
    public sbyte Apply(sbyte a, sbyte b) => _output.Apply(unchecked(_left[(byte)a] + _right[(byte)b]));

    // Output byte q = 16 L + 4 j + t (lane L, dword vector j, byte t) comes from byte 16 j + 4 L + t of the four
    // requantized 16-byte results laid end to end.
    private static readonly byte[] s_order = [.. Enumerable.Range(0, 64).Select(q => (byte)(16 * (q / 4 % 4) + 4 * (q / 16) + q % 4))];

    /// <summary>y[i] = Add(a[i], b[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, Span<sbyte> y)
    {
        int n = y.Length, i = 0;
        if (n > a.Length || n > b.Length) throw new ArgumentException("an input is shorter than the output");
        ref byte aa = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(a));
        ref byte bb = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(b));
        ref byte ys = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(y));
        if (n >= 64)
        {
            ref byte t = ref MemoryMarshal.GetArrayDataReference(_planes);
            var order = Vector512.Create(s_order);
            for (; i + 64 <= n; i += 64)
            {
                var x = Vector512.LoadUnsafe(ref aa, (nuint)i);
                var z = Vector512.LoadUnsafe(ref bb, (nuint)i);
                var xUpper = Vector512.LessThan(x.AsSByte(), Vector512<sbyte>.Zero).AsByte();
                var zUpper = Vector512.LessThan(z.AsSByte(), Vector512<sbyte>.Zero).AsByte();
                var (l0, l1, l2, l3) = Dwords(ref t, x, xUpper);
                var (r0, r1, r2, r3) = Dwords(ref Unsafe.Add(ref t, 1024), z, zUpper);
                var q0 = _output.Requantize16(l0 + r0);
                var q1 = _output.Requantize16(l1 + r1);
                var q2 = _output.Requantize16(l2 + r2);
                var q3 = _output.Requantize16(l3 + r3);
                var joined = Vector512.Create(Vector256.Create(q0, q1), Vector256.Create(q2, q3)).AsByte();
                Avx512Vbmi.PermuteVar64x8(joined, order).StoreUnsafe(ref ys, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref ys, i) = (byte)Apply((sbyte)Unsafe.Add(ref aa, i), (sbyte)Unsafe.Add(ref bb, i));
    }

    /// <summary>The int32 table entries of 64 indices as four dword vectors, in the unpacks' order: vector j holds,
    /// in 128-bit lane L, the entries of indices 16 L + 4 j .. 16 L + 4 j + 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<int>, Vector512<int>, Vector512<int>, Vector512<int>) Dwords(ref byte planes, Vector512<byte> index, Vector512<byte> upper)
    {
        var p0 = Byte(ref planes, index, upper);
        var p1 = Byte(ref Unsafe.Add(ref planes, 256), index, upper);
        var p2 = Byte(ref Unsafe.Add(ref planes, 512), index, upper);
        var p3 = Byte(ref Unsafe.Add(ref planes, 768), index, upper);
        var w01Low = Avx512BW.UnpackLow(p0, p1).AsInt16();
        var w01High = Avx512BW.UnpackHigh(p0, p1).AsInt16();
        var w23Low = Avx512BW.UnpackLow(p2, p3).AsInt16();
        var w23High = Avx512BW.UnpackHigh(p2, p3).AsInt16();
        return (Avx512BW.UnpackLow(w01Low, w23Low).AsInt32(), Avx512BW.UnpackHigh(w01Low, w23Low).AsInt32(),
            Avx512BW.UnpackLow(w01High, w23High).AsInt32(), Avx512BW.UnpackHigh(w01High, w23High).AsInt32());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Byte(ref byte row, Vector512<byte> index, Vector512<byte> upper)
    {
        var low = Avx512Vbmi.PermuteVar64x8x2(Vector512.LoadUnsafe(ref row), index, Vector512.LoadUnsafe(ref row, 64));
        var high = Avx512Vbmi.PermuteVar64x8x2(Vector512.LoadUnsafe(ref row, 128), index, Vector512.LoadUnsafe(ref row, 192));
        return Vector512.ConditionalSelect(upper, high, low);
    }
}
