using System.Globalization;
using Tessera.Core;
using Tessera.Onnx;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Runtime.Tests;

/// <summary>The eight real models of ASSETS.md on real inputs, reference backend against ONNX Runtime:
/// max abs difference &lt;= 1e-4 x max(1, max |expected|) on every output.</summary>
public sealed class RealModelTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    /// <summary>float16 outputs: ONNX Runtime's CPU provider has no float16 kernels for most ops and runs
    /// chains of them in float32 (its insert-cast transformer), while Tessera rounds every op's output to
    /// float16 as the model says. The results differ by about one float16 ulp (9.8e-4 near 1), so float16
    /// is compared at 2e-3, two ulps; float32 models keep 1e-4.</summary>
    private const double Float16Tolerance = 2e-3;


    /// <summary>Runs one model on both engines and compares every output.</summary>
    private void Compare(string modelPath, Dictionary<string, Tensor> inputs, string label)
    {
        var actual = Run(OnnxImporter.Load(modelPath), inputs);
        var expected = OrtBridge.Run(File.ReadAllBytes(modelPath), inputs);
        CompareOutputs(expected, actual, label);
    }

    private static Dictionary<string, Tensor> Run(Model model, Dictionary<string, Tensor> inputs)
    {
        var session = new InferenceSession(model, new SessionOptions { InputShapes = inputs.ToDictionary(p => p.Key, p => p.Value.Shape) });
        return session.Run(inputs.ToDictionary(p => p.Key, p => (DataValue)p.Value)).ToDictionary(p => p.Key, p => (Tensor)p.Value);
    }

    private void CompareOutputs(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual, string label)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, reference) in expected)
        {
            double tolerance = reference.DataType == DataType.Float16 ? Float16Tolerance : Tolerance;
            var (diff, bound) = TensorAssert.Difference(reference, actual[name], tolerance);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} {name} {ShapeMath.Format(reference.Shape)}: max diff {diff:G3} (bound {bound:G3})"));
            Assert.True(diff <= bound, $"{label} output '{name}': max abs difference {diff:G4} exceeds {bound:G4}");
        }
    }

    [Theory]
    [InlineData(640, 640)]
    [InlineData(480, 800)]
    public void PaddleOcr_detection(int height, int width)
    {
        Compare(TestAssets.Model("ppocr-det"), RealModelInputs.Detection(width, height), $"det {height}x{width}");
    }

    [Fact]
    public void PaddleOcr_recognition_width_320()
    {
        Compare(TestAssets.Model("ppocr-rec"), RealModelInputs.TextLine(320), "rec 48x320");
    }

    [Fact]
    public void PaddleOcr_orientation_classifier()
    {
        Compare(TestAssets.Model("ppocr-cls"), RealModelInputs.TextLine(192), "cls");
    }

    [Theory]
    [InlineData("blazeface-front", 128)]
    [InlineData("blazeface-back", 256)]
    public void BlazeFace(string model, int size)
    {
        Compare(TestAssets.Model(model), RealModelInputs.BlazeFace(size), model);
    }

    /// <summary>The legacy model takes log(1e6 * |STFT| + eps) of near-silent frequency bins, which amplifies
    /// the rounding of the STFT convolution; the reference Conv sums in double, so the state stays within 5e-6
    /// of a float64 evaluation (<see cref="SileroLegacyPrecisionTests"/>) and within 1e-4 of ONNX Runtime.</summary>
    [Fact]
    public void Silero_vad_legacy_streams_frames_with_carried_state()
    {
        var path = TestAssets.Model("silero-vad-legacy");
        var model = OnnxImporter.Load(path);
        var bytes = File.ReadAllBytes(path);
        var (samples, rate) = WavFile.Read(TestAssets.Audio("speech_en_16k.wav"));
        Assert.Equal(16000, rate);
        var h = Tensor.Create([2, 1, 64], new float[128]);
        var c = Tensor.Create([2, 1, 64], new float[128]);
        foreach (int frame in Frames(samples.Length, 512))
        {
            var inputs = new Dictionary<string, Tensor>
            {
                ["input"] = Tensor.Create([1, 512], samples.AsSpan(frame * 512, 512).ToArray()),
                ["sr"] = Tensor.Scalar(16000L),
                ["h"] = h,
                ["c"] = c,
            };
            var actual = Run(model, inputs);
            var expected = OrtBridge.Run(bytes, inputs);
            CompareOutputs(expected, actual, $"vad legacy frame {frame}");
            (h, c) = (expected["hn"], expected["cn"]);
        }
    }

    [Fact]
    public void Silero_vad_v5_streams_frames_with_context_and_state()
    {
        var path = TestAssets.Model("silero-vad-v5");
        var model = OnnxImporter.Load(path);
        var bytes = File.ReadAllBytes(path);
        var (samples, _) = WavFile.Read(TestAssets.Audio("speech_en_16k.wav"));
        var state = Tensor.Create([2, 1, 128], new float[256]);
        var context = new float[64];
        foreach (int frame in Frames(samples.Length, 512))
        {
            var window = new float[576];
            context.CopyTo(window, 0);
            samples.AsSpan(frame * 512, 512).CopyTo(window.AsSpan(64));
            var inputs = new Dictionary<string, Tensor>
            {
                ["input"] = Tensor.Create([1, 576], window),
                ["state"] = state,
                ["sr"] = Tensor.Scalar(16000L),
            };
            var actual = Run(model, inputs);
            var expected = OrtBridge.Run(bytes, inputs);
            CompareOutputs(expected, actual, $"vad v5 frame {frame}");
            state = expected["stateN"];
            context = window[^64..];
        }
    }

    /// <summary>Frames spread over the clip: silence at the start, speech in the middle, the end.</summary>
    private static IEnumerable<int> Frames(int sampleCount, int frameLength)
    {
        int frames = sampleCount / frameLength;
        return Enumerable.Range(0, frames).Where(f => f < 4 || f % 8 == 0 || f >= frames - 2);
    }

    [Fact]
    public void SqueezeNet_fp16_matches_onnx_runtime_and_the_golden_output()
    {
        var path = TestAssets.File("models", "squeezenet", "squeezenet1.1_fp16.onnx");
        var values = ReadCsv(TestAssets.File("models", "squeezenet", "fish.csv"));
        Assert.Equal(3 * 224 * 224, values.Length);
        var input = Tensor.Create([1, 3, 224, 224], values.Select(v => (Half)v).ToArray());
        var inputs = new Dictionary<string, Tensor> { ["data_0"] = input };
        Compare(path, inputs, "squeezenet");
        var golden = File.ReadAllLines(TestAssets.File("models", "squeezenet", "Squeezenet_fp16_fish_input_CPU.csv")).Skip(1)
            .Select(line => float.Parse(line.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(1000, golden.Length);
        var probabilities = Run(OnnxImporter.Load(path), inputs)["softmaxout_1"].ToFloatArray();
        int top = Array.IndexOf(probabilities, probabilities.Max());
        Assert.Equal(0, top);
        Assert.Equal(golden[0], probabilities[0], 0.01f);
    }

    private static float[] ReadCsv(string path) =>
        File.ReadAllText(path).Split([',', '\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries)
            .Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
