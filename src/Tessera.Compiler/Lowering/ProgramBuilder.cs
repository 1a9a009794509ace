using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>Queue bits for wait/signal masks.</summary>
internal static class Q
{
    public const int Load = 1 << (int)QueueKind.Load;
    public const int Compute = 1 << (int)QueueKind.Compute;
    public const int Vector = 1 << (int)QueueKind.Vector;
    public const int Store = 1 << (int)QueueKind.Store;

    public static int Bit(QueueKind queue) => 1 << (int)queue;

    public static int If(bool condition, int mask) => condition ? mask : 0;
}

/// <summary>A block of weights (laid out as the array consumes them) identified by layer and block index.</summary>
internal sealed record WeightBlock(string Key, byte[] Bytes);

/// <summary>Collects a program's instructions and constant section. Layers are separated by a barrier: each
/// layer's last store signals the load queue and the next layer's first load waits for it, so a layer may
/// reuse every scratchpad freely and reads its inputs only after they have landed in DRAM.</summary>
internal sealed class ProgramBuilder(NpuSpec spec, long constantBase)
{
    private bool barrierPending;
    private QueueKind barrierFrom = QueueKind.Store;
    private long constantCursor = constantBase;

    public NpuSpec Spec { get; } = spec;

    public List<Instruction> Code { get; } = [];

    public List<ConstantBlock> Constants { get; } = [];

    public long ConstantEnd => constantCursor;

    /// <summary>Weights of the next weight block in program order (the next convolution's first block) when only
    /// layers that leave the weight scratchpad alone come between; set by the network compiler before each layer.
    /// A block can then load them into the other half of the weight scratchpad while it computes.</summary>
    public Func<WeightBlock?>? NextLayerWeights { get; set; }

    /// <summary>Where every weight block of the current run of convolutions lives and what of it is loaded (null:
    /// the two-halves prefetch of <see cref="NextLayerWeights"/>); set by the network compiler before each layer.</summary>
    public WeightRing? Ring { get; set; }

    /// <summary>The block whose weights are already loaded (by the previous block's prefetch) and where.</summary>
    public (WeightBlock Block, long Base)? Prefetched { get; set; }

    private readonly Dictionary<string, (byte[] Bytes, long Address)> weightConstants = [];

    /// <summary>Places a weight block in the constant section once (a prefetch and the block itself share it).</summary>
    public long WeightConstant(WeightBlock block)
    {
        if (weightConstants.TryGetValue(block.Key, out var known) && known.Bytes.AsSpan().SequenceEqual(block.Bytes)) return known.Address;
        long address = Constant(block.Key, block.Bytes);
        weightConstants[block.Key] = (block.Bytes, address);
        return address;
    }

    /// <summary>Places bytes in the constant section (64-byte aligned) and returns their DRAM address.</summary>
    public long Constant(string name, byte[] bytes, NpuDataType type = NpuDataType.Int8)
    {
        long address = constantCursor;
        Constants.Add(new ConstantBlock(name, address, type, bytes));
        constantCursor = Align(address + bytes.Length);
        return address;
    }

