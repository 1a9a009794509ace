using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>Table lookups on int8 values: a 256-entry row indexed by the value's byte ((byte)x, so 0..127 then
/// -128..-1), and a 65536-entry pair table indexed by ((byte)a &lt;&lt; 8) | (byte)b. An int8 step whose result
/// depends only on its int8 operands is its table, so the lookup is bit for bit the step however it computes.</summary>
internal static class ByteTable
{
    /// <summary>y[i] = row[(byte)x[i]]; <paramref name="row"/> has 256 entries. 64 values per two VPERMI2B with
    /// AVX512-VBMI, else scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unary(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> row, Span<sbyte> y)
    {
        if (row.Length != 256) throw new ArgumentException("a row has 256 entries", nameof(row));
        int n = y.Length, i = 0;
        if (n > x.Length) throw new ArgumentException("the input is shorter than the output", nameof(x));
        ref byte t = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(row));
        ref byte xs = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(x));
        ref byte ys = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(y));
        if (Avx512Vbmi.IsSupported && n >= 64)
        {
            var t0 = Vector512.LoadUnsafe(ref t, 0);
            var t1 = Vector512.LoadUnsafe(ref t, 64);
            var t2 = Vector512.LoadUnsafe(ref t, 128);
            var t3 = Vector512.LoadUnsafe(ref t, 192);
            for (; i + 64 <= n; i += 64)
            {
                var index = Vector512.LoadUnsafe(ref xs, (nuint)i);
                var low = Avx512Vbmi.PermuteVar64x8x2(t0, index, t1);
                var high = Avx512Vbmi.PermuteVar64x8x2(t2, index, t3);
                var upper = Vector512.LessThan(index.AsSByte(), Vector512<sbyte>.Zero).AsByte();
                Vector512.ConditionalSelect(upper, high, low).StoreUnsafe(ref ys, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref ys, i) = Unsafe.Add(ref t, Unsafe.Add(ref xs, i));
    }

    /// <summary>y[i] = pairs[((byte)a[i] &lt;&lt; 8) | (byte)b[i]]; <paramref name="pairs"/> has 65536 entries.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Binary(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, ReadOnlySpan<sbyte> pairs, Span<sbyte> y)
    {
        if (pairs.Length != 65536) throw new ArgumentException("a pair table has 65536 entries", nameof(pairs));
        int n = y.Length, i = 0;
        if (n > a.Length || n > b.Length) throw new ArgumentException("an input is shorter than the output");
        ref byte t = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(pairs));
        ref byte aa = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(a));
        ref byte bb = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(b));
        ref byte ys = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(y));
        if (Avx512F.VL.IsSupported && n >= 16)
        {
            // 8 lookups per VPGATHERDD (.NET 10 has no 512-bit gather): each lane loads the aligned dword holding
            // its entry (index & ~3, so no read past the table) and shifts the entry's byte down (VPSRLVD by
            // 8 * (index & 3)); VPMOVDB narrows.
            var three = Vector256.Create(3);
            fixed (byte* table = &t)
            {
                for (; i + 16 <= n; i += 16)
                {
                    var l0 = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref aa, i))).AsByte());
                    var r0 = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref bb, i))).AsByte());
                    var l1 = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref aa, i + 8))).AsByte());
                    var r1 = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref bb, i + 8))).AsByte());
                    var i0 = Avx2.ShiftLeftLogical(l0, 8) | r0;
                    var i1 = Avx2.ShiftLeftLogical(l1, 8) | r1;
                    var w0 = Avx2.GatherVector256((int*)table, Avx2.AndNot(three, i0), 1);
                    var w1 = Avx2.GatherVector256((int*)table, Avx2.AndNot(three, i1), 1);
                    var e0 = Avx2.ShiftRightLogicalVariable(w0.AsUInt32(), Avx2.ShiftLeftLogical(i0 & three, 3).AsUInt32());
                    var e1 = Avx2.ShiftRightLogicalVariable(w1.AsUInt32(), Avx2.ShiftLeftLogical(i1 & three, 3).AsUInt32());
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref ys, i), Avx512F.VL.ConvertToVector128Byte(e0).AsInt64().ToScalar());
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref ys, i + 8), Avx512F.VL.ConvertToVector128Byte(e1).AsInt64().ToScalar());
                }
            }
        }
        for (; i + 4 <= n; i += 4)
        {
            Unsafe.Add(ref ys, i) = Unsafe.Add(ref t, (Unsafe.Add(ref aa, i) << 8) | Unsafe.Add(ref bb, i));
            Unsafe.Add(ref ys, i + 1) = Unsafe.Add(ref t, (Unsafe.Add(ref aa, i + 1) << 8) | Unsafe.Add(ref bb, i + 1));
            Unsafe.Add(ref ys, i + 2) = Unsafe.Add(ref t, (Unsafe.Add(ref aa, i + 2) << 8) | Unsafe.Add(ref bb, i + 2));
            Unsafe.Add(ref ys, i + 3) = Unsafe.Add(ref t, (Unsafe.Add(ref aa, i + 3) << 8) | Unsafe.Add(ref bb, i + 3));
        }
        for (; i < n; i++) Unsafe.Add(ref ys, i) = Unsafe.Add(ref t, (Unsafe.Add(ref aa, i) << 8) | Unsafe.Add(ref bb, i));
    }
}
