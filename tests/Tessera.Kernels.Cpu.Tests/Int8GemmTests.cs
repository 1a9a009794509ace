using Tessera.Kernels.Cpu.Int8;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>The int8 GEMM tile of every instruction set this processor supports against the sum written out from
/// the unpacked operands: depths 0, 1, 3, 4, 7, 17, 64 and 255, row counts that leave a row block partly empty,
/// activations and weights at the ends of their ranges (u = 0 / 255, w = -128 / 127: the products that would
/// saturate an int16 pair sum) and random, and a result row stride wider than the tile.</summary>
public sealed class Int8GemmTests
{
    public static TheoryData<Int8Isa> Isas()
    {
        var data = new TheoryData<Int8Isa>();
        foreach (var isa in Enum.GetValues<Int8Isa>().Where(Int8Gemm.IsSupported)) data.Add(isa);
        return data;
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public unsafe void Tile_equals_the_written_out_sum(Int8Isa isa)
    {
        var random = new Random(83);
        const int columns = Int8Gemm.TileColumns;
        foreach (int k in new[] { 0, 1, 3, 4, 7, 17, 64, 255 })
        foreach (int rows in new[] { 1, 7, 8, 17 })
        for (int kind = 0; kind < 4; kind++)
        {
            var w = new sbyte[rows * k];
            var u = new byte[k * columns];
            for (int i = 0; i < w.Length; i++) w[i] = kind switch { 0 => (sbyte)-128, 1 => (sbyte)(i % 2 == 0 ? -128 : 127), _ => (sbyte)random.Next(-128, 128) };
            for (int i = 0; i < u.Length; i++) u[i] = kind switch { 0 or 1 => (byte)255, 2 => (byte)(i % 3 == 0 ? 0 : 255), _ => (byte)random.Next(256) };
            int groups = Int8Gemm.KGroups(k);
            // Activation tile [k group][column][4]; bytes past k are garbage (their weights are 0).
            var tile = new byte[Math.Max(1, groups * columns * 4)];
            random.NextBytes(tile);
            for (int t = 0; t < k; t++)
            for (int j = 0; j < columns; j++) tile[(t / 4 * columns + j) * 4 + t % 4] = u[t * columns + j];
            var (packed, _) = Int8Gemm.PackWeights(w, rows, k, isa);
            const int stride = columns + 5;
            var c = new int[Int8Gemm.RowBlock * stride];
            fixed (byte* bp = tile)
            fixed (sbyte* ap = packed)
            fixed (int* cp = c)
            {
                for (int r0 = 0; r0 < rows; r0 += Int8Gemm.RowBlock)
                {
                    Array.Fill(c, 7);
                    Int8Gemm.Tile(isa, bp, ap + Int8Gemm.BlockOffset(isa, r0, groups), groups, cp, stride);
                    for (int r = 0; r < Int8Gemm.RowBlock; r++)
                    {
                        for (int j = 0; j < columns; j++)
                        {
                            long expected = 0;
                            if (r0 + r < rows)
                            {
                                for (int t = 0; t < k; t++) expected += u[t * columns + j] * w[(r0 + r) * k + t];
                            }
                            Assert.True(expected == c[r * stride + j], $"{isa} k {k} rows {rows} kind {kind}: c[{r0 + r}, {j}] = {c[r * stride + j]}, expected {expected}");
                        }
                        for (int j = columns; j < stride; j++) Assert.Equal(7, c[r * stride + j]);
                    }
                }
            }
        }
    }
}
