namespace Tessera.Compiler.Layers;

/// <summary>Nearest-neighbour resize as pure data movement: out[y][x][c] = in[SourceRows[y]][SourceColumns[x]][c].
/// The index maps carry every ONNX variant (coordinate_transformation_mode, nearest_mode, any scale), so the
/// layer computes exactly what the integer executor's int.Resize computes once the adapter has derived the maps
/// from the node; <see cref="Upsample"/> builds them for the common integer factor (FPN x2), where every ONNX
/// mode except align_corners gives floor(out / factor). Input and output share the quantization.</summary>
public sealed record ResizeNearestLayer(string Name, NpuTensor Input, NpuTensor Output, int[] SourceRows, int[] SourceColumns) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Input];

    public override string Kind => "ResizeNearest";

    public override void Validate()
    {
        Require(Output.Channels == Input.Channels, $"output channels {Output.Channels} differ from the input's {Input.Channels}");
        Require(SourceRows.Length == Output.Height && SourceColumns.Length == Output.Width, "the index maps need one entry per output row and column");
        Require(SourceRows.All(r => r >= 0 && r < Input.Height) && SourceColumns.All(c => c >= 0 && c < Input.Width), "an index map points outside the input");
        Require(Output.ZeroPoint == Input.ZeroPoint, "input and output must share the quantization (a rescale is a separate layer)");
    }

    /// <summary>Upsampling by whole factors: out[y][x] = in[y / fy][x / fx].</summary>
    public static ResizeNearestLayer Upsample(string name, NpuTensor input, NpuTensor output)
    {
        if (output.Height % input.Height != 0 || output.Width % input.Width != 0)
        {
            throw new ArgumentException($"{output.ShapeText} is not a whole-factor upsampling of {input.ShapeText}");
        }
        int fy = output.Height / input.Height, fx = output.Width / input.Width;
        return new ResizeNearestLayer(name, input, output, [.. Enumerable.Range(0, output.Height).Select(y => y / fy)], [.. Enumerable.Range(0, output.Width).Select(x => x / fx)]);
    }
}
