using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>The session arena (activation arrays reused by value lifetime, outputs written in place into
/// dying inputs) on the cpu backend: results equal the reference backend's on every run, results handed
/// to the caller are never overwritten by a later run, values that share an array (Reshape views) are not
/// clobbered, and the arena stops growing once the shapes repeat.</summary>
public sealed class ArenaTests
{
    static ArenaTests() => CpuBackend.Register();

    private static Tensor Random(int seed, params int[] shape)
    {
        var random = new Random(seed);
        return Tensor.Create(shape, Enumerable.Range(0, (int)ShapeMath.ElementCount(shape)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray());
    }

    /// <summary>conv -> relu -> reshape (a view) -> add with the conv output again (two readers of one
    /// array) -> concat -> transpose; the conv output is also a graph output, and one value is never read.</summary>
    private static Model Model()
    {
        var graph = new Graph();
        var x = new Value("x", new TensorType(DataType.Float32, new TensorShape(1, 3, 7, 17)));
        graph.Inputs.Add(x);
        var w = graph.AddInitializer("w", Random(1, 4, 3, 3, 3));
        var b = graph.AddInitializer("b", Random(2, 4));
        var flat = graph.AddInitializer("flat", Tensor.Create([2], new long[] { 4, 119 }));
        var back = graph.AddInitializer("back", Tensor.Create([4], new long[] { 1, 4, 7, 17 }));
        Value conv = new("conv"), relu = new("relu"), view = new("view"), unview = new("unview"), sum = new("sum");
        Value unused = new("unused"), joined = new("joined"), turned = new("turned"), scaled = new("scaled");
        graph.AddNode("Conv", [x, w, b], [conv], name: "conv").SetAttribute(NodeAttribute.Ints("pads", [1, 1, 1, 1]));
        graph.AddNode("Relu", [conv], [relu], name: "relu");
        graph.AddNode("Reshape", [relu, flat], [view], name: "view");
        graph.AddNode("Reshape", [view, back], [unview], name: "unview");
        graph.AddNode("Add", [unview, conv], [sum], name: "add");
        graph.AddNode("Sigmoid", [sum], [unused], name: "dead");
        graph.AddNode("Concat", [sum, unview], [joined], name: "concat").SetAttribute(NodeAttribute.Int("axis", 1));
        graph.AddNode("Transpose", [joined], [turned], name: "transpose").SetAttribute(NodeAttribute.Ints("perm", [0, 2, 3, 1]));
        graph.AddNode("Mul", [turned, turned], [scaled], name: "square");
        graph.Outputs.Add(scaled);
        graph.Outputs.Add(conv);
        var model = new Model(graph);
        model.Opsets[string.Empty] = 17;
        return model;
    }

    private static Dictionary<string, DataValue> Feed(int seed) => new() { ["x"] = Random(seed, 1, 3, 7, 17) };

    private static float[] Output(IReadOnlyDictionary<string, DataValue> outputs, string name) => ((Tensor)outputs[name]).ToFloatArray();

    [Fact]
    public void Runs_equal_the_reference_and_earlier_results_stay_intact()
    {
        var model = Model();
        var reference = new InferenceSession(model);
        var cpu = new InferenceSession(model, new SessionOptions { Backend = CpuBackend.Name, Threads = 1 });
        var kept = new List<(IReadOnlyDictionary<string, DataValue> Outputs, float[] Scaled, float[] Conv)>();
        for (int run = 0; run < 4; run++)
        {
            var feeds = Feed(10 + run % 2);
            var expected = reference.Run(feeds);
            var actual = cpu.Run(feeds);
            foreach (var name in (string[])["scaled", "conv"])
            {
                var e = Output(expected, name);
                var a = Output(actual, name);
                Assert.Equal(e.Length, a.Length);
                for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 * Math.Max(1, Math.Abs(e[i])), $"run {run} {name}[{i}]: {a[i]} vs {e[i]}");
            }
            kept.Add((actual, Output(actual, "scaled"), Output(actual, "conv")));
        }
        // Every result handed out earlier still holds what it held when it was returned.
        foreach (var (outputs, scaled, conv) in kept)
        {
            Assert.Equal(scaled, Output(outputs, "scaled"));
            Assert.Equal(conv, Output(outputs, "conv"));
        }
        Assert.True(cpu.ArenaBytes > 0);
    }

    [Fact]
    public void The_arena_stops_growing_once_shapes_repeat()
    {
        var cpu = new InferenceSession(Model(), new SessionOptions { Backend = CpuBackend.Name, Threads = 1 });
        cpu.Run(Feed(1));
        cpu.Run(Feed(2));
        long settled = cpu.ArenaBytes;
        for (int run = 0; run < 3; run++) cpu.Run(Feed(3 + run));
        // Only the graph outputs leave the arena, so each run creates exactly their arrays again.
        long outputBytes = (1 * 7 * 17 * 8 + 1 * 4 * 7 * 17) * sizeof(float);
        Assert.Equal(settled + 3 * outputBytes, cpu.ArenaBytes);
    }

    [Fact]
    public void Recycled_results_are_reused_and_later_runs_still_equal_the_reference()
    {
        var model = Model();
        var reference = new InferenceSession(model);
        var cpu = new InferenceSession(model, new SessionOptions { Backend = CpuBackend.Name, Threads = 1 });
        cpu.Recycle(cpu.Run(Feed(1)));
        cpu.Recycle(cpu.Run(Feed(2)));
        long settled = cpu.ArenaBytes;
        for (int run = 0; run < 3; run++)
        {
            var feeds = Feed(3 + run);
            var expected = reference.Run(feeds);
            var actual = cpu.Run(feeds);
            foreach (var name in (string[])["scaled", "conv"])
            {
                var e = Output(expected, name);
                var a = Output(actual, name);
                for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 * Math.Max(1, Math.Abs(e[i])), $"run {run} {name}[{i}]: {a[i]} vs {e[i]}");
            }
            cpu.Recycle(actual);
            cpu.Recycle(actual); // a second give-back of the same results is ignored
        }
        // The outputs' arrays went back, so no run after the first two created any array.
        Assert.Equal(settled, cpu.ArenaBytes);
    }

    [Fact]
    public void Recycling_leaves_arrays_the_arena_did_not_create_alone()
    {
        // y = Identity(x) hands the caller's own input array back as an output; z = Relu(x) is the arena's.
        var graph = new Graph();
        var x = new Value("x", new TensorType(DataType.Float32, new TensorShape(1, 4, 5, 3)));
        graph.Inputs.Add(x);
        Value y = new("y"), z = new("z");
        graph.AddNode("Identity", [x], [y], name: "same");
        graph.AddNode("Relu", [x], [z], name: "relu");
        graph.Outputs.Add(y);
        graph.Outputs.Add(z);
        var model = new Model(graph);
        model.Opsets[string.Empty] = 17;
        var cpu = new InferenceSession(model, new SessionOptions { Backend = CpuBackend.Name, Threads = 1 });
        var first = Random(7, 1, 4, 5, 3);
        var kept = first.ToFloatArray();
        cpu.Recycle(cpu.Run(new Dictionary<string, DataValue> { ["x"] = first }));
        for (int run = 0; run < 3; run++)
        {
            var other = Random(20 + run, 1, 4, 5, 3);
            var outputs = cpu.Run(new Dictionary<string, DataValue> { ["x"] = other });
            Assert.Equal(other.ToFloatArray().Select(v => Math.Max(v, 0f)).ToArray(), Output(outputs, "z"));
            cpu.Recycle(outputs);
        }
        // The first input went out as output y and back through Recycle, but no later run wrote into it.
        Assert.Equal(kept, first.ToFloatArray());
    }

    [Fact]
    public void Without_reuse_the_arena_is_empty_and_results_are_the_same()
    {
        var model = Model();
        var plain = new InferenceSession(model, new SessionOptions { Backend = CpuBackend.Name, Threads = 1, ReuseBuffers = false });
        var reused = new InferenceSession(model, new SessionOptions { Backend = CpuBackend.Name, Threads = 1 });
        for (int run = 0; run < 2; run++)
        {
            var a = plain.Run(Feed(run));
            var b = reused.Run(Feed(run));
            Assert.Equal(Output(a, "scaled"), Output(b, "scaled"));
        }
        Assert.Equal(0, plain.ArenaBytes);
    }
}
