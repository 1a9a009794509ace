using System.Runtime.CompilerServices;
using Tessera.Hardware;
using F = Tessera.Simulator.Fields.Transfer;

namespace Tessera.Simulator;

/// <summary>Functional DMA: LOAD copies z planes of y rows of x elements from DRAM into a scratchpad and
/// surrounds each plane with padding; STORE copies the other way without padding.</summary>
internal static class DmaEngine
{
    public readonly record struct Shape(MemoryKind Memory, long Sram, long Dram, int X, int Y, int Z, long DramStrideY, long DramStrideZ,
        long SramStrideY, long SramStrideZ, int PadLeft, int PadRight, int PadTop, int PadBottom, int PadValue)
    {
        public int ElementSize => Memory == MemoryKind.Accumulator ? 4 : 1;
        public int SramColumns => PadLeft + X + PadRight;
        public int SramRows => PadTop + Y + PadBottom;
        public long DramBytes => (long)X * Y * Z * ElementSize;
        public long SramElements => (long)SramColumns * SramRows * Z;
        public Store SramStore => (Store)Memory;
        public long SramEnd => Sram + (Z - 1) * SramStrideZ + (SramRows - 1) * SramStrideY + SramColumns;
        public long DramEnd => Dram + (Z - 1) * DramStrideZ + (Y - 1) * DramStrideY + (long)X * ElementSize;
    }

    public static Shape Decode(Instruction instruction)
    {
        var v = instruction.Values;
        bool load = instruction.Opcode == Opcode.Load;
        return new Shape((MemoryKind)v[F.Memory], v[F.Sram], v[F.Dram], (int)v[F.X], (int)v[F.Y], (int)v[F.Z], v[F.DramStrideY], v[F.DramStrideZ],
            v[F.SramStrideY], v[F.SramStrideZ],
            load ? (int)v[F.PadLeft] : 0, load ? (int)v[F.PadRight] : 0, load ? (int)v[F.PadTop] : 0, load ? (int)v[F.PadBottom] : 0, load ? (int)v[F.PadValue] : 0);
    }

    public static void Accesses(Instruction instruction, List<Access> into)
    {
        var s = Decode(instruction);
        bool load = instruction.Opcode == Opcode.Load;
        into.Add(new Access(s.SramStore, s.Sram, s.SramEnd, Write: load));
        into.Add(new Access(Store.Dram, s.Dram, s.DramEnd, Write: !load));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Load(MachineState state, Shape s)
    {
        var sram = state.RawBytes(s.Memory);
        var dram = state.Dram.AsSpan();
        int size = s.ElementSize;
        Span<byte> pad = stackalloc byte[4];
        BitConverter.TryWriteBytes(pad, s.PadValue);
        bool padded = s.PadLeft + s.PadRight + s.PadTop + s.PadBottom > 0;
        for (int z = 0; z < s.Z; z++)
        {
            for (int y = 0; y < s.SramRows; y++)
            {
                var destination = sram.Slice((int)((s.Sram + z * s.SramStrideZ + y * s.SramStrideY) * size), s.SramColumns * size);
                int sourceRow = y - s.PadTop;
                if (sourceRow < 0 || sourceRow >= s.Y)
                {
                    Fill(destination, pad[..size]);
                    continue;
                }
                if (padded)
                {
                    Fill(destination[..(s.PadLeft * size)], pad[..size]);
                    Fill(destination[((s.PadLeft + s.X) * size)..], pad[..size]);
                }
                dram.Slice((int)(s.Dram + z * s.DramStrideZ + sourceRow * s.DramStrideY), s.X * size).CopyTo(destination.Slice(s.PadLeft * size));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Save(MachineState state, Shape s)
    {
        var sram = state.RawBytes(s.Memory);
        var dram = state.Dram.AsSpan();
        int size = s.ElementSize;
        for (int z = 0; z < s.Z; z++)
        {
            for (int y = 0; y < s.Y; y++)
            {
                sram.Slice((int)((s.Sram + z * s.SramStrideZ + y * s.SramStrideY) * size), s.X * size)
                    .CopyTo(dram.Slice((int)(s.Dram + z * s.DramStrideZ + y * s.DramStrideY)));
            }
        }
    }

    private static void Fill(Span<byte> destination, ReadOnlySpan<byte> element)
    {
        if (element.Length == 1)
        {
            destination.Fill(element[0]);
            return;
        }
        for (int i = 0; i + element.Length <= destination.Length; i += element.Length) element.CopyTo(destination[i..]);
    }
}
