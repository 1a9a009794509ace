using Tessera.Apps.MlperfTiny;
using Tessera.Core;
using Tessera.TFLite.Schema;
using Tessera.Testing;

namespace Tessera.TFLite.Tests;

/// <summary>Inputs for the int8 MLPerf Tiny models, quantized with each model's own input parameters
/// (<see cref="MlperfTinySuite"/> over the test assets: MFCC windows of the test wavs, the test images and seeded
/// augmentations, windows of the runner's log-mel data, seeded random int8 for the streaming wake-word model).</summary>
internal static class MlperfTinyInputs
{
    public static readonly MlperfTinySuite Suite = new(TestAssets.Folder);

    public static TfLiteQuantization InputQuantization(string file) => Suite.Quantization(file, output: false);

    public static List<Tensor> Int8(string file, int count) =>
        Suite.Int8Inputs(MlperfTinySuite.Benchmarks.Single(b => b.Int8File == file), count);

    /// <summary>round(real / scale) + zero point, ties away from zero (TFLite's and Arm NN's rounding), saturated.</summary>
    public static Tensor Quantize(Tensor real, TfLiteQuantization q) => MlperfTinySuite.Quantize(real, q);
}
