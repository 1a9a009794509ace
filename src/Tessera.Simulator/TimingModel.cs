using Tessera.Hardware;

namespace Tessera.Simulator;

/// <summary>Cycle costs of one instruction, from the spec alone. Each unit has an occupancy (cycles before it
/// can take its next instruction) and a latency (cycles until its result is visible and its tokens go out).
/// <list type="bullet">
/// <item>DMA: ceil(bytes / DRAM bytes per cycle) on the one DRAM channel that loads and stores share, plus the
/// DRAM latency before the data is usable; transfers pipeline behind each other.</item>
/// <item>Array, weight-stationary: a pass streams max(M, rows) input rows (the next tile's weights shift in
/// behind the current one through double-buffered weight registers); results leave rows + columns - 2 cycles
/// later (skew and drain). After an idle period the first weights take rows cycles to load.</item>
/// <item>Array, output-stationary: a pass streams max(K, rows) cycles (outputs of the previous tile drain
/// through double-buffered output registers), same skew and drain.</item>
/// <item>Vector unit: one row chunk of lanes elements per cycle, plus the pipeline depth.</item>
/// </list></summary>
public sealed class TimingModel(NpuSpec spec)
{
    public NpuSpec Spec { get; } = spec;

    public long TransferCycles(long bytes) => (bytes + Spec.DramBytesPerCycle - 1) / Spec.DramBytesPerCycle;

    public long ArrayOccupancy(int rows, int k) =>
        Spec.Dataflow == Dataflow.WeightStationary ? Math.Max(rows, Spec.ArrayRows) : Math.Max(k, Spec.ArrayRows);

    /// <summary>Skew plus drain: the cycles between the last input entering and the last result leaving.</summary>
    public long ArrayFillDrain => Spec.ArrayRows + Spec.ArrayColumns - 2;

    /// <summary>Cycles from a gemm's start until its last result row is written: the first weights' load when the
    /// array was idle, one cycle per input row, then skew and drain. Shorter than the occupancy when rows &lt;
    /// array rows (the next tile's weights still need rows cycles to shift in, but this tile's results do not
    /// wait for them). Calibrated against the generated RTL's co-simulation (docs/rtl.md): equal cycle for cycle
    /// on every tile, on an idle array and back to back (the RTL has the double-buffered weights).</summary>
    public long ArrayCompletion(int rows, int k, bool idle)
    {
        long stream = Spec.Dataflow == Dataflow.WeightStationary ? rows : ArrayOccupancy(rows, k);
        return (idle ? ArrayIdleStart : 0) + stream + ArrayFillDrain;
    }

    /// <summary>The cycle a gemm streams its first input row (weight-stationary; output-stationary, its first
    /// wavefront) when its operands are there at <paramref name="arrival"/> (its tokens, or the start of the program)
    /// and the previous gemm's occupancy ends at <paramref name="arrayFree"/> (null: the array has run nothing yet):
    /// its weights take <see cref="ArrayIdleStart"/> cycles to load from the arrival, hidden behind the previous
    /// gemm only as far as they overlap its occupancy. A gemm arriving less than that before the array frees waits
    /// for the rest of its load (measured by the RTL co-simulation, docs/rtl.md).</summary>
    public long StreamStart(long arrival, long? arrayFree) =>
        arrayFree is long free ? Math.Max(free, arrival + ArrayIdleStart) : arrival + ArrayIdleStart;

    /// <summary>Cycles to load a tile's operands into an idle array (weights or, output-stationary, the first
    /// wavefront) that are hidden while the array is busy.</summary>
    public long ArrayIdleStart => Spec.ArrayRows;

    public long VectorOccupancy(int rows, int columns) => (long)rows * ((columns + Spec.VectorLanes - 1) / Spec.VectorLanes);

    public long VectorLatency => Spec.VectorPipelineCycles;

    /// <summary>Whether a gemm's shape fits one pass of the array; returns a problem or null.</summary>
    public string? CheckGemmShape(int rows, int k, int n)
    {
        if (n > Spec.ArrayColumns) return $"n={n} exceeds the {Spec.ArrayColumns} array columns of '{Spec.Name}'";
        if (Spec.Dataflow == Dataflow.WeightStationary && k > Spec.ArrayRows) return $"k={k} exceeds the {Spec.ArrayRows} array rows of weight-stationary '{Spec.Name}'";
        if (Spec.Dataflow == Dataflow.OutputStationary && rows > Spec.ArrayRows) return $"m0*m1={rows} exceeds the {Spec.ArrayRows} array rows of output-stationary '{Spec.Name}'";
        return null;
    }
}
