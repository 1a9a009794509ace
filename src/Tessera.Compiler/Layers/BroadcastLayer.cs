namespace Tessera.Compiler.Layers;

/// <summary>Elementwise int8 Add or Mul with numpy broadcasting over the HWC axes: each of Height, Width and
/// Channels of <see cref="Left"/> and <see cref="Right"/> is either the output's or 1 (the squeeze-excitation
/// Mul of MobileNetV3 is [H,W,C] x [1,1,C]; a scalar is [1,1,1]; an NCHW row [1,1,1,W] becomes [1,W,1]).
/// <see cref="Parameters"/> is exactly the block <c>FixedPoint.Add</c> (12 values) or <c>FixedPoint.Multiply</c>
/// (7 values) takes, as the integer executor's BinaryStep holds it; left and right keep their order because
/// the two inputs are rescaled differently.</summary>
public sealed record BroadcastLayer(string Name, NpuTensor Left, NpuTensor Right, NpuTensor Output, bool Multiply, int[] Parameters) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Left, Right];

    public override string Kind => Multiply ? "BroadcastMul" : "BroadcastAdd";

    public override void Validate()
    {
        foreach (var operand in new[] { Left, Right })
        {
            Require(Fits(operand.Height, Output.Height) && Fits(operand.Width, Output.Width) && Fits(operand.Channels, Output.Channels),
                $"operand '{operand.Name}' {operand.ShapeText} does not broadcast to the output {Output.ShapeText} (each axis must be the output's or 1)");
        }
        Require(Math.Max(Left.Height, Right.Height) == Output.Height && Math.Max(Left.Width, Right.Width) == Output.Width
            && Math.Max(Left.Channels, Right.Channels) == Output.Channels, $"output {Output.ShapeText} is not the broadcast of {Left.ShapeText} and {Right.ShapeText}");
        Require(Parameters.Length == (Multiply ? 7 : 12), $"{Kind} takes {(Multiply ? 7 : 12)} parameters");
    }

    private static bool Fits(int size, int output) => size == output || size == 1;

    /// <summary>Index of output element (y, x, c) in an operand's HWC data (broadcast axes read index 0).</summary>
    public static int SourceIndex(NpuTensor operand, int y, int x, int c) =>
        ((operand.Height == 1 ? 0 : y) * operand.Width + (operand.Width == 1 ? 0 : x)) * operand.Channels + (operand.Channels == 1 ? 0 : c);
}
