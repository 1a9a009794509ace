namespace Tessera.Hardware;

/// <summary>How the systolic array keeps operands in place. Weight-stationary preloads a K x N weight tile
/// and streams M input rows through it; output-stationary keeps an M x N output tile in the processing
/// elements and streams K.</summary>
public enum Dataflow
{
    WeightStationary,
    OutputStationary,
}

/// <summary>Energy per elementary operation, in picojoules, with the source of the figures.</summary>
public sealed record EnergyModel(
    double MacPicojoules,
    double VectorOperationPicojoules,
    double SramReadPicojoulesPerByte,
    double SramWritePicojoulesPerByte,
    double DramPicojoulesPerByte,
    double StaticMilliwatts,
    string Source);

/// <summary>Every hardware parameter of the NPU (DESIGN.md habit 4): compiler, simulator, RTL generator and
/// docs read this record, and no hardware number appears anywhere else. Loaded from configs/npu/*.yaml by
/// <see cref="NpuSpecLoader"/>, which validates every field.</summary>
public sealed record NpuSpec(
    string Name,
    int ArrayRows,
    int ArrayColumns,
    Dataflow Dataflow,
    int VectorLanes,
    int VectorPipelineCycles,
    int ActivationScratchpadBytes,
    int WeightScratchpadBytes,
    int AccumulatorEntries,
    int ScratchpadBanks,
    long DramBytes,
    int DramBytesPerCycle,
    int DramLatencyCycles,
    double ClockMegahertz,
    EnergyModel Energy)
{
    /// <summary>Multiply-accumulate units in the array.</summary>
    public int MacCount => ArrayRows * ArrayColumns;

    /// <summary>Bytes of accumulator SRAM (int32 entries).</summary>
    public long AccumulatorBytes => (long)AccumulatorEntries * sizeof(int);

    /// <summary>Peak int8 operations per second (2 per MAC), the figure accelerator data sheets quote.</summary>
    public double PeakOperationsPerSecond => 2.0 * MacCount * ClockMegahertz * 1e6;

    /// <summary>A stable 64-bit hash of every parameter that changes what a program may do or how long it
    /// takes; program files carry it so a program built for one configuration is not run on another.</summary>
    public ulong Hash
    {
        get
        {
            var text = string.Join('|',
                ArrayRows, ArrayColumns, Dataflow, VectorLanes, VectorPipelineCycles, ActivationScratchpadBytes,
                WeightScratchpadBytes, AccumulatorEntries, ScratchpadBanks, DramBytes, DramBytesPerCycle, DramLatencyCycles);
            ulong hash = 14695981039346656037UL;
            foreach (char c in text)
            {
                hash ^= c;
                hash *= 1099511628211UL;
            }
            return hash == 0 ? 1 : hash;
        }
    }
}
