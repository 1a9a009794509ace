using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tessera.Media;
using Tessera.Apps;

namespace Tessera.Cli;

/// <summary>`tessera app faces|vad|classify|ocr` (ocr in OcrCommand.cs): the applications of Tessera.Apps on an image or a WAV file.
/// Each prints a human table, or with --json one JSON document on stdout (for scripts and tests).</summary>
internal static class AppCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var command = new Command("app", "Run an application (face detection, voice activity detection, classification, OCR) end to end");
        command.Subcommands.Add(Faces());
        command.Subcommands.Add(Vad());
        command.Subcommands.Add(Classify());
        command.Subcommands.Add(OcrCommand.Create());
        command.Subcommands.Add(KwsCommand.Create());
        return command;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print the result as JSON on stdout" };

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static Command Faces()
    {
        var image = new Argument<string>("image") { Description = "Image file (PNG, JPEG, BMP)" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write a PNG with the boxes and keypoints drawn" };
        var model = new Option<string>("--model", "-m") { Description = "blazeface-front (close faces) or blazeface-back (small, distant faces)", DefaultValueFactory = _ => "blazeface-front" };
        var json = JsonOption();
        var command = new Command("faces", "Detect faces and their six keypoints with BlazeFace") { image, output, model, json };
        var backend = AppNpuOptions.Add(command);
        command.SetAction(parse =>
        {
            var variant = BlazeFaceVariant.Named(parse.GetValue(model)!);
            var picture = RgbImage.Load(parse.GetValue(image)!);
            var detector = backend.Open(parse, parse.GetValue(image)!, (b, npu) => new FaceDetector(variant, b, npu));
            var faces = detector.Detect(picture);
            if (parse.GetValue(output) is { } file) FaceDetector.Draw(picture, faces).SavePng(file.FullName);
            if (parse.GetValue(json))
            {
                var document = new
                {
                    model = variant.CatalogName,
                    npu = AppNpuOptions.Json([detector.Model]),
                    width = picture.Width,
                    height = picture.Height,
                    faces = faces.Select(f => new
                    {
                        left = f.Left, top = f.Top, right = f.Right, bottom = f.Bottom, score = f.Score,
                        keypoints = Face.KeypointNames.Select((name, k) => new { name, x = f.Keypoints[k].X, y = f.Keypoints[k].Y }),
                    }),
                };
                Console.Out.WriteLine(JsonSerializer.Serialize(document, Indented));
                return 0;
            }
            var table = new Table().AddColumns("face", "left", "top", "right", "bottom", "score", "eyes (right, left)", "mouth");
            for (int i = 0; i < faces.Count; i++)
            {
                var f = faces[i];
                string Point(PointF p) => $"{Number(p.X)},{Number(p.Y)}";
                table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), Number(f.Left), Number(f.Top), Number(f.Right), Number(f.Bottom),
                    Number(f.Score), $"{Point(f.Keypoint("right_eye"))}  {Point(f.Keypoint("left_eye"))}", Point(f.Keypoint("mouth")));
            }
            AnsiConsole.MarkupLine($"{faces.Count} face(s) found by {variant.CatalogName}");
            if (faces.Count > 0) AnsiConsole.Write(table);
            AppNpuOptions.PrintUsage([detector.Model]);
            return 0;
        });
        return command;
    }

    private static Command Vad()
    {
        var audio = new Argument<string>("audio") { Description = "16-bit PCM WAV file (other rates are resampled to 16 kHz)" };
        var model = new Option<string>("--model", "-m") { Description = "silero-vad-v5 or silero-vad-legacy", DefaultValueFactory = _ => "silero-vad-v5" };
        var threshold = new Option<double>("--threshold") { Description = "Speech probability that starts a segment", DefaultValueFactory = _ => 0.5 };
        var offThreshold = new Option<double>("--off-threshold") { Description = "Probability below which a segment may end", DefaultValueFactory = _ => 0.35 };
        var minimumSpeech = new Option<int>("--min-speech-ms") { Description = "Shorter segments are dropped", DefaultValueFactory = _ => 250 };
        var minimumSilence = new Option<int>("--min-silence-ms") { Description = "Silence that ends a segment", DefaultValueFactory = _ => 300 };
        var json = JsonOption();
        var command = new Command("vad", "Find speech segments with Silero VAD (streaming 512-sample frames)")
        {
            audio, model, threshold, offThreshold, minimumSpeech, minimumSilence, json,
        };
        var backend = AppNpuOptions.Add(command);
        command.SetAction(parse =>
        {
            var settings = new VadSettings
            {
                Threshold = parse.GetValue(threshold),
                OffThreshold = parse.GetValue(offThreshold),
                MinimumSpeechSeconds = parse.GetValue(minimumSpeech) / 1000.0,
                MinimumSilenceSeconds = parse.GetValue(minimumSilence) / 1000.0,
            };
            if (settings.OffThreshold > settings.Threshold)
            {
                throw new Core.InvalidInputException("--off-threshold is above --threshold", "--off-threshold", "the off threshold must not exceed the on threshold");
            }
            var wave = WaveAudio.Read(parse.GetValue(audio)!);
            var detector = backend.Open(parse, parse.GetValue(audio)!, (b, npu) => new VoiceActivityDetector(parse.GetValue(model)!, b, npu));
            var segments = parse.GetValue(json) || Console.IsOutputRedirected
                ? detector.Detect(wave, settings)
                : DetectWithProgress(detector, wave, settings);
            if (parse.GetValue(json))
            {
                var document = new
                {
                    model = detector.Model,
                    npu = AppNpuOptions.Json([detector.Runner]),
                    duration = wave.Duration,
                    sampleRate = wave.SampleRate,
                    segments = segments.Select(s => new { start = s.Start, end = s.End }),
                };
                Console.Out.WriteLine(JsonSerializer.Serialize(document, Indented));
                return 0;
            }
            AnsiConsole.MarkupLine($"{segments.Count} speech segment(s) in {Number(wave.Duration)} s ({detector.Model})");
            foreach (var s in segments) AnsiConsole.MarkupLine($"  {Number(s.Start),8} s - {Number(s.End),8} s  ({Number(s.Duration)} s)");
            AppNpuOptions.PrintUsage([detector.Runner]);
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<SpeechSegment> DetectWithProgress(VoiceActivityDetector detector, WaveAudio wave, VadSettings settings)
    {
        IReadOnlyList<SpeechSegment> segments = [];
        AnsiConsole.Progress().Start(context =>
        {
            var task = context.AddTask("frames");
            segments = detector.Detect(wave, settings, (done, total) =>
            {
                task.MaxValue = total;
                task.Value = done;
            });
        });
        return segments;
    }

    private static Command Classify()
    {
        var image = new Argument<string>("image") { Description = "Image file (PNG, JPEG, BMP)" };
        var model = new Option<string>("--model", "-m") { Description = "ONNX classifier (.onnx path or catalog name)", Required = true };
        var labels = new Option<FileInfo>("--labels", "-l") { Description = "Text file with one label per class, in the model's order", Required = true };
        var top = new Option<int>("--top", "-k") { Description = "How many classes to print", DefaultValueFactory = _ => 5 };
        var preprocessing = new Option<string>("--preprocess") { Description = "imagenet (224x224, ImageNet mean/std) or paddle-text (192x48, keep aspect)", DefaultValueFactory = _ => "imagenet" };
        var json = JsonOption();
        var command = new Command("classify", "Classify an image with any ONNX classifier") { image, model, labels, top, preprocessing, json };
        var backend = AppNpuOptions.Add(command);
        command.SetAction(parse =>
        {
            var steps = parse.GetValue(preprocessing)!.ToLowerInvariant() switch
            {
                "imagenet" => ClassifierPreprocessing.ImageNet,
                "paddle-text" => ClassifierPreprocessing.PaddleText,
                var other => throw new Core.InvalidInputException($"unknown preprocessing '{other}'", "--preprocess", "choose imagenet or paddle-text"),
            };
            var names = ImageClassifier.ReadLabels(parse.GetValue(labels)!.FullName);
            var classifier = backend.Open(parse, parse.GetValue(image)!, (b, npu) => new ImageClassifier(parse.GetValue(model)!, names, steps, b, npu));
            var predictions = classifier.Classify(RgbImage.Load(parse.GetValue(image)!), parse.GetValue(top));
            if (parse.GetValue(json))
            {
                var document = predictions.Select(p => new { index = p.Index, label = p.Label, probability = p.Probability });
                Console.Out.WriteLine(JsonSerializer.Serialize(document, Indented));
                return 0;
            }
            var table = new Table().AddColumns("rank", "class", "label", "probability");
            for (int i = 0; i < predictions.Count; i++)
            {
                var p = predictions[i];
                table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), p.Index.ToString(CultureInfo.InvariantCulture), Markup.Escape(p.Label), Number(p.Probability));
            }
            AnsiConsole.Write(table);
            AppNpuOptions.PrintUsage([classifier.Model]);
            return 0;
        });
        return command;
    }
}
