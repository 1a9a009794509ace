using Tessera.Core;
using static Tessera.Ops.Tests.NodeHarness;

namespace Tessera.Ops.Tests;

public sealed class ControlFlowTests
{
    private static TensorType Scalar(DataType t) => new(t, new TensorShape(Array.Empty<long>()));

    /// <summary>Loop body: v_out = v_in + iteration; cond_out = cond_in; scan output v_out.</summary>
    private static Graph CumulativeBody()
    {
        var body = new Graph { Name = "body" };
        var iter = new Value("iter", Scalar(DataType.Int64));
        var condIn = new Value("cond_in", Scalar(DataType.Bool));
        var vIn = new Value("v_in", Scalar(DataType.Int64));
        var vOut = new Value("v_out", Scalar(DataType.Int64));
        body.Inputs.AddRange([iter, condIn, vIn]);
        body.AddNode("Add", [vIn, iter], [vOut]);
        body.Outputs.AddRange([condIn, vOut, vOut]);
        return body;
    }

    private static IReadOnlyDictionary<string, DataValue> RunLoop(Tensor? maxTrips, Tensor? cond, Tensor v0)
    {
        var graph = new Graph();
        var m = maxTrips is null ? null : new Value("M", new TensorType(DataType.Int64, new TensorShape(Array.Empty<long>())));
        var c = cond is null ? null : new Value("cond", Scalar(DataType.Bool));
        var v = new Value("v0", Scalar(DataType.Int64));
        var final = new Value("final");
        var scan = new Value("scan");
        foreach (var input in new[] { m, c, v }) if (input is not null) graph.Inputs.Add(input);
        var node = graph.AddNode("Loop", [m, c, v], [final, scan]);
        node.SetAttribute(NodeAttribute.FromGraph("body", CumulativeBody()));
        graph.Outputs.AddRange([final, scan]);
        var inputs = new Dictionary<string, DataValue> { ["v0"] = v0 };
        if (maxTrips is not null) inputs["M"] = maxTrips;
        if (cond is not null) inputs["cond"] = cond;
        return RunModel(graph, 13, inputs);
    }

    [Fact]
    public void Loop_runs_max_trip_count_times_and_stacks_scan_outputs()
    {
        var outputs = RunLoop(L([], 4), Tensor.Scalar(true), L([], 0));
        Assert.Equal(6L, ((Tensor)outputs["final"]).As<long>()[0]);
        var scan = (Tensor)outputs["scan"];
        Assert.Equal([4], scan.Shape);
        Assert.Equal([0L, 1, 3, 6], scan.As<long>());
    }

    [Fact]
    public void Loop_with_false_condition_runs_zero_times()
    {
        var outputs = RunLoop(L([], 4), Tensor.Scalar(false), L([], 5));
        Assert.Equal(5L, ((Tensor)outputs["final"]).As<long>()[0]);
        Assert.Equal(0, ((Tensor)outputs["scan"]).Shape[0]);
    }

    [Fact]
    public void If_returns_the_chosen_branch_reading_outer_values()
    {
        var graph = new Graph();
        var cond = new Value("cond", Scalar(DataType.Bool));
        var a = new Value("a", new TensorType(DataType.Float32, new TensorShape(1)));
        var b = new Value("b", new TensorType(DataType.Float32, new TensorShape(1)));
        var y = new Value("y");
        graph.Inputs.AddRange([cond, a, b]);
        var thenBranch = new Graph { Name = "then" };
        thenBranch.Outputs.Add(a);
        var elseBranch = new Graph { Name = "else" };
        elseBranch.Outputs.Add(b);
        var node = graph.AddNode("If", [cond], [y]);
        node.SetAttribute(NodeAttribute.FromGraph("then_branch", thenBranch));
        node.SetAttribute(NodeAttribute.FromGraph("else_branch", elseBranch));
        graph.Outputs.Add(y);
        var inputs = new Dictionary<string, DataValue> { ["a"] = F([1], 1), ["b"] = F([1], 2) };
        inputs["cond"] = Tensor.Scalar(true);
        Assert.Equal(1f, ((Tensor)RunModel(graph, 13, inputs)["y"]).As<float>()[0]);
        inputs["cond"] = Tensor.Scalar(false);
        Assert.Equal(2f, ((Tensor)RunModel(graph, 13, inputs)["y"]).As<float>()[0]);
    }

