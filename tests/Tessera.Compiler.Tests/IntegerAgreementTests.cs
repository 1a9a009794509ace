using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tensor = Tessera.Core.Tensor;
using Window = Tessera.Compiler.Layers.Window;

namespace Tessera.Compiler.Tests;

/// <summary>Each new layer's oracle computes exactly what the integer executor's step computes on the same data
/// (the executor is the specification; the adapter maps steps onto these layers): NCHW tensors through the
/// integer step, HWC through the oracle, compared element by element.</summary>
public class IntegerAgreementTests
{
    private static Tensor Nchw(sbyte[] hwc, NpuTensor t) => Tensor.Create([1, t.Channels, t.Height, t.Width], ModelLayerMake.ToNchw(hwc, t.Channels, t.Height, t.Width));

    private static void AssertSame(sbyte[] oracle, sbyte[] executor, string what)
    {
        Assert.Equal(executor.Length, oracle.Length);
        for (int i = 0; i < oracle.Length; i++)
        {
            if (oracle[i] != executor[i]) Assert.Fail($"{what}: element {i} is {oracle[i]} in the oracle, {executor[i]} in the integer executor");
        }
        Assert.True(oracle.Distinct().Count() > 3, "degenerate test data");
    }

    [Theory]
    [InlineData(1, 1, 24, "Mul")] // squeeze-excitation gate [1,C,1,1]
    [InlineData(1, 1, 1, "Add")] // scalar
    [InlineData(1, 9, 1, "Mul")] // row [1,1,1,W]
    [InlineData(6, 9, 1, "Add")] // spatial [1,1,H,W]
    [InlineData(6, 9, 24, "Mul")] // same shape
    public void Broadcast_matches_BinaryStep(int h, int w, int c, string op)
    {
        var random = new Random(h * 100 + w * 10 + c);
        var left = Make.Tensor("a", 6, 9, 24, random);
        var right = Make.Tensor("b", h, w, c, random);
        var layer = ModelLayerMake.Broadcast("op", left, right, op == "Mul", random);
        sbyte[] a = Make.Values(left.Length, random), b = Make.Values(right.Length, random);
        var state = new IntegerState();
        state.SetInt8("a", Nchw(a, left), false);
        state.SetInt8("b", Nchw(b, right), false);
        new BinaryStep("op", op, "a", "b", "y", layer.Parameters, false).Execute(state);
        var executor = ModelLayerMake.ToHwc(state.Int8("y").As<sbyte>().ToArray(), 24, 6, 9);
        AssertSame(LayerOracle.Run(layer, [a, b]), executor, $"{op} with [1,{c},{h},{w}]");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void MatMul_matches_MatMulStep(bool transposeRight, bool perColumn)
    {
        var random = new Random(transposeRight ? 7 : perColumn ? 8 : 9);
        int batches = 3, m = 11, k = 17, n = 13;
        var left = new NpuTensor("a", batches, m, k, -128);
        var right = new NpuTensor("b", batches, transposeRight ? n : k, transposeRight ? k : n, 37);
        var layer = ModelLayerMake.MatMul("mm", left, right, transposeRight, random, perColumn);
        sbyte[] a = Make.Values(left.Length, random), b = Make.Values(right.Length, random);
        // The executor sees ONNX's [batch, K, N] right operand: a folded Transpose is applied here by loops.
        var bkn = new sbyte[batches * k * n];
        for (int batch = 0; batch < batches; batch++)
        for (int t = 0; t < k; t++)
        for (int j = 0; j < n; j++) bkn[(batch * k + t) * n + j] = b[layer.RightIndex(batch, t, j)];
        var state = new IntegerState();
        state.SetInt8("a", Tensor.Create([batches, m, k], a), false);
        state.SetInt8("b", Tensor.Create([batches, k, n], bkn), false);
        var requantizer = new Requantizer(layer.Multipliers, layer.Shifts, layer.Output.ZeroPoint, layer.Minimum, layer.Maximum);
        new MatMulStep("mm", "a", "b", left.ZeroPoint, null, [right.ZeroPoint], layer.Bias, requantizer, "y", false).Execute(state);
        AssertSame(LayerOracle.Run(layer, [a, b]), state.Int8("y").As<sbyte>().ToArray(), "MatMul");
    }

    [Theory]
    [InlineData("half_pixel", "round_prefer_floor", 2, 2)]
    [InlineData("asymmetric", "floor", 3, 2)]
    [InlineData("pytorch_half_pixel", "round_prefer_ceil", 2, 3)]
    public void Resize_nearest_matches_the_lowered_Resize(string mode, string nearest, int fy, int fx)
    {
        var random = new Random(fy * 10 + fx);
        int c = 5, h = 6, w = 7;
        var graph = new Graph { Name = "resize" };
        var x = new Value("x") { Type = new TensorType(DataType.Float32, TensorShape.FromConcrete([1, c, h, w])) };
        graph.Inputs.Add(x);
        var scale = graph.AddInitializer("scale", Tensor.Scalar(0.5f));
        var zero = graph.AddInitializer("zero", Tensor.Scalar((sbyte)3));
        var scales = graph.AddInitializer("scales", Tensor.Create([4], new[] { 1f, 1f, fy, fx }));
        Value xq = new("xq"), xd = new("xd"), y = new("y"), yq = new("yq") { Type = new TensorType(DataType.Int8, null) };
        graph.AddNode("QuantizeLinear", [x, scale, zero], [xq]);
        graph.AddNode("DequantizeLinear", [xq, scale, zero], [xd]);
        var resize = graph.AddNode("Resize", [xd, null, scales], [y]);
        resize.SetAttribute(NodeAttribute.String("mode", "nearest"));
        resize.SetAttribute(NodeAttribute.String("coordinate_transformation_mode", mode));
        resize.SetAttribute(NodeAttribute.String("nearest_mode", nearest));
        graph.AddNode("QuantizeLinear", [y, scale, zero], [yq]);
        graph.Outputs.Add(yq);
        var model = new Model(graph);
        model.Opsets[""] = 13;
        var program = IntegerLowering.Lower(model);
        Assert.Contains(program.Steps, s => s.Kind == "int.Resize");
        var input = new NpuTensor("x", h, w, c, 3);
        var values = Make.Values(input.Length, random);
        // (q - 3) * 0.5 quantizes back to q exactly.
        var real = ModelLayerMake.ToNchw(values, c, h, w).Select(q => (q - 3) * 0.5f).ToArray();
        var state = program.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create([1, c, h, w], real) });
        var layer = ResizeNearestLayer.Upsample("up", input, input with { Name = "y", Height = h * fy, Width = w * fx });
        var executor = ModelLayerMake.ToHwc(state.Int8("yq").As<sbyte>().ToArray(), c, h * fy, w * fx);
        AssertSame(LayerOracle.Run(layer, [values]), executor, $"Resize {mode}/{nearest} x{fy}x{fx}");
    }

    [Theory]
    [InlineData(0, 2, 1, 3)] // [1, T, heads, d] -> [1, heads, T, d] (attention): HWC permutation [1, 0, 2]
    [InlineData(0, 3, 1, 2)] // channels to the front: [2, 0, 1]
    [InlineData(0, 1, 3, 2)] // last two swapped: [0, 2, 1]
    public void Transpose_matches_the_lowered_Transpose(int p0, int p1, int p2, int p3)
    {
        var random = new Random(p1 * 10 + p2);
        int[] shape = [1, 6, 5, 7], perm = [p0, p1, p2, p3];
        var graph = new Graph { Name = "transpose" };
        var x = new Value("x") { Type = new TensorType(DataType.Float32, TensorShape.FromConcrete(shape)) };
        graph.Inputs.Add(x);
        var scale = graph.AddInitializer("scale", Tensor.Scalar(0.5f));
        var zero = graph.AddInitializer("zero", Tensor.Scalar((sbyte)-2));
        Value xq = new("xq"), xd = new("xd"), y = new("y"), yq = new("yq") { Type = new TensorType(DataType.Int8, null) };
        graph.AddNode("QuantizeLinear", [x, scale, zero], [xq]);
        graph.AddNode("DequantizeLinear", [xq, scale, zero], [xd]);
        graph.AddNode("Transpose", [xd], [y]).SetAttribute(NodeAttribute.Ints("perm", [.. perm.Select(v => (long)v)]));
        graph.AddNode("QuantizeLinear", [y, scale, zero], [yq]);
        graph.Outputs.Add(yq);
        var model = new Model(graph);
        model.Opsets[""] = 13;
        var program = IntegerLowering.Lower(model);
        Assert.Contains(program.Steps, s => s.Kind == "int.Transpose");
        // The batch-1 tensor's three inner axes are the layer's H, W, C in row-major (HWC) order.
        var input = new NpuTensor("x", shape[1], shape[2], shape[3], -2);
        var values = Make.Values(input.Length, random);
        var state = program.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(shape, values.Select(q => (q + 2) * 0.5f).ToArray()) });
        int[] hwc = [p1 - 1, p2 - 1, p3 - 1];
        var layer = new TransposeLayer("t", input, input with { Name = "y", Height = shape[p1], Width = shape[p2], Channels = shape[p3] }, hwc);
        AssertSame(LayerOracle.Run(layer, [values]), state.Int8("yq").As<sbyte>().ToArray(), $"Transpose [{string.Join(",", perm)}]");
    }

    [Theory]
    [InlineData(2, 2, 0, 0, 1, 1)] // PP-OCRv4 det: 2x2 stride 2
    [InlineData(3, 2, 1, 1, 1, 1)] // padded, output_padding 1
    [InlineData(3, 1, 1, 0, 2, 2)] // dilated, 2 groups
    public void ConvTranspose_matches_TransposedConvolutionStep(int kernel, int stride, int pad, int outputPadding, int dilation, int groups)
    {
        var random = new Random(kernel * 100 + stride * 10 + groups);
        int cin = 6, cout = 8, h = 5, w = 6;
        var window = new Window(kernel, kernel, stride, stride, dilation, dilation, Padding.Same(pad));
        var layer = ModelLayerMake.ConvTranspose("ct", Make.Tensor("x", h, w, cin, random), cout, window, groups, random, outputPadding, outputPadding);
        var x = Make.Values(layer.Input.Length, random);
        // ONNX weights [in][out/groups][kh][kw] from the layer's [out][kh][kw][in/groups].
        int inPerGroup = cin / groups, outPerGroup = cout / groups;
        var onnx = new sbyte[cin * outPerGroup * kernel * kernel];
        for (int oc = 0; oc < cout; oc++)
        for (int ky = 0; ky < kernel; ky++)
        for (int kx = 0; kx < kernel; kx++)
        for (int ic = 0; ic < inPerGroup; ic++)
        {
            int inputChannel = oc / outPerGroup * inPerGroup + ic;
            onnx[((inputChannel * outPerGroup + oc % outPerGroup) * kernel + ky) * kernel + kx] = layer.Weight(oc, ky, kx, ic);
        }
        var graph = new Graph();
        var node = graph.AddNode("ConvTranspose", [new Value("x"), new Value("w")], [new Value("y")]);
        node.SetAttribute(NodeAttribute.Ints("strides", [stride, stride]));
        node.SetAttribute(NodeAttribute.Ints("pads", [pad, pad, pad, pad]));
        node.SetAttribute(NodeAttribute.Ints("dilations", [dilation, dilation]));
        node.SetAttribute(NodeAttribute.Ints("output_padding", [outputPadding, outputPadding]));
        node.SetAttribute(NodeAttribute.Int("group", groups));
        var requantizer = new Requantizer(layer.Multipliers, layer.Shifts, layer.Output.ZeroPoint, layer.Minimum, layer.Maximum);
        var step = new TransposedConvolutionStep(node, "x", "y", layer.Input.ZeroPoint, Tensor.Create([cin, outPerGroup, kernel, kernel], onnx), [0], layer.Bias, requantizer, false);
        var state = new IntegerState();
        state.SetInt8("x", Nchw(x, layer.Input), false);
        step.Execute(state);
        var result = state.Int8("y");
        Assert.Equal(new[] { 1, cout, layer.Output.Height, layer.Output.Width }, result.Shape);
        var executor = ModelLayerMake.ToHwc(result.As<sbyte>().ToArray(), cout, layer.Output.Height, layer.Output.Width);
        AssertSame(LayerOracle.Run(layer, [x]), executor, $"ConvTranspose k{kernel} s{stride} p{pad} op{outputPadding} d{dilation} g{groups}");
    }
}
