namespace Tessera.Compiler.Layers;

/// <summary>Batched matrix product of two int8 activations (attention: Q x K^T, softmax x V), exactly the integer
/// executor's MatMulStep: out[b][m][n] = requantize(bias[n] + sum_k (left[b][m][k] - zl) (right[b][k][n] - zr)).
/// Layout: <see cref="Left"/> is Height = batches, Width = M rows, Channels = K; <see cref="Right"/> is Height =
/// batches (or 1, shared by every batch), Width = K, Channels = N, or with <see cref="TransposeRight"/> Width = N,
/// Channels = K (a Transpose folded into the product, read transposed by the DMA); <see cref="Output"/> is
/// batches x M x N. Zero points are the tensors'; <see cref="Multipliers"/>/<see cref="Shifts"/> hold one value
/// (per tensor) or one per column, <see cref="Bias"/> one int32 per column (zeros when the op has none).</summary>
public sealed record MatMulLayer(string Name, NpuTensor Left, NpuTensor Right, NpuTensor Output, bool TransposeRight,
    int[] Bias, int[] Multipliers, int[] Shifts, int Minimum = -128, int Maximum = 127) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Left, Right];

    public int Batches => Left.Height;

    public int Rows => Left.Width;

    public int Depth => Left.Channels;

    public int Columns => Output.Channels;

    public override long Macs => (long)Batches * Rows * Depth * Columns;

    public override string Kind => "MatMul";

    /// <summary>Right operand element (k, n) of batch b in its HWC data.</summary>
    public int RightIndex(int batch, int k, int n)
    {
        int b = Right.Height == 1 ? 0 : batch;
        return TransposeRight ? (b * Right.Width + n) * Right.Channels + k : (b * Right.Width + k) * Right.Channels + n;
    }

    public override void Validate()
    {
        Require(Right.Height == Batches || Right.Height == 1, $"right operand has {Right.Height} batches, the left {Batches}");
        int rightDepth = TransposeRight ? Right.Channels : Right.Width, rightColumns = TransposeRight ? Right.Width : Right.Channels;
        Require(rightDepth == Depth, $"inner sizes differ: left K = {Depth}, right K = {rightDepth}");
        Require(Output.Height == Batches && Output.Width == Rows && Output.Channels == rightColumns, $"output {Output.ShapeText} is not {Batches}x{Rows}x{rightColumns}");
        Require(Bias.Length == Columns, "the bias needs one value per output column");
        Require(Multipliers.Length == Shifts.Length && (Multipliers.Length == 1 || Multipliers.Length == Columns), "multipliers and shifts: one, or one per output column");
        Require(Multipliers.All(m => m >= 0) && Shifts.All(s => s is >= -31 and <= 30), "multipliers must be non-negative and shifts in -31..30");
        CheckClamp(this, Minimum, Maximum);
    }
}
