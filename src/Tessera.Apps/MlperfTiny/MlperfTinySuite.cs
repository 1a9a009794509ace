using Tessera.Apps.Kws;
using Tessera.Augment.Image;
using Tessera.Core;
using Tessera.Media;
using Tessera.TFLite.Schema;

namespace Tessera.Apps.MlperfTiny;

/// <summary>One MLPerf Tiny benchmark: its float and int8 reference models (the streaming wake-word model
/// ships int8 only), what its input is, and the v0.5 reference-board latency (Nucleo-L4R5ZI, Cortex-M4 at
/// 120 MHz) where MLPerf Tiny published one.</summary>
public sealed record MlperfTinyBenchmark(string Id, string Task, string? FloatFile, string Int8File, double? ReferenceBoardMilliseconds, bool IsClassifier, string InputDescription);

/// <summary>The MLPerf Tiny models and their real inputs, read from an assets folder laid out like the
/// repository's tests/assets: models/mlperf-tiny/*.tflite (with the anomaly-detection runner's log-mel data),
/// images/*.png|jpg and audio/*.wav.</summary>
public sealed class MlperfTinySuite
{
    /// <summary>The four benchmarks of MLPerf Tiny v0.5, then the streaming wake-word model.</summary>
    public static readonly IReadOnlyList<MlperfTinyBenchmark> Benchmarks =
    [
        new("kws", "keyword spotting (DS-CNN)", "kws_ref_model_float32.tflite", "kws_ref_model.tflite", 181.9, true, "49x10 MFCCs of 1 s windows of the test audio"),
        new("vww", "visual wake words (MobileNet 96x96)", "vww_96_float.tflite", "vww_96_int8.tflite", 600.5, true, "test images and seeded augmentations, RGB 96x96 in [0,1]"),
        new("ic", "image classification (ResNet-8, CIFAR-10)", "pretrainedResnet.tflite", "pretrainedResnet_quant.tflite", 704.3, true, "test images and seeded augmentations, RGB 32x32 in [0,255]"),
        new("ad", "anomaly detection (FC autoencoder)", "ad01_fp32.tflite", "ad01_int8.tflite", 10.05, false, "640-value windows of the runner's log-mel data"),
        new("ww", "streaming wake word (int8 only)", null, "str_ww_ref_model.tflite", null, true, "seeded random int8 features (its front end is not in Tessera)"),
    ];

    /// <summary>The first six images are the ones issue acceptance names (person / no person / cat).</summary>
    public static readonly IReadOnlyList<string> ImageNames = ["astronaut.png", "messi5.jpg", "coffee.png", "chelsea.png", "fruits.jpg", "squirrel_cls.jpg", "text.png", "imageTextN.png"];

    private const string ImageAugmentations = "flip:p=0.5, crop:scale=0.7..1:p=0.7, rotate:degrees=20:p=0.5, jitter:brightness=0.3:contrast=0.3:saturation=0.3:p=0.8, noise:sigma=0.02:p=0.3, blur:sigma=1:p=0.2";

    private const string AnomalyData = "normal_id_01_00000000_hist_librosa.bin";

    public MlperfTinySuite(string assetsFolder)
    {
        AssetsFolder = assetsFolder;
        ModelsFolder = Path.Combine(assetsFolder, "models", "mlperf-tiny");
        if (!Directory.Exists(ModelsFolder))
        {
            throw new InvalidInputException("no models/mlperf-tiny folder under the assets folder", assetsFolder,
                "give --assets the repository's tests/assets folder (it holds the MLPerf Tiny .tflite files)");
        }
    }

    public string AssetsFolder { get; }

    public string ModelsFolder { get; }

