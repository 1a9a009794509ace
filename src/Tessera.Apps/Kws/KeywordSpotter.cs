using Tessera.Core;
using Tessera.Media;
using Tessera.Runtime;
using Tessera.TFLite;

namespace Tessera.Apps.Kws;

/// <summary>The model's view of one 1 s window: its start in the file, the probability of each label, and
/// the same probabilities averaged over the last few windows.</summary>
public sealed record KeywordWindow(double Start, float[] Probabilities, float[] Smoothed)
{
    public int Best => ArgMax(Probabilities);
    public int SmoothedBest => ArgMax(Smoothed);

    public static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}

/// <summary>A keyword heard at a time (the start of the window where its smoothed score peaked).</summary>
public sealed record KeywordDetection(string Label, double Time, double Score);

/// <summary>How windows are laid over a file and turned into detections.</summary>
public sealed record KeywordSettings
{
    /// <summary>Step between 1 s windows.</summary>
    public double HopSeconds { get; init; } = 0.1;

    /// <summary>Windows averaged for the smoothed scores (3 x 0.1 s: one word's worth of neighbours).</summary>
    public int SmoothingWindows { get; init; } = 3;

    /// <summary>A keyword counts once its smoothed probability reaches this.</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>The same keyword is not reported again within this time (one word spans several windows).</summary>
    public double SuppressionSeconds { get; init; } = 0.5;
}

/// <summary>Keyword spotting with MLPerf Tiny's DS-CNN (12 classes): MFCCs of each 1 s window (49 x 10) go
/// through the float (hybrid) reference model on the chosen backend, or the int8 model on the integer executor;
/// probabilities are smoothed over a
/// few windows and a keyword is reported where its smoothed score crosses the threshold.</summary>
public sealed class KeywordSpotter
{
    /// <summary>The output order of the reference model: tensorflow_datasets' speech_commands label order,
    /// as listed in mlcommons/tiny's get_dataset.py (word_labels) and kws_model_settings.cc.</summary>
    public static readonly IReadOnlyList<string> Labels =
        ["down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "silence", "unknown"];

    /// <summary>The ten command words, in Speech Commands' usual reading order (not the model's order).</summary>
    public static readonly IReadOnlyList<string> Commands = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"];

    public const string EmbeddedModelName = "kws_ref_model_float32.tflite";

    private readonly InferenceSession? _session;
    private readonly QuantizedKeywordModel? _quantized;
    private readonly string _inputName = string.Empty;
    private readonly string _outputName = string.Empty;

    public KeywordSpotter(string? modelPath = null, string backend = "reference")
    {
        AppBackend.Check(backend);
        var model = modelPath is null ? TfLiteImporter.Load(EmbeddedModel(), EmbeddedModelName) : LoadFile(modelPath);
        ModelName = modelPath ?? EmbeddedModelName;
        if (TfLiteImporter.IsPreQuantized(model))
        {
            // An int8 model (MLPerf Tiny's kws_ref_model.tflite) runs on the integer reference executor.
            _quantized = new QuantizedKeywordModel(model, ModelName);
            return;
        }
        _session = AppBackend.Session(model, backend);
        if (_session.Inputs.Count != 1 || _session.Outputs.Count != 1)
        {
            throw new ModelFormatException($"a keyword model has one input and one output; this one has {_session.Inputs.Count} and {_session.Outputs.Count}",
                ModelName, "use MLPerf Tiny's kws_ref_model_float32.tflite");
        }
        _inputName = _session.Inputs[0].Name;
        _outputName = _session.Outputs[0].Name;
    }

    /// <summary>Whether the model is pre-quantized and runs on the integer executor.</summary>
    public bool IsQuantized => _quantized is not null;

    public string ModelName { get; }

    public MfccFrontEnd FrontEnd { get; } = new();

    private static Model LoadFile(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"model file '{path}' does not exist", "--model", "give a .tflite keyword-spotting model");
        if (!path.EndsWith(".tflite", StringComparison.OrdinalIgnoreCase))
        {
            throw new UnsupportedException($"'{path}' is not a .tflite file", "--model", "the keyword spotter takes MLPerf Tiny's DS-CNN (.tflite, float or int8)");
        }
        return TfLiteImporter.Load(path);
    }

