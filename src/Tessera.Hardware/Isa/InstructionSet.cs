namespace Tessera.Hardware;

/// <summary>One field of an instruction format.</summary>
public sealed record FieldDeclaration(string Name, int Bits, FieldKind Kind, string Description, Type? Enumeration = null, long Minimum = 0)
{
    public long MaximumUnsigned => Bits == 64 ? long.MaxValue : (1L << Bits) - 1;

    public long Lowest => Kind == FieldKind.Signed ? -(1L << (Bits - 1)) : Minimum;

    public long Highest => Kind switch
    {
        FieldKind.Signed => (1L << (Bits - 1)) - 1,
        FieldKind.Enumeration => Enum.GetValues(Enumeration!).Cast<object>().Max(Convert.ToInt64),
        _ => MaximumUnsigned,
    };

    public bool Accepts(long value) => Kind switch
    {
        FieldKind.Enumeration => Enum.IsDefined(Enumeration!, Enum.ToObject(Enumeration!, value)),
        _ => value >= Lowest && value <= Highest,
    };
}

/// <summary>One instruction format: opcode, the queue it runs on (null: named by its <c>queue</c> field or
/// none) and its fields after the opcode, in bit order.</summary>
public sealed record InstructionFormat(Opcode Opcode, string Mnemonic, QueueKind? Queue, string Description, IReadOnlyList<FieldDeclaration> Fields)
{
    public int IndexOf(string name)
    {
        for (int i = 0; i < Fields.Count; i++)
        {
            if (Fields[i].Name == name) return i;
        }
        return -1;
    }

    public int UsedBits => InstructionSet.OpcodeBits + Fields.Sum(f => f.Bits);
}

/// <summary>What a vector function reads and writes, and how many int32 parameters it takes from the
/// accumulator at address <c>p</c> (per output column count when per-channel).</summary>
public sealed record VectorFunctionInfo(VectorFunction Function, string Name, MemoryKind A, string B, MemoryKind Destination, string Parameters, string Meaning);

/// <summary>The instruction set, declared once (DESIGN.md habit 5): encoder, decoder, assembler,
/// disassembler and docs/isa.md are all derived from these tables.</summary>
public static class InstructionSet
{
    public const int InstructionBytes = 32;
    public const int OpcodeBits = 6;

    private static FieldDeclaration U(string name, int bits, string description, long minimum = 0) => new(name, bits, FieldKind.Unsigned, description, Minimum: minimum);
    private static FieldDeclaration Flag(string name, string description) => new(name, 1, FieldKind.Flag, description);
    private static FieldDeclaration Choice<T>(string name, int bits, string description) where T : struct, Enum => new(name, bits, FieldKind.Enumeration, description, typeof(T));

    private static readonly FieldDeclaration Wait = new("wait", 4, FieldKind.QueueSet, "queues whose token this instruction consumes before it starts");
    private static readonly FieldDeclaration Signal = new("signal", 4, FieldKind.QueueSet, "queues this instruction sends a token to when it completes");

    private static List<FieldDeclaration> Transfer(bool padding)
    {
        var fields = new List<FieldDeclaration>
        {
            Wait, Signal,
            Choice<MemoryKind>("memory", 2, "scratchpad: activation, weight or accumulator (4-byte elements)"),
            U("sram", 22, "scratchpad address, in elements"),
            U("dram", 32, "DRAM address, in bytes"),
            U("x", 16, "elements per row (contiguous in DRAM)", 1),
            U("y", 12, "rows per plane", 1),
            U("z", 12, "planes", 1),
            U("dram_stride_y", 24, "bytes between rows in DRAM"),
            U("dram_stride_z", 28, "bytes between planes in DRAM"),
            U("sram_stride_y", 22, "elements between rows in the scratchpad"),
            U("sram_stride_z", 22, "elements between planes in the scratchpad"),
        };
        if (padding)
        {
            fields.Add(U("pad_left", 8, "pad elements before each row"));
            fields.Add(U("pad_right", 8, "pad elements after each row"));
            fields.Add(U("pad_top", 4, "pad rows before each plane"));
            fields.Add(U("pad_bottom", 4, "pad rows after each plane"));
            fields.Add(new FieldDeclaration("pad_value", 8, FieldKind.Signed, "value written into padding (int8)"));
        }
        return fields;
    }

