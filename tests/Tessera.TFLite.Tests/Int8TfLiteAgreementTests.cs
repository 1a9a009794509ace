using Tessera.Core;
using Tessera.Integer;

namespace Tessera.TFLite.Tests;

/// <summary>The five int8 MLPerf Tiny models on the inputs of the Arm NN comparison, with TFLite's outputs (its
/// WebAssembly build under Node) computed once, in one Node process.</summary>
public sealed class Int8TfLiteFixture
{
    public Int8TfLiteFixture()
    {
        // The class fixture is built even when every test is skipped; there is nothing to run then.
        if (TfLiteWasmReference.Unavailable is not null) return;
        foreach (var file in Int8ArmNnFixture.Files) Inputs[file] = MlperfTinyInputs.Int8(file, Int8ArmNnFixture.InputsPerModel);
        var jobs = Int8ArmNnFixture.Files.SelectMany(f => new[] { false, true }.Select(xnnpack => new TfLiteWasmReference.Job(MlperfTinyModels.Path(f), Inputs[f], xnnpack))).ToList();
        var (outputs, kernels) = TfLiteWasmReference.RunAll(jobs);
        for (int i = 0; i < Int8ArmNnFixture.Files.Length; i++)
        {
            var file = Int8ArmNnFixture.Files[i];
            Builtin[file] = (outputs[2 * i], kernels[2 * i]);
            Xnnpack[file] = (outputs[2 * i + 1], kernels[2 * i + 1]);
        }
        // Every operator output of subgraph 0, read as the model's output in a job of its own.
        var tensorJobs = new List<(string File, string Tensor)>();
        var intermediateJobs = new List<TfLiteWasmReference.Job>();
        foreach (var file in Int8ArmNnFixture.Files)
        {
            var subgraph = Schema.TfLiteModel.Parse(File.ReadAllBytes(MlperfTinyModels.Path(file)), file).Subgraphs[0];
            foreach (var index in subgraph.Operators.SelectMany(op => op.Outputs).Distinct())
            {
                tensorJobs.Add((file, subgraph.Tensors[index].Name));
                intermediateJobs.Add(new(MlperfTinyModels.Path(file), Inputs[file].Take(StepInputs).ToList(), OutputTensor: index));
            }
        }
        var (values, _) = TfLiteWasmReference.RunAll(intermediateJobs);
        for (int j = 0; j < tensorJobs.Count; j++)
        {
            var (file, tensor) = tensorJobs[j];
            if (!Intermediates.TryGetValue(file, out var byName)) Intermediates[file] = byName = [];
            byName[tensor] = values[j];
        }
    }

    public Dictionary<string, List<Tensor>> Inputs { get; } = [];

    /// <summary>For the first <see cref="StepInputs"/> inputs of each model, TFLite's value (builtin kernels) of
    /// every tensor an operator writes, by tensor name: [input] of the tensor.</summary>
    internal Dictionary<string, Dictionary<string, Tensor[]>> Intermediates { get; } = [];

    public const int StepInputs = 2;

    /// <summary>TFLite with every int8 operator on its builtin kernels.</summary>
    internal Dictionary<string, (Tensor[] Outputs, TfLiteWasmReference.Kernels Kernels)> Builtin { get; } = [];

    /// <summary>TFLite as the web build ships it: convolutions and fully connected layers on XNNPACK.</summary>
    internal Dictionary<string, (Tensor[] Outputs, TfLiteWasmReference.Kernels Kernels)> Xnnpack { get; } = [];
}

