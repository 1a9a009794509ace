using Tessera.Core;
using Tessera.Media;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Tessera.Quantization;

/// <summary>How calibration images or audio become model inputs. Images: resize to Width x Height (or to
/// Height keeping the aspect ratio and zero-padding to Width), value = (pixel * Scale - Mean[c]) / Std[c]
/// in the given channel order and layout. Audio: frames of FrameLength samples, each preceded by the last
/// ContextLength samples of the previous frame; recurrent state inputs are carried from the named outputs
/// across the frames of one file. Constants fix scalar inputs (Silero's sample rate) before optimizing.</summary>
public sealed record Preprocessing
{
    /// <summary>The model input receiving the data; null means the first input that is not state or constant.</summary>
    public string? Input { get; init; }

    public int Width { get; init; }

    public int Height { get; init; }

    /// <summary>"NCHW" or "NHWC".</summary>
    public string Layout { get; init; } = "NCHW";

    /// <summary>"RGB" or "BGR": the order of the channels in the tensor.</summary>
    public string Channels { get; init; } = "RGB";

    public float Scale { get; init; } = 1f / 255;

    public float[] Mean { get; init; } = [0, 0, 0];

    public float[] Std { get; init; } = [1, 1, 1];

    /// <summary>Resize to Height keeping the aspect ratio (width at most Width) and pad with zeros, as PaddleOCR does.</summary>
    public bool KeepAspect { get; init; }

    public int SampleRate { get; init; } = 16000;

    public int FrameLength { get; init; }

    public int ContextLength { get; init; }

    /// <summary>State input name -> the output that feeds it on the next frame.</summary>
    public Dictionary<string, string> State { get; init; } = [];

    /// <summary>Scalar inputs fixed for deployment (name -> value), bound before optimizing.</summary>
    public Dictionary<string, double> Constants { get; init; } = [];

    public bool IsImage => Width > 0 && Height > 0;

    public bool IsAudio => FrameLength > 0;

    /// <summary>Reads a YAML (or JSON, which YAML includes) file with snake_case keys, e.g. width: 192, keep_aspect: true.</summary>
    public static Preprocessing Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"preprocessing file '{path}' does not exist", "--preprocess", "give a YAML or JSON file, or use --preset");
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        Preprocessing? result;
        try
        {
            result = deserializer.Deserialize<Preprocessing>(File.ReadAllText(path));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidInputException($"{path}: {e.Message}", "--preprocess", "keys: input, width, height, layout, channels, scale, mean, std, keep_aspect, sample_rate, frame_length, context_length, state, constants");
        }
        return (result ?? throw new InvalidInputException($"{path} is empty", "--preprocess")).Validated(path);
    }

    public Preprocessing Validated(string where)
    {
        if (Layout is not ("NCHW" or "NHWC")) throw new InvalidInputException($"layout '{Layout}' is not NCHW or NHWC", where);
        if (Channels is not ("RGB" or "BGR")) throw new InvalidInputException($"channels '{Channels}' is not RGB or BGR", where);
        if (Mean.Length != 3 || Std.Length != 3 || Std.Any(s => s == 0)) throw new InvalidInputException("mean and std need 3 values each, std non-zero", where);
        if (Width < 0 || Height < 0 || FrameLength < 0 || ContextLength < 0) throw new InvalidInputException("sizes must not be negative", where);
        return this;
    }

    /// <summary>The image as a float32 tensor [1,3,H,W] or [1,H,W,3].</summary>
    public Tensor ImageTensor(RgbImage image)
    {
        int width = KeepAspect ? System.Math.Clamp((int)System.Math.Ceiling(Height * (double)image.Width / image.Height), 1, Width) : Width;
        var resized = image.Resize(width, Height);
        var data = new float[3 * Height * Width];
        bool planar = Layout == "NCHW";
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int source = Channels == "RGB" ? c : 2 - c;
                    float value = (resized.Pixels[(y * width + x) * 3 + source] * Scale - Mean[c]) / Std[c];
                    data[planar ? (c * Height + y) * Width + x : (y * Width + x) * 3 + c] = value;
                }
            }
        }
        return Tensor.Create(planar ? [1, 3, Height, Width] : [1, Height, Width, 3], data);
    }

    /// <summary>The model's frames of one audio file: [1, ContextLength + FrameLength] each; the last partial frame is zero-padded.</summary>
    public IEnumerable<Tensor> AudioFrames(WaveAudio audio)
    {
        var samples = audio.SampleRate == SampleRate ? audio.Samples : audio.Resample(SampleRate).Samples;
        var context = new float[ContextLength];
        for (int start = 0; start < samples.Length; start += FrameLength)
        {
            var frame = new float[ContextLength + FrameLength];
            context.CopyTo(frame, 0);
            Array.Copy(samples, start, frame, ContextLength, System.Math.Min(FrameLength, samples.Length - start));
            if (ContextLength > 0) Array.Copy(frame, frame.Length - ContextLength, context, 0, ContextLength);
            yield return Tensor.Create([1, frame.Length], frame);
        }
    }
}