    public long Constant(string name, int[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return Constant(name, bytes, NpuDataType.Int32);
    }

    public static long Align(long address) => (address + 63) / 64 * 64;

    public void Load(MemoryKind memory, long sram, long dram, int x, int y, int z, long dramStrideY, long dramStrideZ, long sramStrideY, long sramStrideZ,
        int wait = 0, int signal = 0, int padTop = 0, int padBottom = 0, int padValue = 0)
    {
        if (barrierPending)
        {
            wait |= Q.Bit(barrierFrom);
            barrierPending = false;
        }
        Code.Add(Instruction.Create(Opcode.Load, ("wait", wait), ("signal", signal), ("memory", (long)memory), ("sram", sram), ("dram", dram),
            ("x", x), ("y", y), ("z", z), ("dram_stride_y", dramStrideY), ("dram_stride_z", dramStrideZ), ("sram_stride_y", sramStrideY), ("sram_stride_z", sramStrideZ),
            ("pad_top", padTop), ("pad_bottom", padBottom), ("pad_value", padValue)));
    }

    /// <summary>Loads a contiguous byte (or int32) block in pieces of at most 65535 elements (the DMA's x).</summary>
    public void LoadBlock(MemoryKind memory, long sram, long dram, int elements, int wait = 0, int signal = 0)
    {
        int size = memory == MemoryKind.Accumulator ? 4 : 1;
        for (int done = 0; done < elements;)
        {
            int count = Math.Min(65535, elements - done);
            bool last = done + count == elements;
            Load(memory, sram + done, dram + (long)done * size, count, 1, 1, 0, 0, 0, 0, done == 0 ? wait : 0, last ? signal : 0);
            done += count;
        }
    }

    public void Store(MemoryKind memory, long sram, long dram, int x, int y, int z, long dramStrideY, long dramStrideZ, long sramStrideY, long sramStrideZ, int wait, int signal) =>
        Code.Add(Instruction.Create(Opcode.Store, ("wait", wait), ("signal", signal), ("memory", (long)memory), ("sram", sram), ("dram", dram),
            ("x", x), ("y", y), ("z", z), ("dram_stride_y", dramStrideY), ("dram_stride_z", dramStrideZ), ("sram_stride_y", sramStrideY), ("sram_stride_z", sramStrideZ)));

    public void Gemm(bool accumulate, int m0, int m1, int k, int n, long input, long stride0, long stride1, long weight, int weightStride, long output, int outputStride, int wait, int signal) =>
        Code.Add(Instruction.Create(Opcode.Gemm, ("wait", wait), ("signal", signal), ("accumulate", accumulate ? 1 : 0), ("m0", m0), ("m1", m1), ("k", k), ("n", n),
            ("input", input), ("input_stride0", stride0), ("input_stride1", stride1), ("weight", weight), ("weight_stride", weightStride), ("output", output), ("output_stride", outputStride)));

    public void Vector(VectorFunction function, int m0, int m1, int columns, long a, long aStride0, long aStride1, long d, long dStride,
        int wait = 0, int signal = 0, long b = 0, long bStride0 = 0, long bStride1 = 0, long p = 0, bool accumulate = false, bool perChannel = false) =>
        Code.Add(Instruction.Create(Opcode.Vector, ("wait", wait), ("signal", signal), ("function", (long)function), ("accumulate", accumulate ? 1 : 0), ("per_channel", perChannel ? 1 : 0),
            ("m0", m0), ("m1", m1), ("cols", columns), ("a", a), ("a_stride0", aStride0), ("a_stride1", aStride1), ("b", b), ("b_stride0", bStride0), ("b_stride1", bStride1),
            ("d", d), ("d_stride", dStride), ("p", p)));

    /// <summary>Marks the end of a layer whose last instruction on <paramref name="from"/> (a store, or the vector
    /// unit when the output stays in the scratchpad) signalled the load queue.</summary>
    public void EndLayer(QueueKind from = QueueKind.Store) => (barrierPending, barrierFrom) = (true, from);

    /// <summary>The accumulator word ranges the previous layer used (a convolution sets them after its last block,
    /// the network compiler clears them after every other layer; null: unknown). The next convolution may load its
    /// first block's parameters outside them before the barrier, while the previous layer still runs.</summary>
    public IReadOnlyList<(long Start, long End)>? AccumulatorInUse { get; set; }

    /// <summary>Emits loads that need not wait for the pending barrier (they touch nothing the layer before is still
    /// using, and come after that layer's first load in the in-order load queue, so after everything earlier).</summary>
    public void BeforeBarrier(Action emit)
    {
        bool pending = barrierPending;
        barrierPending = false;
        emit();
        barrierPending = pending;
    }

    /// <summary>A load-queue <c>sync</c> that consumes the pending barrier and sends <paramref name="signal"/>: the go
    /// of an engine whose inputs are already in the scratchpad when its own loads were issued before the barrier.</summary>
    public void Go(int signal)
    {
        Code.Add(Instruction.Create(Opcode.Sync, ("queue", (long)QueueKind.Load), ("wait", barrierPending ? Q.Bit(barrierFrom) : 0), ("signal", signal)));
        barrierPending = false;
    }

    /// <summary>Consumes a pending barrier token and ends the stream.</summary>
    public void Finish()
    {
        if (barrierPending) Code.Add(Instruction.Create(Opcode.Sync, ("queue", (long)QueueKind.Load), ("wait", Q.Bit(barrierFrom))));
        barrierPending = false;
        Code.Add(Instruction.Create(Opcode.End));
    }
}
