using Tessera.Media;
using Tessera.Apps;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Apps.Tests;

public sealed class VoiceActivityDetectorTests(ITestOutputHelper output)
{
    /// <summary>Where the spoken sentence lies, measured from the waveform: 10 ms windows whose RMS is
    /// within 35 dB of the loudest window count as voiced; the first and last such window bound it.</summary>
    internal static (double Start, double End) VoicedSpan(WaveAudio audio)
    {
        int window = audio.SampleRate / 100;
        var levels = new List<double>();
        for (int i = 0; i + window <= audio.Samples.Length; i += window)
        {
            double sum = 0;
            for (int j = i; j < i + window; j++) sum += audio.Samples[j] * audio.Samples[j];
            levels.Add(Math.Sqrt(sum / window));
        }
        double floor = levels.Max() * Math.Pow(10, -35 / 20.0);
        int first = levels.FindIndex(l => l >= floor), last = levels.FindLastIndex(l => l >= floor);
        return (first * 0.01, (last + 1) * 0.01);
    }

    [Theory]
    [InlineData("silero-vad-v5")]
    [InlineData("silero-vad-legacy")]
    public void Speech_file_has_one_segment_around_the_sentence(string model)
    {
        TestAssets.Model(model);
        var audio = WaveAudio.Read(TestAssets.Audio("speech_en_16k.wav"));
        var (voicedStart, voicedEnd) = VoicedSpan(audio);
        var segments = new VoiceActivityDetector(model).Detect(audio);
        output.WriteLine($"voiced {voicedStart:F2}-{voicedEnd:F2} s; {model}: {string.Join(", ", segments.Select(s => $"{s.Start:F3}-{s.End:F3}"))}");
        var segment = Assert.Single(segments);
        Assert.InRange(segment.Start, 0.8, 1.2);
        Assert.InRange(segment.End, voicedEnd - 0.3, voicedEnd + 0.3);
    }

    [Theory]
    [InlineData("silero-vad-v5")]
    [InlineData("silero-vad-legacy")]
    public void Noise_file_has_no_speech(string model)
    {
        TestAssets.Model(model);
        var segments = new VoiceActivityDetector(model).Detect(WaveAudio.Read(TestAssets.Audio("silence_noise_16k.wav")));
        Assert.Empty(segments);
    }

    [Fact]
    public void Resampled_8k_speech_gives_the_same_segment()
    {
        TestAssets.Model("silero-vad-v5");
        var audio = WaveAudio.Read(TestAssets.Audio("speech_en_16k.wav"));
        var detector = new VoiceActivityDetector("silero-vad-v5");
        var original = Assert.Single(detector.Detect(audio));
        var resampled = Assert.Single(detector.Detect(audio.Resample(8000)));
        output.WriteLine($"16k {original.Start:F3}-{original.End:F3}, via 8k {resampled.Start:F3}-{resampled.End:F3}");
        Assert.InRange(resampled.Start, original.Start - 0.1, original.Start + 0.1);
        Assert.InRange(resampled.End, original.End - 0.15, original.End + 0.15);
    }

    [Fact]
    public void Hysteresis_bridges_short_dips_and_drops_short_bursts()
    {
        var settings = new VadSettings { MinimumSilenceSeconds = 0.1 };
        // 32 ms frames: 10 frames of speech, a 2-frame dip (64 ms < 100 ms), 10 more, then silence.
        var probabilities = new List<float>();
        probabilities.AddRange(Enumerable.Repeat(0.05f, 20));
        probabilities.AddRange(Enumerable.Repeat(0.9f, 10));
        probabilities.AddRange(Enumerable.Repeat(0.1f, 2));
        probabilities.AddRange(Enumerable.Repeat(0.4f, 3)); // between the thresholds: still speech
        probabilities.AddRange(Enumerable.Repeat(0.9f, 10));
        probabilities.AddRange(Enumerable.Repeat(0.05f, 20));
        probabilities.AddRange(Enumerable.Repeat(0.9f, 5)); // 160 ms: shorter than the minimum speech
        probabilities.AddRange(Enumerable.Repeat(0.05f, 20));
        var segments = VoiceActivityDetector.Segments(probabilities, settings, probabilities.Count * VoiceActivityDetector.FrameSeconds);
        var segment = Assert.Single(segments);
        Assert.Equal(20 * 0.032, segment.Start, 6);
        Assert.Equal(45 * 0.032, segment.End, 6);
    }

    [Fact]
    public void A_clause_pause_splits_speech_only_with_a_short_minimum_silence()
    {
        TestAssets.Model("silero-vad-v5");
        var audio = WaveAudio.Read(TestAssets.Audio("speech_en_16k.wav"));
        var probabilities = new VoiceActivityDetector("silero-vad-v5").Probabilities(audio);
        var strict = VoiceActivityDetector.Segments(probabilities, new VadSettings { MinimumSilenceSeconds = 0.1 }, audio.Duration);
        var utterance = VoiceActivityDetector.Segments(probabilities, new VadSettings(), audio.Duration);
        output.WriteLine($"0.1 s: {string.Join(", ", strict.Select(s => $"{s.Start:F3}-{s.End:F3}"))}; 0.3 s: {string.Join(", ", utterance.Select(s => $"{s.Start:F3}-{s.End:F3}"))}");
        Assert.Equal(2, strict.Count);
        Assert.Single(utterance);
        Assert.Equal(strict[0].Start, utterance[0].Start);
        Assert.Equal(strict[1].End, utterance[0].End);
    }

    [Fact]
    public void Resampling_keeps_a_tone_in_the_passband()
    {
        const int rate = 44100;
        var tone = Enumerable.Range(0, rate).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * 440 * i / rate))).ToArray();
        var resampled = new WaveAudio(tone, rate).Resample(16000);
        Assert.Equal(16000, resampled.Samples.Length);
        for (int i = 1000; i < 15000; i += 97)
        {
            Assert.Equal(0.5 * Math.Sin(2 * Math.PI * 440 * i / 16000.0), resampled.Samples[i], 0.01);
        }
    }

    [Fact]
    public void Non_pcm_wav_is_reported_as_unsupported()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tessera-float-{Guid.NewGuid():N}.wav");
        try
        {
            using (var writer = new BinaryWriter(File.Create(path)))
            {
                writer.Write("RIFF"u8); writer.Write(36 + 8); writer.Write("WAVE"u8);
                writer.Write("fmt "u8); writer.Write(16); writer.Write((short)3); writer.Write((short)1);
                writer.Write(16000); writer.Write(64000); writer.Write((short)4); writer.Write((short)32);
                writer.Write("data"u8); writer.Write(8); writer.Write(0f); writer.Write(0f);
            }
            var error = Assert.Throws<Core.UnsupportedException>(() => WaveAudio.Read(path));
            Assert.Contains("16-bit PCM", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