    private static IReadOnlyDictionary<string, DataValue> RunScan(Tensor x, params NodeAttribute[] attributes)
    {
        var body = new Graph { Name = "body" };
        var sIn = new Value("s_in", new TensorType(DataType.Float32, new TensorShape(1)));
        var xIn = new Value("x_in", new TensorType(DataType.Float32, new TensorShape(1)));
        var sOut = new Value("s_out", new TensorType(DataType.Float32, new TensorShape(1)));
        body.Inputs.AddRange([sIn, xIn]);
        body.AddNode("Add", [sIn, xIn], [sOut]);
        body.Outputs.AddRange([sOut, sOut]);

        var graph = new Graph();
        var s0 = new Value("s0", new TensorType(DataType.Float32, new TensorShape(1)));
        var xs = new Value("xs", new TensorType(DataType.Float32, TensorShape.FromConcrete(x.Shape)));
        var final = new Value("final");
        var ys = new Value("ys");
        graph.Inputs.AddRange([s0, xs]);
        var node = graph.AddNode("Scan", [s0, xs], [final, ys]);
        node.SetAttribute(NodeAttribute.FromGraph("body", body));
        node.SetAttribute(NodeAttribute.Int("num_scan_inputs", 1));
        foreach (var a in attributes) node.SetAttribute(a);
        graph.Outputs.AddRange([final, ys]);
        return RunModel(graph, 11, new Dictionary<string, DataValue> { ["s0"] = F([1], 0), ["xs"] = x });
    }

    [Fact]
    public void Scan_accumulates_forward_and_reverse()
    {
        var x = F([3, 1], 1, 2, 3);
        var forward = RunScan(x);
        Close([6], (Tensor)forward["final"]);
        Close([1, 3, 6], (Tensor)forward["ys"]);
        var reverse = RunScan(x, NodeAttribute.Ints("scan_input_directions", [1]));
        Close([3, 5, 6], (Tensor)reverse["ys"]);
        var reversedOutput = RunScan(x, NodeAttribute.Ints("scan_input_directions", [1]), NodeAttribute.Ints("scan_output_directions", [1]));
        Close([6, 5, 3], (Tensor)reversedOutput["ys"]);
    }

    [Fact]
    public void Scan_slices_along_a_chosen_axis_and_stacks_along_another()
    {
        var x = F([1, 3], 1, 2, 3); // scan axis 1 (negative: -1)
        var outputs = RunScan(x, NodeAttribute.Ints("scan_input_axes", [-1]), NodeAttribute.Ints("scan_output_axes", [1]));
        var ys = (Tensor)outputs["ys"];
        Assert.Equal([1, 3], ys.Shape);
        Close([1, 3, 6], ys);
    }

    [Fact]
    public void Scan_8_runs_each_batch_entry_for_its_own_length_and_pads_outputs()
    {
        var body = new Graph { Name = "body" };
        var sIn = new Value("s_in", new TensorType(DataType.Float32, new TensorShape(1)));
        var xIn = new Value("x_in", new TensorType(DataType.Float32, new TensorShape(1)));
        var sOut = new Value("s_out", new TensorType(DataType.Float32, new TensorShape(1)));
        body.Inputs.AddRange([sIn, xIn]);
        body.AddNode("Add", [sIn, xIn], [sOut]);
        body.Outputs.AddRange([sOut, sOut]);

        var graph = new Graph();
        var lens = new Value("lens", new TensorType(DataType.Int32, new TensorShape(2)));
        var s0 = new Value("s0", new TensorType(DataType.Float32, new TensorShape(2, 1)));
        var xs = new Value("xs", new TensorType(DataType.Float32, new TensorShape(2, 3, 1)));
        var final = new Value("final");
        var ys = new Value("ys");
        graph.Inputs.AddRange([lens, s0, xs]);
        var node = graph.AddNode("Scan", [lens, s0, xs], [final, ys]);
        node.SetAttribute(NodeAttribute.FromGraph("body", body));
        node.SetAttribute(NodeAttribute.Int("num_scan_inputs", 1));
        graph.Outputs.AddRange([final, ys]);
        var outputs = RunModel(graph, 8, new Dictionary<string, DataValue>
        {
            ["lens"] = Tensor.Create([2], new[] { 3, 2 }),
            ["s0"] = F([2, 1], 0, 10),
            ["xs"] = F([2, 3, 1], 1, 2, 3, 1, 2, 3),
        });
        Close([6, 13], (Tensor)outputs["final"]);
        var y = (Tensor)outputs["ys"];
        Assert.Equal([2, 3, 1], y.Shape);
        Close([1, 3, 6, 11, 13, 0], y);
    }
}
