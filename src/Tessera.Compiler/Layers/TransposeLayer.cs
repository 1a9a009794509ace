namespace Tessera.Compiler.Layers;

/// <summary>A permutation of the three axes of an HWC tensor (axis 0 = Height, 1 = Width, 2 = Channels): output
/// axis i is input axis <see cref="Permutation"/>[i], so out[i0][i1][i2] = in at index i_k on axis Permutation[k].
/// Pure data movement (int.Transpose of the integer executor on a batch-1 tensor whose three inner axes are the
/// HWC axes, e.g. attention's [1, T, heads, d] -> [1, heads, T, d] is Permutation [1, 0, 2]).</summary>
public sealed record TransposeLayer(string Name, NpuTensor Input, NpuTensor Output, int[] Permutation) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Input];

    public int InputSize(int axis) => axis switch { 0 => Input.Height, 1 => Input.Width, _ => Input.Channels };

    /// <summary>Elements between neighbours along an input axis in the HWC data.</summary>
    public long InputStride(int axis) => axis switch { 0 => (long)Input.Width * Input.Channels, 1 => Input.Channels, _ => 1 };

    public override void Validate()
    {
        Require(Permutation.Length == 3 && Permutation.Order().SequenceEqual([0, 1, 2]), "the permutation must order the axes 0, 1, 2");
        Require(Output.Height == InputSize(Permutation[0]) && Output.Width == InputSize(Permutation[1]) && Output.Channels == InputSize(Permutation[2]),
            $"output {Output.ShapeText} is not {Input.ShapeText} permuted by [{string.Join(", ", Permutation)}]");
        Require(Output.ZeroPoint == Input.ZeroPoint, "input and output must share the quantization");
    }
}
