using Tessera.Core;
using Tessera.Onnx;

namespace Tessera.Passes.Tests;

/// <summary>Builds small graphs for before/expected rule tests.</summary>
public sealed class TestGraph
{
    private int _counter;

    public TestGraph(long opset = 13)
    {
        Model = new Model(new Graph { Name = "test" });
        Model.Opsets[string.Empty] = opset;
    }

    public Model Model { get; }

    public Graph Graph => Model.Graph;

    public Value Input(string name, params int[] shape)
    {
        var v = new Value(name, new TensorType(DataType.Float32, TensorShape.FromConcrete(shape)));
        Graph.Inputs.Add(v);
        return v;
    }

    public Value Constant(string name, Tensor tensor) => Graph.AddInitializer(name, tensor);

    public Value Constant(string name, int[] shape, int seed, double scale = 1, double offset = 0)
    {
        var random = new Random(seed);
        var values = Enumerable.Range(0, (int)ShapeMath.ElementCount(shape)).Select(_ => offset + scale * (random.NextDouble() * 2 - 1)).ToArray();
        return Constant(name, Tensor.FromDoubles(DataType.Float32, shape, values));
    }

    public Value Scalar(string name, float value) => Constant(name, Tensor.Scalar(value));

    /// <summary>Adds a node; its output gets <paramref name="shape"/> when given.</summary>
    public Value Node(string op, Value?[] inputs, int[]? shape = null, string domain = "", params NodeAttribute[] attributes)
    {
        var output = new Value($"{op.ToLowerInvariant()}_{_counter++}", shape is null ? null : new TensorType(DataType.Float32, TensorShape.FromConcrete(shape)));
        var node = Graph.AddNode(op, inputs, [output], domain);
        foreach (var a in attributes) node.SetAttribute(a);
        return output;
    }

    public void Output(Value value) => Graph.Outputs.Add(value);
}

/// <summary>Runs one rule to its fixed point and checks the result: the ops that remain (the expected
/// graph) and, through ONNX Runtime on random inputs, that it computes what the original computed.</summary>
public static class RuleHarness
{
    public static Model Apply(TestGraph test, params RewriteRule[] rules) => Apply(test, new RuleSetPass("test", rules));

    public static Model Apply(TestGraph test, IGraphPass pass, OptimizationOptions? options = null)
    {
        var statistics = new OptimizationStatistics();
        pass.Run(test.Model, options ?? new OptimizationOptions { DumpFolder = null }, statistics);
        new DeadCodeElimination().Run(test.Model, new OptimizationOptions { DumpFolder = null }, statistics);
        return test.Model;
    }

    public static string[] Ops(Model model) =>
        model.Graph.Nodes.Select(n => n.Domain.Length == 0 ? n.OpType : n.Domain + "." + n.OpType).ToArray();

    /// <summary>Applies the rules, asserts the remaining ops, and compares outputs with the original in ONNX Runtime.</summary>
    public static Model Check(TestGraph test, string[] expectedOps, params RewriteRule[] rules) => Check(test, expectedOps, new RuleSetPass("test", rules));

    /// <summary>As <see cref="Check(TestGraph, string[], RewriteRule[])"/>, handing the rewritten graph (before
    /// lowering to standard ONNX) to <paramref name="inspect"/>.</summary>
    public static Model Check(TestGraph test, string[] expectedOps, Action<Model> inspect, params RewriteRule[] rules) =>
        Check(test, expectedOps, new RuleSetPass("test", rules), inspect: inspect);

    public static Model Check(TestGraph test, string[] expectedOps, IGraphPass pass, double tolerance = 1e-5, Action<Model>? inspect = null, OptimizationOptions? options = null)
    {
        var original = OnnxExporter.ToBytes(test.Model);
        var inputs = new Dictionary<string, Tensor>();
        var random = new Random(11);
        foreach (var input in test.Graph.Inputs.Where(i => i.Constant is null))
        {
            var shape = input.TensorType!.Shape!.ToConcrete()!;
            inputs[input.Name] = Tensor.FromDoubles(DataType.Float32, shape, Enumerable.Range(0, (int)ShapeMath.ElementCount(shape)).Select(_ => random.NextDouble() * 8 - 4).ToArray());
        }
        var expected = OrtRunner.Run(original, inputs);
        var model = Apply(test, pass, options);
        Assert.Equal(expectedOps, Ops(model));
        inspect?.Invoke(model);
        StandardOnnxLowering.Lower(model);
        var actual = OrtRunner.Run(OnnxExporter.ToBytes(model), inputs);
        foreach (var (name, tensor) in expected)
        {
            var a = tensor.ToDoubleArray();
            var b = actual[name].ToDoubleArray();
            Assert.Equal(tensor.Shape, actual[name].Shape);
            double scale = Math.Max(1, a.Select(Math.Abs).Max());
            double worst = a.Zip(b, (p, q) => Math.Abs(p - q)).Max();
            Assert.True(worst <= tolerance * scale, $"output {name} differs by {worst}");
        }
        return model;
    }
}
