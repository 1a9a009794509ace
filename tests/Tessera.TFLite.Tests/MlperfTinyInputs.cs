using Tessera.Apps.Kws;
using Tessera.Augment.Image;
using Tessera.Core;
using Tessera.Media;
using Tessera.TFLite.Schema;
using Tessera.Testing;

namespace Tessera.TFLite.Tests;

/// <summary>Inputs for the int8 MLPerf Tiny models, quantized with each model's own input parameters: MFCC
/// windows of the test wavs for keyword spotting, the test images and seeded augmentations of them for the
/// image models, windows of the runner's log-mel data for anomaly detection, and seeded random int8 values
/// for the streaming wake-word model (its front end is not part of Tessera).</summary>
internal static class MlperfTinyInputs
{
    /// <summary>The six photos the acceptance checks name first, then the other test images.</summary>
    public static readonly string[] Images = ["astronaut.png", "messi5.jpg", "coffee.png", "chelsea.png", "fruits.jpg", "squirrel_cls.jpg", "text.png", "imageTextN.png"];

    private const string Augmentations = "flip:p=0.5, crop:scale=0.7..1:p=0.7, rotate:degrees=20:p=0.5, jitter:brightness=0.3:contrast=0.3:saturation=0.3:p=0.8, noise:sigma=0.02:p=0.3, blur:sigma=1:p=0.2";

    public static TfLiteQuantization InputQuantization(string file)
    {
        var parsed = TfLiteModel.Parse(File.ReadAllBytes(MlperfTinyModels.Path(file)), file);
        var subgraph = parsed.Subgraphs[0];
        return subgraph.Tensors[subgraph.Inputs[0]].Quantization ?? throw new InvalidOperationException($"{file} has an unquantized input");
    }

    public static List<Tensor> Int8(string file, int count)
    {
        var q = InputQuantization(file);
        var real = file switch
        {
            "kws_ref_model.tflite" => KeywordFeatures(count),
            "vww_96_int8.tflite" => AugmentedImages(96, 1f / 255, count),
            "pretrainedResnet_quant.tflite" => AugmentedImages(32, 1f, count),
            "ad01_int8.tflite" => AnomalyWindows(count),
            _ => null,
        };
        if (real is not null) return real.Select(t => Quantize(t, q)).ToList();
        var shape = file == "str_ww_ref_model.tflite" ? new[] { 1, 30, 1, 40 } : throw new ArgumentException($"no inputs for {file}", nameof(file));
        var random = new Random(30);
        return Enumerable.Range(0, count).Select(_ =>
            Tensor.Create(shape, Enumerable.Range(0, shape.Aggregate(1, (a, d) => a * d)).Select(_ => (sbyte)random.Next(-128, 128)).ToArray())).ToList();
    }

    /// <summary>round(real / scale) + zero point, ties away from zero (TFLite's and Arm NN's rounding), saturated.</summary>
    public static Tensor Quantize(Tensor real, TfLiteQuantization q)
    {
        var values = real.ToFloatArray();
        var data = new sbyte[values.Length];
        for (int i = 0; i < data.Length; i++)
        {
            double v = Math.Round(values[i] / (double)q.Scale[0], MidpointRounding.AwayFromZero) + q.ZeroPoint[0];
            data[i] = (sbyte)Math.Clamp(v, sbyte.MinValue, sbyte.MaxValue);
        }
        return Tensor.Create((int[])real.Shape.Clone(), data);
    }

    /// <summary>[1,49,10,1] MFCCs of 1 s windows (100 ms hop) over every test wav, evenly picked.</summary>
    public static List<Tensor> KeywordFeatures(int count)
    {
        var frontEnd = new MfccFrontEnd();
        var s = frontEnd.Settings;
        var clips = new List<float[]>();
        foreach (var path in Directory.GetFiles(Path.Combine(TestAssets.Folder, "audio"), "*.wav").Order(StringComparer.Ordinal))
        {
            var samples = WaveAudio.Read(path).Resample(s.SampleRate).Samples;
            int hop = s.SampleRate / 10;
            for (int start = 0; start == 0 || start + s.ClipSamples <= samples.Length; start += hop)
            {
                clips.Add(samples.AsSpan(start, Math.Min(s.ClipSamples, samples.Length - start)).ToArray());
            }
        }
        return Spread(clips, count).Select(c => Tensor.Create([1, s.Frames, s.Coefficients, 1], frontEnd.Compute(c))).ToList();
    }

    /// <summary>Each test image as it is, then seeded augmented variants, squeezed to size x size.</summary>
    public static List<Tensor> AugmentedImages(int size, float scale, int count)
    {
        var pipeline = ImageOperations.Catalog.Parse(Augmentations);
        var originals = Images.Select(name => RgbImage.Load(TestAssets.Image(name))).ToList();
        var result = originals.Select(image => MlperfTinyModels.ImageNhwc(image, size, scale)).ToList();
        for (int k = 0; result.Count < count; k++)
        {
            var augmented = pipeline.Apply(originals[k % originals.Count], new Random(1000 + k)).Output;
            result.Add(MlperfTinyModels.ImageNhwc(augmented, size, scale));
        }
        return result.Take(count).ToList();
    }

    /// <summary>640-value windows (five 128-band frames) of the runner's 25600 log-mel values, 384 values apart.</summary>
    public static List<Tensor> AnomalyWindows(int count)
    {
        var bytes = File.ReadAllBytes(MlperfTinyModels.Path("normal_id_01_00000000_hist_librosa.bin"));
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, values.Length * 4);
        const int Width = 640, Step = 384;
        int windows = (values.Length - Width) / Step + 1;
        var result = Enumerable.Range(0, Math.Min(count, windows)).Select(w => Tensor.Create([1, Width], values.AsSpan(w * Step, Width).ToArray())).ToList();
        var random = new Random(640);
        while (result.Count < count) result.Add(Tensor.Create([1, Width], Enumerable.Range(0, Width).Select(_ => (float)(random.NextDouble() * -60)).ToArray()));
        return result;
    }

    private static IEnumerable<T> Spread<T>(List<T> items, int count)
    {
        if (items.Count <= count) return items;
        return Enumerable.Range(0, count).Select(i => items[(int)((long)i * items.Count / count)]);
    }
}
