using System.Runtime.CompilerServices;
using Tessera.Core;
using Tessera.Kernels.Cpu.Gemm;
using Tessera.Kernels.Cpu.Simd;
using Tessera.Ops;
using Tessera.Ops.NN;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Conv and tessera.FusedConv on float32 with 1 or 2 spatial axes. Depthwise convolutions
/// (one input and one output channel per group) run a direct SIMD kernel; all others are a GEMM per
/// group, Y[Cout, OH*OW] = W[Cout, Cin*kh*kw] x patches, with W packed once per session and the patches
/// packed straight into the micro-kernel's panel layout (1x1 stride-1 convolutions read X as it is).
/// Bias, FusedConv's residual (fourth input) and the fused activation run in the GEMM epilogue. output_perm (an NHWC result) is a transpose
/// after the kernel.</summary>
public sealed class FastConvolution(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    private readonly WeightCache<PackedMatrix[]> _packed = new();

    public override void Prepare(Node node)
    {
        if (node.Inputs.Count > 1 && node.Inputs[1]?.Constant is { DataType: DataType.Float32, Rank: >= 3 } w
            && node.Attribute("group")?.Value is null or long)
        {
            int group = (int)(node.Attribute("group")?.Value as long? ?? 1);
            if (group > 0 && w.Shape[0] % group == 0 && !(w.Shape[1] == 1 && w.Shape[0] == group)) PackedWeights(w, group);
        }
    }

    private PackedMatrix[] PackedWeights(Tensor w, int group) => _packed.TryGet(w, out var packed) ? packed : PackWeights(w, group);

    private PackedMatrix[] PackWeights(Tensor w, int group) => _packed.Get(w, weights =>
    {
        int groupOut = weights.Shape[0] / group;
        int depth = (int)ShapeMath.ElementCount(weights.Shape.AsSpan(1));
        var data = weights.As<float>();
        return Enumerable.Range(0, group)
            .Select(g => PackedMatrix.Left(Options.Shape, data.AsSpan(g * groupOut * depth, groupOut * depth), groupOut, depth, depth, 1))
            .ToArray();
    });

    /// <summary>Multiply-adds = batch x output positions x weight elements; output positions estimated as the input
    /// positions over the strides.</summary>
    protected override bool RunsSerially(KernelContext context)
    {
        if (context.InputValue(0) is not Tensor { Rank: >= 3 } x || context.InputValue(1) is not Tensor w) return base.RunsSerially(context);
        long positions = ShapeMath.ElementCount(x.Shape.AsSpan(2));
        foreach (long s in context.GetInts("strides") ?? []) positions /= Math.Max(1, s);
        return RunsSeriallyForMacs(context, x.Shape[0] * positions * w.Length);
    }

    protected override bool TryExecute(KernelContext context)
    {
        var x = context.Input(0);
        var w = context.Input(1);
        var b = context.OptionalInput(2);
        if (x.Data is not float[] xData || w.Data is not float[] || (b is not null && b.Data is not float[])) return false;
        if (x.Rank is not (3 or 4) || w.Rank != x.Rank) return false;
        var plan = PlanOf(context, x.Shape, w.Shape);
        if (plan is null) return false;
        var (activation, perm, group, outShape, plane) = (plan.Activation, plan.Permutation, plan.Group, plan.OutputShape, plan.Plane);
        if (b is not null && b.Length != w.Shape[0]) throw context.Invalid($"bias has {b.Length} values, expected {w.Shape[0]}");
        // FusedConv's fourth input: a residual of the output's shape, added before the activation.
        var z = context.InputCount > 3 ? context.OptionalInput(3) : null;
        if (z is not null && (z.Data is not float[] || !z.Shape.AsSpan().SequenceEqual(outShape))) return false;
        var residual = z?.As<float>();
        var y = context.NewFloats((int)ShapeMath.ElementCount(outShape));
        var bias = b?.As<float>();
        if (w.Shape[1] == 1 && w.Shape[0] == group)
        {
            DepthwiseConvolution.Run(xData, x.Shape[0], group, plane, w.As<float>(), bias, residual is null ? activation : Activation.None, y, Options.ThreadCount);
            if (residual is not null)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(y.AsSpan(0, residual.Length), residual, y.AsSpan(0, residual.Length));
                activation.Apply(y.AsSpan(0, residual.Length));
            }
        }
        else if (plane.OutHeight * plane.OutWidth * 4 <= Options.Shape.Columns)
        {
            FewPixels(xData, x.Shape, w.As<float>(), w.Shape[0], group, plane, bias, residual, activation, y);
        }
        else if (FewChannelConvolution.Applies(group, x.Shape[1] / group, w.Shape[0], plane))
        {
            FewChannelConvolution.Run(xData, x.Shape[0], x.Shape[1], plane, w.As<float>(), w.Shape[0], bias, residual, activation, y, Options.ThreadCount);
        }
        else if (ImplicitConvolution.Applies(Options.Shape, plane, w.Shape[1], activation, residual is not null))
        {
            // Stride-1 convolutions and few-channel stems on AVX-512 and AVX2 (SqueezeNet's 3x3 expands and its stem): taps read
            // from a padded copy, no im2col matrix.
            ImplicitConvolution.Run(Options.Shape, xData, x.Shape[0], x.Shape[1], group, plane, PackedWeights(w, group), bias, activation, y, Options.ThreadCount);
        }
        else
        {
            Grouped(xData, x.Shape, PackedWeights(w, group), group, plane, bias, residual, activation, y);
        }
        var result = plan.Output is { } kept && ReferenceEquals(kept.Data, y) ? kept : plan.Output = Tensor.Create(outShape, y);
        if (perm is not null) result = FastTranspose.Apply(result, perm, Options.ThreadCount, context.NewFloats(y.Length));
        context.SetOutput(0, result);
        return true;
    }

    /// <summary>What a node's attributes and input shapes decide, kept per node so that a steady-state run allocates no
    /// window geometry, plane or shape (<see cref="Output"/>: the last output tensor, reused while the arena hands
    /// the node the same array).</summary>
    private sealed class NodePlan(int[] xShape, int[] wShape, Activation activation, int[]? permutation, int group, int[] outputShape, Plane plane)
    {
        public int[] XShape { get; } = xShape;

        public int[] WShape { get; } = wShape;

        public Activation Activation { get; } = activation;

        public int[]? Permutation { get; } = permutation;

        public int Group { get; } = group;

        public int[] OutputShape { get; } = outputShape;

        public Plane Plane { get; } = plane;

        public Tensor? Output { get; set; }
    }

    private readonly ConditionalWeakTable<Node, NodePlan> _plans = new();

    /// <summary>The node's plan for these shapes (made on the first run or when a shape changes), or null when the fused
    /// activation is not one the kernels apply (the node goes to the reference).</summary>
    private NodePlan? PlanOf(KernelContext context, int[] xShape, int[] wShape)
    {
        if (_plans.TryGetValue(context.Node, out var plan) && plan.XShape.AsSpan().SequenceEqual(xShape) && plan.WShape.AsSpan().SequenceEqual(wShape)) return plan;
        var activation = Activation.FromFused(context.GetString("activation", string.Empty), context.GetFloats("activation_params") ?? []);
        if (activation is null) return null;
        var perm = context.GetInts("output_perm")?.Select(p => (int)p).ToArray();
        var (geometry, group) = Convolution.Prepare(context, xShape, wShape);
        var outShape = Convolution.OutputShape(xShape, wShape[0], geometry);
        plan = new NodePlan((int[])xShape.Clone(), (int[])wShape.Clone(), activation.Value, perm, group, outShape, Plane.Of(xShape, geometry));
        _plans.AddOrUpdate(context.Node, plan);
        return plan;
    }

    /// <summary>Outputs of a few pixels (Silero's encoder and STFT convolutions: 1 to 8 per channel), where a
    /// GEMM panel of <see cref="GemmShape.Columns"/> pixels would be mostly padding: each pixel's patch is
    /// gathered into one contiguous vector and the weight rows as they are multiply all of them
    /// (<see cref="MatrixVector.Products"/>: two rows against four patches per pass), then bias, residual and
    /// activation.</summary>
    private static void FewPixels(float[] x, int[] xShape, float[] w, int outChannels, int group, Plane plane, float[]? bias, float[]? residual, Activation activation, float[] y)
    {
        int batch = xShape[0], channels = xShape[1], groupIn = channels / group, groupOut = outChannels / group;
        int inPlane = plane.Height * plane.Width, outPlane = plane.OutHeight * plane.OutWidth;
        int kh = plane.KernelHeight, kw = plane.KernelWidth, depth = groupIn * kh * kw;
        if (plane.IsPointwise && PointwiseFewPixels.Applies(outPlane))
        {
            for (int n = 0; n < batch; n++)
            {
                for (int g = 0; g < group; g++)
                {
                    int origin = (n * channels + g * groupIn) * inPlane, outOrigin = (n * outChannels + g * groupOut) * outPlane;
                    PointwiseFewPixels.Run(w.AsSpan(g * groupOut * depth, groupOut * depth), groupOut, depth, x.AsSpan(origin, depth * outPlane), outPlane,
                        bias is null ? default : bias.AsSpan(g * groupOut, groupOut), residual is null ? default : residual.AsSpan(outOrigin, groupOut * outPlane), y.AsSpan(outOrigin, groupOut * outPlane));
                    activation.Apply(y.AsSpan(outOrigin, groupOut * outPlane));
                }
            }
            return;
        }
        int padded = (outPlane + 3) / 4 * 4;
        var patches = System.Buffers.ArrayPool<float>.Shared.Rent(padded * depth);
        try
        {
            patches.AsSpan(outPlane * depth, (padded - outPlane) * depth).Clear();
            for (int n = 0; n < batch; n++)
            {
                for (int g = 0; g < group; g++)
                {
                    int origin = (n * channels + g * groupIn) * inPlane, outOrigin = (n * outChannels + g * groupOut) * outPlane;
                    int k = 0;
                    for (int oy = 0; oy < plane.OutHeight; oy++)
                    {
                        for (int ox = 0; ox < plane.OutWidth; ox++)
                        {
                            for (int c = 0; c < groupIn; c++)
                            {
                                for (int ky = 0; ky < kh; ky++)
                                {
                                    int iy = oy * plane.StrideY - plane.PadTop + ky * plane.DilationY;
                                    int row = origin + c * inPlane + iy * plane.Width;
                                    for (int kx = 0; kx < kw; kx++, k++)
                                    {
                                        int ix = ox * plane.StrideX - plane.PadLeft + kx * plane.DilationX;
                                        patches[k] = (uint)iy < (uint)plane.Height && (uint)ix < (uint)plane.Width ? x[row + ix] : 0f;
                                    }
                                }
                            }
                        }
                    }
                    var block = y.AsSpan(outOrigin, groupOut * outPlane);
                    MatrixVector.Products(w.AsSpan(g * groupOut * depth, groupOut * depth), groupOut, depth, patches.AsSpan(0, padded * depth), outPlane, block, outPlane);
                    for (int m = 0; m < groupOut; m++)
                    {
                        var line = block.Slice(m * outPlane, outPlane);
                        if (bias is not null) System.Numerics.Tensors.TensorPrimitives.Add(line, bias[g * groupOut + m], line);
                        if (residual is not null) System.Numerics.Tensors.TensorPrimitives.Add(line, residual.AsSpan(outOrigin + m * outPlane, outPlane), line);
                    }
                    activation.Apply(block);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(patches);
        }
    }

    private unsafe void Grouped(float[] x, int[] xShape, PackedMatrix[] weights, int group, Plane plane, float[]? bias, float[]? residual, Activation activation, float[] y)
    {
        var shape = Options.Shape;
        int batch = xShape[0], channels = xShape[1], groupIn = channels / group, groupOut = weights[0].Outer;
        int inPlane = plane.Height * plane.Width, outPlane = plane.OutHeight * plane.OutWidth;
        bool direct = plane.IsPointwise;
        int depth = weights[0].Depth, nr = shape.Columns;
        fixed (float* biasPointer = bias, residualPointer = residual)
        {
            for (int n = 0; n < batch; n++)
            {
                for (int g = 0; g < group; g++)
                {
                    int origin = (n * channels + g * groupIn) * inPlane;
                    var output = y.AsSpan((n * group + g) * groupOut * outPlane, groupOut * outPlane);
                    var epilogue = new Epilogue
                    {
                        RowBias = biasPointer is null ? null : biasPointer + g * groupOut,
                        Residual = residualPointer is null ? null : residualPointer + (long)(n * group + g) * groupOut * outPlane,
                        ResidualStride = outPlane,
                        Activation = activation,
                    };
                    if (direct && Sgemm.StridedRightApplies(shape, depth, epilogue))
                    {
                        // Pointwise with a short depth on AVX-512 or AVX2: the micro-kernel reads X's channel rows in place and
                        // applies bias, residual and activation before its one store.
                        Sgemm.MultiplyStridedRight(shape, weights[g], x, origin, inPlane, outPlane, output, outPlane, epilogue, Options.ThreadCount);
                        continue;
                    }
                    // B is X itself (pointwise) or its patches (im2col), packed block by block as the GEMM goes.
                    if (direct) Sgemm.MultiplyPackingBlocks(shape, weights[g], outPlane, new ChannelRows(nr, x, origin, groupIn * inPlane, depth, outPlane, inPlane), output, outPlane, epilogue, Options.ThreadCount);
                    else Sgemm.MultiplyPackingBlocks(shape, weights[g], outPlane, new Patches(nr, x, origin, groupIn, plane), output, outPlane, epilogue, Options.ThreadCount);
                }
            }
        }
    }
}

/// <summary>Packs B of a pointwise convolution: X's channel rows as they lie.</summary>
internal readonly struct ChannelRows(int nr, float[] x, int origin, int length, int depth, int outPlane, int inPlane) : Sgemm.IPanelPacker
{
    public void Pack(int firstPanel, int endPanel, float[] target) =>
        PackedMatrix.PackRight(nr, x.AsSpan(origin, length), depth, outPlane, inPlane, 1, firstPanel, endPanel, target, firstPanel);
}

/// <summary>Packs B of a convolution as its patches (im2col), block by block.</summary>
internal readonly struct Patches(int nr, float[] x, int origin, int groupIn, Plane plane) : Sgemm.IPanelPacker
{
    public void Pack(int firstPanel, int endPanel, float[] target) => PatchPacker.PackBlock(nr, x, origin, groupIn, plane, firstPanel, endPanel, target);
}

/// <summary>The 2-D window of a convolution (1-D is 2-D with height 1).</summary>
public sealed record Plane(int Height, int Width, int KernelHeight, int KernelWidth, int StrideY, int StrideX, int DilationY, int DilationX,
    int PadTop, int PadLeft, int OutHeight, int OutWidth)
{
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideY == 1 && StrideX == 1 && PadTop == 0 && PadLeft == 0
        && OutHeight == Height && OutWidth == Width;

    public static Plane Of(int[] xShape, WindowGeometry g)
    {
        if (g.Rank == 1)
        {
            return new Plane(1, xShape[2], 1, g.Kernel[0], 1, g.Strides[0], 1, g.Dilations[0], 0, g.PadBegin[0], 1, g.Output[0]);
        }
        return new Plane(xShape[2], xShape[3], g.Kernel[0], g.Kernel[1], g.Strides[0], g.Strides[1], g.Dilations[0], g.Dilations[1],
            g.PadBegin[0], g.PadBegin[1], g.Output[0], g.Output[1]);
    }
}
