using System.Diagnostics;
using Tessera.Core;
using Tessera.Media;
using Tessera.Models;
using Tessera.Quantization;
using Tessera.Runtime;

namespace Tessera.Apps.Ocr;

/// <summary>One line of text found in the image, in reading order.</summary>
/// <param name="Corners">Top-left, top-right, bottom-right, bottom-left in source-image pixels.</param>
/// <param name="Score">The recognizer's confidence (mean probability of the characters read).</param>
/// <param name="DetectionScore">The detector's mean text probability inside the box.</param>
/// <param name="Rotated">The orientation classifier judged the crop upside down and it was turned 180 degrees.</param>
public sealed record OcrLine(IReadOnlyList<PointF> Corners, string Text, double Score, double DetectionScore, bool Rotated);

/// <summary>Wall-clock milliseconds per stage of one image.</summary>
public sealed record OcrTimings(double DetectionPreprocess, double Detection, double DetectionDecode, double Crop, double Orientation, double Recognition)
{
    public double Total => DetectionPreprocess + Detection + DetectionDecode + Crop + Orientation + Recognition;
}

/// <summary>The lines read (in reading order), how many boxes the detector proposed, and the stage timings.</summary>
public sealed record OcrResult(int Width, int Height, IReadOnlyList<OcrLine> Lines, int DetectedBoxes, OcrTimings Timings)
{
    public string Text => string.Join("\n", Lines.Select(l => l.Text));
}

/// <summary>PaddleOCR's pipeline settings; the defaults are PaddleOCR's own.</summary>
public sealed record OcrSettings
{
    public TextDetectionSettings Detection { get; init; } = new();

    /// <summary>The detector's input is scaled down when its longer side exceeds this (then rounded to
    /// multiples of 32, which DB's down- and up-sampling need).</summary>
    public int DetectionLimitSide { get; init; } = 960;

    /// <summary>Run the orientation classifier and turn crops it reads as upside down.</summary>
    public bool UseOrientation { get; init; } = true;

    /// <summary>A crop is turned only when the classifier says "180" with at least this probability.</summary>
    public double OrientationThreshold { get; init; } = 0.9;

    /// <summary>Lines read with lower confidence are dropped (PaddleOCR's drop_score).</summary>
    public double DropScore { get; init; } = 0.5;

    /// <summary>The recognizer's input is padded to at least this width (PaddleOCR's 3x48x320 shape).</summary>
    public int RecognitionMinimumWidth { get; init; } = 320;
}

