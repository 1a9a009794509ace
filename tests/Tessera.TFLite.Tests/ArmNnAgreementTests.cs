using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.TFLite.Tests;

/// <summary>The float models' inputs and Arm NN's outputs for them, computed once in one Arm NN process.
/// kws_ref_model_float32.tflite is not among them: Arm NN 20.08 refuses its int8 weights in a float model
/// ("input and weights types mismatched").</summary>
public sealed class FloatArmNnFixture
{
    public const int Inputs = 50;

    public static readonly string[] Files = ["vww_96_float.tflite", "pretrainedResnet.tflite", "ad01_fp32.tflite"];

    public FloatArmNnFixture()
    {
        foreach (var file in Files)
        {
            var input = MlperfTinyModels.Load(file).Graph.Inputs.Single(v => v.Constant is null);
            InputsOf[file] = ArmNnAgreementTests.Generate(file, input.TensorType!.Shape!.ToConcrete()!);
        }
        var outputs = ArmNnReference.RunAll(Files.Select(f => (MlperfTinyModels.Path(f), (IReadOnlyList<Tensor>)InputsOf[f])).ToList());
        for (int i = 0; i < Files.Length; i++) ArmNn[Files[i]] = outputs[i];
    }

    public Dictionary<string, List<Tensor>> InputsOf { get; } = [];

    public Dictionary<string, Tensor[]> ArmNn { get; } = [];
}

/// <summary>Float MLPerf Tiny models on Tessera's reference backend against Arm NN on the same inputs:
/// real images where the model takes images, random values otherwise.</summary>
public sealed class ArmNnAgreementTests(FloatArmNnFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<FloatArmNnFixture>
{
    private const int Inputs = FloatArmNnFixture.Inputs;

    public static TheoryData<string> Models => new(FloatArmNnFixture.Files);

    [Theory]
    [MemberData(nameof(Models))]
    public void Float_model_matches_arm_nn(string file)
    {
        var model = MlperfTinyModels.Load(file);
        var session = new InferenceSession(model);
        var inputValue = session.Inputs.Single();
        var inputs = fixture.InputsOf[file];
        var expected = fixture.ArmNn[file];
        double worst = 0;
        for (int k = 0; k < inputs.Count; k++)
        {
            var actual = ((Tensor)session.Run(new Dictionary<string, DataValue> { [inputValue.Name] = inputs[k] })[session.Outputs[0].Name]).ToFloatArray();
            var reference = expected[k].ToFloatArray();
            Assert.Equal(reference.Length, actual.Length);
            Assert.Equal(MlperfTinyModels.ArgMax(reference), MlperfTinyModels.ArgMax(actual));
            // Relative to the output's scale, so near-zero probabilities are not judged on their last bits.
            double magnitude = reference.Max(v => Math.Abs((double)v));
            for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - reference[i]) / magnitude);
        }
        output.WriteLine($"{file}: {inputs.Count} inputs, same top-1 on all, worst relative difference {worst:E2}");
        Assert.True(worst <= 1e-4, $"{file}: worst relative difference {worst:E2} over {inputs.Count} inputs");
    }

    internal static List<Tensor> Generate(string file, int[] shape)
    {
        var random = new Random(file.Length);
        var result = new List<Tensor>();
        string[] images = ["astronaut.png", "messi5.jpg", "coffee.png", "chelsea.png", "fruits.jpg", "squirrel_cls.jpg"];
        bool isImage = shape.Length == 4 && shape[3] == 3;
        float scale = file.StartsWith("vww", StringComparison.Ordinal) ? 1f / 255 : 1f;
        for (int k = 0; k < Inputs; k++)
        {
            if (isImage && k < images.Length)
            {
                result.Add(MlperfTinyModels.ImageNhwc(images[k], shape[1], scale));
                continue;
            }
            int count = shape.Aggregate(1, (a, d) => a * d);
            float range = isImage ? 255 * scale : file.StartsWith("kws", StringComparison.Ordinal) ? 30 : 1;
            var data = Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * range * (isImage ? 1 : 2) - (isImage ? 0 : range))).ToArray();
            result.Add(Tensor.Create(shape, data));
        }
        return result;
    }
}
