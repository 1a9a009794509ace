using Tessera.Core;
using Tessera.Runtime;
using Tessera.Testing;

namespace Tessera.TFLite.Tests;

/// <summary>The MLPerf Tiny reference models copied into tests/assets, and how to feed them.</summary>
internal static class MlperfTinyModels
{
    public static string Path(string file) => TestAssets.File("models", "mlperf-tiny", file);

    public static Model Load(string file) => TfLiteImporter.Load(Path(file));

    /// <summary>float32 [1,H,W,3] NHWC, squeezed by area averaging (<see cref="Tessera.Apps.MlperfTiny.MlperfTinySuite.ImageNhwc"/>).</summary>
    public static Tensor ImageNhwc(string image, int size, float scale) => ImageNhwc(Tessera.Media.RgbImage.Load(TestAssets.Image(image)), size, scale);

    public static Tensor ImageNhwc(Tessera.Media.RgbImage pixels, int size, float scale) => Tessera.Apps.MlperfTiny.MlperfTinySuite.ImageNhwc(pixels, size, scale);

    public static float[] RunSingle(Model model, Tensor input)
    {
        var session = new InferenceSession(model);
        var outputs = session.Run(new Dictionary<string, DataValue> { [session.Inputs[0].Name] = input });
        return ((Tensor)outputs[session.Outputs[0].Name]).ToFloatArray();
    }

    public static int ArgMax(float[] values) => Tessera.Apps.MlperfTiny.MlperfTinyRunner.ArgMax(values);
}