/// <summary>Tessera's integer executor against TensorFlow Lite itself on the pre-quantized int8 models, on the
/// 250 inputs of the Arm NN comparison, with every int8 operator on TFLite's builtin kernels (and, reported, as the
/// web build ships, with XNNPACK's float-requantizing kernels). Layer by layer, DEPTHWISE_CONV_2D, ADD,
/// AVERAGE_POOL_2D, SOFTMAX and RESHAPE agree exactly; CONV_2D and FULLY_CONNECTED differ by at most one step,
/// and only by rounding: TFLite applies their requantization multiplier with one rounding (ties up), the executor
/// (like TFLite's reference kernels) with a rounding doubling high multiply and a rounding shift. With that one
/// rounding swapped in (<see cref="RequantizationProfile.TfLite"/>, the same accumulators and multipliers), the
/// executor equals TFLite on every layer and every output of all five models.</summary>
public sealed class Int8TfLiteAgreementTests(Int8TfLiteFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<Int8TfLiteFixture>
{
    private static readonly HashSet<string> RoundedLayers = ["CONV_2D", "FULLY_CONNECTED"];

    public static TheoryData<string> Models => new(Int8ArmNnFixture.Files);

    [TfLiteWasmTheory]
    [MemberData(nameof(Models))]
    public void Integer_executor_matches_tflite(string file)
    {
        var program = IntegerLowering.Lower(MlperfTinyModels.Load(file));
        Assert.Empty(program.Islands);
        Assert.DoesNotContain(program.Steps, s => s.IsFloat);
        var tflite = program.WithRequantization(RequantizationProfile.TfLite);
        Assert.Contains(tflite.Steps, s => s is ConvolutionStep { Requantizer.Rounding: RequantizationRounding.Single } or MatMulStep { Requantizer.Rounding: RequantizationRounding.Single });
        var inputName = program.Inputs.Single();
        var outputName = program.Outputs.Single();
        bool classifier = file != "ad01_int8.tflite";
        var inputs = fixture.Inputs[file];
        Assert.Equal(Int8ArmNnFixture.InputsPerModel, inputs.Count);
        var (builtinOutputs, builtinKernels) = fixture.Builtin[file];
        var (xnnpackOutputs, xnnpackKernels) = fixture.Xnnpack[file];
        var builtin = new Int8Agreement();
        var single = new Int8Agreement();
        var xnnpack = new Int8Agreement();
        for (int k = 0; k < inputs.Count; k++)
        {
            var actual = program.RunOutputs(new Dictionary<string, Tensor> { [inputName] = inputs[k] })[outputName];
            Assert.Equal(DataType.Int8, actual.DataType);
            builtin.Add(actual.As<sbyte>(), builtinOutputs[k].As<sbyte>(), countTop: classifier);
            xnnpack.Add(actual.As<sbyte>(), xnnpackOutputs[k].As<sbyte>(), countTop: classifier);
            var singleRounding = tflite.RunOutputs(new Dictionary<string, Tensor> { [inputName] = inputs[k] })[outputName];
            single.Add(singleRounding.As<sbyte>(), builtinOutputs[k].As<sbyte>(), countTop: classifier);
        }
        output.WriteLine($"{file}: {inputs.Count} inputs");
        output.WriteLine($"  integer executor vs TFLite builtin kernels ({string.Join(", ", builtinKernels.Nodes)}): {builtin.Summary(classifier)}");
        output.WriteLine($"  same, CONV_2D and FULLY_CONNECTED requantized with one rounding:  {single.Summary(classifier)}");
        output.WriteLine($"  integer executor vs TFLite with XNNPACK ({string.Join(", ", xnnpackKernels.Delegated)}): {xnnpack.Summary(classifier)}");
        // The builtin run really is XNNPACK-free, and the stock run really delegated the int8 layers.
        Assert.Empty(builtinKernels.Delegated);
        Assert.DoesNotContain("TfLiteXNNPackDelegate", builtinKernels.Nodes);
        Assert.Contains("TfLiteXNNPackDelegate", xnnpackKernels.Nodes);
        Assert.True(single.Exact == single.Elements, $"{file}: single-rounding executor vs TFLite's builtin kernels: {single.Summary(classifier)}");
    }

    /// <summary>The executor run layer by layer on TFLite's values (builtin kernels): wherever the program reads a
    /// tensor TFLite also has (each TFLite operator's output), TFLite's value replaces the executor's, so each
    /// TFLite operator's output is compared with the integer steps that implement that operator alone, fed
    /// TFLite's inputs. Figures by TFLite operator type, with the executor's rounding and with one rounding for
    /// the convolutions of one group and the matrix products.</summary>
    [TfLiteWasmTheory]
    [MemberData(nameof(Models))]
    public void Each_layer_matches_tflite(string file)
    {
        var program = IntegerLowering.Lower(MlperfTinyModels.Load(file));
        var parsed = Schema.TfLiteModel.Parse(File.ReadAllBytes(MlperfTinyModels.Path(file)), file);
        var subgraph = parsed.Subgraphs[0];
        var producer = subgraph.Operators.SelectMany(op => op.Outputs.Select(o => (subgraph.Tensors[o].Name, Op: parsed.OperatorCodes[op.OpcodeIndex].Name)))
            .ToDictionary(p => p.Name, p => p.Op, StringComparer.Ordinal);
        var (executor, executorCompared) = Layers(program, program.Steps, file, producer);
        var (single, singleCompared) = Layers(program, program.WithRequantization(RequantizationProfile.TfLite).Steps, file, producer);
        output.WriteLine($"{file}: {executorCompared} of {producer.Count} TFLite operator outputs compared, {Int8TfLiteFixture.StepInputs} inputs");
        foreach (var (op, agreement) in executor) output.WriteLine($"  {op}: {agreement.Summary(false)}; with one rounding: {single[op].Summary(false)}");
        Assert.Equal(producer.Count, executorCompared);
        Assert.Equal(producer.Count, singleCompared);
        foreach (var (op, agreement) in executor)
        {
            if (RoundedLayers.Contains(op)) Assert.True(agreement.Worst <= 1, $"{file} {op}: {agreement.Summary(false)}");
            else Assert.True(agreement.Exact == agreement.Elements, $"{file} {op}: {agreement.Summary(false)}");
            Assert.True(single[op].Exact == single[op].Elements, $"{file} {op} with one rounding: {single[op].Summary(false)}");
        }
    }

    private (SortedDictionary<string, Int8Agreement> ByOperator, int Compared) Layers(IntegerProgram program, IReadOnlyList<IntegerStep> steps, string file, Dictionary<string, string> producer)
    {
        var inputName = program.Inputs.Single();
        var tflite = fixture.Intermediates[file];
        var byOperator = new SortedDictionary<string, Int8Agreement>(StringComparer.Ordinal);
        var compared = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < Int8TfLiteFixture.StepInputs; k++)
        {
            var state = new IntegerState();
            foreach (var (name, value) in program.Constants) state.Set(name, value);
            state.Set(inputName, fixture.Inputs[file][k]);
            foreach (var step in steps)
            {
                foreach (var name in step.Inputs) if (tflite.TryGetValue(name, out var v)) state.Set(name, v[k]);
                step.Execute(state);
                foreach (var name in step.Outputs)
                {
                    if (!tflite.TryGetValue(name, out var theirs)) continue;
                    var op = producer[name];
                    if (!byOperator.TryGetValue(op, out var agreement)) byOperator[op] = agreement = new Int8Agreement();
                    agreement.Add(state.Original(name).As<sbyte>(), theirs[k].As<sbyte>(), countTop: false);
                    compared.Add(name);
                }
            }
        }
        return (byOperator, compared.Count);
    }
}
