using Tessera.Core;
using Tessera.Integer;
using Tessera.Kernels.Cpu.Int8;
using Tessera.Onnx;
using Tessera.Passes;
using Tessera.Runtime;
using Tessera.Ops;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>Runs alone (no other test allocates while the bytes of every thread are counted).</summary>
[CollectionDefinition("allocation", DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>Bytes allocated per steady-state inference on the cpu backend (all threads, GC.GetTotalAllocatedBytes(true)),
/// after warm-up runs, at 1 and 2 threads: real float32 models through <see cref="InferenceSession.Run(IReadOnlyDictionary{string, DataValue}, IDictionary{string, DataValue})"/>
/// with each run's results recycled, and an int8 model's integer program run into one reused state. Every run's outputs
/// must equal the first run's bit for bit. The bounds are the residue measured when these tests were written plus
/// headroom (docs/cpu-backend.md, "steady-state allocation"): nodes still on reference kernels (Reshape, the float
/// Transpose of an NHWC output) and a few kernels that still build a shape or a closure per call; a regression that
/// allocates per node (a closure or a tensor per convolution, a fresh context per node) exceeds them.</summary>
[Collection("allocation")]
public sealed class SteadyStateAllocationTests(ITestOutputHelper output)
{
    private const int Warmup = 3;
    private const int Runs = 10;
    private const int Windows = 3;

    static SteadyStateAllocationTests() => CpuBackend.Register();

    public static TheoryData<string, int, int> FloatModels() => new()
    {
        // model, threads, most bytes per run
        // Measured 8.5 KB (front: 21 FusedConv nodes still make per-call scratch and closures on the few-channel and implicit
        // paths, the NHWC output's transposes, Reshape on the reference) and 3.1 KB (cls) at either thread count.
        { "blazeface-front", 1, 10240 },
        { "blazeface-front", 2, 10240 },
        { "ppocr-cls", 1, 4096 },
        { "ppocr-cls", 2, 4096 },
    };

    [Theory]
    [MemberData(nameof(FloatModels))]
    public void Float_model_allocates_almost_nothing_per_run(string name, int threads, int bound)
    {
        var inputs = name == "ppocr-cls" ? RealModelInputs.TextLine(192) : RealModelInputs.BlazeFace(128);
        var shapes = inputs.ToDictionary(p => p.Key, p => p.Value.Shape);
        var model = OnnxImporter.Load(TestAssets.Model(name));
        GraphOptimizer.Optimize(model, new OptimizationOptions { InputShapes = shapes, FuseResidualAdd = true, ComputeFloat16InFloat32 = true });
        var session = new InferenceSession(model, new SessionOptions { Backend = CpuBackend.Name, Threads = threads, InputShapes = shapes });
        var feeds = inputs.ToDictionary(p => p.Key, p => (DataValue)p.Value);
        var results = new Dictionary<string, DataValue>(StringComparer.Ordinal);
        session.Run(feeds, results);
        var first = results.ToDictionary(p => p.Key, p => ((Tensor)p.Value).ToFloatArray());
        session.Recycle(results);
        for (int i = 1; i < Warmup; i++)
        {
            session.Run(feeds, results);
            session.Recycle(results);
        }
        long perRun = Measure(() =>
        {
            session.Run(feeds, results);
            Same(first, results);
            session.Recycle(results);
        });
        output.WriteLine($"{name}, {threads} thread(s): {perRun} bytes per run");
        Assert.True(perRun <= bound, $"{name} at {threads} thread(s) allocated {perRun} bytes per run, more than {bound}");
    }

    [Theory]
    // Measured 35-42 KB: the AveragePool, still a reference step, makes its output and int32 sums (about 28 KB); the int8
    // convolutions' parallel bodies are still closures (about 200 bytes per convolution, 27 of them); the rest is small.
    // Before the fast Transpose step the 56 layout Transposes of this TFLite model made 600 KB per run.
    [InlineData(1, 49152)]
    [InlineData(2, 49152)]
    public void Int8_program_allocates_almost_nothing_per_run(int threads, int bound)
    {
        var program = CpuIntegerProgram.Accelerate(IntegerLowering.Lower(TFLite.TfLiteImporter.Load(TestAssets.File("models", "mlperf-tiny", "vww_96_int8.tflite"))), threads);
        Assert.True(CpuIntegerProgram.FastSteps(program) > 0);
        var random = new Random(96);
        var image = new sbyte[96 * 96 * 3];
        for (int i = 0; i < image.Length; i++) image[i] = (sbyte)random.Next(-128, 128);
        var inputs = new Dictionary<string, Tensor> { [program.Inputs.Single()] = Tensor.Create([1, 96, 96, 3], image) };
        var state = new IntegerState();
        string result = program.Outputs.Single();
        var first = program.Run(inputs, state).Get(result).As<sbyte>().ToArray();
        for (int i = 1; i < Warmup; i++) program.Run(inputs, state);
        long perRun = Measure(() =>
        {
            var scores = program.Run(inputs, state).Get(result).As<sbyte>();
            Assert.True(scores.AsSpan().SequenceEqual(first), "a later run's scores differ from the first run's");
        });
        output.WriteLine($"vww_96_int8, {threads} thread(s): {perRun} bytes per run");
        Assert.True(perRun <= bound, $"vww_96_int8 at {threads} thread(s) allocated {perRun} bytes per run, more than {bound}");
    }

    /// <summary>Bytes per run of <paramref name="run"/>, every thread counted: the least over <see cref="Windows"/> windows
    /// of <see cref="Runs"/> runs each. On a loaded machine the workers can take their tickets late, and CpuParallel then
    /// adds pooled loops (up to its cap per body type, once; measured 16.7 KB per run in one window under load 9); a
    /// window after that growth shows the steady state, while an allocation made on every run shows in every window.</summary>
    private static long Measure(Action run)
    {
        long least = long.MaxValue;
        for (int w = 0; w < Windows; w++)
        {
            long before = GC.GetTotalAllocatedBytes(true);
            for (int i = 0; i < Runs; i++) run();
            least = Math.Min(least, (GC.GetTotalAllocatedBytes(true) - before) / Runs);
        }
        return least;
    }

    private static void Same(Dictionary<string, float[]> first, Dictionary<string, DataValue> results)
    {
        foreach (var (name, expected) in first)
        {
            var actual = ((Tensor)results[name]).As<float>();
            if (!actual.AsSpan().SequenceEqual(expected)) Assert.Fail($"output '{name}' of a later run differs from the first run's");
        }
    }
}

/// <summary><see cref="Int8Transpose"/> against the reference layout step (the float Transpose kernel on int8 data).</summary>
public sealed class Int8TransposeTests
{
    [Fact]
    public void Fast_transpose_equals_the_reference_step()
    {
        var random = new Random(44);
        (int[] Shape, long[] Perm)[] cases =
        [
            ([1, 96, 96, 3], [0, 3, 1, 2]), ([1, 3, 17, 7], [0, 2, 3, 1]), ([2, 5, 7], [2, 0, 1]), ([255], [0]), ([7, 1], [1, 0]),
            ([0, 3, 4], [1, 2, 0]), ([2, 3, 1, 5, 1, 2], [5, 3, 1, 0, 2, 4]), ([1, 16, 17, 17], [0, 1, 2, 3]), ([3, 4, 5, 6], [3, 2, 1, 0]),
        ];
        foreach (var (shape, perm) in cases)
        {
            var node = new Node("Transpose", [new Value("x")], [new Value("y")], "", "t");
            node.SetAttribute(NodeAttribute.Ints("perm", perm));
            var reference = new LayoutStep(node, 13, new Tessera.Ops.TensorOps.Permutations(), "x", [null], "y", unsigned: false);
            Assert.True(Int8Transpose.Covers(reference));
            var fast = CpuIntegerProgram.Accelerate(new IntegerProgram([reference], [], new Dictionary<string, Tensor>(), ["x"], ["y"], new Dictionary<string, string>())).Steps.Single();
            Assert.IsType<Int8Transpose>(fast);
            var data = new sbyte[(int)ShapeMath.ElementCount(shape)];
            for (int i = 0; i < data.Length; i++) data[i] = (sbyte)random.Next(-128, 128);
            // Twice: the second run reuses the output array.
            Int8StepTests.Same(reference, fast, [("x", Tensor.Create(shape, data))], $"Transpose {string.Join("x", shape)} perm {string.Join(",", perm)}", runs: 2);
        }
    }

    [Fact]
    public void Transpose_without_perm_stays_the_reference_step()
    {
        var node = new Node("Transpose", [new Value("x")], [new Value("y")], "", "t");
        Assert.False(Int8Transpose.Covers(new LayoutStep(node, 13, new Tessera.Ops.TensorOps.Permutations(), "x", [null], "y", unsigned: false)));
    }
}
