using Tessera.Core;
using Tessera.Onnx;
using Tessera.Testing;

namespace Tessera.Passes.Tests;

/// <summary>One real model used by the acceptance tests, with the input shapes it is measured at.</summary>
public sealed record TestModel(string Name, string Source, IReadOnlyDictionary<string, int[]> InputShapes)
{
    /// <summary>Inputs fixed at deployment (Silero's sample rate), given to the optimizer as constants.</summary>
    public IReadOnlyDictionary<string, Tensor>? ConstantInputs { get; init; }

    public override string ToString() => Name;
}

/// <summary>The real models, from the pinned catalog (fetched on first use; a failed fetch fails the test)
/// or the repository's test assets.</summary>
public static class TestModels
{

    private static readonly Dictionary<string, Tensor> SampleRate = new() { ["sr"] = Tensor.Scalar(16000L) };

    public static readonly TestModel[] All =
    [
        new("ppocr-v4-det", "ppocr-det", new Dictionary<string, int[]> { ["x"] = [1, 3, 640, 640] }),
        new("ppocr-v4-rec", "ppocr-rec", new Dictionary<string, int[]> { ["x"] = [1, 3, 48, 320] }),
        new("ppocr-mobile-v2-cls", "ppocr-cls", new Dictionary<string, int[]> { ["x"] = [1, 3, 48, 192] }),
        new("blazeface-front-128", "blazeface-front", new Dictionary<string, int[]>()),
        new("blazeface-back-256", "blazeface-back", new Dictionary<string, int[]>()),
        new("silero-vad-legacy", "silero-vad-legacy", new Dictionary<string, int[]> { ["input"] = [1, 512] }) { ConstantInputs = SampleRate },
        new("silero-vad-v5", "silero-vad-v5", new Dictionary<string, int[]> { ["input"] = [1, 512] }) { ConstantInputs = SampleRate },
        new("squeezenet-1.1-fp16", "tests/assets/models/squeezenet/squeezenet1.1_fp16.onnx", new Dictionary<string, int[]>()),
    ];

    public static IEnumerable<object[]> Names() => All.Select(m => new object[] { m.Name });

    public static TestModel Get(string name) => All.Single(m => m.Name == name);

    /// <summary>A catalog model (fetched into the cache when missing) or a file under tests/assets.</summary>
    public static string PathOf(TestModel model) =>
        model.Source.StartsWith("tests/assets/", StringComparison.Ordinal)
            ? TestAssets.File(model.Source["tests/assets/".Length..].Split('/'))
            : TestAssets.Model(model.Source);

    public static Model Load(TestModel model) => OnnxImporter.Load(PathOf(model));
}
