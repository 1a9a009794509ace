using Tessera.Compiler;
using Tessera.Hardware;
using Tessera.Simulator;

namespace Tessera.Rtl.Simulation;

/// <summary>Every gemm tile of a compiled program, with the operands the simulator gave it, and the layer it
/// belongs to.</summary>
public sealed record ProgramTiles(IReadOnlyList<CosimulationTile> Tiles, IReadOnlyList<string> Layers)
{
    /// <summary>Runs the compiled network on the simulator and records each gemm as the RTL must execute it
    /// (<see cref="ProgramTileRecorder"/>).</summary>
    public static ProgramTiles FromNetwork(CompiledNetwork compiled, IReadOnlyDictionary<string, sbyte[]> inputs)
    {
        var recorder = new ProgramTileRecorder(compiled.Spec);
        recorder.Record(compiled, inputs.ToDictionary(p => p.Key, p => (byte[])(Array)p.Value));
        return recorder.Result;
    }
}

/// <summary>Records the gemm tiles of one or more compiled programs run one after the other on the same core
/// (a partitioned model's NPU segments). The writes before each tile are only what the RTL's memories would not
/// already hold after running the earlier tiles (data the DMA or the vector unit put there since): an
/// accumulating tile's partial sums come from the tiles before it, as in the hardware, instead of being preset,
/// and a later segment starts from what the earlier one left in the memories.</summary>
public sealed class ProgramTileRecorder(NpuSpec spec)
{
    // What the RTL's memories hold: the writes so far plus the effect of every tile so far.
    private readonly sbyte[] activation = new sbyte[spec.ActivationScratchpadBytes];
    private readonly sbyte[] weight = new sbyte[spec.WeightScratchpadBytes];
    private readonly int[] accumulator = new int[spec.AccumulatorEntries];
    private readonly GemmKernel kernel = new();
    private readonly List<CosimulationTile> tiles = [];
    private readonly List<string> layers = [];

    public ProgramTiles Result => new(tiles.ToList(), layers.ToList());

    /// <summary>Runs <paramref name="compiled"/> on the simulator with <paramref name="inputs"/> (NPU layout bytes)
    /// and appends its gemm tiles, each labelled with <paramref name="prefix"/> and its layer's name.</summary>
    public void Record(CompiledNetwork compiled, IReadOnlyDictionary<string, byte[]> inputs, string prefix = "")
    {
        if (compiled.Spec.Hash != spec.Hash) throw new ArgumentException($"the program is compiled for '{compiled.Spec.Name}', the recorder holds '{spec.Name}'", nameof(compiled));
        var program = compiled.Program;
        var layerOf = new Dictionary<Instruction, string>(ReferenceEqualityComparer.Instance);
        foreach (var plan in compiled.Layers)
        {
            for (int i = plan.FirstInstruction; i < plan.FirstInstruction + plan.InstructionCount; i++) layerOf[program.Instructions[i]] = plan.Layer.Name;
        }
        void Observe(Instruction gemm, MachineState state)
        {
            var tile = new GemmTile(gemm["accumulate"] != 0, (int)gemm["m0"], (int)gemm["m1"], (int)gemm["k"], (int)gemm["n"],
                (int)gemm["input"], (int)gemm["input_stride0"], (int)gemm["input_stride1"], (int)gemm["weight"], (int)gemm["weight_stride"],
                (int)gemm["output"], (int)gemm["output_stride"]);
            var writes = new List<MemoryWrite>();
            foreach (int a in tile.ActivationAddresses())
            {
                if (activation[a] != state.Activation[a]) writes.Add(new MemoryWrite(TileMemory.Activation, a, activation[a] = state.Activation[a]));
            }
            foreach (int a in tile.WeightAddresses())
            {
                if (weight[a] != state.Weight[a]) writes.Add(new MemoryWrite(TileMemory.Weight, a, weight[a] = state.Weight[a]));
            }
            if (tile.Accumulate)
            {
                foreach (int a in tile.OutputAddresses())
                {
                    if (accumulator[a] != state.Accumulator[a]) writes.Add(new MemoryWrite(TileMemory.Accumulator, a, accumulator[a] = state.Accumulator[a]));
                }
            }
            kernel.Run(activation, weight, accumulator, tile.Rows, tile.M0, tile.Input, tile.InputStride0, tile.InputStride1, tile.K, tile.N,
                tile.Weight, tile.WeightStride, tile.Output, tile.OutputStride, tile.Accumulate);
            tiles.Add(new CosimulationTile(tile, writes));
            layers.Add(prefix + layerOf.GetValueOrDefault(gemm, "?"));
        }
        NpuSimulator.Run(spec, program, inputs, new SimulationOptions { BeforeGemm = Observe });
    }
}
