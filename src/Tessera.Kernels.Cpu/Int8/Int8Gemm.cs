using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>Which instructions the int8 GEMM micro-kernel uses.</summary>
public enum Int8Isa
{
    /// <summary>Portable loops.</summary>
    Scalar,
    /// <summary>AVX2: bytes widened to int16, VPMADDWD pairs summed into int32 (exact, no saturation).</summary>
    Avx2,
    /// <summary>AVX-VNNI: VPDPBUSD (u8 x s8, four products summed into each int32) on 256-bit vectors. .NET 10
    /// exposes VPDPBUSD on 128- and 256-bit vectors only (no 512-bit form), so this is the widest path.</summary>
    AvxVnni,
}

/// <summary>The int8 GEMM C[m, p] = sum_k u[k, p] * w[m, k] over int32, where u = x + 128 are the activations
/// as unsigned bytes (VPDPBUSD multiplies u8 by s8) and w the signed weights as stored; the callers fold the
/// +128 offset and the zero points back with row and column sums (see <see cref="Int8Convolution"/>).
/// Layouts: weights packed once as [row block of <see cref="RowBlock"/>][k group of 4][row][4]; activations
/// packed per tile of <see cref="TileColumns"/> columns as [k group][column][4] (VPDPBUSD's four bytes per
/// lane are four consecutive k of one column, so a 256-bit load covers 8 columns). The AVX2 tile reads the weights
/// widened to int16 (<see cref="Widen"/>).</summary>
public static unsafe class Int8Gemm
{
    public const int RowBlock = 8;

    public const int TileColumns = 32;

    public static Int8Isa Best =>
        AvxVnni.IsSupported ? Int8Isa.AvxVnni
        : Avx2.IsSupported ? Int8Isa.Avx2
        : Int8Isa.Scalar;

    public static bool IsSupported(Int8Isa isa) => isa switch
    {
        Int8Isa.Scalar => true,
        Int8Isa.Avx2 => Avx2.IsSupported,
        Int8Isa.AvxVnni => AvxVnni.IsSupported,
        _ => false,
    };

    public static int KGroups(int k) => (k + 3) / 4;

    /// <summary>Packs rows [m, k] of signed weights; returns the packed bytes and each row's sum.</summary>
    public static (sbyte[] Packed, int[] RowSums) PackWeights(ReadOnlySpan<sbyte> w, int rows, int k)
    {
        int groups = KGroups(k), blocks = (rows + RowBlock - 1) / RowBlock;
        var packed = new sbyte[blocks * groups * RowBlock * 4];
        var sums = new int[rows];
        for (int m = 0; m < rows; m++)
        {
            int block = m / RowBlock, r = m % RowBlock, sum = 0;
            for (int t = 0; t < k; t++)
            {
                sbyte v = w[m * k + t];
                sum += v;
                packed[((block * groups + t / 4) * RowBlock + r) * 4 + t % 4] = v;
            }
            sums[m] = sum;
        }
        return (packed, sums);
    }

    /// <summary><see cref="PackWeights(ReadOnlySpan{sbyte}, int, int)"/> in the form <paramref name="isa"/>'s tile
    /// reads: the packed bytes, or under <see cref="Int8Isa.Avx2"/> each k group's four weights of a row as int16 in
    /// the order (w0, w2, w1, w3) (<see cref="Widen"/>), stored as bytes.</summary>
    public static (sbyte[] Packed, int[] RowSums) PackWeights(ReadOnlySpan<sbyte> w, int rows, int k, Int8Isa isa)
    {
        var (packed, sums) = PackWeights(w, rows, k);
        return (isa == Int8Isa.Avx2 ? Widen(packed) : packed, sums);
    }

    /// <summary>Packed weights as int16 (two bytes each, little-endian) with each group of four reordered to (w0, w2,
    /// w1, w3): one int32 holds the pair (w0, w2) that VPMADDWD multiplies with the even bytes of a column, the next
    /// the pair (w1, w3) for the odd bytes.</summary>
    public static sbyte[] Widen(ReadOnlySpan<sbyte> packed)
    {
        var wide = new sbyte[packed.Length * 2];
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<sbyte, short>(wide.AsSpan());
        for (int i = 0; i + 4 <= packed.Length; i += 4)
        {
            words[i] = packed[i];
            words[i + 1] = packed[i + 2];
            words[i + 2] = packed[i + 1];
            words[i + 3] = packed[i + 3];
        }
        return wide;
    }

