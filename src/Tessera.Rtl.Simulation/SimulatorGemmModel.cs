using Tessera.Hardware;
using Tessera.Simulator;

namespace Tessera.Rtl.Simulation;

/// <summary>The simulator's side of the RTL co-simulation: its gemm kernel for the values and its timing model
/// for the cycles. Lives here, not in Tessera.Rtl, because the generator depends on the hardware spec only;
/// the CLI and the tests share this one adapter.</summary>
public sealed class SimulatorGemmModel(NpuSpec spec) : IGemmModel
{
    private readonly GemmKernel kernel = new();
    private readonly TimingModel timing = new(spec);

    /// <summary>Executes the tile with the simulator's kernel and returns its completion on an idle array.</summary>
    public long Execute(GemmTile tile, sbyte[] activation, sbyte[] weight, int[] accumulator)
    {
        kernel.Run(activation, weight, accumulator, tile.Rows, tile.M0, tile.Input, tile.InputStride0, tile.InputStride1, tile.K, tile.N,
            tile.Weight, tile.WeightStride, tile.Output, tile.OutputStride, tile.Accumulate);
        return timing.ArrayCompletion(tile.Rows, tile.K, idle: true);
    }

    /// <summary>NpuSimulator's array scheduling (its Gemm step, <see cref="TimingModel.StreamStart"/>) for gemms
    /// issued back to back: each streams when the previous one's occupancy ends, or when its weights are loaded
    /// (the array-rows cycles after it arrives), whichever is later. A tile arrives at the start, or the cycle after
    /// the tile it waits for completes (the testbench's host sees `done` and offers the next tile on the following
    /// edge).</summary>
    public IReadOnlyList<long> SequenceCompletions(IReadOnlyList<GemmTile> tiles, IReadOnlyList<int> waitFor)
    {
        var completions = new List<long>(tiles.Count);
        long? free = null;
        for (int i = 0; i < tiles.Count; i++)
        {
            long arrival = waitFor[i] < 0 ? 0 : completions[waitFor[i]] + 1;
            long stream = timing.StreamStart(arrival, free);
            completions.Add(stream + timing.ArrayCompletion(tiles[i].Rows, tiles[i].K, idle: false));
            free = stream + timing.ArrayOccupancy(tiles[i].Rows, tiles[i].K);
        }
        return completions;
    }
}
