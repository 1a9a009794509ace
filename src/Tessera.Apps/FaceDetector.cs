using Tessera.Media;
using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Apps;

/// <summary>A point in source-image pixels.</summary>
public readonly record struct PointF(double X, double Y);

/// <summary>One detected face in source-image pixels. Keypoints follow MediaPipe's order:
/// right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion (subject's sides).</summary>
public sealed record Face(double Left, double Top, double Right, double Bottom, double Score, IReadOnlyList<PointF> Keypoints)
{
    public static readonly IReadOnlyList<string> KeypointNames = ["right_eye", "left_eye", "nose", "mouth", "right_ear", "left_ear"];

    public PointF Keypoint(string name) => Keypoints[KeypointNames.ToList().IndexOf(name)];

    public bool Contains(PointF point) => point.X >= Left && point.X <= Right && point.Y >= Top && point.Y <= Bottom;

    public double Area => Math.Max(0, Right - Left) * Math.Max(0, Bottom - Top);

    public double IntersectionOverUnion(Face other)
    {
        double width = Math.Min(Right, other.Right) - Math.Max(Left, other.Left);
        double height = Math.Min(Bottom, other.Bottom) - Math.Max(Top, other.Top);
        if (width <= 0 || height <= 0) return 0;
        double intersection = width * height;
        return intersection / (Area + other.Area - intersection);
    }
}

/// <summary>The two BlazeFace variants: the short-range front-camera model (128x128) and the full-range
/// back-camera model (256x256). Both use 896 anchors in the same normalized layout.</summary>
public sealed record BlazeFaceVariant(string CatalogName, int InputSize, double ScoreThreshold)
{
    public static readonly BlazeFaceVariant Front = new("blazeface-front", 128, 0.75);

    // MediaPipe's full-range graph uses a lower threshold: its faces are smaller and its scores lower.
    public static readonly BlazeFaceVariant Back = new("blazeface-back", 256, 0.65);

    public static BlazeFaceVariant Named(string name) => name.ToLowerInvariant() switch
    {
        "blazeface-front" or "front" => Front,
        "blazeface-back" or "back" => Back,
        _ => throw new InvalidInputException($"unknown face model '{name}'", "--model", "choose blazeface-front or blazeface-back"),
    };
}

/// <summary>BlazeFace face detection: letterbox to a square, scale to [-1, 1] NHWC, run the model, decode
/// the 16 regressors per anchor (box centre and size, six keypoints), keep sigmoid scores above the
/// threshold and merge overlapping boxes with MediaPipe's weighted non-maximum suppression.</summary>
public sealed class FaceDetector
{
    public const double SuppressionOverlap = 0.3;

    // MediaPipe clips raw scores before the sigmoid so exp never overflows.
    private const double ScoreClip = 100;

    private readonly AppModel _session;
    private readonly string _inputName;

    /// <param name="npu">On the npu backend: the configuration and the images the model is calibrated on
    /// (letterboxed as <see cref="Input"/> does).</param>
    public FaceDetector(BlazeFaceVariant variant, string backend = "reference", NpuTarget? npu = null)
        : this(variant, AppBackend.Open(variant.CatalogName, backend, npu, (m, t) => ForNpu(variant, m, t)))
    {
    }

    /// <summary>Runs <paramref name="model"/> in place of the catalog model, e.g. its int8 QDQ version written
    /// by the quantizer; it must take and give what the <paramref name="variant"/> does.</summary>
    public FaceDetector(BlazeFaceVariant variant, Model model, string backend = "reference", NpuTarget? npu = null)
        : this(variant, AppBackend.Open(model, backend, npu, (m, t) => ForNpu(variant, m, t)))
    {
    }

    private FaceDetector(BlazeFaceVariant variant, AppModel session)
    {
        Variant = variant;
        _session = session;
        _inputName = _session.Inputs[0].Name;
        Anchors = CreateAnchors();
    }

    public BlazeFaceVariant Variant { get; }

    /// <summary>The model as the detector runs it (an <see cref="NpuAppModel"/> on the npu backend).</summary>
    public AppModel Model => _session;

    private static NpuAppModel ForNpu(BlazeFaceVariant variant, Model model, NpuTarget target)
    {
        string input = model.Graph.Inputs.First(v => v.Constant is null).Name;
        return NpuAppModel.Create(variant.CatalogName, model, target, _ => AppBackend.CalibrationImages(target)
            .Select(p => new Quantization.CalibrationSample(new Dictionary<string, Tensor> { [input] = Input(variant, p.Image) }, true, p.File)));
    }

    /// <summary>The model's input for <paramref name="image"/>: letterboxed to a square, resized, NHWC in [-1, 1].</summary>
    public static Tensor Input(BlazeFaceVariant variant, RgbImage image) =>
        image.PadToSquare().Square.Resize(variant.InputSize, variant.InputSize).ToNhwcSigned();

    /// <summary>Anchor centres in [0, 1], in the order of the model's outputs: a 16x16 grid with 2 anchors
    /// per cell, then an 8x8 grid with 6 per cell (MediaPipe's SSD anchor options with fixed anchor size 1).</summary>
    public IReadOnlyList<PointF> Anchors { get; }

