using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using StbImageSharp;
using Tessera.Core;
using Tessera.Models;
using Tessera.Runtime;

namespace Tessera.Cli;

/// <summary>`tessera demo`: the main job at this stage. Fetches the pinned models, runs PP-OCRv4 text
/// detection on a bundled page of printed text (or a given image) with the reference backend, and prints
/// what it found: text regions (connected components of the probability map) and the time taken.</summary>
internal static class DemoCommand
{
    private const float Threshold = 0.3f;

    public static Command Create()
    {
        var image = new Option<FileInfo?>("--image") { Description = "Image to detect text in (PNG/JPEG/BMP); default: a bundled page of text" };
        var size = new Option<int>("--size") { Description = "Longer side the image is resized to (multiple of 32)", DefaultValueFactory = _ => 640 };
        var command = new Command("demo", "Fetch the models and run PP-OCRv4 text detection on a sample image") { image, size };
        command.SetAction(parse =>
        {
            int longSide = parse.GetValue(size);
            if (longSide < 32 || longSide % 32 != 0 || longSide > 4096)
            {
                throw new InvalidInputException($"--size {longSide} is not a multiple of 32 between 32 and 4096", "--size");
            }
            var file = parse.GetValue(image);
            var decoded = Decode(file);
            var modelPath = ModelStore.Default.Get("ppocr-det");
            var model = Onnx.OnnxImporter.Load(modelPath);
            var input = Preprocess(decoded, longSide);
            var clock = Stopwatch.StartNew();
            var session = new InferenceSession(model, new SessionOptions { InputShapes = new Dictionary<string, int[]> { ["x"] = input.Shape } });
            var result = (Tensor)session.Run(new Dictionary<string, DataValue> { ["x"] = input }).Values.First();
            double seconds = clock.Elapsed.TotalSeconds;
            var regions = TextRegions(result);
            var table = new Table().AddColumns("model", "input", "backend", "time", "text pixels", "text regions");
            table.AddRow("PP-OCRv4 det", Markup.Escape(ShapeMath.Format(input.Shape)), "reference",
                seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s",
                (regions.TextFraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %",
                regions.Count.ToString(CultureInfo.InvariantCulture));
            AnsiConsole.MarkupLine($"image: {Markup.Escape(file?.FullName ?? "bundled sample (imageTextN.png)")} ({decoded.Width}x{decoded.Height})");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static ImageResult Decode(FileInfo? file)
    {
        try
        {
            if (file is null)
            {
                using var sample = typeof(DemoCommand).Assembly.GetManifestResourceStream("Tessera.Cli.Samples.imageTextN.png")!;
                return ImageResult.FromStream(sample, ColorComponents.RedGreenBlue);
            }
            if (!file.Exists) throw new TesseraException("image not found", file.FullName, "check the path");
            using var stream = file.OpenRead();
            return ImageResult.FromStream(stream, ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            throw new InvalidInputException($"cannot decode the image ({e.Message})", file?.FullName ?? "sample", "give a PNG, JPEG or BMP file");
        }
    }

    /// <summary>Resize (nearest) so the longer side is <paramref name="longSide"/> and both sides are
    /// multiples of 32, then normalize with the ImageNet mean and deviation PaddleOCR uses.</summary>
    private static Tensor Preprocess(ImageResult image, int longSide)
    {
        double scale = (double)longSide / Math.Max(image.Width, image.Height);
        int width = Math.Max(32, (int)Math.Round(image.Width * scale / 32) * 32);
        int height = Math.Max(32, (int)Math.Round(image.Height * scale / 32) * 32);
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var data = new float[3 * width * height];
        for (int y = 0; y < height; y++)
        {
            int sy = Math.Min(image.Height - 1, (int)(y * (double)image.Height / height));
            for (int x = 0; x < width; x++)
            {
                int sx = Math.Min(image.Width - 1, (int)(x * (double)image.Width / width));
                for (int c = 0; c < 3; c++)
                {
                    data[(c * height + y) * width + x] = (image.Data[(sy * image.Width + sx) * 3 + c] / 255f - mean[c]) / std[c];
                }
            }
        }
        return Tensor.Create([1, 3, height, width], data);
    }

    /// <summary>Connected components (4-neighbour) of the thresholded probability map, ignoring specks.</summary>
    private static (int Count, double TextFraction) TextRegions(Tensor probabilities)
    {
        int height = probabilities.Shape[2], width = probabilities.Shape[3];
        var p = probabilities.ToFloatArray(copy: false);
        var seen = new bool[p.Length];
        int regions = 0, text = 0;
        var stack = new Stack<int>();
        for (int start = 0; start < p.Length; start++)
        {
            if (p[start] < Threshold) continue;
            text++;
            if (seen[start]) continue;
            int size = 0;
            seen[start] = true;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop();
                size++;
                int y = i / width, x = i % width;
                foreach (int n in (ReadOnlySpan<int>)[x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, y > 0 ? i - width : -1, y < height - 1 ? i + width : -1])
                {
                    if (n >= 0 && !seen[n] && p[n] >= Threshold)
                    {
                        seen[n] = true;
                        stack.Push(n);
                    }
                }
            }
            if (size >= 10) regions++;
        }
        return (regions, (double)text / p.Length);
    }
}
