using System.Globalization;
using Tessera.Augment.Audio;
using Tessera.Augment.Image;
using Tessera.Core;
using Tessera.Media;

namespace Tessera.Quantization.Robustness;

/// <summary>The perturbation a robustness sweep grows: image Gaussian noise, blur or darkening, or audio
/// white noise at a falling signal-to-noise ratio.</summary>
public enum SweepKind
{
    Noise,
    Blur,
    Brightness,
    Snr,
}

/// <summary>A perturbation applied at <see cref="Steps"/> strengths evenly spaced from <see cref="Weakest"/>
/// to <see cref="Strongest"/>. The weakest image levels leave the input unchanged (sigma 0, factor 1), so the
/// first point of a sweep is the clean input; SNR starts at 40 dB, where speech models hear no difference.</summary>
public sealed record RobustnessSweep(SweepKind Kind, double Weakest, double Strongest, int Steps)
{
    public const int DefaultSteps = 6;

    public static IReadOnlyList<string> Names { get; } = ["noise", "blur", "brightness", "snr"];

    public bool IsAudio => Kind == SweepKind.Snr;

    public string Name => Kind.ToString().ToLowerInvariant();

    /// <summary>What the x axis measures, with its unit.</summary>
    public string Quantity => Kind switch
    {
        SweepKind.Noise => "Gaussian noise sigma (fraction of full scale)",
        SweepKind.Blur => "Gaussian blur sigma (source pixels)",
        SweepKind.Brightness => "brightness factor",
        _ => "white-noise SNR (dB)",
    };

    /// <summary>The default range of each sweep: strong enough at the end that the float model itself
    /// loses most of its agreement with its clean output on the test data.</summary>
    public static RobustnessSweep Parse(string name, int steps = DefaultSteps)
    {
        if (steps < 2) throw new InvalidInputException($"--steps must be at least 2, got {steps}", "--steps", "give the number of perturbation strengths, e.g. 6");
        return name.ToLowerInvariant() switch
        {
            "noise" => new RobustnessSweep(SweepKind.Noise, 0, 0.2, steps),
            "blur" => new RobustnessSweep(SweepKind.Blur, 0, 4, steps),
            "brightness" => new RobustnessSweep(SweepKind.Brightness, 1, 0.2, steps),
            "snr" => new RobustnessSweep(SweepKind.Snr, 40, 0, steps),
            _ => throw new InvalidInputException($"unknown sweep '{name}'", "--sweep", $"choose one of: {string.Join(", ", Names)}"),
        };
    }

    public IReadOnlyList<double> Levels => Enumerable.Range(0, Steps).Select(i => Weakest + (Strongest - Weakest) * i / (Steps - 1)).ToArray();

    public static string Format(double level) => level.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The image at one strength. Noise draws from <paramref name="random"/>; callers pass a generator
    /// seeded the same way at every level, so one noise pattern is scaled up step by step.</summary>
    public RgbImage Apply(RgbImage image, double level, Random random) => Kind switch
    {
        SweepKind.Noise => level == 0 ? image : ImageColor.AddGaussianNoise(image, level, random),
        SweepKind.Blur => level == 0 ? image : ImageColor.GaussianBlur(image, level),
        SweepKind.Brightness => level == 1 ? image : ImageColor.Jitter(image, level, 1, 1, 0),
        _ => throw new InvalidInputException($"sweep '{Name}' perturbs audio, not images", "--sweep", "use noise, blur or brightness with images"),
    };

    public WaveAudio Apply(WaveAudio audio, double level, Random random) => Kind == SweepKind.Snr
        ? AudioEffects.AddNoise(audio, level, NoiseColor.White, random)
        : throw new InvalidInputException($"sweep '{Name}' perturbs images, not audio", "--sweep", "use snr with .wav files");
}
