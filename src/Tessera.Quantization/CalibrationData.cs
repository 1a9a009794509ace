using Tessera.Augment.Audio;
using Tessera.Augment.Image;
using Tessera.Core;
using Tessera.Media;

namespace Tessera.Quantization;

/// <summary>One model run of calibration. <see cref="StartsStream"/> resets recurrent state (a new audio file).</summary>
public sealed record CalibrationSample(IReadOnlyDictionary<string, Tensor> Inputs, bool StartsStream, string Source);

/// <summary>Reads a calibration folder: .npy tensors (files named after the model's inputs form one sample,
/// each subfolder of such files another; for a one-input model every .npy file is a sample), images
/// (.png, .jpg, .jpeg, .bmp) or 16-bit .wav audio, the last two through a <see cref="Preprocessing"/>.</summary>
/// <summary>Augmented variants added to a calibration set: after each image or audio file, <paramref name="Count"/>
/// variants made by the Tessera.Augment spec (for example "flip:p=0.5, rotate:degrees=10, noise:sigma=0.02"),
/// each from its own seeded stream, so the same seed gives the same calibration set.</summary>
public sealed record CalibrationAugmentation(string Spec, int Count, int Seed = 1)
{
    internal Random StreamFor(int fileIndex, int variant) => new(unchecked(Seed * 1_000_003 + fileIndex * 7919 + variant));
}

public static class CalibrationData
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>Checks the folder exists and holds something to calibrate with, and that images and audio
    /// come with preprocessing; throws <see cref="InvalidInputException"/> otherwise.</summary>
    public static void Check(string folder, Preprocessing? preprocessing)
    {
        if (!Directory.Exists(folder)) throw new InvalidInputException($"calibration folder '{folder}' does not exist", "--calibration", "give a folder of .npy files, images or .wav files");
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToList();
        bool images = files.Any(IsImage), audio = files.Any(IsAudio), arrays = files.Any(IsArray);
        if (!images && !audio && !arrays) throw new InvalidInputException($"calibration folder '{folder}' holds no .npy, image or .wav files", "--calibration", "put calibration samples in it");
        if (images && preprocessing is not { IsImage: true }) throw new InvalidInputException($"'{folder}' holds images but no image preprocessing is set", "--calibration", "give --preset NAME or --preprocess FILE with width and height");
        if (audio && preprocessing is not { IsAudio: true }) throw new InvalidInputException($"'{folder}' holds audio but no audio preprocessing is set", "--calibration", "give --preset NAME or --preprocess FILE with frame_length");
    }

    /// <summary>Name of the input the images or audio feed: <see cref="Preprocessing.Input"/>, else the first
    /// input that is neither recurrent state nor a fixed constant.</summary>
    public static string DataInput(Model model, Preprocessing? preprocessing)
    {
        var inputs = model.Graph.Inputs.Where(v => v.Constant is null).Select(v => v.Name).ToList();
        if (preprocessing?.Input is { } named)
        {
            return inputs.Contains(named) ? named : throw new InvalidInputException($"the model has no input '{named}'", "preprocessing", $"inputs: {string.Join(", ", inputs)}");
        }
        return inputs.FirstOrDefault(n => preprocessing is null || (!preprocessing.State.ContainsKey(n) && !preprocessing.Constants.ContainsKey(n)))
            ?? throw new InvalidInputException("the model has no input to feed calibration data to", "--calibration");
    }

    public static IEnumerable<CalibrationSample> Read(string folder, Model model, Preprocessing? preprocessing, int maxSamples, CalibrationAugmentation? augmentation = null)
    {
        Check(folder, preprocessing);
        var input = DataInput(model, preprocessing);
        var inputNames = model.Graph.Inputs.Where(v => v.Constant is null).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        int produced = 0;
        foreach (var sample in Enumerate(folder, input, inputNames, preprocessing, maxSamples, augmentation))
        {
            if (produced++ >= maxSamples) yield break;
            yield return sample;
        }
    }

    private static IEnumerable<CalibrationSample> Enumerate(string folder, string input, HashSet<string> inputNames, Preprocessing? preprocessing, int maxSamples, CalibrationAugmentation? augmentation)
    {
        var top = Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal).ToList();
        var arrays = top.Where(IsArray).ToList();
        if (arrays.Count > 0 && arrays.All(f => inputNames.Contains(Path.GetFileNameWithoutExtension(f))))
        {
            yield return ArraySet(arrays, folder);
        }
        else
        {
            foreach (var file in arrays) yield return new CalibrationSample(new Dictionary<string, Tensor> { [input] = NpyFile.Read(file) }, true, file);
        }
        foreach (var sub in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            var set = Directory.EnumerateFiles(sub).Where(IsArray).Order(StringComparer.Ordinal).ToList();
            if (set.Count > 0) yield return ArraySet(set, sub);
        }
        var images = top.Where(IsImage).ToList();
        var imagePipeline = augmentation is null || images.Count == 0 ? null : ImageOperations.Catalog.Parse(augmentation.Spec);
        for (int fileIndex = 0; fileIndex < images.Count; fileIndex++)
        {
            var file = images[fileIndex];
            RgbImage image;
            try
            {
                image = RgbImage.Load(file);
            }
            catch (Exception e) when (e is not TesseraException)
            {
                throw new InvalidInputException($"'{file}' is not a readable image: {e.Message}", "--calibration");
            }
            yield return new CalibrationSample(new Dictionary<string, Tensor> { [input] = preprocessing!.ImageTensor(image) }, true, file);
            for (int variant = 1; imagePipeline is not null && variant <= augmentation!.Count; variant++)
            {
                var augmented = imagePipeline.Apply(image, augmentation.StreamFor(fileIndex, variant)).Output;
                yield return new CalibrationSample(new Dictionary<string, Tensor> { [input] = preprocessing.ImageTensor(augmented) }, true, $"{file} (augmented {variant})");
            }
        }
        var audioFiles = top.Where(IsAudio).ToList();
        // Frames of one file run in order (state carries over), so each file gets an equal share of the budget.
        // Each augmented variant is a stream of its own (state restarts).
        int variants = 1 + (augmentation?.Count ?? 0);
        int perFile = audioFiles.Count == 0 ? 0 : System.Math.Max(1, maxSamples / (audioFiles.Count * variants));
        var audioPipeline = augmentation is null || audioFiles.Count == 0 ? null : AudioOperations.Catalog.Parse(augmentation.Spec);
        for (int fileIndex = 0; fileIndex < audioFiles.Count; fileIndex++)
        {
            var file = audioFiles[fileIndex];
            var original = WaveAudio.Read(file);
            for (int variant = 0; variant < variants; variant++)
            {
                var audio = variant == 0 ? original : audioPipeline!.Apply(original, augmentation!.StreamFor(fileIndex, variant)).Output;
                bool first = true;
                foreach (var frame in preprocessing!.AudioFrames(audio).Take(perFile))
                {
                    yield return new CalibrationSample(new Dictionary<string, Tensor> { [input] = frame }, first, variant == 0 ? file : $"{file} (augmented {variant})");
                    first = false;
                }
            }
        }
    }

    private static CalibrationSample ArraySet(IEnumerable<string> files, string source) =>
        new(files.ToDictionary(f => Path.GetFileNameWithoutExtension(f), NpyFile.Read, StringComparer.Ordinal), true, source);

    private static bool IsArray(string path) => path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);

    private static bool IsImage(string path) => ImageExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static bool IsAudio(string path) => path.EndsWith(".wav", StringComparison.OrdinalIgnoreCase);
}
