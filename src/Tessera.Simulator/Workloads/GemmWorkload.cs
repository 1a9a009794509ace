using Tessera.Hardware;

namespace Tessera.Simulator.Workloads;

/// <summary>Generates a tiled int8 GEMM program C[M,N] (int32) = A[M,K] x B[K,N] for a configuration, single-
/// or double-buffered, and the analytic cycle bound it should reach. Used by tests and the benchmark; the
/// compiler will generalise the same tiling.</summary>
public sealed class GemmWorkload
{
    public GemmWorkload(NpuSpec spec, int m, int k, int n, bool doubleBuffered)
    {
        Spec = spec;
        (M, K, N, DoubleBuffered) = (m, k, n, doubleBuffered);
        int slots = doubleBuffered ? 2 : 1;
        bool weightStationary = spec.Dataflow == Dataflow.WeightStationary;
        TileN = Math.Min(n, spec.ArrayColumns);
        if (weightStationary)
        {
            TileK = Math.Min(k, spec.ArrayRows);
            TileM = Math.Min(m, 4095);
            while (TileM > 1 && (slots * TileM * TileK > spec.ActivationScratchpadBytes || slots * TileM * TileN > spec.AccumulatorEntries)) TileM = (TileM + 1) / 2;
        }
        else
        {
            TileM = Math.Min(m, spec.ArrayRows);
            TileK = Math.Min(k, 4095);
            while (TileK > 1 && (slots * TileM * TileK > spec.ActivationScratchpadBytes || slots * TileK * TileN > spec.WeightScratchpadBytes)) TileK = (TileK + 1) / 2;
        }
        if (slots * TileK * TileN > spec.WeightScratchpadBytes || slots * TileM * TileN > spec.AccumulatorEntries)
        {
            throw new ArgumentException($"GEMM tiles do not fit the scratchpads of '{spec.Name}'");
        }
        Program = Build(slots);
    }

    public NpuSpec Spec { get; }
    public int M { get; }
    public int K { get; }
    public int N { get; }
    public bool DoubleBuffered { get; }
    public int TileM { get; }
    public int TileK { get; }
    public int TileN { get; }
    public NpuProgram Program { get; }
    public long Macs => (long)M * K * N;

    public const long AddressA = 0;
    public long AddressB => AddressA + (long)M * K;
    public long AddressC => AddressB + (long)K * N;

    /// <summary>Sum of the array's occupancy over all passes.</summary>
    public long ComputeCycles { get; private set; }

    /// <summary>Sum of DRAM transfer cycles over all loads and stores (they share one channel).</summary>
    public long DmaCycles { get; private set; }

    /// <summary>max(compute, DMA) + fill/drain: the cycles a perfectly overlapped schedule takes. Fill/drain is
    /// one idle-array start, one array skew/drain and one DRAM latency.</summary>
    public long AnalyticBound
    {
        get
        {
            var timing = new TimingModel(Spec);
            return Math.Max(ComputeCycles, DmaCycles) + timing.ArrayIdleStart + timing.ArrayFillDrain + Spec.DramLatencyCycles;
        }
    }

    private NpuProgram Build(int slots)
    {
        var timing = new TimingModel(Spec);
        var program = new NpuProgram { SpecHash = Spec.Hash };
        program.Tensors.Add(new TensorBinding("a", TensorRole.Input, NpuDataType.Int8, AddressA, [M, K]));
        program.Tensors.Add(new TensorBinding("b", TensorRole.Input, NpuDataType.Int8, AddressB, [K, N]));
        program.Tensors.Add(new TensorBinding("c", TensorRole.Output, NpuDataType.Int32, AddressC, [M, N]));
        program.DramBytes = program.Footprint;
        var code = program.Instructions;
        int actSlot = TileM * TileK, weightSlot = TileK * TileN, accSlot = TileM * TileN;
        int kSteps = (K + TileK - 1) / TileK;
        int step = 0, tile = 0;
        int totalSteps = ((M + TileM - 1) / TileM) * ((N + TileN - 1) / TileN) * kSteps;
        int totalTiles = ((M + TileM - 1) / TileM) * ((N + TileN - 1) / TileN);
        const long load = 1 << (int)QueueKind.Load, compute = 1 << (int)QueueKind.Compute, store = 1 << (int)QueueKind.Store;
        for (int n0 = 0; n0 < N; n0 += TileN)
        {
            int tn = Math.Min(TileN, N - n0);
            for (int m0 = 0; m0 < M; m0 += TileM)
            {
                int tm = Math.Min(TileM, M - m0);
                int acc = (tile % slots) * accSlot;
                for (int k0 = 0; k0 < K; k0 += TileK, step++)
                {
                    int tk = Math.Min(TileK, K - k0);
                    int act = (step % slots) * actSlot, weight = (step % slots) * weightSlot;
                    code.Add(Transfer(Opcode.Load, MemoryKind.Activation, act, AddressA + (long)m0 * K + k0, tk, tm, K, tk, wait: step >= slots ? compute : 0, signal: 0));
                    code.Add(Transfer(Opcode.Load, MemoryKind.Weight, weight, AddressB + (long)k0 * N + n0, tn, tk, N, tn, wait: 0, signal: compute));
                    DmaCycles += timing.TransferCycles((long)tk * tm) + timing.TransferCycles((long)tn * tk);
                    bool first = k0 == 0, last = k0 + TileK >= K;
                    long wait = load | (first && tile >= slots ? store : 0);
                    long signal = (step + slots < totalSteps ? load : 0) | (last ? store : 0);
                    code.Add(Instruction.Create(Opcode.Gemm, ("wait", wait), ("signal", signal), ("accumulate", first ? 0 : 1),
                        ("m0", tm), ("m1", 1), ("k", tk), ("n", tn), ("input", act), ("input_stride0", tk),
                        ("weight", weight), ("weight_stride", tn), ("output", acc), ("output_stride", tn)));
                    ComputeCycles += timing.ArrayOccupancy(tm, tk);
                }
                code.Add(Transfer(Opcode.Store, MemoryKind.Accumulator, acc, AddressC + ((long)m0 * N + n0) * 4, tn, tm, N * 4L, tn,
                    wait: compute, signal: tile + slots < totalTiles ? compute : 0));
                DmaCycles += timing.TransferCycles((long)tn * tm * 4);
                tile++;
            }
        }
        code.Add(Instruction.Create(Opcode.End));
        return program;
    }

    private static Instruction Transfer(Opcode opcode, MemoryKind memory, long sram, long dram, int x, int y, long dramStride, long sramStride, long wait, long signal) =>
        Instruction.Create(opcode, ("wait", wait), ("signal", signal), ("memory", (long)memory), ("sram", sram), ("dram", dram),
            ("x", x), ("y", y), ("z", 1), ("dram_stride_y", dramStride), ("sram_stride_y", sramStride));

    /// <summary>The plain C# loops the NPU must match bit for bit.</summary>
    public static int[] Reference(sbyte[] a, sbyte[] b, int m, int k, int n)
    {
        var c = new int[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                int sum = 0;
                for (int p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
                c[i * n + j] = sum;
            }
        }
        return c;
    }
}