    /// <summary>The repository's tests/assets, searched upward from <paramref name="start"/> (null when absent).</summary>
    public static string? FindAssets(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "tests", "assets");
            if (Directory.Exists(Path.Combine(candidate, "models", "mlperf-tiny"))) return candidate;
        }
        return null;
    }

    public string ModelPath(string file)
    {
        string path = Path.Combine(ModelsFolder, file);
        if (!File.Exists(path)) throw new InvalidInputException($"MLPerf Tiny model {file} is missing", ModelsFolder, "copy the MLPerf Tiny reference models there");
        return path;
    }

    /// <summary>Quantization of a .tflite model's first input or output tensor.</summary>
    public TfLiteQuantization Quantization(string file, bool output)
    {
        var parsed = TfLiteModel.Parse(File.ReadAllBytes(ModelPath(file)), file);
        var subgraph = parsed.Subgraphs[0];
        int tensor = output ? subgraph.Outputs[0] : subgraph.Inputs[0];
        return subgraph.Tensors[tensor].Quantization
            ?? throw new UnsupportedException($"{file}'s {(output ? "output" : "input")} is not quantized", file, "give an int8 MLPerf Tiny model");
    }

    /// <summary><paramref name="count"/> real-valued inputs for <paramref name="benchmark"/> (null for the
    /// wake-word model, whose features Tessera cannot compute: use <see cref="Int8Inputs"/>).</summary>
    public List<Tensor>? FloatInputs(MlperfTinyBenchmark benchmark, int count) => benchmark.Id switch
    {
        "kws" => KeywordFeatures(count),
        "vww" => AugmentedImages(96, 1f / 255, count),
        "ic" => AugmentedImages(32, 1f, count),
        "ad" => AnomalyWindows(count),
        _ => null,
    };

    /// <summary>The int8 model's inputs: the real inputs quantized with the model's input parameters, or
    /// seeded random int8 values where there are none.</summary>
    public List<Tensor> Int8Inputs(MlperfTinyBenchmark benchmark, int count)
    {
        var q = Quantization(benchmark.Int8File, output: false);
        if (FloatInputs(benchmark, count) is { } real) return real.Select(t => Quantize(t, q)).ToList();
        int[] shape = [1, 30, 1, 40];
        var random = new Random(30);
        return Enumerable.Range(0, count).Select(_ =>
            Tensor.Create(shape, Enumerable.Range(0, shape.Aggregate(1, (a, d) => a * d)).Select(_ => (sbyte)random.Next(-128, 128)).ToArray())).ToList();
    }

    /// <summary>round(real / scale) + zero point, ties away from zero (TFLite's rounding), saturated to int8.</summary>
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

    /// <summary>(q - zero point) x scale of an int8 output.</summary>
    public static float[] Dequantize(Tensor quantized, TfLiteQuantization q)
    {
        var values = quantized.As<sbyte>();
        var result = new float[values.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (float)((values[i] - q.ZeroPoint[0]) * (double)q.Scale[0]);
        return result;
    }

    /// <summary>[1,49,10,1] MFCCs of 1 s windows (100 ms hop) over every wav of the audio folder, evenly picked.</summary>
    public List<Tensor> KeywordFeatures(int count)
    {
        var frontEnd = new MfccFrontEnd();
        var s = frontEnd.Settings;
        var clips = new List<float[]>();
        string audio = Path.Combine(AssetsFolder, "audio");
        var files = Directory.Exists(audio) ? Directory.GetFiles(audio, "*.wav").Order(StringComparer.Ordinal).ToArray() : [];
        if (files.Length == 0) throw new InvalidInputException("no .wav file in the audio folder", audio, "give --assets a folder with audio/*.wav");
        foreach (var path in files)
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
    public List<Tensor> AugmentedImages(int size, float scale, int count)
    {
        var pipeline = ImageOperations.Catalog.Parse(ImageAugmentations);
        var originals = ImageNames.Select(name => RgbImage.Load(ImagePath(name))).ToList();
        var result = originals.Select(image => ImageNhwc(image, size, scale)).ToList();
        for (int k = 0; result.Count < count; k++)
        {
            var augmented = pipeline.Apply(originals[k % originals.Count], new Random(1000 + k)).Output;
            result.Add(ImageNhwc(augmented, size, scale));
        }
        return result.Take(count).ToList();
    }

    public string ImagePath(string name)
    {
        string path = Path.Combine(AssetsFolder, "images", name);
        if (!File.Exists(path)) throw new InvalidInputException($"test image {name} is missing", Path.GetDirectoryName(path)!, "give --assets the repository's tests/assets folder");
        return path;
    }

    /// <summary>640-value windows (five 128-band frames) of the runner's 25600 log-mel values, 384 values apart;
    /// seeded random windows in the same range beyond the file's 65 windows.</summary>
    public List<Tensor> AnomalyWindows(int count)
    {
        var bytes = File.ReadAllBytes(ModelPath(AnomalyData));
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, values.Length * 4);
        const int Width = 640, Step = 384;
        int windows = values.Length < Width ? 0 : (values.Length - Width) / Step + 1;
        var result = Enumerable.Range(0, Math.Min(count, windows)).Select(w => Tensor.Create([1, Width], values.AsSpan(w * Step, Width).ToArray())).ToList();
        var random = new Random(640);
        while (result.Count < count) result.Add(Tensor.Create([1, Width], Enumerable.Range(0, Width).Select(_ => (float)(random.NextDouble() * -60)).ToArray()));
        return result;
    }

    /// <summary>float32 [1,H,W,3] in TFLite's NHWC order, each channel value times <paramref name="scale"/>.
    /// The whole image is squeezed to a square by area averaging: these models see 32 or 96 pixels, and a
    /// plain bilinear resize from hundreds of pixels aliases badly (it reads only 4 source pixels per output).</summary>
    public static Tensor ImageNhwc(RgbImage pixels, int size, float scale)
    {
        int width = pixels.Width, height = pixels.Height;
        var data = new float[size * size * 3];
        for (int y = 0; y < size; y++)
        {
            int y0 = y * height / size, y1 = Math.Max((y + 1) * height / size, y0 + 1);
            for (int x = 0; x < size; x++)
            {
                int x0 = x * width / size, x1 = Math.Max((x + 1) * width / size, x0 + 1);
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    for (int sy = y0; sy < y1; sy++) for (int sx = x0; sx < x1; sx++) sum += pixels.Pixels[(sy * pixels.Width + sx) * 3 + c];
                    data[(y * size + x) * 3 + c] = (float)(sum / ((y1 - y0) * (x1 - x0))) * scale;
                }
            }
        }
        return Tensor.Create([1, size, size, 3], data);
    }

    private static IEnumerable<T> Spread<T>(List<T> items, int count)
    {
        if (items.Count <= count) return items;
        return Enumerable.Range(0, count).Select(i => items[(int)((long)i * items.Count / count)]);
    }
}
