using Tessera.Conformance;
using Tessera.Core;
using Tessera.Onnx;
using Tessera.Ops;
using Tessera.Runtime;

namespace Tessera.Conformance.Tests;

/// <summary>Runs the ONNX node tests of If, Loop, Scan, SequenceMap and the optional/sequence ops. Their
/// bodies use a few simple ops owned by other op families (Identity, Constant, Slice, Unsqueeze, Shape, Not);
/// where the registry lacks one, a minimal test-only kernel stands in so the control-flow kernels are
/// still checked against the real expected outputs.</summary>
public sealed class ControlFlowConformanceTests
{
    private static readonly string NodeRoot = Path.Combine(ConformanceRunner.DefaultRoot, "node");

    public static TheoryData<string> Cases() =>
    [
        "test_if", "test_if_opt", "test_if_seq",
        "test_loop11", "test_loop13_seq", "test_loop16_seq_none",
        "test_scan_sum", "test_scan9_sum",
        "test_sequence_map_add_1_sequence_1_tensor", "test_sequence_map_add_2_sequences",
        "test_sequence_map_extract_shapes", "test_sequence_map_identity_1_sequence",
        "test_sequence_map_identity_1_sequence_1_tensor", "test_sequence_map_identity_2_sequences",
        "test_optional_get_element_sequence", "test_optional_has_element_empty",
        "test_sequence_insert_at_back", "test_sequence_insert_at_front",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_matches_expected_outputs(string name)
    {
        var folder = Path.Combine(NodeRoot, name);
        if (!Directory.Exists(folder)) return; // conformance data not installed
        var model = OnnxImporter.Load(Path.Combine(folder, "model.onnx"));
        var session = new InferenceSession(model, new SessionOptions { Operators = RegistryWithStandIns() });
        foreach (var dataSet in Directory.GetDirectories(folder, "test_data_set_*"))
        {
            var graph = model.Graph;
            var feedable = graph.Inputs.Where(v => v.Constant is null).ToList();
            var inputs = new Dictionary<string, DataValue>(StringComparer.Ordinal);
            var inputFiles = Directory.GetFiles(dataSet, "input_*.pb").Order(StringComparer.Ordinal).ToList();
            for (int i = 0; i < inputFiles.Count; i++) inputs[feedable[i].Name] = DataValueReader.Read(inputFiles[i], feedable[i].Type);
            var outputs = session.Run(inputs);
            var outputFiles = Directory.GetFiles(dataSet, "output_*.pb").Order(StringComparer.Ordinal).ToList();
            for (int i = 0; i < outputFiles.Count; i++)
            {
                var output = graph.Outputs[i];
                var expected = DataValueReader.Read(outputFiles[i], output.Type);
                var message = OutputComparer.Compare(expected, outputs[output.Name], Tolerance.For(name));
                Assert.True(message is null, $"{name} output '{output.Name}': {message}");
            }
        }
    }

    private static OperatorRegistry RegistryWithStandIns()
    {
        var registry = OperatorRegistry.FromAssembly(typeof(OperatorRegistry).Assembly);
        foreach (var (op, kernel) in new (string, Operator)[]
        {
            ("Identity", new IdentityStandIn()), ("Constant", new ConstantStandIn()),
            ("Slice", new SliceStandIn()), ("Unsqueeze", new UnsqueezeStandIn()), ("Shape", new ShapeStandIn()),
            ("Not", new NotStandIn()),
        })
        {
            if (!registry.TryGet("", op, out _)) registry.Register("", op, kernel);
        }
        return registry;
    }

    private sealed class IdentityStandIn : Operator
    {
        public override void Execute(KernelContext context) => context.SetOutput(0, context.InputValue(0)!);
    }

    private sealed class ConstantStandIn : Operator
    {
        public override void Execute(KernelContext context) => context.SetOutput(0, context.GetTensor("value")!);
    }

    private sealed class NotStandIn : Operator
    {
        public override void Execute(KernelContext context) =>
            context.SetOutput(0, Tensor.Create(context.Input(0).Shape, context.Input(0).As<bool>().Select(b => !b).ToArray()));
    }

    private sealed class ShapeStandIn : Operator
    {
        public override void Execute(KernelContext context) =>
            context.SetOutput(0, Tensor.Create([context.Input(0).Rank], context.Input(0).Shape.Select(d => (long)d).ToArray()));
    }

    /// <summary>1-D slice with step 1 (all the loop tests need).</summary>
    private sealed class SliceStandIn : Operator
    {
        public override void Execute(KernelContext context)
        {
            var x = context.Input(0);
            Assert.Equal(1, x.Rank);
            long start = Math.Clamp(context.Input(1).GetInt64(0), 0, x.Length);
            long end = Math.Clamp(context.Input(2).GetInt64(0), start, x.Length);
            var result = Tensor.Zeros(x.DataType, [(int)(end - start)]);
            Array.Copy(x.Data, start, result.Data, 0, end - start);
            context.SetOutput(0, result);
        }
    }

    private sealed class UnsqueezeStandIn : Operator
    {
        public override void Execute(KernelContext context)
        {
            var x = context.Input(0);
            var axes = context.OptionalInput(1)?.ToInt64Array() ?? context.GetInts("axes")!;
            var shape = x.Shape.ToList();
            foreach (var a in axes.Order()) shape.Insert((int)(a < 0 ? a + x.Rank + axes.Length : a), 1);
            context.SetOutput(0, x.Reshape(shape.ToArray()));
        }
    }
}