    /// <summary>Byte offset of row <paramref name="row"/>'s block (a multiple of <see cref="RowBlock"/>) in the
    /// weights <see cref="PackWeights(ReadOnlySpan{sbyte}, int, int, Int8Isa)"/> made for <paramref name="isa"/>.</summary>
    public static long BlockOffset(Int8Isa isa, int row, int groups) => (long)row * groups * 4 * (isa == Int8Isa.Avx2 ? 2 : 1);

    /// <summary>One tile: c[r, j] (r below <see cref="RowBlock"/>, j below <see cref="TileColumns"/>) for the
    /// row block at <paramref name="a"/> (weights packed for <paramref name="isa"/>: the block at
    /// <see cref="BlockOffset"/>) and the packed tile at <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(Int8Isa isa, byte* b, sbyte* a, int groups, int* c) => Tile(isa, b, a, groups, c, TileColumns);

    /// <summary><see cref="Tile(Int8Isa, byte*, sbyte*, int, int*)"/> with row r of the result at
    /// c + r * <paramref name="stride"/> (several tiles side by side make one longer row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(Int8Isa isa, byte* b, sbyte* a, int groups, int* c, int stride)
    {
        switch (isa)
        {
            case Int8Isa.AvxVnni: TileVnni256(b, a, groups, c, stride); break;
            case Int8Isa.Avx2: TileAvx2(b, a, groups, c, stride); break;
            default: TileScalar(b, a, groups, c, stride); break;
        }
    }

    private static void TileScalar(byte* b, sbyte* a, int groups, int* c, int stride)
    {
        for (int r = 0; r < RowBlock; r++)
        for (int j = 0; j < TileColumns; j++)
        {
            int sum = 0;
            for (int g = 0; g < groups; g++)
            {
                byte* u = b + (g * TileColumns + j) * 4;
                sbyte* w = a + (g * RowBlock + r) * 4;
                sum += u[0] * w[0] + u[1] * w[1] + u[2] * w[2] + u[3] * w[3];
            }
            c[r * stride + j] = sum;
        }
    }

