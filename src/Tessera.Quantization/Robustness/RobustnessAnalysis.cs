using Tessera.Core;
using Tessera.Media;
using Tessera.Runtime;

namespace Tessera.Quantization.Robustness;

/// <summary>How the float and the int8 model do at one perturbation strength. Cosines compare the model's
/// outputs on the perturbed data with the float model's outputs on the clean data (lowest over the outputs);
/// agreement is the share of decisions equal to the clean float decision, where the model makes one.</summary>
public sealed record RobustnessPoint(double Level, double FloatCosine, double QuantizedCosine, double? FloatAgreement, double? QuantizedAgreement);

/// <summary>A whole sweep. <see cref="Decision"/> names the task metric ("top-1" for a class vector,
/// "p >= 0.5" for a single probability), null when the outputs have none.</summary>
public sealed record RobustnessResult(RobustnessSweep Sweep, IReadOnlyList<RobustnessPoint> Points, IReadOnlyList<string> Outputs, string? Decision, int Files, int ModelInputs);

/// <summary>Runs a float model and its int8 QDQ model over images or audio perturbed at growing strengths
/// (<see cref="RobustnessSweep"/>) and measures how far each drifts from the float model's clean outputs.
/// Both run on the reference backend; recurrent state is carried frame to frame within a file.</summary>
public static class RobustnessAnalysis
{
    private const double ProbabilityThreshold = 0.5;