/// <summary>PP-OCRv4 end to end: DB text detection (ppocr-det), perspective crops, the 0/180 orientation
/// classifier (ppocr-cls), SVTR recognition (ppocr-rec) with greedy CTC over ppocr_keys_v1.txt, and
/// reading order. Models come from the catalog (fetched and checksummed on first use).</summary>
public sealed class OcrPipeline
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
    private const int RecognitionHeight = 48;

    private readonly AppModel _detector;
    private readonly AppModel _recognizer;
    private readonly ImageClassifier? _orientation;
    private readonly CtcDecoder _decoder;
    private readonly int? _fixedRecognitionWidth;

    /// <param name="npu">On the npu backend: the configuration and the page images the three models are
    /// calibrated on (the detector on the pages, the classifier and recognizer on the text lines found in them).</param>
    public OcrPipeline(string backend = "reference", OcrSettings? settings = null, NpuTarget? npu = null)
    {
        AppBackend.CheckNpu(backend, npu);
        Settings = settings ?? new OcrSettings();
        var lines = new Lazy<List<(string, RgbImage)>>(() => OcrCalibration.Lines(npu!, Settings));
        _detector = AppBackend.Open("ppocr-det", backend, npu, (m, t) => NpuAppModel.Create("ppocr-det", m, t, _ => AppBackend.CalibrationImages(t)
            .Select(p => OcrCalibration.Sample(m, DetectionInput(p.Image, Settings.DetectionLimitSide).Input, p.File))));
        _recognizer = AppBackend.Open("ppocr-rec", backend, npu, (m, t) => NpuAppModel.Create("ppocr-rec", m, t, _ => lines.Value
            .Select(p => OcrCalibration.Sample(m, RecognitionInput(p.Item2, null, Settings.RecognitionMinimumWidth), p.Item1)), method: CalibrationMethod.Mse));
        if (Settings.UseOrientation) _orientation = new ImageClassifier("ppocr-cls", ["0", "180"], ClassifierPreprocessing.PaddleText, backend, npu, _ => lines.Value);
        _decoder = CtcDecoder.FromDictionary(ModelStore.Default.Get("ppocr-keys"));
        if (_recognizer.Inputs[0].Type is TensorType { Shape: { Rank: 4 } shape } && shape[3].IsKnown) _fixedRecognitionWidth = (int)shape[3].Value;
    }

    public OcrSettings Settings { get; }

    /// <summary>The models as the pipeline runs them: detector, recognizer, then the orientation classifier when used.</summary>
    public IReadOnlyList<AppModel> Models => _orientation is null ? [_detector, _recognizer] : [_detector, _recognizer, _orientation.Model];

    public CtcDecoder Decoder => _decoder;

    public OcrResult Read(RgbImage image)
    {
        var clock = Stopwatch.StartNew();
        var (input, mapWidth, mapHeight) = DetectionInput(image, Settings.DetectionLimitSide);
        double preprocess = Lap(clock);
        var probability = AppBackend.Output(_detector.Run(new Dictionary<string, DataValue> { [_detector.Inputs[0].Name] = input }), _detector.Outputs[0].Name);
        double detection = Lap(clock);
        if (probability.Length != mapWidth * mapHeight)
        {
            throw new ModelFormatException($"the detector gave {probability.Length} values for a {mapWidth}x{mapHeight} input", "ppocr-det", "use the catalog's ppocr-det");
        }
        var boxes = TextDetectionDecoder.Decode(probability.ToFloatArray(), mapWidth, mapHeight, image.Width, image.Height, Settings.Detection);
        double decode = Lap(clock);
        var crops = boxes.Select(b => PerspectiveCrop.Crop(image, b.Corners)).ToList();
        double crop = Lap(clock);
        var rotated = new bool[crops.Count];
        if (_orientation is not null)
        {
            for (int i = 0; i < crops.Count; i++)
            {
                var best = _orientation.Classify(crops[i], 1)[0];
                if (best.Label == "180" && best.Probability > Settings.OrientationThreshold)
                {
                    crops[i] = crops[i].Rotate180();
                    rotated[i] = true;
                }
            }
        }
        double orientation = Lap(clock);
        var lines = new List<OcrLine>();
        for (int i = 0; i < crops.Count; i++)
        {
            var read = Recognize(crops[i]);
            if (read.Score < Settings.DropScore || read.Text.Length == 0) continue;
            lines.Add(new OcrLine(boxes[i].Corners, read.Text, read.Score, boxes[i].Score, rotated[i]));
        }
        double recognition = Lap(clock);
        var ordered = ReadingOrder.Sort(lines, l => l.Corners);
        return new OcrResult(image.Width, image.Height, ordered, boxes.Count, new OcrTimings(preprocess, detection, decode, crop, orientation, recognition));
    }

    /// <summary>Reads one upright text-line image.</summary>
    public RecognizedText Recognize(RgbImage line)
    {
        var input = RecognitionInput(line, _fixedRecognitionWidth, Settings.RecognitionMinimumWidth);
        var output = AppBackend.Output(_recognizer.Run(new Dictionary<string, DataValue> { [_recognizer.Inputs[0].Name] = input }), _recognizer.Outputs[0].Name);
        if (output.Rank != 3 || output.Shape[2] != _decoder.ClassCount)
        {
            throw new ModelFormatException($"the recognizer's output {ShapeMath.Format(output.Shape)} does not have {_decoder.ClassCount} classes (blank, the dictionary, space)",
                "ppocr-rec", "use the catalog's ppocr-rec with ppocr-keys");
        }
        return _decoder.Decode(output.ToFloatArray(), output.Shape[1]);
    }

    /// <summary>PaddleOCR's DetResizeForTest ("max" mode) then ImageNet normalization, NCHW.</summary>
    public static (Tensor Input, int Width, int Height) DetectionInput(RgbImage image, int limitSide)
    {
        double ratio = Math.Max(image.Width, image.Height) > limitSide ? (double)limitSide / Math.Max(image.Width, image.Height) : 1;
        int width = Math.Max(32, (int)Math.Round(image.Width * ratio / 32) * 32);
        int height = Math.Max(32, (int)Math.Round(image.Height * ratio / 32) * 32);
        return (image.Resize(width, height).ToNchw(ImageNetMean, ImageNetStd), width, height);
    }

    /// <summary>Height 48, width 48 * aspect (rounded up) within the model's width, (x/255 - 0.5) / 0.5,
    /// zero padding (mid-grey after normalization) on the right up to the padded width.</summary>
    public static Tensor RecognitionInput(RgbImage line, int? fixedWidth, int minimumWidth)
    {
        int natural = Math.Max(1, (int)Math.Ceiling(RecognitionHeight * (double)line.Width / line.Height));
        int padded = fixedWidth ?? Math.Max(minimumWidth, natural);
        int width = Math.Min(natural, padded);
        var resized = line.Resize(width, RecognitionHeight).ToNchw([0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]).As<float>();
        var data = new float[3 * RecognitionHeight * padded];
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < RecognitionHeight; y++)
            {
                Array.Copy(resized, (c * RecognitionHeight + y) * width, data, (c * RecognitionHeight + y) * padded, width);
            }
        }
        return Tensor.Create([1, 3, RecognitionHeight, padded], data);
    }

    private static double Lap(Stopwatch clock)
    {
        double elapsed = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        return elapsed;
    }
}
