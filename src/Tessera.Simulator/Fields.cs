using Tessera.Hardware;

namespace Tessera.Simulator;

/// <summary>Field positions looked up once from the ISA declaration, so the simulator reads instruction
/// fields by index instead of by name in its hot loop.</summary>
internal static class Fields
{
    private static int Of(Opcode opcode, string name) => InstructionSet.Format(opcode).IndexOf(name);

    public static class Transfer
    {
        public static readonly int Memory = Of(Opcode.Load, "memory"), Sram = Of(Opcode.Load, "sram"), Dram = Of(Opcode.Load, "dram");
        public static readonly int X = Of(Opcode.Load, "x"), Y = Of(Opcode.Load, "y"), Z = Of(Opcode.Load, "z");
        public static readonly int DramStrideY = Of(Opcode.Load, "dram_stride_y"), DramStrideZ = Of(Opcode.Load, "dram_stride_z");
        public static readonly int SramStrideY = Of(Opcode.Load, "sram_stride_y"), SramStrideZ = Of(Opcode.Load, "sram_stride_z");
        public static readonly int PadLeft = Of(Opcode.Load, "pad_left"), PadRight = Of(Opcode.Load, "pad_right");
        public static readonly int PadTop = Of(Opcode.Load, "pad_top"), PadBottom = Of(Opcode.Load, "pad_bottom"), PadValue = Of(Opcode.Load, "pad_value");
    }

    public static class Gemm
    {
        public static readonly int Accumulate = Of(Opcode.Gemm, "accumulate"), M0 = Of(Opcode.Gemm, "m0"), M1 = Of(Opcode.Gemm, "m1");
        public static readonly int K = Of(Opcode.Gemm, "k"), N = Of(Opcode.Gemm, "n"), Input = Of(Opcode.Gemm, "input");
        public static readonly int InputStride0 = Of(Opcode.Gemm, "input_stride0"), InputStride1 = Of(Opcode.Gemm, "input_stride1");
        public static readonly int Weight = Of(Opcode.Gemm, "weight"), WeightStride = Of(Opcode.Gemm, "weight_stride");
        public static readonly int Output = Of(Opcode.Gemm, "output"), OutputStride = Of(Opcode.Gemm, "output_stride");
    }

    public static class Vector
    {
        public static readonly int Function = Of(Opcode.Vector, "function"), Accumulate = Of(Opcode.Vector, "accumulate"), PerChannel = Of(Opcode.Vector, "per_channel");
        public static readonly int M0 = Of(Opcode.Vector, "m0"), M1 = Of(Opcode.Vector, "m1"), Columns = Of(Opcode.Vector, "cols");
        public static readonly int A = Of(Opcode.Vector, "a"), AStride0 = Of(Opcode.Vector, "a_stride0"), AStride1 = Of(Opcode.Vector, "a_stride1");
        public static readonly int B = Of(Opcode.Vector, "b"), BStride0 = Of(Opcode.Vector, "b_stride0"), BStride1 = Of(Opcode.Vector, "b_stride1");
        public static readonly int D = Of(Opcode.Vector, "d"), DStride = Of(Opcode.Vector, "d_stride"), P = Of(Opcode.Vector, "p");
    }

    public static int Get(Instruction instruction, int index) => (int)instruction.Values[index];
}
