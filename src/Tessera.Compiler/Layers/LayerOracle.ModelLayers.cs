using Tessera.Hardware;

namespace Tessera.Compiler.Layers;

/// <summary>Oracles of the layer kinds the real models add (broadcast Add/Mul, activation x activation MatMul,
/// nearest Resize, ConvTranspose): plain loops, the same arithmetic as the integer executor's steps.</summary>
public static partial class LayerOracle
{
    private static sbyte[] RunModelLayer(Layer layer, IReadOnlyList<sbyte[]> inputs) => layer switch
    {
        BroadcastLayer broadcast => Broadcast(broadcast, inputs[0], inputs[1]),
        MatMulLayer matmul => MatMul(matmul, inputs[0], inputs[1]),
        ResizeNearestLayer resize => ResizeNearest(resize, inputs[0]),
        ConvTransposeLayer transposed => ConvTranspose(transposed, inputs[0]),
        TransposeLayer transpose => Transpose(transpose, inputs[0]),
        _ => throw new ArgumentException($"no oracle for {layer.GetType().Name}"),
    };

    private static sbyte[] Broadcast(BroadcastLayer layer, sbyte[] a, sbyte[] b)
    {
        var output = layer.Output;
        var y = new sbyte[output.Length];
        for (int row = 0; row < output.Height; row++)
        for (int x = 0; x < output.Width; x++)
        for (int c = 0; c < output.Channels; c++)
        {
            int left = a[BroadcastLayer.SourceIndex(layer.Left, row, x, c)], right = b[BroadcastLayer.SourceIndex(layer.Right, row, x, c)];
            y[(row * output.Width + x) * output.Channels + c] = layer.Multiply ? FixedPoint.Multiply(left, right, layer.Parameters) : FixedPoint.Add(left, right, layer.Parameters);
        }
        return y;
    }

    private static sbyte[] MatMul(MatMulLayer layer, sbyte[] a, sbyte[] b)
    {
        int zl = layer.Left.ZeroPoint, zr = layer.Right.ZeroPoint;
        var y = new sbyte[layer.Output.Length];
        for (int batch = 0; batch < layer.Batches; batch++)
        for (int m = 0; m < layer.Rows; m++)
        for (int n = 0; n < layer.Columns; n++)
        {
            int acc = layer.Bias[n];
            for (int k = 0; k < layer.Depth; k++) acc = unchecked(acc + (a[(batch * layer.Rows + m) * layer.Depth + k] - zl) * (b[layer.RightIndex(batch, k, n)] - zr));
            int channel = layer.Multipliers.Length == 1 ? 0 : n;
            y[(batch * layer.Rows + m) * layer.Columns + n] =
                FixedPoint.Requantize(acc, layer.Multipliers[channel], layer.Shifts[channel], layer.Output.ZeroPoint, layer.Minimum, layer.Maximum);
        }
        return y;
    }

    private static sbyte[] ResizeNearest(ResizeNearestLayer layer, sbyte[] x)
    {
        var (input, output) = (layer.Input, layer.Output);
        var y = new sbyte[output.Length];
        for (int row = 0; row < output.Height; row++)
        for (int column = 0; column < output.Width; column++)
        {
            Array.Copy(x, (layer.SourceRows[row] * input.Width + layer.SourceColumns[column]) * input.Channels, y, (row * output.Width + column) * output.Channels, output.Channels);
        }
        return y;
    }

    private static sbyte[] Transpose(TransposeLayer layer, sbyte[] x)
    {
        var output = layer.Output;
        var y = new sbyte[output.Length];
        Span<int> index = stackalloc int[3];
        for (int i0 = 0; i0 < output.Height; i0++)
        for (int i1 = 0; i1 < output.Width; i1++)
        for (int i2 = 0; i2 < output.Channels; i2++)
        {
            (index[layer.Permutation[0]], index[layer.Permutation[1]], index[layer.Permutation[2]]) = (i0, i1, i2);
            y[(i0 * output.Width + i1) * output.Channels + i2] = x[(index[0] * layer.Input.Width + index[1]) * layer.Input.Channels + index[2]];
        }
        return y;
    }

    private static sbyte[] ConvTranspose(ConvTransposeLayer layer, sbyte[] x)
    {
        var (input, output, window) = (layer.Input, layer.Output, layer.Window);
        int inPerGroup = layer.InputChannelsPerGroup, outPerGroup = layer.OutputChannelsPerGroup;
        var acc = new int[output.Length];
        for (int p = 0; p < output.Pixels; p++)
        for (int oc = 0; oc < output.Channels; oc++) acc[p * output.Channels + oc] = layer.Bias[oc];
        for (int iy = 0; iy < input.Height; iy++)
        for (int ix = 0; ix < input.Width; ix++)
        for (int ky = 0; ky < window.KernelHeight; ky++)
        {
            int oy = iy * window.StrideY - window.Padding.Top + ky * window.DilationY;
            if (oy < 0 || oy >= output.Height) continue;
            for (int kx = 0; kx < window.KernelWidth; kx++)
            {
                int ox = ix * window.StrideX - window.Padding.Left + kx * window.DilationX;
                if (ox < 0 || ox >= output.Width) continue;
                for (int oc = 0; oc < output.Channels; oc++)
                {
                    int first = (iy * input.Width + ix) * input.Channels + oc / outPerGroup * inPerGroup, sum = 0;
                    for (int ic = 0; ic < inPerGroup; ic++) sum = unchecked(sum + (x[first + ic] - input.ZeroPoint) * layer.Weight(oc, ky, kx, ic));
                    int at = (oy * output.Width + ox) * output.Channels + oc;
                    acc[at] = unchecked(acc[at] + sum);
                }
            }
        }
        var y = new sbyte[output.Length];
        for (int i = 0; i < y.Length; i++)
        {
            int oc = i % output.Channels;
            y[i] = FixedPoint.Requantize(acc[i], layer.Multipliers[oc], layer.Shifts[oc], output.ZeroPoint, layer.Minimum, layer.Maximum);
        }
        return y;
    }
}