    /// <summary>The images (image sweeps) or .wav files (snr) of a folder, sorted; a one-line error when there are none.</summary>
    public static IReadOnlyList<string> Files(string folder, RobustnessSweep sweep)
    {
        if (!Directory.Exists(folder)) throw new InvalidInputException($"data folder '{folder}' does not exist", "--data", "give a folder of images or .wav files");
        string[] extensions = sweep.IsAudio ? [".wav"] : [".png", ".jpg", ".jpeg", ".bmp"];
        var files = Directory.EnumerateFiles(folder).Where(f => extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase))).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new InvalidInputException($"'{folder}' holds no {(sweep.IsAudio ? ".wav files" : "images")} for the '{sweep.Name}' sweep", "--data",
                sweep.IsAudio ? "give 16-bit .wav files, or an image sweep (noise, blur, brightness) for images" : "give .png/.jpg/.bmp images, or --sweep snr for .wav files");
        }
        return files;
    }

    /// <summary>Both models must take the data through the same preprocessing (the QDQ model written from the
    /// float model by <c>tessera quantize</c>, the float model prepared with <see cref="ModelPreparation"/>).</summary>
    public static RobustnessResult Run(Model floatModel, Model quantizedModel, Preprocessing preprocessing, IReadOnlyList<string> files, RobustnessSweep sweep, int seed = 1, Action<int, int>? progress = null)
    {
        if (sweep.IsAudio ? !preprocessing.IsAudio : !preprocessing.IsImage)
        {
            throw new InvalidInputException($"the '{sweep.Name}' sweep needs {(sweep.IsAudio ? "audio" : "image")} preprocessing", "--preset",
                sweep.IsAudio ? "give --preset NAME or --preprocess FILE with frame_length" : "give --preset NAME or --preprocess FILE with width and height");
        }
        var input = CalibrationData.DataInput(floatModel, preprocessing);
        if (!quantizedModel.Graph.Inputs.Any(i => i.Name == input && i.Constant is null))
        {
            throw new InvalidInputException($"the quantized model has no input '{input}' (the float model's data input)", "QUANT", "give the QDQ model tessera quantize wrote from this float model");
        }
        var outputs = floatModel.Graph.Outputs.Select(o => o.Name).Where(n => !preprocessing.State.ContainsValue(n)).ToList();
        foreach (var name in outputs.Where(n => !quantizedModel.Graph.Outputs.Any(o => o.Name == n)))
        {
            throw new InvalidInputException($"the quantized model has no output '{name}' of the float model", "QUANT", "give the QDQ model tessera quantize wrote from this float model");
        }
        var data = files.Select(Load).ToList();
        var levels = sweep.Levels;
        int total = data.Sum(d => Samples(d, null, 0, sweep, preprocessing, input).Count() * (1 + 2 * levels.Count)), done = 0;
        void Step() => progress?.Invoke(++done, total);

        var floatRunner = new Runner(floatModel, preprocessing, outputs);
        var quantizedRunner = new Runner(quantizedModel, preprocessing, outputs);
        var floatMetrics = levels.Select(_ => new Agreement(outputs)).ToArray();
        var quantizedMetrics = levels.Select(_ => new Agreement(outputs)).ToArray();
        for (int file = 0; file < data.Count; file++)
        {
            var clean = Samples(data[file], null, 0, sweep, preprocessing, input).Select(s => { Step(); return floatRunner.Run(s); }).ToList();
            for (int l = 0; l < levels.Count; l++)
            {
                // The same generator seed at every level: one noise pattern grows instead of a new one per step.
                var perturbed = Samples(data[file], new Random(unchecked(seed * 1_000_003 + file)), levels[l], sweep, preprocessing, input).ToList();
                for (int s = 0; s < perturbed.Count; s++)
                {
                    floatMetrics[l].Add(clean[s], floatRunner.Run(perturbed[s]));
                    Step();
                    quantizedMetrics[l].Add(clean[s], quantizedRunner.Run(perturbed[s]));
                    Step();
                }
            }
        }
        var points = levels.Select((level, l) => new RobustnessPoint(level, floatMetrics[l].Cosine, quantizedMetrics[l].Cosine, floatMetrics[l].DecisionAgreement, quantizedMetrics[l].DecisionAgreement)).ToList();
        return new RobustnessResult(sweep, points, outputs, floatMetrics[0].DecisionName, data.Count, data.Sum(d => Samples(d, null, 0, sweep, preprocessing, input).Count()));
    }

    private static object Load(string file)
    {
        try
        {
            return file.EndsWith(".wav", StringComparison.OrdinalIgnoreCase) ? WaveAudio.Read(file) : RgbImage.Load(file);
        }
        catch (Exception e) when (e is not TesseraException)
        {
            throw new InvalidInputException($"'{file}' cannot be read: {e.Message}", "--data", "give readable images or 16-bit PCM .wav files");
        }
    }

    /// <summary>The model inputs of one file at one level (<paramref name="random"/> null: the clean input).
    /// An image is one input; audio is a stream of frames, the first of which resets recurrent state.</summary>
    private static IEnumerable<CalibrationSample> Samples(object data, Random? random, double level, RobustnessSweep sweep, Preprocessing preprocessing, string input)
    {
        if (data is RgbImage image)
        {
            var tensor = preprocessing.ImageTensor(random is null ? image : sweep.Apply(image, level, random));
            return [new CalibrationSample(new Dictionary<string, Tensor> { [input] = tensor }, true, "")];
        }
        var audio = random is null ? (WaveAudio)data : sweep.Apply((WaveAudio)data, level, random);
        return preprocessing.AudioFrames(audio).Select((frame, i) => new CalibrationSample(new Dictionary<string, Tensor> { [input] = frame }, i == 0, ""));
    }

    /// <summary>One model on the reference backend, carrying state, returning the compared outputs as floats.</summary>
    private sealed class Runner(Model model, Preprocessing preprocessing, IReadOnlyList<string> outputs)
    {
        private readonly InferenceSession _session = new(model);
        private readonly SampleFeeder _feeder = new(model, preprocessing);

        public Tensor[] Run(CalibrationSample sample)
        {
            var results = _session.Run(_feeder.Inputs(sample));
            _feeder.Observe(results);
            return outputs.Select(name => results.TryGetValue(name, out var value) && value is Tensor t
                ? t
                : throw new InvalidInputException($"the model gave no tensor output '{name}'", "outputs")).ToArray();
        }
    }

    /// <summary>Cosine per output against the clean float outputs, and the decisions that agree with them.
    /// An output with one value is read as a probability (decision p >= 0.5, Silero's speech threshold); an
    /// output that is one row of two or more values as class scores (decision: the top class).</summary>
    private sealed class Agreement(IReadOnlyList<string> outputs)
    {
        private readonly ErrorMetrics[] _metrics = outputs.Select(_ => new ErrorMetrics()).ToArray();
        private int _decisions, _agreed;

        public string? DecisionName { get; private set; }

        public double Cosine => _metrics.Where(m => m.Count > 0).Select(m => m.Cosine).DefaultIfEmpty(1).Min();

        public double? DecisionAgreement => _decisions == 0 ? null : (double)_agreed / _decisions;

        public void Add(Tensor[] clean, Tensor[] perturbed)
        {
            for (int o = 0; o < clean.Length; o++)
            {
                float[] expected = clean[o].ToFloatArray(), actual = perturbed[o].ToFloatArray();
                if (expected.Length != actual.Length) throw new InvalidInputException($"output '{outputs[o]}' has {actual.Length} values, the float model's {expected.Length}", "QUANT");
                _metrics[o].Add(expected, actual);
                if (expected.Length == 1)
                {
                    DecisionName ??= "p >= 0.5";
                    Count(expected[0] >= ProbabilityThreshold == actual[0] >= ProbabilityThreshold);
                }
                else if (IsClassVector(clean[o]))
                {
                    DecisionName ??= "top-1";
                    Count(ArgMax(expected) == ArgMax(actual));
                }
            }
        }

        private void Count(bool agreed)
        {
            _decisions++;
            if (agreed) _agreed++;
        }

        // One row of scores ([1, C], [1, 1, C]): PP-OCR cls, ImageNet classifiers. Detector maps, regressors
        // ([1, 896, 16]) and sequences ([1, T, C]) have more than one row and make no single decision.
        private static bool IsClassVector(Tensor tensor) => tensor.Length >= 2 && tensor.Shape.Length > 0 && tensor.Shape[^1] == tensor.Length;

        private static int ArgMax(float[] values)
        {
            int best = 0;
            for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
            return best;
        }
    }
}
