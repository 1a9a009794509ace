using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tessera.Apps.Ocr;
using Tessera.Media;

namespace Tessera.Cli;

/// <summary>`tessera app ocr IMAGE`: PP-OCRv4 text detection, orientation and recognition. Prints the lines
/// in reading order with their scores, or with --json the boxes, text, scores and per-stage timings.</summary>
internal static class OcrCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "Image file (PNG, JPEG, BMP)" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write a PNG with each text line's box drawn" };
        var noOrientation = new Option<bool>("--no-orientation") { Description = "Skip the 0/180 degree orientation classifier" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON on stdout" };
        var command = new Command("ocr", "Read printed text with PP-OCRv4 (detection, orientation, recognition)") { image, output, noOrientation, json };
        var backend = AppNpuOptions.Add(command);
        command.SetAction(parse =>
        {
            // Checked before the image and the models are touched, so a wrong flag fails at once.
            Apps.AppBackend.Check(parse.GetValue(backend.Backend)!);
            var picture = RgbImage.Load(parse.GetValue(image)!);
            var settings = new OcrSettings { UseOrientation = !parse.GetValue(noOrientation) };
            var pipeline = backend.Open(parse, parse.GetValue(image)!, (b, npu) => new OcrPipeline(b, settings, npu));
            var result = pipeline.Read(picture);
            if (parse.GetValue(output) is { } file) ReadingOrder.Draw(picture, result.Lines).SavePng(file.FullName);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(Document(result, AppNpuOptions.Json(pipeline.Models)), Indented));
                return 0;
            }
            var table = new Table().AddColumns("line", "text", "score", "box score");
            for (int i = 0; i < result.Lines.Count; i++)
            {
                var line = result.Lines[i];
                table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(line.Text) + (line.Rotated ? " (turned 180)" : ""),
                    Number(line.Score), Number(line.DetectionScore));
            }
            AnsiConsole.MarkupLine($"{result.Lines.Count} line(s) read from {result.DetectedBoxes} detected box(es)");
            if (result.Lines.Count > 0) AnsiConsole.Write(table);
            var t = result.Timings;
            AnsiConsole.MarkupLine($"time ms: detection {Number(t.DetectionPreprocess + t.Detection + t.DetectionDecode)}, crops {Number(t.Crop)}, " +
                $"orientation {Number(t.Orientation)}, recognition {Number(t.Recognition)}, total {Number(t.Total)}");
            AppNpuOptions.PrintUsage(pipeline.Models);
            return 0;
        });
        return command;
    }

    private static object Document(OcrResult result, object? npu) => new
    {
        npu,
        width = result.Width,
        height = result.Height,
        detectedBoxes = result.DetectedBoxes,
        text = result.Text,
        lines = result.Lines.Select(l => new
        {
            text = l.Text,
            score = l.Score,
            detectionScore = l.DetectionScore,
            rotated = l.Rotated,
            box = l.Corners.Select(p => new[] { p.X, p.Y }),
        }),
        timingsMs = new
        {
            detectionPreprocess = result.Timings.DetectionPreprocess,
            detection = result.Timings.Detection,
            detectionDecode = result.Timings.DetectionDecode,
            crop = result.Timings.Crop,
            orientation = result.Timings.Orientation,
            recognition = result.Timings.Recognition,
            total = result.Timings.Total,
        },
    };
}
