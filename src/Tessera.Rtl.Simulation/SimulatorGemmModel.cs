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

    /// <summary>NpuSimulator's array scheduling for gemms issued back to back: each starts when the previous
    /// one's occupancy ends, and only the first finds the array idle (and pays the first weight load).</summary>
    public IReadOnlyList<long> SequenceCompletions(IReadOnlyList<GemmTile> tiles)
    {
        var completions = new List<long>(tiles.Count);
        long start = 0;
        for (int i = 0; i < tiles.Count; i++)
        {
            bool idle = i == 0;
            completions.Add(start + timing.ArrayCompletion(tiles[i].Rows, tiles[i].K, idle));
            start += timing.ArrayOccupancy(tiles[i].Rows, tiles[i].K) + (idle ? timing.ArrayIdleStart : 0);
        }
        return completions;
    }
}