    public static readonly IReadOnlyList<InstructionFormat> Formats =
    [
        new(Opcode.End, "end", null, "Marks the end of the instruction stream; the program finishes when every queue has drained.", []),
        new(Opcode.Sync, "sync", null, "Consumes and sends tokens on the named queue without doing work (a barrier).",
            [Choice<QueueKind>("queue", 2, "queue the barrier runs on"), Wait, Signal]),
        new(Opcode.Load, "load", QueueKind.Load,
            "DMA from DRAM into a scratchpad: z planes of y rows of x elements, strided on both sides; each plane is surrounded by padding rows/columns filled with pad_value.",
            Transfer(padding: true)),
        new(Opcode.Store, "store", QueueKind.Store, "DMA from a scratchpad to DRAM: z planes of y rows of x elements, strided on both sides.", Transfer(padding: false)),
        new(Opcode.Gemm, "gemm", QueueKind.Compute,
            "One pass of the systolic array: for each of m1 x m0 input rows (row address input + i1*input_stride1 + i0*input_stride0, so a convolution window is a strided view: implicit im2col) multiply k int8 activations by the k x n int8 weight tile and write or add the n int32 sums to accumulator row output + (i1*m0+i0)*output_stride. Weight-stationary arrays need k <= rows and n <= columns; output-stationary ones m0*m1 <= rows and n <= columns.",
            [
                Wait, Signal,
                Flag("accumulate", "add to the accumulator instead of overwriting it"),
                U("m0", 12, "inner input-row count", 1),
                U("m1", 12, "outer input-row count", 1),
                U("k", 12, "reduction length", 1),
                U("n", 12, "output columns", 1),
                U("input", 22, "activation scratchpad address of the first input row"),
                U("input_stride0", 16, "activation elements between inner rows"),
                U("input_stride1", 22, "activation elements between outer rows"),
                U("weight", 22, "weight scratchpad address of the k x n tile"),
                U("weight_stride", 16, "weight elements between the tile's rows"),
                U("output", 22, "accumulator address of the first output row"),
                U("output_stride", 16, "accumulator elements between output rows"),
            ]),
        new(Opcode.Vector, "vector", QueueKind.Vector,
            "One vector-unit operation over m1 x m0 rows of cols elements; operand rows are addressed like gemm inputs (a + i1*a_stride1 + i0*a_stride0), destination rows are d + (i1*m0+i0)*d_stride. See the function table for memories and parameters.",
            [
                Wait, Signal,
                Choice<VectorFunction>("function", 5, "operation, see the function table"),
                Flag("accumulate", "sum and multiply_accumulate: add to the destination instead of overwriting it"),
                Flag("per_channel", "requantize: one multiplier and shift per column instead of one for all"),
                U("m0", 12, "inner row count", 1),
                U("m1", 12, "outer row count", 1),
                U("cols", 12, "elements per row", 1),
                U("a", 22, "first operand address"),
                U("a_stride0", 16, "first operand elements between inner rows"),
                U("a_stride1", 22, "first operand elements between outer rows"),
                U("b", 22, "second operand address (matrix, row vector or table, per function)"),
                U("b_stride0", 16, "second operand elements between inner rows (matrix operands)"),
                U("b_stride1", 22, "second operand elements between outer rows (matrix operands)"),
                U("d", 22, "destination address"),
                U("d_stride", 16, "destination elements between rows"),
                U("p", 22, "accumulator address of the int32 parameter block"),
            ]),
    ];

    public static readonly IReadOnlyList<VectorFunctionInfo> VectorFunctions =
    [
        new(VectorFunction.Copy, "copy", MemoryKind.Activation, "-", MemoryKind.Activation, "-", "d = a"),
        new(VectorFunction.Max, "max", MemoryKind.Activation, "-", MemoryKind.Activation, "-", "d = max(d, a) (max pooling, one window tap per instruction)"),
        new(VectorFunction.Bias, "bias", MemoryKind.Accumulator, "accumulator row vector b[c]", MemoryKind.Accumulator, "-", "d = a + b[c]"),
        new(VectorFunction.Requantize, "requantize", MemoryKind.Accumulator, "-", MemoryKind.Activation,
            "zero_point, min, max, multiplier[n], shift[n] (n = cols if per_channel else 1)",
            "d = clamp(MultiplyByQuantizedMultiplier(a, multiplier, shift) + zero_point, min, max)"),
        new(VectorFunction.Clip, "clip", MemoryKind.Activation, "-", MemoryKind.Activation, "min, max", "d = clamp(a, min, max) (ReLU, ReLU6)"),
        new(VectorFunction.Lookup, "lookup", MemoryKind.Activation, "256-byte activation table at b", MemoryKind.Activation, "-", "d = b[a + 128] (sigmoid, tanh, hard-swish, exp)"),
        new(VectorFunction.Add, "add", MemoryKind.Activation, "activation matrix", MemoryKind.Activation,
            "a_zero, b_zero, left_shift, a_multiplier, a_shift, b_multiplier, b_shift, out_multiplier, out_shift, out_zero, min, max",
            "TFLite int8 Add with rescale (FixedPoint.Add)"),
        new(VectorFunction.Multiply, "multiply", MemoryKind.Activation, "activation matrix", MemoryKind.Activation,
            "a_zero, b_zero, out_multiplier, out_shift, out_zero, min, max", "TFLite int8 Mul (FixedPoint.Multiply)"),
        new(VectorFunction.Sum, "sum", MemoryKind.Activation, "-", MemoryKind.Accumulator, "-", "d (+)= a widened to int32 (average pooling)"),
        new(VectorFunction.MultiplyAccumulate, "multiply_accumulate", MemoryKind.Activation, "weight row vector b[c]", MemoryKind.Accumulator, "-",
            "d (+)= a * b[c] (depthwise convolution, one window tap per instruction)"),
    ];

    public static InstructionFormat Format(Opcode opcode) => Formats[(int)opcode];

    public static InstructionFormat? FindFormat(string mnemonic) => Formats.FirstOrDefault(f => f.Mnemonic == mnemonic);

    public static VectorFunctionInfo Function(VectorFunction function) => VectorFunctions[(int)function];

    /// <summary>Name used in assembly for an enum value: snake_case of the C# name ("multiply_accumulate").</summary>
    public static string EnumName(Type enumeration, long value)
    {
        if (enumeration == typeof(VectorFunction)) return Function((VectorFunction)value).Name;
        return Enum.GetName(enumeration, Enum.ToObject(enumeration, value))!.ToLowerInvariant();
    }

    public static bool TryParseEnum(Type enumeration, string text, out long value)
    {
        foreach (var raw in Enum.GetValues(enumeration))
        {
            long candidate = Convert.ToInt64(raw, System.Globalization.CultureInfo.InvariantCulture);
            var name = EnumName(enumeration, candidate);
            if (name == text || (enumeration == typeof(MemoryKind) && name.StartsWith(text, StringComparison.Ordinal) && text.Length >= 3))
            {
                value = candidate;
                return true;
            }
        }
        value = 0;
        return false;
    }
}