    /// <summary>AVX-VNNI: four rows at a time over the tile's four 8-column quarters (16 accumulators).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileVnni256(byte* b, sbyte* a, int groups, int* c, int stride)
    {
        for (int half = 0; half < 2; half++)
        {
            int rowBase = half * 4;
            Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            Vector256<int> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
            byte* bp = b;
            int* w = (int*)a + rowBase;
            for (int g = 0; g < groups; g++)
            {
                var b0 = Vector256.Load(bp);
                var b1 = Vector256.Load(bp + 32);
                var b2 = Vector256.Load(bp + 64);
                var b3 = Vector256.Load(bp + 96);
                var w0 = Vector256.Create(w[0]).AsSByte();
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, b0, w0); c01 = AvxVnni.MultiplyWideningAndAdd(c01, b1, w0);
                c02 = AvxVnni.MultiplyWideningAndAdd(c02, b2, w0); c03 = AvxVnni.MultiplyWideningAndAdd(c03, b3, w0);
                var w1 = Vector256.Create(w[1]).AsSByte();
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, b0, w1); c11 = AvxVnni.MultiplyWideningAndAdd(c11, b1, w1);
                c12 = AvxVnni.MultiplyWideningAndAdd(c12, b2, w1); c13 = AvxVnni.MultiplyWideningAndAdd(c13, b3, w1);
                var w2 = Vector256.Create(w[2]).AsSByte();
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, b0, w2); c21 = AvxVnni.MultiplyWideningAndAdd(c21, b1, w2);
                c22 = AvxVnni.MultiplyWideningAndAdd(c22, b2, w2); c23 = AvxVnni.MultiplyWideningAndAdd(c23, b3, w2);
                var w3 = Vector256.Create(w[3]).AsSByte();
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, b0, w3); c31 = AvxVnni.MultiplyWideningAndAdd(c31, b1, w3);
                c32 = AvxVnni.MultiplyWideningAndAdd(c32, b2, w3); c33 = AvxVnni.MultiplyWideningAndAdd(c33, b3, w3);
                bp += TileColumns * 4;
                w += RowBlock;
            }
            int* o = c + rowBase * stride, o1 = o + stride, o2 = o1 + stride, o3 = o2 + stride;
            c00.Store(o); c01.Store(o + 8); c02.Store(o + 16); c03.Store(o + 24);
            c10.Store(o1); c11.Store(o1 + 8); c12.Store(o1 + 16); c13.Store(o1 + 24);
            c20.Store(o2); c21.Store(o2 + 8); c22.Store(o2 + 16); c23.Store(o2 + 24);
            c30.Store(o3); c31.Store(o3 + 8); c32.Store(o3 + 16); c33.Store(o3 + 24);
        }
    }

    /// <summary>AVX2 without VNNI, weights from <see cref="Widen"/>: each 32-byte row of a k group (8 columns x 4
    /// bytes) splits into its even bytes (k0, k2 of each column as two int16 in one int32 lane: VPAND) and its odd
    /// bytes (k1, k3: VPSRLW 8); VPMADDWD with the row's (w0, w2) and (w1, w3) pairs gives each column's four
    /// products summed in two int32s, added into the column's accumulator. Exact: |u w| &lt;= 255 * 128, no int16
    /// saturation. Four rows by 16 columns at a time (8 accumulators, 4 split vectors, 2 weight pairs: no
    /// spills), four passes per tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileAvx2(byte* b, sbyte* a, int groups, int* c, int stride)
    {
        var low = Vector256.Create((short)0xFF);
        for (int r = 0; r < RowBlock; r += 4)
        for (int half = 0; half < TileColumns; half += 16)
        {
            Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
            byte* bp = b + half * 4;
            int* w = (int*)a + r * 2;
            for (int g = 0; g < groups; g++)
            {
                var x0 = Vector256.Load(bp).AsInt16();
                var x1 = Vector256.Load(bp + 32).AsInt16();
                var e0 = Avx2.And(x0, low);
                var o0 = Avx2.ShiftRightLogical(x0, 8);
                var e1 = Avx2.And(x1, low);
                var o1 = Avx2.ShiftRightLogical(x1, 8);
                var we = Vector256.Create(w[0]).AsInt16();
                var wo = Vector256.Create(w[1]).AsInt16();
                c00 = Avx2.Add(Avx2.Add(c00, Avx2.MultiplyAddAdjacent(e0, we)), Avx2.MultiplyAddAdjacent(o0, wo));
                c01 = Avx2.Add(Avx2.Add(c01, Avx2.MultiplyAddAdjacent(e1, we)), Avx2.MultiplyAddAdjacent(o1, wo));
                we = Vector256.Create(w[2]).AsInt16();
                wo = Vector256.Create(w[3]).AsInt16();
                c10 = Avx2.Add(Avx2.Add(c10, Avx2.MultiplyAddAdjacent(e0, we)), Avx2.MultiplyAddAdjacent(o0, wo));
                c11 = Avx2.Add(Avx2.Add(c11, Avx2.MultiplyAddAdjacent(e1, we)), Avx2.MultiplyAddAdjacent(o1, wo));
                we = Vector256.Create(w[4]).AsInt16();
                wo = Vector256.Create(w[5]).AsInt16();
                c20 = Avx2.Add(Avx2.Add(c20, Avx2.MultiplyAddAdjacent(e0, we)), Avx2.MultiplyAddAdjacent(o0, wo));
                c21 = Avx2.Add(Avx2.Add(c21, Avx2.MultiplyAddAdjacent(e1, we)), Avx2.MultiplyAddAdjacent(o1, wo));
                we = Vector256.Create(w[6]).AsInt16();
                wo = Vector256.Create(w[7]).AsInt16();
                c30 = Avx2.Add(Avx2.Add(c30, Avx2.MultiplyAddAdjacent(e0, we)), Avx2.MultiplyAddAdjacent(o0, wo));
                c31 = Avx2.Add(Avx2.Add(c31, Avx2.MultiplyAddAdjacent(e1, we)), Avx2.MultiplyAddAdjacent(o1, wo));
                bp += TileColumns * 4;
                w += RowBlock * 2;
            }
            int* o = c + r * stride + half;
            c00.Store(o); c01.Store(o + 8); o += stride;
            c10.Store(o); c11.Store(o + 8); o += stride;
            c20.Store(o); c21.Store(o + 8); o += stride;
            c30.Store(o); c31.Store(o + 8);
        }
    }
}
