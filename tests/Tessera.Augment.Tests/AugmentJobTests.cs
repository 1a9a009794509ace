using System.Text.Json;
using Tessera.Core;
using Tessera.Media;

namespace Tessera.Augment.Tests;

public sealed class AugmentJobTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tessera-augment-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Inputs()
    {
        var inputs = Path.Combine(folder, "in");
        Directory.CreateDirectory(inputs);
        RgbImage.Load(Testing.TestAssets.Image("coffee.png")).Resize(96, 64).SavePng(Path.Combine(inputs, "coffee.png"));
        File.Copy(Testing.TestAssets.Image("fruits.jpg"), Path.Combine(inputs, "fruits.jpg"));
        File.WriteAllText(Path.Combine(inputs, "notes.txt"), "not an input");
        return inputs;
    }

    [Fact]
    public void Writes_count_variants_per_input_and_a_manifest_of_what_was_applied()
    {
        var output = Path.Combine(folder, "out");
        var manifest = new AugmentJob(Inputs(), output, "flip:p=0.5, rotate:degrees=10, jpeg:quality=30..80", 3, 5).Run();
        var files = Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["coffee_000.png", "coffee_001.png", "coffee_002.png", "fruits_000.png", "fruits_001.png", "fruits_002.png", "manifest.json"], files);
        Assert.Empty(Directory.GetDirectories(output));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, AugmentJob.ManifestName)));
        var outputs = json.RootElement.GetProperty("outputs");
        Assert.Equal(6, outputs.GetArrayLength());
        var first = outputs[0];
        Assert.Equal("coffee.png", first.GetProperty("input").GetString());
        var applied = first.GetProperty("applied").EnumerateArray().Select(a => a.GetProperty("operation").GetString()).ToList();
        Assert.Contains("rotate", applied);
        Assert.Contains("jpeg", applied);
        int quality = first.GetProperty("applied").EnumerateArray().Single(a => a.GetProperty("operation").GetString() == "jpeg").GetProperty("parameters").GetProperty("quality").GetInt32();
        Assert.InRange(quality, 30, 80);
        // The seed in the manifest reproduces the output on its own.
        var entry = manifest.Outputs[4];
        var again = Image.ImageOperations.Catalog.Parse(manifest.Spec).Apply(RgbImage.Load(Testing.TestAssets.Image("fruits.jpg")), new Random(entry.Seed)).Output;
        Assert.Equal(again.Pixels, RgbImage.Load(Path.Combine(output, entry.Output)).Pixels);
    }

    [Fact]
    public void The_same_seed_writes_the_same_bytes_and_another_seed_does_not()
    {
        var wav = Path.Combine(folder, "speech.wav");
        File.Copy(Testing.TestAssets.Audio("keywords_en_16k.wav"), wav);
        const string spec = "gain:db=-6..6, noise:snr=10:color=pink, shift:seconds=0.1, speed:factor=0.9..1.1, reverb:decay=0.3:mix=0.2";
        byte[] Make(string name, int seed)
        {
            new AugmentJob(wav, Path.Combine(folder, name), spec, 1, seed).Run();
            return File.ReadAllBytes(Path.Combine(folder, name, "speech_000.wav"));
        }
        var first = Make("a", 1);
        Assert.Equal(first, Make("b", 1));
        Assert.NotEqual(first, Make("c", 2));
        Assert.Equal(16000, WaveAudio.Read(Path.Combine(folder, "a", "speech_000.wav")).SampleRate);
    }

    [Fact]
    public void A_corrupt_input_leaves_no_outputs_and_no_manifest()
    {
        var inputs = Inputs();
        // Sorted after the good files, so it fails after they have been augmented.
        File.WriteAllBytes(Path.Combine(inputs, "zzz.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var output = Path.Combine(folder, "out");
        var error = Assert.Throws<InvalidInputException>(() => new AugmentJob(inputs, output, "flip", 2, 0).Run());
        Assert.Contains("zzz.png", error.UserMessage, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(output));
    }

    [Fact]
    public void Bad_arguments_fail_before_anything_is_written()
    {
        var output = Path.Combine(folder, "out");
        var inputs = Inputs();
        Assert.Throws<InvalidInputException>(() => new AugmentJob(inputs, output, "flip:q=1", 1, 0).Run());
        Assert.Throws<InvalidInputException>(() => new AugmentJob(inputs, output, "flip", 0, 0).Run());
        Assert.Throws<InvalidInputException>(() => new AugmentJob(Path.Combine(folder, "none"), output, "flip", 1, 0).Run());
        // An image spec on audio: the audio catalog has no 'flip'.
        var wav = Path.Combine(folder, "a.wav");
        File.Copy(Testing.TestAssets.Audio("keywords_en_16k.wav"), wav);
        var error = Assert.Throws<InvalidInputException>(() => new AugmentJob(wav, output, "flip", 1, 0).Run());
        Assert.Contains("unknown audio operation 'flip'", error.UserMessage, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Variant_seeds_are_stable_and_distinct()
    {
        Assert.Equal(AugmentJob.VariantSeed(1, "a.png", 0), AugmentJob.VariantSeed(1, "a.png", 0));
        var seeds = Enumerable.Range(0, 1000).Select(v => AugmentJob.VariantSeed(1, "a.png", v))
            .Concat(Enumerable.Range(0, 1000).Select(v => AugmentJob.VariantSeed(2, "a.png", v)))
            .Concat(Enumerable.Range(0, 1000).Select(v => AugmentJob.VariantSeed(1, "b.png", v)));
        Assert.Equal(3000, seeds.Distinct().Count());
    }
}