    public static IReadOnlyList<PointF> CreateAnchors()
    {
        var anchors = new List<PointF>(896);
        foreach (var (grid, perCell) in new[] { (16, 2), (8, 6) })
        {
            for (int y = 0; y < grid; y++)
            {
                for (int x = 0; x < grid; x++)
                {
                    for (int k = 0; k < perCell; k++) anchors.Add(new PointF((x + 0.5) / grid, (y + 0.5) / grid));
                }
            }
        }
        return anchors;
    }

    public IReadOnlyList<Face> Detect(RgbImage image) =>
        WeightedSuppression(Candidates(image).Where(f => f.Score >= Variant.ScoreThreshold), SuppressionOverlap);

    /// <summary>Every anchor's decoded box, keypoints and score in source-image pixels, in anchor order, before
    /// the score threshold and suppression (for comparing two models anchor by anchor).</summary>
    public IReadOnlyList<Face> Candidates(RgbImage image)
    {
        var (square, padLeft, padTop) = image.PadToSquare();
        var input = Input(Variant, image);
        var outputs = _session.Run(new Dictionary<string, DataValue> { [_inputName] = input });
        // Outputs are the two heads (16x16 grid, 8x8 grid): scores [1,N,1] and regressors [1,N,16].
        var scores = Concatenate(outputs, 1);
        var regressors = Concatenate(outputs, 16);
        if (scores.Length != Anchors.Count || regressors.Length != Anchors.Count * 16)
        {
            throw new ModelFormatException($"expected {Anchors.Count} anchors, the model gave {scores.Length} scores", Variant.CatalogName,
                "use the BlazeFace models of the catalog");
        }
        var candidates = new List<Face>(Anchors.Count);
        double side = square.Width, size = Variant.InputSize;
        for (int i = 0; i < Anchors.Count; i++)
        {
            double score = 1 / (1 + Math.Exp(-Math.Clamp(scores[i], -ScoreClip, ScoreClip)));
            var anchor = Anchors[i];
            int r = i * 16;
            double centerX = regressors[r] / size + anchor.X, centerY = regressors[r + 1] / size + anchor.Y;
            double width = regressors[r + 2] / size, height = regressors[r + 3] / size;
            var keypoints = new PointF[6];
            for (int k = 0; k < 6; k++)
            {
                keypoints[k] = new PointF(
                    (regressors[r + 4 + 2 * k] / size + anchor.X) * side - padLeft,
                    (regressors[r + 5 + 2 * k] / size + anchor.Y) * side - padTop);
            }
            candidates.Add(new Face(
                (centerX - width / 2) * side - padLeft, (centerY - height / 2) * side - padTop,
                (centerX + width / 2) * side - padLeft, (centerY + height / 2) * side - padTop, score, keypoints));
        }
        return candidates;
    }

    /// <summary>Weighted non-maximum suppression (MediaPipe's WEIGHTED mode): the best remaining box and
    /// every box overlapping it by more than <paramref name="overlap"/> are averaged, weighted by score,
    /// into one detection that keeps the best score. Averaging steadies boxes that plain NMS would pick
    /// from a single anchor.</summary>
    public static IReadOnlyList<Face> WeightedSuppression(IEnumerable<Face> candidates, double overlap)
    {
        var remaining = candidates.OrderByDescending(f => f.Score).ToList();
        var result = new List<Face>();
        while (remaining.Count > 0)
        {
            var best = remaining[0];
            var cluster = remaining.Where(f => best.IntersectionOverUnion(f) > overlap || ReferenceEquals(f, best)).ToList();
            remaining = remaining.Except(cluster).ToList();
            double total = cluster.Sum(f => f.Score);
            double Mean(Func<Face, double> pick) => cluster.Sum(f => pick(f) * f.Score) / total;
            var keypoints = Enumerable.Range(0, best.Keypoints.Count)
                .Select(k => new PointF(Mean(f => f.Keypoints[k].X), Mean(f => f.Keypoints[k].Y))).ToArray();
            result.Add(new Face(Mean(f => f.Left), Mean(f => f.Top), Mean(f => f.Right), Mean(f => f.Bottom), best.Score, keypoints));
        }
        return result;
    }

    /// <summary>Joins the outputs whose last dimension is <paramref name="width"/> in output order (the
    /// 16x16 head first, as the anchors are), as float values.</summary>
    private float[] Concatenate(IReadOnlyDictionary<string, DataValue> outputs, int width)
    {
        var parts = _session.Outputs
            .Select(o => AppBackend.Output(outputs, o.Name))
            .Where(t => t.Rank == 3 && t.Shape[2] == width)
            .OrderByDescending(t => t.Shape[1])
            .ToList();
        return parts.SelectMany(t => t.As<float>()).ToArray();
    }

    /// <summary>Draws each face's box (green) and keypoints (red) on a copy of <paramref name="image"/>.</summary>
    public static RgbImage Draw(RgbImage image, IReadOnlyList<Face> faces)
    {
        var canvas = image.Clone();
        int thickness = Math.Max(2, Math.Min(image.Width, image.Height) / 200);
        foreach (var face in faces)
        {
            canvas.DrawRectangle(face.Left, face.Top, face.Right, face.Bottom, (0, 255, 0), thickness);
            foreach (var point in face.Keypoints) canvas.DrawDot(point.X, point.Y, thickness + 1, (255, 0, 0));
        }
        return canvas;
    }
}
