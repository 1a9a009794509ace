namespace Tessera.Apps.Kws;

/// <summary>Parameters of the MFCC front end. The defaults are those MLPerf Tiny's DS-CNN keyword-spotting
/// reference model was trained with (mlcommons/tiny, benchmark/training/keyword_spotting: kws_util.py's flag
/// defaults and get_dataset.py's "mfcc" branch); docs/kws.md lists the sources line by line.</summary>
public sealed record MfccSettings
{
    public int SampleRate { get; init; } = 16000;

    /// <summary>Samples in one clip the model classifies (1 s).</summary>
    public int ClipSamples { get; init; } = 16000;

    /// <summary>30 ms: kws_util.py's --window_size_ms default, which build_ref.sh does not override.</summary>
    public int WindowSamples { get; init; } = 480;

    /// <summary>20 ms.</summary>
    public int StrideSamples { get; init; } = 320;

    public int MelBands { get; init; } = 40;
    public double LowerHertz { get; init; } = 20.0;
    public double UpperHertz { get; init; } = 4000.0;

    /// <summary>Added to each mel magnitude before the natural log (get_dataset.py).</summary>
    public double LogOffset { get; init; } = 1e-6;

    public int Coefficients { get; init; } = 10;

    /// <summary>tf.signal.stft with fft_length=None uses the smallest power of two that holds a window.</summary>
    public int FftLength
    {
        get
        {
            int length = 1;
            while (length < WindowSamples) length *= 2;
            return length;
        }
    }

    public int SpectrumBins => FftLength / 2 + 1;

    /// <summary>Frames of a clip without padding at the end (tf.signal.stft's pad_end=False): 49.</summary>
    public int Frames => ClipSamples < WindowSamples ? 0 : 1 + (ClipSamples - WindowSamples) / StrideSamples;
}

/// <summary>MFCCs as tf.signal computes them for MLPerf Tiny KWS: the clip is divided by its largest sample,
/// each frame is weighted by a periodic Hann window, its FFT magnitude (not power) is mapped onto triangular
/// HTK-mel bands, the natural log is taken after adding an offset, and a DCT-II with HTK's scaling
/// (sqrt(2/N), the same for every coefficient) gives the cepstrum, of which the first coefficients are kept.</summary>
public sealed class MfccFrontEnd
{
    private readonly double[] _window;
    private readonly double[,] _melWeights;
    private readonly double[,] _dct;
    private readonly Fft _fft;

    public MfccFrontEnd(MfccSettings? settings = null)
    {
        Settings = settings ?? new MfccSettings();
        if (Settings.WindowSamples < 2 || Settings.StrideSamples < 1 || Settings.Coefficients > Settings.MelBands)
        {
            throw new ArgumentException("MFCC settings need a window of at least 2 samples, a stride of at least 1 and no more coefficients than mel bands");
        }
        _window = PeriodicHann(Settings.WindowSamples);
        _melWeights = MelWeights(Settings);
        _dct = DctMatrix(Settings.MelBands, Settings.Coefficients);
        _fft = new Fft(Settings.FftLength);
    }

    public MfccSettings Settings { get; }

    /// <summary>tf.signal.hann_window(periodic=True): 0.5 - 0.5 cos(2 pi n / N).</summary>
    public static double[] PeriodicHann(int length)
    {
        var window = new double[length];
        for (int n = 0; n < length; n++) window[n] = 0.5 - 0.5 * System.Math.Cos(2 * System.Math.PI * n / length);
        return window;
    }

    public static double HertzToMel(double hertz) => 1127.0 * System.Math.Log(1.0 + hertz / 700.0);

