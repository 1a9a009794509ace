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
    /// <summary>y[i] = row[(byte)x[i]]; <paramref name="row"/> has 256 entries; <paramref name="x"/> and
    /// <paramref name="y"/> may be the same span (in place). 64 values per two VPERMI2B with AVX512-VBMI, 32 per
    /// sixteen VPSHUFB with AVX2 (<see cref="UnaryAvx2"/>), else scalar.</summary>
    public static void Unary(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> row, Span<sbyte> y) => Unary(x, row, default, y);

    /// <summary><see cref="Unary(ReadOnlySpan{sbyte}, ReadOnlySpan{sbyte}, Span{sbyte})"/> with the AVX2 form's
    /// 256 bytes of block differences made once (<see cref="Deltas"/>; empty: made here when needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unary(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> row, ReadOnlySpan<byte> deltas, Span<sbyte> y)
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
        else if (Avx2.IsSupported && n >= 32)
        {
            if (deltas.Length != 256)
            {
                Span<byte> made = stackalloc byte[256];
                Deltas(row, made);
                i = UnaryAvx2(ref xs, ref MemoryMarshal.GetReference(made), ref ys, n);
            }
            else i = UnaryAvx2(ref xs, ref MemoryMarshal.GetReference(deltas), ref ys, n);
        }
        for (; i < n; i++) Unsafe.Add(ref ys, i) = Unsafe.Add(ref t, Unsafe.Add(ref xs, i));
    }

    /// <summary>The 256-entry lookup on AVX2, 32 values per step; returns how many values it did (n rounded down to
    /// 32). The row is sixteen 16-byte blocks T[h] (entries 16h .. 16h + 15), stored as differences
    /// D[h] = T[h] ^ T[h - 1] (D[0] = T[0]) within each half (h = 0..7 and h = 8..15). For x &gt;= 0, VPSHUFB of D[h]
    /// by x - 16h gives D[h][x &amp; 15] while x - 16h &gt;= 0 (h &lt;= x &gt;&gt; 4) and 0 once it is negative (bit 7 set; no
    /// wrap, as x - 16h &gt;= -112), so the XOR over h = 0..7 is T[x &gt;&gt; 4][x &amp; 15]. For x &lt; 0 the same on
    /// x ^ 0x80 = (byte)x - 128 with D[8..15]; VPBLENDVB picks by the sign of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int UnaryAvx2(ref byte xs, ref byte d, ref byte ys, int n)
    {
        // D[h] in both 128-bit lanes (VPSHUFB looks up within each lane).
        var d0 = Vector256.Create(Vector128.LoadUnsafe(ref d, 0));
        var d1 = Vector256.Create(Vector128.LoadUnsafe(ref d, 16));
        var d2 = Vector256.Create(Vector128.LoadUnsafe(ref d, 32));
        var d3 = Vector256.Create(Vector128.LoadUnsafe(ref d, 48));
        var d4 = Vector256.Create(Vector128.LoadUnsafe(ref d, 64));
        var d5 = Vector256.Create(Vector128.LoadUnsafe(ref d, 80));
        var d6 = Vector256.Create(Vector128.LoadUnsafe(ref d, 96));
        var d7 = Vector256.Create(Vector128.LoadUnsafe(ref d, 112));
        var e0 = Vector256.Create(Vector128.LoadUnsafe(ref d, 128));
        var e1 = Vector256.Create(Vector128.LoadUnsafe(ref d, 144));
        var e2 = Vector256.Create(Vector128.LoadUnsafe(ref d, 160));
        var e3 = Vector256.Create(Vector128.LoadUnsafe(ref d, 176));
        var e4 = Vector256.Create(Vector128.LoadUnsafe(ref d, 192));
        var e5 = Vector256.Create(Vector128.LoadUnsafe(ref d, 208));
        var e6 = Vector256.Create(Vector128.LoadUnsafe(ref d, 224));
        var e7 = Vector256.Create(Vector128.LoadUnsafe(ref d, 240));
        var sixteen = Vector256.Create((byte)16);
        var flip = Vector256.Create((byte)0x80);
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            var x = Vector256.LoadUnsafe(ref xs, (nuint)i);
            var a = x;
            var low = Avx2.Shuffle(d0, a);
            a = Avx2.Subtract(a, sixteen); low ^= Avx2.Shuffle(d1, a);
            a = Avx2.Subtract(a, sixteen); low ^= Avx2.Shuffle(d2, a);
            a = Avx2.Subtract(a, sixteen); low ^= Avx2.Shuffle(d3, a);
            a = Avx2.Subtract(a, sixteen); low ^= Avx2.Shuffle(d4, a);
            a = Avx2.Subtract(a, sixteen); low ^= Avx2.Shuffle(d5, a);
            a = Avx2.Subtract(a, sixteen); low ^= Avx2.Shuffle(d6, a);
            a = Avx2.Subtract(a, sixteen); low ^= Avx2.Shuffle(d7, a);
            var b = x ^ flip;
            var high = Avx2.Shuffle(e0, b);
            b = Avx2.Subtract(b, sixteen); high ^= Avx2.Shuffle(e1, b);
            b = Avx2.Subtract(b, sixteen); high ^= Avx2.Shuffle(e2, b);
            b = Avx2.Subtract(b, sixteen); high ^= Avx2.Shuffle(e3, b);
            b = Avx2.Subtract(b, sixteen); high ^= Avx2.Shuffle(e4, b);
            b = Avx2.Subtract(b, sixteen); high ^= Avx2.Shuffle(e5, b);
            b = Avx2.Subtract(b, sixteen); high ^= Avx2.Shuffle(e6, b);
            b = Avx2.Subtract(b, sixteen); high ^= Avx2.Shuffle(e7, b);
            Avx2.BlendVariable(low, high, x).StoreUnsafe(ref ys, (nuint)i);
        }
        return i;
    }

    /// <summary>The AVX2 lookup's form of a 256-entry <paramref name="row"/>: its 16-byte blocks as differences
    /// from the block before within each half (see <see cref="UnaryAvx2"/>).</summary>
    public static byte[] Deltas(ReadOnlySpan<sbyte> row)
    {
        var deltas = new byte[256];
        Deltas(row, deltas);
        return deltas;
    }

    private static void Deltas(ReadOnlySpan<sbyte> row, Span<byte> deltas)
    {
        if (row.Length != 256 || deltas.Length != 256) throw new ArgumentException("a row has 256 entries", nameof(row));
        for (int j = 0; j < 256; j++) deltas[j] = (byte)(j % 128 < 16 ? row[j] : row[j] ^ row[j - 16]);
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
