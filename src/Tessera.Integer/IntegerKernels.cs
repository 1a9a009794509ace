using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Integer;

/// <summary>The 2-D window of a convolution or pool over NCHW data (1-D ones are lifted to H = 1).</summary>
public sealed record Window(int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int DilationHeight, int DilationWidth,
    int PadTop, int PadLeft, int PadBottom, int PadRight, int OutputHeight, int OutputWidth);

/// <summary>Plain integer kernels: the specification the NPU simulator must match bit for bit. Products of
/// int8 differences are summed exactly (in 64 bits) and an accumulator outside int32 is an error, never a
/// silent wrap, since the hardware accumulators are 32 bits wide.</summary>
public static class IntegerKernels
{
    /// <summary>Convolution accumulators, NCHW: bias[m] + sum (x - inputZero) * (w - weightZero[m]). Positions in
    /// the padding read the input zero point, so they add nothing.</summary>
    public static int[] ConvolutionAccumulators(sbyte[] x, int[] xShape, int inputZero, sbyte[] w, int[] wShape,
        int[] weightZero, int[]? bias, int group, Window window)
    {
        int batch = xShape[0], channels = xShape[1], height = xShape[2], width = xShape[3];
        int outChannels = wShape[0], groupChannels = wShape[1];
        CheckGroups(channels, groupChannels, outChannels, group);
        int outPerGroup = outChannels / group;
        int oh = window.OutputHeight, ow = window.OutputWidth;
        var result = new int[batch * outChannels * oh * ow];
        for (int n = 0; n < batch; n++)
        for (int m = 0; m < outChannels; m++)
        {
            int g = m / outPerGroup;
            int wZero = weightZero.Length == 1 ? weightZero[0] : weightZero[m];
            for (int y = 0; y < oh; y++)
            for (int xo = 0; xo < ow; xo++)
            {
                long sum = bias is null ? 0 : bias[m];
                for (int c = 0; c < groupChannels; c++)
                for (int ky = 0; ky < window.KernelHeight; ky++)
                {
                    int iy = y * window.StrideHeight - window.PadTop + ky * window.DilationHeight;
                    if (iy < 0 || iy >= height) continue;
                    for (int kx = 0; kx < window.KernelWidth; kx++)
                    {
                        int ix = xo * window.StrideWidth - window.PadLeft + kx * window.DilationWidth;
                        if (ix < 0 || ix >= width) continue;
                        int input = x[((n * channels + g * groupChannels + c) * height + iy) * width + ix] - inputZero;
                        int weight = w[((m * groupChannels + c) * window.KernelHeight + ky) * window.KernelWidth + kx] - wZero;
                        sum += input * weight;
                    }
                }
                result[((n * outChannels + m) * oh + y) * ow + xo] = ToAccumulator(sum);
            }
        }
        return result;
    }

