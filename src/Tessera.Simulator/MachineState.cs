using System.Runtime.InteropServices;
using Tessera.Hardware;

namespace Tessera.Simulator;

/// <summary>Memories the simulator tracks; the first three match <see cref="MemoryKind"/>.</summary>
public enum Store
{
    Activation = 0,
    Weight = 1,
    Accumulator = 2,
    Dram = 3,
}

/// <summary>One contiguous range an instruction touches, in the memory's elements (bytes, or int32 words for
/// the accumulator). Strided accesses are covered by their bounding range: conservative for the hazard
/// check, exact for the bounds check.</summary>
public readonly record struct Access(Store Store, long Start, long End, bool Write);

/// <summary>The NPU's memories: int8 scratchpads, the int32 accumulator and the program's DRAM.</summary>
public sealed class MachineState
{
    public MachineState(NpuSpec spec, long dramBytes)
    {
        Activation = new sbyte[spec.ActivationScratchpadBytes];
        Weight = new sbyte[spec.WeightScratchpadBytes];
        Accumulator = new int[spec.AccumulatorEntries];
        Dram = new byte[dramBytes];
    }

    public sbyte[] Activation { get; }

    public sbyte[] Weight { get; }

    public int[] Accumulator { get; }

    public byte[] Dram { get; }

    public long Size(Store store) => store switch
    {
        Store.Activation => Activation.Length,
        Store.Weight => Weight.Length,
        Store.Accumulator => Accumulator.Length,
        _ => Dram.Length,
    };

    public Span<sbyte> Bytes(MemoryKind memory) => memory == MemoryKind.Weight ? Weight : Activation;

    public Span<byte> RawBytes(MemoryKind memory) => memory switch
    {
        MemoryKind.Activation => MemoryMarshal.AsBytes(Activation.AsSpan()),
        MemoryKind.Weight => MemoryMarshal.AsBytes(Weight.AsSpan()),
        _ => MemoryMarshal.AsBytes(Accumulator.AsSpan()),
    };

    public static string Name(Store store) => store switch
    {
        Store.Activation => "activation scratchpad",
        Store.Weight => "weight scratchpad",
        Store.Accumulator => "accumulator",
        _ => "DRAM",
    };

    public static string Unit(Store store) => store == Store.Accumulator ? "words" : "bytes";
}
