using System.Text.Json;
using Tessera.Augment.Audio;
using Tessera.Augment.Image;
using Tessera.Core;
using Tessera.Media;

namespace Tessera.Augment;

/// <summary>What `tessera augment` does: <see cref="Count"/> variants of every input (an image, a WAV file, or a
/// folder of them) written to <see cref="OutputFolder"/> with a manifest.json of what was applied to each.</summary>
public sealed record AugmentJob(string Input, string OutputFolder, string Spec, int Count, int Seed)
{
    public const string ManifestName = "manifest.json";

    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>One output: its input, file name, the seed that reproduces it (new Random(Seed)) and the steps applied.</summary>
    public sealed record ManifestEntry(string Input, string Output, int Seed, IReadOnlyList<AppliedOperation> Applied);

    public sealed record Manifest(string Spec, int Seed, int Count, IReadOnlyList<ManifestEntry> Outputs);

    /// <summary>The inputs in a stable order: the file itself, or the folder's images and WAV files (not recursive).</summary>
    public IReadOnlyList<string> FindInputs()
    {
        if (File.Exists(Input))
        {
            if (!IsImage(Input) && !IsAudio(Input)) throw new InvalidInputException($"'{Input}' is neither an image (png, jpg, bmp) nor a wav file", Input, "give an image, a wav file or a folder of them");
            return [Input];
        }
        if (!Directory.Exists(Input)) throw new InvalidInputException($"'{Input}' does not exist", Input, "give an image, a wav file or a folder of them");
        var files = Directory.EnumerateFiles(Input).Where(f => IsImage(f) || IsAudio(f)).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidInputException($"folder '{Input}' holds no png, jpg, bmp or wav files", Input, "give a folder with images or wav files");
        return files;
    }

    /// <summary>Runs the job. Outputs go to a staging folder inside the output folder and are renamed into
    /// place only when every variant has been made, so a failure (a corrupt input, a full disk) leaves no
    /// outputs and no manifest behind, never a half-written set.</summary>
    public Manifest Run(Action<int, int>? progress = null)
    {
        if (Count < 1) throw new InvalidInputException($"--count {Count} must be at least 1", "--count", "ask for one or more variants per input");
        var inputs = FindInputs();
        // Parse the spec for each kind present before anything is read or written, so a typo fails fast.
        var imagePipeline = inputs.Any(IsImage) ? ImageOperations.Catalog.Parse(Spec) : null;
        var audioPipeline = inputs.Any(IsAudio) ? AudioOperations.Catalog.Parse(Spec) : null;
        var names = OutputBases(inputs);
        Directory.CreateDirectory(OutputFolder);
        var staging = Path.Combine(OutputFolder, $".tessera-augment-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var entries = new List<ManifestEntry>();
            int done = 0, total = inputs.Count * Count;
            progress?.Invoke(0, total);
            foreach (var input in inputs)
            {
                var image = IsImage(input) ? RgbImage.Load(input) : null;
                var audio = image is null ? WaveAudio.Read(input) : null;
                for (int variant = 0; variant < Count; variant++)
                {
                    int seed = VariantSeed(Seed, Path.GetFileName(input), variant);
                    var random = new Random(seed);
                    string output;
                    IReadOnlyList<AppliedOperation> applied;
                    if (image is not null)
                    {
                        var result = imagePipeline!.Apply(image, random);
                        output = $"{names[input]}_{variant:D3}.png";
                        result.Output.SavePng(Path.Combine(staging, output));
                        applied = result.Applied;
                    }
                    else
                    {
                        var result = audioPipeline!.Apply(audio!, random);
                        output = $"{names[input]}_{variant:D3}.wav";
                        WaveFileWriter.Write(result.Output, Path.Combine(staging, output));
                        applied = result.Applied;
                    }
                    entries.Add(new ManifestEntry(Path.GetFileName(input), output, seed, applied));
                    progress?.Invoke(++done, total);
                }
            }
            var manifest = new Manifest(Spec, Seed, Count, entries);
            foreach (var entry in entries) File.Move(Path.Combine(staging, entry.Output), Path.Combine(OutputFolder, entry.Output), overwrite: true);
            AtomicFile.WriteAllText(Path.Combine(OutputFolder, ManifestName), JsonSerializer.Serialize(manifest, JsonOptions));
            return manifest;
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    public static JsonSerializerOptions JsonOptions { get; } = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>A seed per output from the job seed, the input's file name and the variant number (SplitMix64
    /// finalizer over an FNV-1a hash): stable across runs and machines, and adding a file to the folder does
    /// not change the other files' outputs.</summary>
    public static int VariantSeed(int seed, string fileName, int variant)
    {
        ulong hash = 14695981039346656037;
        foreach (char c in fileName) hash = (hash ^ c) * 1099511628211;
        ulong mixed = hash ^ ((ulong)(uint)seed << 32) ^ (uint)variant;
        mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9;
        mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EB;
        mixed ^= mixed >> 31;
        return (int)(mixed & int.MaxValue);
    }

    public static bool IsImage(string path) => ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static bool IsAudio(string path) => Path.GetExtension(path).Equals(".wav", StringComparison.OrdinalIgnoreCase);

    /// <summary>Output name stems: the input's stem, plus its extension where two inputs share a stem (a.png, a.jpg).</summary>
    private static Dictionary<string, string> OutputBases(IReadOnlyList<string> inputs)
    {
        var stems = inputs.GroupBy(i => Path.GetFileNameWithoutExtension(i), StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
        return inputs.ToDictionary(i => i, i =>
        {
            var stem = Path.GetFileNameWithoutExtension(i);
            return stems[stem] > 1 ? $"{stem}-{Path.GetExtension(i).TrimStart('.').ToLowerInvariant()}" : stem;
        });
    }
}