    /// <summary>tf.signal.linear_to_mel_weight_matrix, [spectrum bins, mel bands]: band edges evenly spaced on
    /// the HTK mel scale between the lower and upper frequency, triangles evaluated in mel at each bin's
    /// frequency (bins evenly spaced from 0 to Nyquist), no area normalisation, and the DC bin left out.</summary>
    public static double[,] MelWeights(MfccSettings settings)
    {
        int bins = settings.SpectrumBins, bands = settings.MelBands;
        double lower = HertzToMel(settings.LowerHertz), upper = HertzToMel(settings.UpperHertz);
        var edges = new double[bands + 2];
        for (int i = 0; i < edges.Length; i++) edges[i] = lower + (upper - lower) * i / (bands + 1);
        double nyquist = settings.SampleRate / 2.0;
        var weights = new double[bins, bands];
        for (int bin = 1; bin < bins; bin++)
        {
            double mel = HertzToMel(nyquist * bin / (bins - 1));
            for (int band = 0; band < bands; band++)
            {
                double rising = (mel - edges[band]) / (edges[band + 1] - edges[band]);
                double falling = (edges[band + 2] - mel) / (edges[band + 2] - edges[band + 1]);
                weights[bin, band] = System.Math.Max(0.0, System.Math.Min(rising, falling));
            }
        }
        return weights;
    }

    /// <summary>Rows k &lt; coefficients of tf.signal.mfccs_from_log_mel_spectrograms: the unnormalised DCT-II
    /// (2 sum x[n] cos(pi k (2n+1) / 2N)) times 1/sqrt(2N).</summary>
    public static double[,] DctMatrix(int bands, int coefficients)
    {
        var matrix = new double[coefficients, bands];
        double scale = 2.0 / System.Math.Sqrt(2.0 * bands);
        for (int k = 0; k < coefficients; k++)
        {
            for (int n = 0; n < bands; n++) matrix[k, n] = scale * System.Math.Cos(System.Math.PI * k * (2 * n + 1) / (2.0 * bands));
        }
        return matrix;
    }

    /// <summary>Log-mel magnitudes of one clip, [frames, mel bands], after peak normalisation.</summary>
    public double[,] LogMel(ReadOnlySpan<float> clip)
    {
        var s = Settings;
        var normalized = Normalize(clip, s.ClipSamples);
        var result = new double[s.Frames, s.MelBands];
        var real = new double[s.FftLength];
        var imaginary = new double[s.FftLength];
        var magnitude = new double[s.SpectrumBins];
        for (int frame = 0; frame < s.Frames; frame++)
        {
            Array.Clear(real);
            Array.Clear(imaginary);
            int start = frame * s.StrideSamples;
            for (int n = 0; n < s.WindowSamples; n++) real[n] = normalized[start + n] * _window[n];
            _fft.Transform(real, imaginary);
            for (int bin = 0; bin < magnitude.Length; bin++) magnitude[bin] = System.Math.Sqrt(real[bin] * real[bin] + imaginary[bin] * imaginary[bin]);
            for (int band = 0; band < s.MelBands; band++)
            {
                double sum = 0;
                for (int bin = 0; bin < magnitude.Length; bin++) sum += magnitude[bin] * _melWeights[bin, band];
                result[frame, band] = System.Math.Log(sum + s.LogOffset);
            }
        }
        return result;
    }

    /// <summary>MFCCs of one clip, [frames, coefficients] row-major (49 x 10 with the defaults). A shorter
    /// clip is padded with zeros at the end, a longer one cut, as the training pipeline does.</summary>
    public float[] Compute(ReadOnlySpan<float> clip)
    {
        var s = Settings;
        var logMel = LogMel(clip);
        var features = new float[s.Frames * s.Coefficients];
        for (int frame = 0; frame < s.Frames; frame++)
        {
            for (int k = 0; k < s.Coefficients; k++)
            {
                double sum = 0;
                for (int n = 0; n < s.MelBands; n++) sum += _dct[k, n] * logMel[frame, n];
                features[frame * s.Coefficients + k] = (float)sum;
            }
        }
        return features;
    }

    /// <summary>Divides by the largest sample value (tf.reduce_max, the positive peak, as get_dataset.py does
    /// rather than the absolute peak); an all-zero or all-negative clip is left unscaled instead of flipping
    /// its sign or dividing by zero.</summary>
    private static double[] Normalize(ReadOnlySpan<float> clip, int length)
    {
        var result = new double[length];
        int count = System.Math.Min(length, clip.Length);
        double peak = 0;
        for (int i = 0; i < count; i++) peak = System.Math.Max(peak, clip[i]);
        double scale = peak > 0 ? 1.0 / peak : 1.0;
        for (int i = 0; i < count; i++) result[i] = clip[i] * scale;
        return result;
    }
}
