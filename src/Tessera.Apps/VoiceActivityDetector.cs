using Tessera.Media;
using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Apps;

/// <summary>A stretch of speech, in seconds.</summary>
public sealed record SpeechSegment(double Start, double End)
{
    public double Duration => End - Start;
}

/// <summary>Thresholds of the speech/silence decision (Silero's get_speech_timestamps defaults).</summary>
public sealed record VadSettings
{
    /// <summary>Probability at which speech starts.</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Probability below which speech may end; lower than <see cref="Threshold"/> (hysteresis) so a
    /// word's quieter middle does not split it.</summary>
    public double OffThreshold { get; init; } = 0.35;

    public double MinimumSpeechSeconds { get; init; } = 0.25;

    /// <summary>Silence needed to end a segment. Silero's streaming default is 0.1 s, but that splits a
    /// sentence at a clause pause (the test sentence has a 0.19 s pause after its first clause); 0.3 s keeps
    /// an utterance whole and still separates sentences.</summary>
    public double MinimumSilenceSeconds { get; init; } = 0.3;
}

/// <summary>Silero voice activity detection, streaming: the 16 kHz signal is cut into 512-sample frames and
/// each frame runs the model once with the recurrent state carried from the previous frame. v5 also takes
/// the last 64 samples of the previous frame as context (input 576 samples, state [2,1,128]); the legacy
/// model takes 512 samples and LSTM h/c [2,1,64].</summary>
public sealed class VoiceActivityDetector
{
    public const int SampleRate = 16000;
    public const int FrameSamples = 512;
    public const int ContextSamples = 64;

    /// <summary>Frames the NPU model is calibrated on, shared among the calibration files.</summary>
    public const int CalibrationFrames = 160;

    private readonly AppModel _session;
    private readonly bool _legacy;
    private readonly bool _takesRate;

    /// <param name="npu">On the npu backend: the configuration and the folder of 16-bit WAV files the model is
    /// calibrated on (streamed frame by frame with carried state, the sample rate bound to 16 kHz).</param>
    public VoiceActivityDetector(string model = "silero-vad-v5", string backend = "reference", NpuTarget? npu = null)
        : this(AppBackend.Open(model, backend, npu, (m, t) => ForNpu(model, m, t)), model)
    {
    }

    /// <summary>Runs <paramref name="model"/>, e.g. the int8 QDQ model the quantizer wrote; <paramref name="name"/>
    /// is what messages call it. A model whose sample rate was fixed when it was prepared has no 'sr' input.</summary>
    public VoiceActivityDetector(Model model, string name, string backend = "reference", NpuTarget? npu = null)
        : this(AppBackend.Open(model, backend, npu, (m, t) => ForNpu(name, m, t)), name)
    {
    }

    /// <summary>The model as the detector runs it (an <see cref="NpuAppModel"/> on the npu backend).</summary>
    public AppModel Runner => _session;

    private static NpuAppModel ForNpu(string name, Model model, NpuTarget target)
    {
        bool legacy = model.Graph.Inputs.Any(v => v.Name == "h");
        var preset = Quantization.PreprocessingPresets.Get(legacy ? "silero-vad-legacy" : "silero-vad-v5");
        // The NPU program is compiled for one frame: fixing the streaming shapes lets the optimizer fold v5's
        // checks on the input's rank and batch (If nodes the integer executor does not run) away.
        var shapes = legacy
            ? new Dictionary<string, int[]> { ["input"] = [1, FrameSamples], ["h"] = [2, 1, 64], ["c"] = [2, 1, 64] }
            : new Dictionary<string, int[]> { ["input"] = [1, ContextSamples + FrameSamples], ["state"] = [2, 1, 128] };
        foreach (var input in model.Graph.Inputs.Where(v => v.Constant is null && shapes.ContainsKey(v.Name)))
        {
            input.Type = new TensorType(input.TensorType?.ElementType ?? DataType.Float32, TensorShape.FromConcrete(shapes[input.Name]));
        }
        // Without cross-layer equalization: with it the int8 segment of speech_en_16k ends two frames early
        // (docs/quantization.md); the sample rate becomes the constant 16000, which inlines v5's If on it.
        // Calibration counts frames, not files: 160 frames (about 5 s of audio) as the int8 application tests use.
        // With the shapes fixed the LSTM is expanded into gate Gemm/MatMuls and activations, which run on the NPU.
        return NpuAppModel.Create(name, model, target, m => Quantization.CalibrationData.Read(target.CalibrationFolder, m, preset, CalibrationFrames), preset, equalize: false, expandLstm: true);
    }

