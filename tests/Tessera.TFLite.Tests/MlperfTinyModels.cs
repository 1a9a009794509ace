using Tessera.Core;
using Tessera.Runtime;
using Tessera.Testing;

namespace Tessera.TFLite.Tests;

/// <summary>The MLPerf Tiny reference models copied into tests/assets, and how to feed them.</summary>
internal static class MlperfTinyModels
{
    public static string Path(string file) => TestAssets.File("models", "mlperf-tiny", file);

    public static Model Load(string file) => TfLiteImporter.Load(Path(file));

    /// <summary>float32 [1,H,W,3] in TFLite's NHWC order, each channel value times <paramref name="scale"/>.
    /// The whole image is squeezed to a square by area averaging: these models see 32 or 96 pixels, and a
    /// plain bilinear resize from hundreds of pixels aliases badly (it reads only 4 source pixels per output).</summary>
    public static Tensor ImageNhwc(string image, int size, float scale) => ImageNhwc(Tessera.Media.RgbImage.Load(TestAssets.Image(image)), size, scale);

    public static Tensor ImageNhwc(Tessera.Media.RgbImage pixels, int size, float scale)
    {
        int width = pixels.Width, height = pixels.Height;
        var data = new float[size * size * 3];
        for (int y = 0; y < size; y++)
        {
            int y0 = y * height / size, y1 = Math.Max((y + 1) * height / size, y0 + 1);
            for (int x = 0; x < size; x++)
            {
                int x0 = x * width / size, x1 = Math.Max((x + 1) * width / size, x0 + 1);
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    for (int sy = y0; sy < y1; sy++) for (int sx = x0; sx < x1; sx++) sum += pixels.Pixels[(sy * pixels.Width + sx) * 3 + c];
                    data[(y * size + x) * 3 + c] = (float)(sum / ((y1 - y0) * (x1 - x0))) * scale;
                }
            }
        }
        return Tensor.Create([1, size, size, 3], data);
    }

    public static float[] RunSingle(Model model, Tensor input)
    {
        var session = new InferenceSession(model);
        var outputs = session.Run(new Dictionary<string, DataValue> { [session.Inputs[0].Name] = input });
        return ((Tensor)outputs[session.Outputs[0].Name]).ToFloatArray();
    }

    public static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
