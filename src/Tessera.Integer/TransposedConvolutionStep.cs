using Tessera.Core;
using Tessera.Ops;
using Tessera.Ops.NN;

namespace Tessera.Integer;

/// <summary>int8 ConvTranspose (1-D/2-D, grouped, strided, dilated, padded, output_padding/output_shape): every
/// input element scatters (x - inputZero)(w - weightZero) into output position i*stride + k*dilation - pad_begin;
/// the int32 bias is added per output channel, then per-channel requantization with the fused clamp. Weights are
/// ONNX's [in][out/group][k...]; the weight zero point and scale index the output channel within its group
/// (ONNX Runtime's per-channel axis 1).</summary>
public sealed class TransposedConvolutionStep(Node node, string input, string output, int inputZero, Tensor weights, int[] weightZero,
    int[]? bias, Requantizer requantizer, bool unsigned) : IntegerStep(node.DisplayName, [input], [output])
{
    public Tensor Weights { get; } = weights;

    public Requantizer Requantizer { get; } = requantizer;

    public int InputZero { get; } = inputZero;

    public int[]? Bias { get; } = bias;

    public int[] WeightZero { get; } = weightZero;

    public Node Node { get; } = node;

    public bool Unsigned { get; } = unsigned;

    public override string Kind => "int.ConvTranspose";

    public override string Parameters => $"input_zero={InputZero} weights={ShapeMath.Format(Weights.Shape)} output_zero={Requantizer.ZeroPoint} clamp=[{Requantizer.Minimum},{Requantizer.Maximum}]";

    /// <summary>The resolved window (kernel, strides, dilations, pads, output size) for an input shape.</summary>
    public (Window Window, int Group) Geometry(int[] inputShape)
    {
        var attributes = new KernelContext(Node, 0, []);
        int group = checked((int)attributes.GetInt("group", 1));
        var geometry = ConvolutionTranspose.Resolve(attributes, inputShape[2..].Select(v => (long)v).ToArray(), Weights.Shape[2..]);
        return (Windows.FromGeometry(geometry, Node.DisplayName), group);
    }

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        var (window, group) = Geometry(x.Shape);
        int[] xShape = Windows.Lift(x.Shape), wShape = Windows.Lift(Weights.Shape);
        var sums = Accumulators(x.As<sbyte>(), xShape, InputZero, Weights.As<sbyte>(), wShape, WeightZero, Bias, group, window);
        int outChannels = wShape[1] * group;
        int[] outShape = x.Rank == 3 ? [x.Shape[0], outChannels, window.OutputWidth] : [x.Shape[0], outChannels, window.OutputHeight, window.OutputWidth];
        state.SetInt8(Outputs[0], IntegerKernels.RequantizeAccumulators(sums, outShape, Requantizer, channelLast: false), Unsigned);
    }

    /// <summary>Transposed-convolution accumulators, NCHW, summed exactly in 64 bits (an int32 overflow is an error).</summary>
    public static int[] Accumulators(sbyte[] x, int[] xShape, int inputZero, sbyte[] w, int[] wShape, int[] weightZero, int[]? bias, int group, Window window)
    {
        int batch = xShape[0], channels = xShape[1], height = xShape[2], width = xShape[3];
        int groupOut = wShape[1], outChannels = groupOut * group, groupIn = channels / group;
        if (group <= 0 || channels % group != 0 || wShape[0] != channels)
        {
            throw new InvalidInputException($"input has {channels} channels, ConvTranspose weights expect {wShape[0]} in {group} groups");
        }
        int oh = window.OutputHeight, ow = window.OutputWidth, kh = window.KernelHeight, kw = window.KernelWidth;
        var sums = new long[batch * outChannels * oh * ow];
        for (int n = 0; n < batch; n++)
        {
            for (int m = 0; m < outChannels; m++)
            {
                for (int i = 0; i < oh * ow; i++) sums[(n * outChannels + m) * oh * ow + i] = bias?[m] ?? 0;
            }
            for (int c = 0; c < channels; c++)
            {
                int firstOut = c / groupIn * groupOut;
                for (int iy = 0; iy < height; iy++)
                for (int ix = 0; ix < width; ix++)
                {
                    int value = x[((n * channels + c) * height + iy) * width + ix] - inputZero;
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int oy = iy * window.StrideHeight + ky * window.DilationHeight - window.PadTop;
                        if (oy < 0 || oy >= oh) continue;
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ox = ix * window.StrideWidth + kx * window.DilationWidth - window.PadLeft;
                            if (ox < 0 || ox >= ow) continue;
                            for (int m = 0; m < groupOut; m++)
                            {
                                int weight = w[((c * groupOut + m) * kh + ky) * kw + kx] - weightZero[weightZero.Length == 1 ? 0 : m];
                                sums[((n * outChannels + firstOut + m) * oh + oy) * ow + ox] += value * weight;
                            }
                        }
                    }
                }
            }
        }
        return sums.Select(IntegerKernels.ToAccumulator).ToArray();
    }
}