    private VoiceActivityDetector(AppModel session, string model)
    {
        _session = session;
        var inputs = _session.Inputs.Select(v => v.Name).ToHashSet();
        _takesRate = inputs.Remove("sr");
        if (inputs.SetEquals(["input", "state"])) _legacy = false;
        else if (inputs.SetEquals(["input", "h", "c"])) _legacy = true;
        else throw new ModelFormatException($"'{model}' is not a Silero VAD model (inputs: {string.Join(", ", inputs)})", model, "use silero-vad-v5 or silero-vad-legacy");
        Model = model;
    }

    public string Model { get; }

    public static double FrameSeconds => (double)FrameSamples / SampleRate;

    /// <summary>Speech probability of each 512-sample frame (the last partial frame is zero-padded).</summary>
    public float[] Probabilities(WaveAudio audio, Action<int, int>? progress = null)
    {
        var samples = audio.Resample(SampleRate).Samples;
        int frames = (samples.Length + FrameSamples - 1) / FrameSamples;
        var result = new float[frames];
        var rate = Tensor.Scalar((long)SampleRate);
        Tensor state = Tensor.Create([2, 1, 128], new float[256]);
        Tensor hidden = Tensor.Create([2, 1, 64], new float[128]), cell = Tensor.Create([2, 1, 64], new float[128]);
        var context = new float[ContextSamples];
        for (int f = 0; f < frames; f++)
        {
            var frame = new float[FrameSamples];
            Array.Copy(samples, f * FrameSamples, frame, 0, Math.Min(FrameSamples, samples.Length - f * FrameSamples));
            IReadOnlyDictionary<string, DataValue> outputs;
            if (_legacy)
            {
                outputs = _session.Run(WithRate(new Dictionary<string, DataValue>
                {
                    ["input"] = Tensor.Create([1, FrameSamples], frame), ["h"] = hidden, ["c"] = cell,
                }, rate));
                hidden = AppBackend.Output(outputs, "hn");
                cell = AppBackend.Output(outputs, "cn");
            }
            else
            {
                var withContext = new float[ContextSamples + FrameSamples];
                context.CopyTo(withContext, 0);
                frame.CopyTo(withContext, ContextSamples);
                outputs = _session.Run(WithRate(new Dictionary<string, DataValue>
                {
                    ["input"] = Tensor.Create([1, withContext.Length], withContext), ["state"] = state,
                }, rate));
                state = AppBackend.Output(outputs, "stateN");
                Array.Copy(frame, FrameSamples - ContextSamples, context, 0, ContextSamples);
            }
            result[f] = AppBackend.Output(outputs, "output").As<float>()[0];
            progress?.Invoke(f + 1, frames);
        }
        return result;
    }

    private Dictionary<string, DataValue> WithRate(Dictionary<string, DataValue> inputs, Tensor rate)
    {
        if (_takesRate) inputs["sr"] = rate;
        return inputs;
    }

    public IReadOnlyList<SpeechSegment> Detect(WaveAudio audio, VadSettings? settings = null, Action<int, int>? progress = null) =>
        Segments(Probabilities(audio, progress), settings ?? new VadSettings(), audio.Duration);

    /// <summary>Turns frame probabilities into segments: speech starts when a frame reaches the threshold;
    /// it ends at the first frame below the off threshold once silence has lasted the minimum silence
    /// (shorter dips are bridged); segments shorter than the minimum speech are dropped.</summary>
    public static IReadOnlyList<SpeechSegment> Segments(IReadOnlyList<float> probabilities, VadSettings settings, double duration)
    {
        var segments = new List<SpeechSegment>();
        double frameSeconds = FrameSeconds;
        bool inSpeech = false;
        int start = 0, silenceStart = -1;
        for (int f = 0; f < probabilities.Count; f++)
        {
            double p = probabilities[f];
            if (!inSpeech)
            {
                if (p >= settings.Threshold)
                {
                    inSpeech = true;
                    start = f;
                    silenceStart = -1;
                }
                continue;
            }
            if (p >= settings.Threshold) silenceStart = -1;
            else if (p < settings.OffThreshold)
            {
                if (silenceStart < 0) silenceStart = f;
                if ((f + 1 - silenceStart) * frameSeconds >= settings.MinimumSilenceSeconds)
                {
                    Add(start, silenceStart);
                    inSpeech = false;
                }
            }
        }
        if (inSpeech) Add(start, probabilities.Count);
        return segments;

        void Add(int first, int endFrame)
        {
            double begin = first * frameSeconds, end = Math.Min(duration, endFrame * frameSeconds);
            if (end - begin >= settings.MinimumSpeechSeconds) segments.Add(new SpeechSegment(begin, end));
        }
    }
}
