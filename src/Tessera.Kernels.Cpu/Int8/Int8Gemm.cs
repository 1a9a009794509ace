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
/// lane are four consecutive k of one column, so a 256-bit load covers 8 columns).</summary>
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

    /// <summary>One tile: c[r, j] (r below <see cref="RowBlock"/>, j below <see cref="TileColumns"/>) for the
    /// row block at <paramref name="a"/> and the packed tile at <paramref name="b"/>.</summary>
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

    /// <summary>AVX2 without VNNI: each 16-byte quarter-row of the tile (4 columns x 4 k) is widened to int16 and
    /// multiplied by the row's 4 weights (repeated) with VPMADDWD, giving two partial sums per column; the pairs
    /// are added once at the end. Exact: no int16 saturation anywhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileAvx2(byte* b, sbyte* a, int groups, int* c, int stride)
    {
        for (int r = 0; r < RowBlock; r += 2)
        {
            Vector256<int> p00 = default, p01 = default, p02 = default, p03 = default, p04 = default, p05 = default, p06 = default, p07 = default;
            Vector256<int> p10 = default, p11 = default, p12 = default, p13 = default, p14 = default, p15 = default, p16 = default, p17 = default;
            byte* bp = b;
            sbyte* w = a + r * 4;
            for (int g = 0; g < groups; g++)
            {
                var w0 = Avx2.ConvertToVector256Int16(Vector128.Create(*(int*)w).AsSByte());
                var w1 = Avx2.ConvertToVector256Int16(Vector128.Create(*(int*)(w + 4)).AsSByte());
                var x0 = Avx2.ConvertToVector256Int16(Vector128.Load(bp)).AsInt16();
                p00 = Avx2.Add(p00, Avx2.MultiplyAddAdjacent(x0, w0)); p10 = Avx2.Add(p10, Avx2.MultiplyAddAdjacent(x0, w1));
                var x1 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 16)).AsInt16();
                p01 = Avx2.Add(p01, Avx2.MultiplyAddAdjacent(x1, w0)); p11 = Avx2.Add(p11, Avx2.MultiplyAddAdjacent(x1, w1));
                var x2 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 32)).AsInt16();
                p02 = Avx2.Add(p02, Avx2.MultiplyAddAdjacent(x2, w0)); p12 = Avx2.Add(p12, Avx2.MultiplyAddAdjacent(x2, w1));
                var x3 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 48)).AsInt16();
                p03 = Avx2.Add(p03, Avx2.MultiplyAddAdjacent(x3, w0)); p13 = Avx2.Add(p13, Avx2.MultiplyAddAdjacent(x3, w1));
                var x4 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 64)).AsInt16();
                p04 = Avx2.Add(p04, Avx2.MultiplyAddAdjacent(x4, w0)); p14 = Avx2.Add(p14, Avx2.MultiplyAddAdjacent(x4, w1));
                var x5 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 80)).AsInt16();
                p05 = Avx2.Add(p05, Avx2.MultiplyAddAdjacent(x5, w0)); p15 = Avx2.Add(p15, Avx2.MultiplyAddAdjacent(x5, w1));
                var x6 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 96)).AsInt16();
                p06 = Avx2.Add(p06, Avx2.MultiplyAddAdjacent(x6, w0)); p16 = Avx2.Add(p16, Avx2.MultiplyAddAdjacent(x6, w1));
                var x7 = Avx2.ConvertToVector256Int16(Vector128.Load(bp + 112)).AsInt16();
                p07 = Avx2.Add(p07, Avx2.MultiplyAddAdjacent(x7, w0)); p17 = Avx2.Add(p17, Avx2.MultiplyAddAdjacent(x7, w1));
                bp += TileColumns * 4;
                w += RowBlock * 4;
            }
            // Each p holds (column, pair) int32s: column j's two partial sums are adjacent; a horizontal add of two
            // vectors gives 8 columns, in the lane order (0,1,4,5 | 2,3,6,7) that the permute restores.
            int* o0 = c + r * stride, o1 = o0 + stride;
            StorePairs(p00, p01, o0); StorePairs(p02, p03, o0 + 8); StorePairs(p04, p05, o0 + 16); StorePairs(p06, p07, o0 + 24);
            StorePairs(p10, p11, o1); StorePairs(p12, p13, o1 + 8); StorePairs(p14, p15, o1 + 16); StorePairs(p16, p17, o1 + 24);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePairs(Vector256<int> first, Vector256<int> second, int* destination)
    {
        // first: columns 0..3 as pairs (c0a c0b c1a c1b | c2a c2b c3a c3b); second: columns 4..7.
        var sums = Avx2.HorizontalAdd(first, second); // c0 c1 c4 c5 | c2 c3 c6 c7
        Avx2.Permute4x64(sums.AsInt64(), 0b11_01_10_00).AsInt32().Store(destination);
    }
}
