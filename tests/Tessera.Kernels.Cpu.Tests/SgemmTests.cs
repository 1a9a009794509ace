using Tessera.Kernels.Cpu;
using Tessera.Kernels.Cpu.Gemm;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>The packed SGEMM against a plain triple loop in double, on every micro-kernel this processor
/// runs, for odd sizes (0, 1, 7, 17, 255), transposed and strided operands and every epilogue term.</summary>
public sealed class SgemmTests
{
    public static TheoryData<MicroKernelKind> Kinds()
    {
        var data = new TheoryData<MicroKernelKind>();
        foreach (var kind in GemmShape.Supported) data.Add(kind);
        return data;
    }

    private static float[] Random(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Matches_the_plain_product_on_odd_sizes_and_transposes(MicroKernelKind kind)
    {
        var shape = GemmShape.For(kind);
        var random = new Random(7);
        int[] sizes = [0, 1, 7, 17, 255];
        int cases = 0;
        foreach (int m in sizes)
        {
            foreach (int n in sizes)
            {
                foreach (int k in (int[])[0, 1, 17, 300])
                {
                    bool transA = (m + n + k) % 2 == 1, transB = (m + k) % 3 == 0;
                    // Row strides larger than the row length: the operands are views into wider matrices.
                    int aStride = (transA ? m : k) + 3, bStride = (transB ? k : n) + 2;
                    var a = Random(random, (transA ? k : m) * aStride);
                    var b = Random(random, (transB ? n : k) * bStride);
                    int ldc = n + 5;
                    var c = new float[Math.Max(0, m * ldc)];
                    Sgemm.Multiply(shape, a, transA ? 1 : aStride, transA ? aStride : 1, b, transB ? 1 : bStride, transB ? bStride : 1,
                        m, n, k, c, ldc, default, threads: 2);
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            double sum = 0;
                            for (int p = 0; p < k; p++)
                            {
                                double av = transA ? a[p * aStride + i] : a[i * aStride + p];
                                double bv = transB ? b[j * bStride + p] : b[p * bStride + j];
                                sum += av * bv;
                            }
                            Assert.True(Math.Abs(sum - c[i * ldc + j]) <= 1e-4 * Math.Max(1, Math.Sqrt(k)),
                                $"{kind} m={m} n={n} k={k} transA={transA} transB={transB} at ({i},{j}): {c[i * ldc + j]} vs {sum}");
                        }
                    }
                    cases++;
                }
            }
        }
        Assert.Equal(100, cases);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public unsafe void Epilogue_adds_biases_and_residual_then_activates(MicroKernelKind kind)
    {
        var shape = GemmShape.For(kind);
        var random = new Random(3);
        int m = 13, n = 37, k = 300;
        var a = Random(random, m * k);
        var b = Random(random, k * n);
        var rowBias = Random(random, m);
        var columnBias = Random(random, n);
        var residual = Random(random, m * n);
        var c = new float[m * n];
        fixed (float* row = rowBias, column = columnBias, rest = residual)
        {
            var epilogue = new Epilogue { RowBias = row, ColumnBias = column, Residual = rest, ResidualStride = n, Activation = new Activation(ActivationKind.Clip, -0.5f, 2f) };
            Sgemm.Multiply(shape, a, k, 1, b, n, 1, m, n, k, c, n, epilogue, threads: 1);
        }
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = rowBias[i] + columnBias[j] + residual[i * n + j];
                for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * b[p * n + j];
                Assert.Equal(Math.Clamp(sum, -0.5, 2), c[i * n + j], 1e-4);
            }
        }
    }

    [Theory]
    [InlineData(ActivationKind.None, true, true, 1)]
    [InlineData(ActivationKind.Relu, true, true, 2)]
    [InlineData(ActivationKind.Clip, false, true, 1)]
    [InlineData(ActivationKind.Relu, true, false, 2)]
    [InlineData(ActivationKind.None, false, false, 1)]
    [InlineData(ActivationKind.HardSwish, true, true, 1)]
    [InlineData(ActivationKind.HardSwish, true, false, 2)]
    public void Strided_right_operand_matches_the_plain_product_with_its_epilogue(ActivationKind activation, bool withBias, bool withResidual, int threads)
    {
        // Every strided kernel this processor runs: AVX-512 (6 x 32 and 12 x 32 tiles) and AVX2 (6 x 16).
        int kinds = 0;
        foreach (var kind in GemmShape.Supported.Where(k => k is MicroKernelKind.Avx512 or MicroKernelKind.Avx2))
        {
            StridedRightMatches(GemmShape.For(kind), activation, withBias, withResidual, threads);
            kinds++;
        }
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported) Assert.True(kinds > 0);
    }

    private static unsafe void StridedRightMatches(GemmShape shape, ActivationKind activation, bool withBias, bool withResidual, int threads)
    {
        // B read in place (a pointwise convolution's input channels): an offset into a larger array, a row stride
        // wider than the row, sizes 0/1/7/17/255 and whole and partial 16- and 32-column panels, depths up to the
        // kernel's limit (512: SqueezeNet's conv10; 1024), against a double loop.
        var random = new Random(11 + (int)activation * 5 + threads);
        var act = activation == ActivationKind.Clip ? new Activation(ActivationKind.Clip, -0.25f, 0.75f) : new Activation(activation);
        int cases = 0;
        foreach (int m in (int[])[0, 1, 7, 12, 17, 255])
        {
            foreach (int n in (int[])[0, 1, 7, 16, 17, 32, 64, 255])
            {
                foreach (int k in (int[])[0, 1, 7, 17, 256, 512, Sgemm.StridedMaxDepth])
                {
                    int offset = 5, ldb = n + 3, ldc = n + 1, residualStride = n + 2;
                    var a = Random(random, m * k);
                    var b = Random(random, offset + k * ldb);
                    var bias = Random(random, Math.Max(1, m));
                    var residual = Random(random, Math.Max(1, m * residualStride));
                    var c = new float[Math.Max(1, m * ldc)];
                    var packed = PackedMatrix.Left(shape, a, m, k, k, 1);
                    fixed (float* pBias = bias, pResidual = residual)
                    {
                        var epilogue = new Epilogue
                        {
                            RowBias = withBias ? pBias : null,
                            Residual = withResidual ? pResidual : null,
                            ResidualStride = residualStride,
                            Activation = act,
                        };
                        Assert.True(Sgemm.StridedRightApplies(shape, k, epilogue));
                        Sgemm.MultiplyStridedRight(shape, packed, b, offset, ldb, n, c, ldc, epilogue, threads);
                    }
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            double sum = (withBias ? bias[i] : 0) + (withResidual ? residual[i * residualStride + j] : 0);
                            for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * b[offset + p * ldb + j];
                            double expected = activation switch
                            {
                                ActivationKind.Relu => Math.Max(sum, 0),
                                ActivationKind.Clip => Math.Clamp(sum, -0.25, 0.75),
                                ActivationKind.HardSwish => sum * Math.Clamp(sum / 6 + 0.5, 0, 1),
                                _ => sum,
                            };
                            Assert.True(Math.Abs(expected - c[i * ldc + j]) <= 1e-4 * Math.Max(1, Math.Sqrt(k)),
                                $"{shape.Kind} m={m} n={n} k={k} at ({i},{j}): {c[i * ldc + j]} vs {expected}");
                        }
                    }
                    cases++;
                }
            }
        }
        Assert.Equal(336, cases);
    }

    [Theory]
    [InlineData(1000, 512, 11, 11)] // SqueezeNet's conv10: its 2 MB of weights streamed once (was 4 + 4 + 3 panels)
    [InlineData(24, 24, 1024, 79)] // BlazeFace's 24 -> 24 pointwise at 128 x 128: 13 blocks of at most 85 panels
    [InlineData(255, 1024, 16, 6)] // weights above the limit, 6 panels of depth 1024 fill 96K floats: 6 + 6 + 4
    [InlineData(17, 1024, 16, 2)] // small weights keep 32K-float blocks: 2 panels of depth 1024
    [InlineData(7, 17, 1, 1)]
    [InlineData(7, 100_000, 3, 1)] // one panel deeper than any block: one per block
    public void Strided_blocks_hold_the_panels_evenly_within_their_cache_budget(int m, int k, int panels, int expected)
    {
        int perBlock = Sgemm.StridedPanelsPerBlock(m, k, panels);
        Assert.Equal(expected, perBlock);
        long limit = (long)m * k > 98304 ? 98304 : 32768;
        Assert.True(perBlock == 1 || (long)perBlock * k * 16 <= limit);
        // As few blocks as the budget allows, the panels spread over them.
        int most = (int)Math.Clamp(limit / Math.Max(1L, k * 16L), 1, panels);
        int blocks = (panels + most - 1) / most;
        Assert.Equal((panels + blocks - 1) / blocks, perBlock);
    }

    [Fact]
    public void The_processor_runs_the_portable_kernel_at_least() =>
        Assert.Contains(MicroKernelKind.Portable, GemmShape.Supported);
}
