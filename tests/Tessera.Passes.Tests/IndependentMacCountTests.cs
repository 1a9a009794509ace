using Google.Protobuf;
using Tessera.Onnx;
using Tessera.Onnx.Proto;
using Xunit.Abstractions;

namespace Tessera.Passes.Tests;

/// <summary>The acceptance check of the cost analysis: PP-OCRv4 det at 640x640 counted by a separate,
/// straightforward walk over the ONNX protobuf (weight dims from the file, activation shapes observed in
/// ONNX Runtime), without the Tessera IR, cost table or optimizer.</summary>
public class IndependentMacCountTests(ITestOutputHelper output)
{
    [Fact]
    public void Ppocr_det_macs_agree_with_an_independent_count()
    {
        var test = TestModels.Get("ppocr-v4-det");
        var path = TestModels.PathOf(test);
        long independent = CountFromProtobuf(File.ReadAllBytes(path), test);

        var (optimized, result, _, _) = ModelOptimizationTests.Optimize(test);
        var original = TestModels.Load(test);
        OrtRunner.AnnotateShapes(original, OrtRunner.Inputs(original, test.InputShapes));
        long before = CostAnalysis.Count(original).Macs;
        long after = CostAnalysis.Count(optimized).Macs;
        output.WriteLine($"independent {independent:N0}, cost table before {before:N0}, after optimization {after:N0}, summary {result.After.Macs:N0}");
        Assert.True(independent > 1_000_000_000, $"implausibly small count {independent}");
        Assert.InRange(Math.Abs(before - independent) / (double)independent, 0, 0.01);
        Assert.InRange(Math.Abs(after - independent) / (double)independent, 0, 0.01);
        Assert.Equal(0, CostAnalysis.Count(optimized).UnknownLayers);
    }

    private static long CountFromProtobuf(byte[] bytes, TestModel test)
    {
        var proto = ModelProto.Parser.ParseFrom(bytes);
        var graph = proto.Graph;
        var dims = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var init in graph.Initializer) dims[init.Name] = init.Dims.ToArray();
        foreach (var node in graph.Node.Where(n => n.OpType == "Constant"))
        {
            var value = node.Attribute.FirstOrDefault(a => a.Name == "value");
            if (value?.T is { } t) dims[node.Output[0]] = t.Dims.ToArray();
        }
        // Expose every node output and let ONNX Runtime report the activation shapes.
        var exposed = proto.Clone();
        var declared = exposed.Graph.Output.Select(o => o.Name).ToHashSet();
        foreach (var node in exposed.Graph.Node.Where(n => n.OpType != "Constant"))
        {
            foreach (var o in node.Output.Where(o => o.Length > 0 && declared.Add(o))) exposed.Graph.Output.Add(new ValueInfoProto { Name = o });
        }
        var model = OnnxImporter.Load(bytes);
        var inputs = OrtRunner.Inputs(model, test.InputShapes);
        var observed = OrtRunner.Run(exposed.ToByteArray(), inputs);
        foreach (var (name, tensor) in observed) dims[name] = tensor.Shape.Select(d => (long)d).ToArray();
        foreach (var (name, tensor) in inputs) dims[name] = tensor.Shape.Select(d => (long)d).ToArray();

        static long Product(IEnumerable<long> values) => values.Aggregate(1L, (p, v) => p * v);
        long total = 0;
        foreach (var node in graph.Node)
        {
            switch (node.OpType)
            {
                case "Conv":
                    total += Product(dims[node.Output[0]]) * Product(dims[node.Input[1]].Skip(1));
                    break;
                case "ConvTranspose":
                    total += Product(dims[node.Input[0]]) * Product(dims[node.Input[1]].Skip(1));
                    break;
                case "MatMul":
                    total += Product(dims[node.Output[0]]) * dims[node.Input[0]][^1];
                    break;
                case "Gemm":
                    bool transA = node.Attribute.Any(a => a.Name == "transA" && a.I != 0);
                    var a = dims[node.Input[0]];
                    total += Product(dims[node.Output[0]]) * (transA ? a[0] : a[1]);
                    break;
            }
        }
        return total;
    }
}