    /// <summary>The MLPerf Tiny float model ships inside the assembly (43 KB, Apache-2.0) so the app runs offline.</summary>
    public static byte[] EmbeddedModel()
    {
        using var stream = typeof(KeywordSpotter).Assembly.GetManifestResourceStream("Tessera.Apps.Kws." + EmbeddedModelName)
            ?? throw new InvalidOperationException("the embedded keyword model is missing from Tessera.Apps");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Label probabilities of one clip (padded or cut to 1 s at 16 kHz).</summary>
    public float[] Classify(ReadOnlySpan<float> clip)
    {
        var s = FrontEnd.Settings;
        var features = FrontEnd.Compute(clip);
        int[] shape = [1, s.Frames, s.Coefficients, 1];
        var probabilities = _quantized is not null
            ? _quantized.Run(features, shape)
            : AppBackend.Output(_session!.Run(new Dictionary<string, DataValue> { [_inputName] = Tensor.Create(shape, features) }), _outputName).ToFloatArray();
        if (probabilities.Length != Labels.Count)
        {
            throw new ModelFormatException($"the keyword model gives {probabilities.Length} scores, not {Labels.Count}", ModelName,
                "use MLPerf Tiny's 12-class DS-CNN");
        }
        return probabilities;
    }

    /// <summary>Slides 1 s windows over the file (resampled to 16 kHz); a file shorter than 1 s is one window.</summary>
    public IReadOnlyList<KeywordWindow> Windows(WaveAudio audio, KeywordSettings? settings = null, Action<int, int>? progress = null)
    {
        settings ??= new KeywordSettings();
        var s = FrontEnd.Settings;
        var samples = audio.Resample(s.SampleRate).Samples;
        int hop = System.Math.Max(1, (int)System.Math.Round(settings.HopSeconds * s.SampleRate));
        int count = samples.Length <= s.ClipSamples ? 1 : 1 + (samples.Length - s.ClipSamples + hop - 1) / hop;
        var raw = new float[count][];
        for (int w = 0; w < count; w++)
        {
            int start = w * hop;
            raw[w] = Classify(samples.AsSpan(start, System.Math.Min(s.ClipSamples, samples.Length - start)));
            progress?.Invoke(w + 1, count);
        }
        var windows = new KeywordWindow[count];
        for (int w = 0; w < count; w++)
        {
            int first = System.Math.Max(0, w - settings.SmoothingWindows + 1);
            var smoothed = new float[Labels.Count];
            for (int v = first; v <= w; v++) for (int c = 0; c < smoothed.Length; c++) smoothed[c] += raw[v][c] / (w - first + 1);
            windows[w] = new KeywordWindow((double)w * hop / s.SampleRate, raw[w], smoothed);
        }
        return windows;
    }

    /// <summary>Keywords in time order: a command word is reported when it leads the smoothed scores at or
    /// above the threshold, unless the same word was reported within the suppression time; within one run of
    /// windows led by the same word, the time and score are those of its peak.</summary>
    public static IReadOnlyList<KeywordDetection> Detect(IReadOnlyList<KeywordWindow> windows, KeywordSettings? settings = null)
    {
        settings ??= new KeywordSettings();
        var detections = new List<KeywordDetection>();
        int silence = Labels.IndexOf("silence"), unknown = Labels.IndexOf("unknown");
        double lastSeen = double.NegativeInfinity;
        foreach (var window in windows)
        {
            int best = window.SmoothedBest;
            double score = window.Smoothed[best];
            if (best == silence || best == unknown || score < settings.Threshold) continue;
            string label = Labels[best];
            var last = detections.Count > 0 ? detections[^1] : null;
            bool sameWord = last is not null && last.Label == label && window.Start - lastSeen < settings.SuppressionSeconds;
            lastSeen = window.Start;
            // Suppression counts from the last window the word led, so one long run is one detection.
            if (sameWord)
            {
                if (score > last!.Score) detections[^1] = new KeywordDetection(label, window.Start, score);
                continue;
            }
            detections.Add(new KeywordDetection(label, window.Start, score));
        }
        return detections;
    }
}

internal static class ListExtensions
{
    public static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }
}