    /// <summary>Batched matrix product accumulators: a [..., M, K] by b [..., K, N] with numpy broadcasting of the
    /// batch dimensions; bZero may hold one zero point per column; bias (one per column) is added.</summary>
    public static (int[] Data, int[] Shape) MatMulAccumulators(sbyte[] a, int[] aShape, int aZero, sbyte[] b, int[] bShape,
        int[] bZero, int[]? bias)
    {
        var (m, k, n, batchShape, aMap, bMap) = MatMulLayout(aShape, bShape);
        int batches = aMap.Length;
        var result = new int[batches * m * n];
        for (int p = 0; p < batches; p++)
        {
            int aOffset = aMap[p] * m * k, bOffset = bMap[p] * k * n;
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int zero = bZero.Length == 1 ? bZero[0] : bZero[j];
                long sum = bias is null ? 0 : bias[j];
                for (int t = 0; t < k; t++) sum += (a[aOffset + i * k + t] - aZero) * (b[bOffset + t * n + j] - zero);
                result[(p * m + i) * n + j] = ToAccumulator(sum);
            }
        }
        return (result, [.. batchShape, m, n]);
    }

    /// <summary>The convolution as Arm NN's reference backend computes a quantized one: every input and weight
    /// dequantized to float32 ((q - zero) x scale), the products summed in float32 in the order input channel,
    /// kernel row, kernel column (padding adds nothing), the bias (int32 x its scale) added last, then quantized
    /// (<see cref="RealScales.Quantize"/>). Not integer arithmetic: it says what that runtime outputs.</summary>
    public static sbyte[] ConvolutionFloat(sbyte[] x, int[] xShape, int inputZero, sbyte[] w, int[] wShape,
        int[] weightZero, int[]? bias, int group, Window window, RealScales scales, Requantizer output)
    {
        int batch = xShape[0], channels = xShape[1], height = xShape[2], width = xShape[3];
        int outChannels = wShape[0], groupChannels = wShape[1];
        CheckGroups(channels, groupChannels, outChannels, group);
        var xReal = new float[x.Length];
        for (int i = 0; i < x.Length; i++) xReal[i] = (x[i] - inputZero) * scales.Input;
        int perOutput = w.Length / outChannels;
        var wReal = new float[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            int m = i / perOutput;
            wReal[i] = (w[i] - weightZero[weightZero.Length == 1 ? 0 : m]) * scales.WeightOf(m);
        }
        int outPerGroup = outChannels / group;
        int oh = window.OutputHeight, ow = window.OutputWidth;
        var result = new sbyte[batch * outChannels * oh * ow];
        for (int n = 0; n < batch; n++)
        for (int m = 0; m < outChannels; m++)
        {
            int g = m / outPerGroup;
            for (int y = 0; y < oh; y++)
            for (int xo = 0; xo < ow; xo++)
            {
                float sum = 0;
                for (int c = 0; c < groupChannels; c++)
                for (int ky = 0; ky < window.KernelHeight; ky++)
                {
                    int iy = y * window.StrideHeight - window.PadTop + ky * window.DilationHeight;
                    if (iy < 0 || iy >= height) continue;
                    for (int kx = 0; kx < window.KernelWidth; kx++)
                    {
                        int ix = xo * window.StrideWidth - window.PadLeft + kx * window.DilationWidth;
                        if (ix < 0 || ix >= width) continue;
                        float product = wReal[((m * groupChannels + c) * window.KernelHeight + ky) * window.KernelWidth + kx]
                            * xReal[((n * channels + g * groupChannels + c) * height + iy) * width + ix];
                        sum += product;
                    }
                }
                if (bias is not null) sum += bias[m] * scales.BiasOf(m);
                result[((n * outChannels + m) * oh + y) * ow + xo] = scales.Quantize(sum, output);
            }
        }
        return result;
    }

    /// <summary>The convolution as ONNX Runtime's CPU provider runs a QDQ one it does not fuse (int8 activations on
    /// x64): <see cref="ConvolutionOnnxRuntimeFloatSums"/>, then QuantizeLinear (divide by the output scale, round
    /// half to even, add the zero point, clamp).</summary>
    public static sbyte[] ConvolutionOnnxRuntimeFloat(sbyte[] x, int[] xShape, int inputZero, sbyte[] w, int[] wShape,
        int[] weightZero, int[]? bias, int group, Window window, RealScales scales, Requantizer output, int blockK,
        OnnxRuntimeSummation summation = OnnxRuntimeSummation.FusedChain)
    {
        var sums = ConvolutionOnnxRuntimeFloatSums(x, xShape, inputZero, w, wShape, weightZero, bias, group, window, scales, blockK, summation);
        var result = new sbyte[sums.Length];
        for (int i = 0; i < sums.Length; i++) result[i] = OnnxRuntimeArithmetic.Quantize(sums[i], scales.Output, output.ZeroPoint, output.Minimum, output.Maximum);
        return result;
    }

    /// <summary>The float32 output of the convolution as ONNX Runtime's CPU provider (MLAS, x64) computes it from the
    /// dequantized inputs and weights, bias included, before QuantizeLinear. Each output sums the taps in im2col order
    /// (input channel, kernel row, kernel column; a padding tap adds zero), then the float32 bias is added. The taps,
    /// by <paramref name="summation"/>: <see cref="OnnxRuntimeSummation.FusedChain"/> (its packed SGEMM: one fused
    /// multiply-add per tap, in blocks of <paramref name="blockK"/> taps whose results are added up) or
    /// <see cref="OnnxRuntimeSummation.SingleRowGemm"/> (its SGEMM for one filter row, M = 1: rounded products, see
    /// <see cref="OnnxRuntimeSummation"/>).</summary>
    public static float[] ConvolutionOnnxRuntimeFloatSums(sbyte[] x, int[] xShape, int inputZero, sbyte[] w, int[] wShape,
        int[] weightZero, int[]? bias, int group, Window window, RealScales scales, int blockK, OnnxRuntimeSummation summation)
    {
        int batch = xShape[0], channels = xShape[1], height = xShape[2], width = xShape[3];
        int outChannels = wShape[0], groupChannels = wShape[1];
        CheckGroups(channels, groupChannels, outChannels, group);
        var xReal = new float[x.Length];
        for (int i = 0; i < x.Length; i++) xReal[i] = OnnxRuntimeArithmetic.Dequantize(x[i], inputZero, scales.Input);
        int perOutput = w.Length / outChannels;
        var wReal = new float[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            int m = i / perOutput;
            wReal[i] = OnnxRuntimeArithmetic.Dequantize(w[i], weightZero[weightZero.Length == 1 ? 0 : m], scales.WeightOf(m));
        }
        int outPerGroup = outChannels / group;
        int oh = window.OutputHeight, ow = window.OutputWidth;
        int taps = groupChannels * window.KernelHeight * window.KernelWidth;
        var column = new float[taps];
        var result = new float[batch * outChannels * oh * ow];
        for (int n = 0; n < batch; n++)
        for (int m = 0; m < outChannels; m++)
        {
            int g = m / outPerGroup;
            float biasReal = bias is null ? 0f : bias[m] * scales.BiasOf(m);
            for (int y = 0; y < oh; y++)
            for (int xo = 0; xo < ow; xo++)
            {
                // The im2col column of this output: the input value under each tap (0 for a padding tap).
                int k = 0;
                for (int c = 0; c < groupChannels; c++)
                for (int ky = 0; ky < window.KernelHeight; ky++)
                {
                    int iy = y * window.StrideHeight - window.PadTop + ky * window.DilationHeight;
                    for (int kx = 0; kx < window.KernelWidth; kx++, k++)
                    {
                        int ix = xo * window.StrideWidth - window.PadLeft + kx * window.DilationWidth;
                        column[k] = iy >= 0 && iy < height && ix >= 0 && ix < width
                            ? xReal[((n * channels + g * groupChannels + c) * height + iy) * width + ix]
                            : 0f;
                    }
                }
                int wBase = m * taps;
                float total = 0;
                if (summation == OnnxRuntimeSummation.SingleRowGemm) total = SingleRowSum(column, wReal, wBase, taps);
                else
                {
                    for (int start = 0; start < taps; start += blockK)
                    {
                        float block = FusedChainBlock(column, wReal, wBase, start, Math.Min(taps, start + blockK));
                        total = start == 0 ? block : total + block;
                    }
                }
                result[((n * outChannels + m) * oh + y) * ow + xo] = total + biasReal;
            }
        }
        return result;
    }

    // One fused multiply-add per tap, in order, from zero.
    private static float FusedChainBlock(float[] x, float[] w, int wBase, int start, int end)
    {
        float chain = 0;
        for (int k = start; k < end; k++) chain = MathF.FusedMultiplyAdd(x[k], w[wBase + k], chain);
        return chain;
    }

    // MLAS's single-row SGEMM (x64 AVX kernel): every product rounded to float32; four taps at a time summed left to
    // right, ((p0 + p1) + p2) + p3, that sum added to the running result; then two taps (p0 + p1), then one. Its
    // depth blocks (the Conv's K slices, 128 x 2^n taps) continue the same running result and are multiples of four,
    // so the whole depth is one sequence of groups.
    private static float SingleRowSum(float[] x, float[] w, int wBase, int taps)
    {
        float sum = 0;
        int k = 0;
        for (; k + 4 <= taps; k += 4)
        {
            float group = x[k] * w[wBase + k] + x[k + 1] * w[wBase + k + 1];
            group += x[k + 2] * w[wBase + k + 2];
            group += x[k + 3] * w[wBase + k + 3];
            sum = k == 0 ? group : group + sum;
        }
        if (taps - k >= 2)
        {
            float pair = x[k] * w[wBase + k] + x[k + 1] * w[wBase + k + 1];
            sum = k == 0 ? pair : pair + sum;
            k += 2;
        }
        if (k < taps) sum = k == 0 ? x[k] * w[wBase + k] : x[k] * w[wBase + k] + sum;
        return sum;
    }

    /// <summary>The matrix product as Arm NN's reference fully connected layer computes a quantized one: float32
    /// products of the dequantized operands summed along the inner dimension in order, the bias added last,
    /// quantized per output column (see <see cref="ConvolutionFloat"/>).</summary>
    public static (sbyte[] Data, int[] Shape) MatMulFloat(sbyte[] a, int[] aShape, int aZero, sbyte[] b, int[] bShape,
        int[] bZero, int[]? bias, RealScales scales, Requantizer output)
    {
        var (m, k, n, batchShape, aMap, bMap) = MatMulLayout(aShape, bShape);
        int batches = aMap.Length;
        var result = new sbyte[batches * m * n];
        for (int p = 0; p < batches; p++)
        {
            int aOffset = aMap[p] * m * k, bOffset = bMap[p] * k * n;
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int zero = bZero.Length == 1 ? bZero[0] : bZero[j];
                float weightScale = scales.WeightOf(j);
                float sum = 0;
                for (int t = 0; t < k; t++)
                {
                    float weight = (b[bOffset + t * n + j] - zero) * weightScale;
                    float product = weight * ((a[aOffset + i * k + t] - aZero) * scales.Input);
                    sum += product;
                }
                if (bias is not null) sum += bias[j] * scales.BiasOf(j);
                result[(p * m + i) * n + j] = scales.Quantize(sum, output);
            }
        }
        return (result, [.. batchShape, m, n]);
    }

    private static void CheckGroups(int channels, int groupChannels, int outChannels, int group)
    {
        if (group <= 0 || channels != groupChannels * group || outChannels % group != 0)
        {
            throw new InvalidInputException($"input has {channels} channels, weights expect {groupChannels} x {group} groups and {outChannels} outputs divisible by the groups");
        }
    }

    /// <summary>Sizes of a batched matrix product and, per broadcast batch, which batch of each operand it reads.</summary>
    private static (int M, int K, int N, int[] BatchShape, int[] LeftMap, int[] RightMap) MatMulLayout(int[] aShape, int[] bShape)
    {
        if (aShape.Length < 2 || bShape.Length < 2) throw new UnsupportedException("integer MatMul needs operands of rank 2 or more");
        int m = aShape[^2], k = aShape[^1], n = bShape[^1];
        if (bShape[^2] != k) throw new InvalidInputException($"MatMul inner sizes differ: {k} and {bShape[^2]}");
        var batchShape = ShapeMath.Broadcast(aShape.AsSpan(0, aShape.Length - 2), bShape.AsSpan(0, bShape.Length - 2));
        var aMap = ShapeMath.BroadcastIndexMap(aShape.AsSpan(0, aShape.Length - 2), batchShape);
        var bMap = ShapeMath.BroadcastIndexMap(bShape.AsSpan(0, bShape.Length - 2), batchShape);
        return (m, k, n, batchShape, aMap, bMap);
    }

    /// <summary>Requantizes accumulators whose channel is axis 1 of <paramref name="shape"/> (or the last axis
    /// when <paramref name="channelLast"/>), as Conv and MatMul/Gemm lay them out.</summary>
    public static Tensor RequantizeAccumulators(int[] accumulators, int[] shape, Requantizer requantizer, bool channelLast)
    {
        var data = new sbyte[accumulators.Length];
        int channels = shape.Length == 0 ? 1 : channelLast ? shape[^1] : shape.Length > 1 ? shape[1] : 1;
        int inner = channelLast || shape.Length < 2 ? 1 : (int)ShapeMath.ElementCount(shape.AsSpan(2));
        for (int i = 0; i < data.Length; i++) data[i] = requantizer.Apply(accumulators[i], i / inner % channels);
        return Tensor.Create(shape, data);
    }

    /// <summary><see cref="RequantizeAccumulators(int[], int[], Requantizer, bool)"/> in ONNX Runtime's arithmetic: each
    /// sum times its channel's <see cref="RealScales.OnnxRuntimeScale"/> (<see cref="OnnxRuntimeArithmetic.Requantize"/>),
    /// with the requantizer's zero point and clamp.</summary>
    public static Tensor RequantizeAccumulators(int[] accumulators, int[] shape, RealScales scales, Requantizer output, bool channelLast)
    {
        var data = new sbyte[accumulators.Length];
        int channels = shape.Length == 0 ? 1 : channelLast ? shape[^1] : shape.Length > 1 ? shape[1] : 1;
        int inner = channelLast || shape.Length < 2 ? 1 : (int)ShapeMath.ElementCount(shape.AsSpan(2));
        var channelScale = new float[channels];
        for (int c = 0; c < channels; c++) channelScale[c] = scales.OnnxRuntimeScale(c);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = OnnxRuntimeArithmetic.Requantize(accumulators[i], channelScale[i / inner % channels], output.ZeroPoint, output.Minimum, output.Maximum);
        }
        return Tensor.Create(shape, data);
    }

    /// <summary>Rescales an int8 tensor as ONNX Runtime's DequantizeLinear -> QuantizeLinear pair does (float32,
    /// half to even).</summary>
    public static Tensor RequantizeFloat(Tensor x, ActivationQuantization from, ActivationQuantization to, int minimum = sbyte.MinValue, int maximum = sbyte.MaxValue)
    {
        var source = x.As<sbyte>();
        var data = new sbyte[source.Length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = OnnxRuntimeArithmetic.Quantize(OnnxRuntimeArithmetic.Dequantize(source[i], from.ZeroPoint, from.Scale), to.Scale, to.ZeroPoint, minimum, maximum);
        }
        return Tensor.Create((int[])x.Shape.Clone(), data);
    }

    /// <summary>Rescales an int8 tensor to another scale and zero point.</summary>
    public static Tensor Requantize(Tensor x, int inputZero, Requantizer requantizer)
    {
        var source = x.As<sbyte>();
        var data = new sbyte[source.Length];
        for (int i = 0; i < data.Length; i++) data[i] = requantizer.Apply(source[i] - inputZero, 0);
        return Tensor.Create((int[])x.Shape.Clone(), data);
    }

    /// <summary>Elementwise int8 Add or Mul with numpy broadcasting through <see cref="FixedPoint"/>.</summary>
    public static Tensor Binary(Tensor a, Tensor b, Func<int, int, sbyte> combine)
    {
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        var aMap = ShapeMath.BroadcastIndexMap(a.Shape, shape);
        var bMap = ShapeMath.BroadcastIndexMap(b.Shape, shape);
        var aData = a.As<sbyte>();
        var bData = b.As<sbyte>();
        var data = new sbyte[aMap.Length];
        for (int i = 0; i < data.Length; i++) data[i] = combine(aData[aMap[i]], bData[bMap[i]]);
        return Tensor.Create(shape, data);
    }

    /// <summary>Applies a 256-entry table indexed by the int8 value + 128.</summary>
    public static Tensor Lookup(Tensor x, sbyte[] table)
    {
        if (table.Length != 256) throw new ArgumentException("a lookup table has 256 entries", nameof(table));
        var source = x.As<sbyte>();
        var data = new sbyte[source.Length];
        for (int i = 0; i < data.Length; i++) data[i] = table[source[i] + 128];
        return Tensor.Create((int[])x.Shape.Clone(), data);
    }

    /// <summary>Max pooling on int8; padding never wins (it is skipped, not read as a value).</summary>
    public static sbyte[] MaxPool(sbyte[] x, int[] xShape, Window window)
    {
        int planes = xShape[0] * xShape[1], height = xShape[2], width = xShape[3];
        var result = new sbyte[planes * window.OutputHeight * window.OutputWidth];
        for (int p = 0; p < planes; p++)
        for (int y = 0; y < window.OutputHeight; y++)
        for (int xo = 0; xo < window.OutputWidth; xo++)
        {
            int best = int.MinValue;
            ForEachTap(window, y, xo, height, width, (iy, ix) => best = Math.Max(best, x[(p * height + iy) * width + ix]));
            result[(p * window.OutputHeight + y) * window.OutputWidth + xo] = (sbyte)(best == int.MinValue ? sbyte.MinValue : best);
        }
        return result;
    }

    /// <summary>Average pooling: the int32 sum of (x - inputZero) over the window, rescaled by the requantizer for
    /// its element count (which folds the division into the multiplier, so it rounds once). With countIncludePad
    /// the padded taps count and add zero.</summary>
    public static sbyte[] AveragePool(sbyte[] x, int[] xShape, Window window, int inputZero, bool countIncludePad, Func<int, Requantizer> forCount)
    {
        int planes = xShape[0] * xShape[1], height = xShape[2], width = xShape[3];
        var result = new sbyte[planes * window.OutputHeight * window.OutputWidth];
        for (int p = 0; p < planes; p++)
        for (int y = 0; y < window.OutputHeight; y++)
        for (int xo = 0; xo < window.OutputWidth; xo++)
        {
            long sum = 0;
            int count = 0;
            ForEachTap(window, y, xo, height, width, (iy, ix) =>
            {
                sum += x[(p * height + iy) * width + ix] - inputZero;
                count++;
            });
            if (countIncludePad) count = PaddedTapCount(window, y, xo, height, width);
            result[(p * window.OutputHeight + y) * window.OutputWidth + xo] = forCount(Math.Max(1, count)).Apply(ToAccumulator(sum), 0);
        }
        return result;
    }

    /// <summary>Average pool in float32 over values sharing one scale and zero point: (q - zero) x scale summed
    /// in window order, divided by the count, then by the scale, rounded half away from zero, plus the zero point,
    /// clamped to <paramref name="clamp"/>'s range.</summary>
    public static sbyte[] FloatAveragePool(sbyte[] x, int[] xShape, Window window, ActivationQuantization q, bool countIncludePad, Requantizer clamp)
    {
        int planes = xShape[0] * xShape[1], height = xShape[2], width = xShape[3];
        var result = new sbyte[planes * window.OutputHeight * window.OutputWidth];
        float scale = q.Scale, zero = q.ZeroPoint;
        for (int p = 0; p < planes; p++)
        for (int y = 0; y < window.OutputHeight; y++)
        for (int xo = 0; xo < window.OutputWidth; xo++)
        {
            float sum = 0;
            int count = 0;
            ForEachTap(window, y, xo, height, width, (iy, ix) =>
            {
                sum += scale * (x[(p * height + iy) * width + ix] - zero);
                count++;
            });
            if (countIncludePad) count = PaddedTapCount(window, y, xo, height, width);
            float average = sum / Math.Max(1, count);
            float quantized = MathF.Round(average / scale, MidpointRounding.AwayFromZero) + zero;
            result[(p * window.OutputHeight + y) * window.OutputWidth + xo] = (sbyte)Math.Clamp(quantized, clamp.Minimum, clamp.Maximum);
        }
        return result;
    }

    /// <summary>Integer division rounded to nearest with ties away from zero (divisor positive).</summary>
    public static int RoundedDivide(int dividend, int divisor)
    {
        if (divisor <= 0) throw new ArgumentOutOfRangeException(nameof(divisor), "the divisor must be positive");
        long half = divisor / 2;
        long value = dividend >= 0 ? (dividend + half) / divisor : -((-(long)dividend + half) / divisor);
        // For an even divisor (dividend + half) / divisor already rounds a tie up in magnitude; for an odd one
        // there is no tie.
        return (int)value;
    }

    public static int ToAccumulator(long sum) => sum is >= int.MinValue and <= int.MaxValue
        ? (int)sum
        : throw new UnsupportedException($"an int32 accumulator overflows ({sum}); the model's integer ranges exceed the 32-bit accumulator");

    private static void ForEachTap(Window window, int y, int x, int height, int width, Action<int, int> visit)
    {
        for (int ky = 0; ky < window.KernelHeight; ky++)
        {
            int iy = y * window.StrideHeight - window.PadTop + ky * window.DilationHeight;
            if (iy < 0 || iy >= height) continue;
            for (int kx = 0; kx < window.KernelWidth; kx++)
            {
                int ix = x * window.StrideWidth - window.PadLeft + kx * window.DilationWidth;
                if (ix >= 0 && ix < width) visit(iy, ix);
            }
        }
    }

    // ONNX count_include_pad counts taps inside the padded input, not those past its end (ceil_mode overhang).
    private static int PaddedTapCount(Window window, int y, int x, int height, int width)
    {
        int rows = 0, columns = 0;
        for (int ky = 0; ky < window.KernelHeight; ky++)
        {
            int iy = y * window.StrideHeight - window.PadTop + ky * window.DilationHeight;
            if (iy >= -window.PadTop && iy < height + window.PadBottom) rows++;
        }
        for (int kx = 0; kx < window.KernelWidth; kx++)
        {
            int ix = x * window.StrideWidth - window.PadLeft + kx * window.DilationWidth;
            if (ix >= -window.PadLeft && ix < width + window.PadRight) columns++;
        }
        return rows * columns;
    }
}

/// <summary>How ONNX Runtime's MLAS (x64) sums a float convolution's taps (see
/// <see cref="IntegerKernels.ConvolutionOnnxRuntimeFloatSums"/>).</summary>
public enum OnnxRuntimeSummation
{
    /// <summary>One fused multiply-add per tap into a running sum: its packed SGEMM kernels (FMA3/AVX-512, more
    /// than one filter row) and its NCHWc depthwise kernel.</summary>
    FusedChain,

    /// <summary>Its SGEMM special case for one filter row (M = 1, the AVX kernel <c>MlasSgemmKernelM1Avx</c>), which
    /// the plain CPU Conv reaches for a depthwise convolution (one filter per group) that is not rewritten to NCHWc:
    /// no fused multiply-add; each product rounded, four taps summed left to right, their sum added to the running
    /// result, then a remaining pair, then a remaining single tap.</summary>
    SingleRowGemm,
}
