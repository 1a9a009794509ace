namespace Tessera.Hardware;

/// <summary>Instruction opcodes; the numbers are the encoding.</summary>
public enum Opcode
{
    End = 0,
    Sync = 1,
    Load = 2,
    Store = 3,
    Gemm = 4,
    Vector = 5,
}

/// <summary>The four instruction queues; each runs in order, in parallel with the others, and they
/// synchronize only through dependency tokens.</summary>
public enum QueueKind
{
    Load = 0,
    Compute = 1,
    Vector = 2,
    Store = 3,
}

/// <summary>On-chip memories. Activation and weight scratchpads hold int8 bytes; the accumulator holds int32
/// words and also the vector unit's parameters (biases, multipliers, shifts, zero points).</summary>
public enum MemoryKind
{
    Activation = 0,
    Weight = 1,
    Accumulator = 2,
}

/// <summary>Operations of the vector unit; the numbers are the encoding of the <c>function</c> field.</summary>
public enum VectorFunction
{
    Copy = 0,
    Max = 1,
    Bias = 2,
    Requantize = 3,
    Clip = 4,
    Lookup = 5,
    Add = 6,
    Multiply = 7,
    Sum = 8,
    MultiplyAccumulate = 9,
}

/// <summary>How a field's bits are read: unsigned, two's complement, one flag bit, an enum name, or a set
/// of queues (bit i = <see cref="QueueKind"/> i).</summary>
public enum FieldKind
{
    Unsigned,
    Signed,
    Flag,
    Enumeration,
    QueueSet,
}
