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
        var (outputs, kernels) = TfLiteWasmReference.RunAll(Int8ArmNnFixture.Files.Select(f => (MlperfTinyModels.Path(f), (IReadOnlyList<Tensor>)Inputs[f])).ToList());
        for (int i = 0; i < Int8ArmNnFixture.Files.Length; i++)
        {
            TfLite[Int8ArmNnFixture.Files[i]] = outputs[i];
            Kernels[Int8ArmNnFixture.Files[i]] = kernels[i];
        }
    }

    public Dictionary<string, List<Tensor>> Inputs { get; } = [];

    public Dictionary<string, Tensor[]> TfLite { get; } = [];

    internal Dictionary<string, TfLiteWasmReference.Kernels> Kernels { get; } = [];
}

/// <summary>Tessera's integer executor against TensorFlow Lite itself on the pre-quantized int8 models. TFLite's
/// WebAssembly build hands convolutions and fully connected layers to XNNPACK, whose int8 kernels requantize in
/// float (accumulator times a float scale, rounded half to even), not with TFLite's fixed-point multiplier; the
/// remaining layers (pooling, softmax, reshape, ...) run on TFLite's builtin kernels. The test asserts the issue's
/// acceptance (>= 99% of the output elements within one int8 step and the same top-1 class on every input) and
/// that the delegated operators are the ones documented in docs/tflite.md.</summary>
public sealed class Int8TfLiteAgreementTests(Int8TfLiteFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<Int8TfLiteFixture>
{
    public static TheoryData<string> Models => new(Int8ArmNnFixture.Files);

    [TfLiteWasmTheory]
    [MemberData(nameof(Models))]
    public void Integer_executor_matches_tflite(string file)
    {
        var program = IntegerLowering.Lower(MlperfTinyModels.Load(file));
        Assert.Empty(program.Islands);
        Assert.DoesNotContain(program.Steps, s => s.IsFloat);
        var inputName = program.Inputs.Single();
        var outputName = program.Outputs.Single();
        bool classifier = file != "ad01_int8.tflite";
        var inputs = fixture.Inputs[file];
        Assert.Equal(Int8ArmNnFixture.InputsPerModel, inputs.Count);
        var agreement = new Int8Agreement();
        for (int k = 0; k < inputs.Count; k++)
        {
            var actual = program.RunOutputs(new Dictionary<string, Tensor> { [inputName] = inputs[k] })[outputName];
            Assert.Equal(DataType.Int8, actual.DataType);
            agreement.Add(actual.As<sbyte>(), fixture.TfLite[file][k].As<sbyte>(), countTop: classifier);
        }
        var kernels = fixture.Kernels[file];
        output.WriteLine($"{file}: {inputs.Count} inputs");
        output.WriteLine($"  TFLite nodes: {string.Join(", ", kernels.Nodes)}; XNNPACK operators: {string.Join(", ", kernels.Delegated)}");
        output.WriteLine($"  integer executor vs TFLite: {agreement.Summary(classifier)}");
        Assert.True(agreement.WithinOne >= 0.99 * agreement.Elements, $"{file}: {agreement.Summary(classifier)}");
        if (classifier) Assert.Equal(inputs.Count, agreement.SameTop);
    }
}
