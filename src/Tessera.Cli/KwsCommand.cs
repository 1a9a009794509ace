using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tessera.Apps;
using Tessera.Apps.Kws;
using Tessera.Core;
using Tessera.Media;

namespace Tessera.Cli;

/// <summary>`tessera app kws AUDIO.wav`: keyword spotting with MLPerf Tiny's DS-CNN over sliding 1 s windows.</summary>
internal static class KwsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    public static Command Create()
    {
        var audio = new Argument<string>("audio") { Description = "16-bit PCM WAV file (other rates are resampled to 16 kHz)" };
        var model = new Option<string?>("--model", "-m") { Description = "A 12-class DS-CNN .tflite (default: MLPerf Tiny's float reference model, built in)" };
        var hop = new Option<int>("--hop-ms") { Description = "Step between 1 s windows", DefaultValueFactory = _ => 100 };
        var smoothing = new Option<int>("--smoothing") { Description = "Windows averaged before deciding", DefaultValueFactory = _ => 3 };
        var threshold = new Option<double>("--threshold") { Description = "Smoothed probability that reports a keyword", DefaultValueFactory = _ => 0.5 };
        var backend = new Option<string>("--backend", "-b") { Description = "Backend: reference or cpu (keyword spotting does not run on the npu yet)", DefaultValueFactory = _ => "reference" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON on stdout" };
        var command = new Command("kws", "Spot the ten Speech Commands keywords (MLPerf Tiny DS-CNN on 49x10 MFCCs)")
        {
            audio, model, hop, smoothing, threshold, backend, json,
        };
        command.SetAction(parse =>
        {
            var settings = new KeywordSettings
            {
                HopSeconds = parse.GetValue(hop) / 1000.0,
                SmoothingWindows = parse.GetValue(smoothing),
                Threshold = parse.GetValue(threshold),
            };
            if (settings.HopSeconds <= 0) throw new InvalidInputException("--hop-ms must be positive", "--hop-ms", "give a step such as 100");
            if (settings.SmoothingWindows < 1) throw new InvalidInputException("--smoothing must be at least 1", "--smoothing", "give 1 for no smoothing");
            if (settings.Threshold is < 0 or > 1) throw new InvalidInputException("--threshold must lie in [0, 1]", "--threshold", "give a probability such as 0.5");
            var wave = WaveAudio.Read(parse.GetValue(audio)!);
            var spotter = new KeywordSpotter(parse.GetValue(model), parse.GetValue(backend)!);
            var windows = spotter.Windows(wave, settings);
            var detections = KeywordSpotter.Detect(windows, settings);
            if (parse.GetValue(json))
            {
                var document = new
                {
                    model = spotter.ModelName,
                    duration = wave.Duration,
                    labels = KeywordSpotter.Labels,
                    keywords = detections.Select(d => new { label = d.Label, time = d.Time, score = d.Score }),
                    windows = windows.Select(w => new
                    {
                        start = w.Start,
                        label = KeywordSpotter.Labels[w.Best],
                        smoothedLabel = KeywordSpotter.Labels[w.SmoothedBest],
                        probabilities = w.Probabilities,
                    }),
                };
                Console.Out.WriteLine(JsonSerializer.Serialize(document, Indented));
                return 0;
            }
            AnsiConsole.MarkupLine($"{detections.Count} keyword(s) in {Number(wave.Duration)} s ({Markup.Escape(spotter.ModelName)}, {windows.Count} window(s))");
            foreach (var d in detections) AnsiConsole.MarkupLine($"  {Number(d.Time),6} s  {d.Label,-8} {Number(d.Score)}");
            if (detections.Count == 0 && windows.Count > 0)
            {
                var loudest = windows.MaxBy(w => w.Smoothed[w.SmoothedBest])!;
                AnsiConsole.MarkupLine($"  most confident window: {Number(loudest.Start)} s, {KeywordSpotter.Labels[loudest.SmoothedBest]} {Number(loudest.Smoothed[loudest.SmoothedBest])}");
            }
            return 0;
        });
        return command;
    }
}
