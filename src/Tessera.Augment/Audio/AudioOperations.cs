using Tessera.Augment.Spec;
using Tessera.Media;

namespace Tessera.Augment.Audio;

/// <summary>The audio operations of the spec language; each samples its parameters from the pipeline's
/// <see cref="Random"/>, records them, and calls <see cref="AudioEffects"/>.</summary>
public static class AudioOperations
{
    public static OperationCatalog<WaveAudio> Catalog { get; } = new("audio",
    [
        new("gain", "change the level", [new("db", "0", "gain in decibels (a range is sampled)")], Gain),
        new("noise", "add noise at a signal-to-noise ratio",
            [new("snr", "20", "signal-to-noise ratio in dB, measured over the whole clip"), new("color", "white", "white or pink")], Noise),
        new("shift", "move the content in time",
            [new("seconds", "0.1", "shift; v means -v..v, positive = later"), new("mode", "circular", "circular (wrap round) or zero (fill with silence)")], Shift),
        new("speed", "play faster or slower by resampling (pitch follows)", [new("factor", "1", "speed factor; 2 halves the length")], Speed),
        new("reverb", "convolution with a decaying-noise room response",
            [new("decay", "0.4", "RT60 in seconds: time for the response to fall 60 dB"), new("mix", "0.2", "wet fraction 0..1")], Reverb),
    ]);

    private static IAugmentation<WaveAudio> Gain(OperationParameters parameters)
    {
        var decibels = parameters.Value("db", 0, -120, 60);
        return new DelegateAugmentation<WaveAudio>("gain", (audio, random, applied) =>
        {
            double value = decibels.Sample(random);
            applied["db"] = System.Math.Round(value, 4);
            return AudioEffects.Gain(audio, value);
        });
    }

    private static IAugmentation<WaveAudio> Noise(OperationParameters parameters)
    {
        var snr = parameters.Value("snr", 20, -30, 120);
        var color = parameters.Word("color", "white", "white", "pink") == "pink" ? NoiseColor.Pink : NoiseColor.White;
        return new DelegateAugmentation<WaveAudio>("noise", (audio, random, applied) =>
        {
            double value = snr.Sample(random);
            applied["snr"] = System.Math.Round(value, 4);
            applied["color"] = color == NoiseColor.Pink ? "pink" : "white";
            return AudioEffects.AddNoise(audio, value, color, random);
        });
    }

    private static IAugmentation<WaveAudio> Shift(OperationParameters parameters)
    {
        var seconds = parameters.Spread("seconds", 0.1, -3600, 3600);
        bool circular = parameters.Word("mode", "circular", "circular", "zero") == "circular";
        return new DelegateAugmentation<WaveAudio>("shift", (audio, random, applied) =>
        {
            int samples = (int)System.Math.Round(seconds.Sample(random) * audio.SampleRate);
            applied["samples"] = samples;
            applied["mode"] = circular ? "circular" : "zero";
            return AudioEffects.Shift(audio, samples, circular);
        });
    }

    private static IAugmentation<WaveAudio> Speed(OperationParameters parameters)
    {
        var factor = parameters.Value("factor", 1, 0.1, 10);
        return new DelegateAugmentation<WaveAudio>("speed", (audio, random, applied) =>
        {
            double value = factor.Sample(random);
            applied["factor"] = System.Math.Round(value, 5);
            return AudioEffects.Speed(audio, value);
        });
    }

    private static IAugmentation<WaveAudio> Reverb(OperationParameters parameters)
    {
        var decay = parameters.Value("decay", 0.4, 0.01, 10);
        var mix = parameters.Value("mix", 0.2, 0, 1);
        return new DelegateAugmentation<WaveAudio>("reverb", (audio, random, applied) =>
        {
            double seconds = decay.Sample(random), wet = mix.Sample(random);
            applied["decay"] = System.Math.Round(seconds, 4);
            applied["mix"] = System.Math.Round(wet, 4);
            return AudioEffects.Reverb(audio, seconds, wet, random);
        });
    }
}
