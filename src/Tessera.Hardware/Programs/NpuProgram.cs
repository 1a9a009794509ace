namespace Tessera.Hardware;

/// <summary>Element types of tensors in DRAM.</summary>
public enum NpuDataType
{
    Int8 = 0,
    Int32 = 1,
}

public enum TensorRole
{
    Input = 0,
    Output = 1,
}

/// <summary>Bytes placed in DRAM before the program starts: weights, biases, multipliers, lookup tables.</summary>
public sealed record ConstantBlock(string Name, long DramAddress, NpuDataType Type, byte[] Bytes)
{
    public long End => DramAddress + Bytes.Length;
}

/// <summary>Where an input or output tensor lives in DRAM (dense, row-major).</summary>
public sealed record TensorBinding(string Name, TensorRole Role, NpuDataType Type, long DramAddress, int[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    public long ByteLength => ElementCount * ElementSize(Type);

    public long End => DramAddress + ByteLength;

    public static int ElementSize(NpuDataType type) => type == NpuDataType.Int32 ? 4 : 1;
}

/// <summary>A complete NPU program: instruction stream, constant section and tensor map, for the
/// configuration whose <see cref="NpuSpec.Hash"/> is <see cref="SpecHash"/> (0: any configuration).</summary>
public sealed class NpuProgram
{
    public ulong SpecHash { get; set; }

    /// <summary>Bytes of DRAM the program uses; accesses beyond are errors.</summary>
    public long DramBytes { get; set; }

    public List<Instruction> Instructions { get; } = [];

    public List<ConstantBlock> Constants { get; } = [];

    public List<TensorBinding> Tensors { get; } = [];

    public IEnumerable<TensorBinding> Inputs => Tensors.Where(t => t.Role == TensorRole.Input);

    public IEnumerable<TensorBinding> Outputs => Tensors.Where(t => t.Role == TensorRole.Output);

    /// <summary>Smallest DRAM size that holds every constant and tensor.</summary>
    public long Footprint => Constants.Select(c => c.End).Concat(Tensors.Select(t => t.End)).DefaultIfEmpty(0).Max();
}
