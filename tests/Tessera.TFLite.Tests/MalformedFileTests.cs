using FsCheck;
using FsCheck.Fluent;
using Tessera.Core;

namespace Tessera.TFLite.Tests;

/// <summary>.tflite files are untrusted: damaged ones must fail with a one-line <see cref="ModelFormatException"/>
/// (or, where the damage leaves a structurally valid file, a <see cref="TesseraException"/>), never a crash.</summary>
public sealed class MalformedFileTests
{
    private static readonly byte[] Kws = File.ReadAllBytes(MlperfTinyModels.Path("kws_ref_model_float32.tflite"));

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(20000)]
    public void Truncated_file_is_a_format_error(int length)
    {
        var e = Assert.Throws<ModelFormatException>(() => TfLiteImporter.Load(Kws[..length], "truncated.tflite"));
        Assert.DoesNotContain('\n', e.UserMessage);
        Assert.StartsWith("truncated.tflite", e.UserMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_with_the_identifier_are_a_format_error()
    {
        var bytes = new byte[4096];
        new Random(3).NextBytes(bytes);
        "TFL3"u8.CopyTo(bytes.AsSpan(4));
        Assert.Throws<ModelFormatException>(() => TfLiteImporter.Load(bytes, "random.tflite"));
    }

    [Fact]
    public void Onnx_file_is_not_taken_for_tflite()
    {
        var e = Assert.Throws<ModelFormatException>(() => TfLiteImporter.Load(new byte[] { 8, 7, 18, 4, 116, 101, 115, 116 }, "model.onnx"));
        Assert.Contains("TFL3", e.Message, StringComparison.Ordinal);
    }

    [FsCheck.Xunit.Property(MaxTest = 60)]
    public Property Damaged_bytes_never_escape_as_other_exceptions(int seed)
    {
        var bytes = (byte[])Kws.Clone();
        var random = new Random(seed);
        for (int i = 0; i < 8; i++) bytes[8 + random.Next(Math.Min(bytes.Length - 8, 4096))] = (byte)random.Next(256);
        try
        {
            TfLiteImporter.Load(bytes, "damaged.tflite");
            return true.ToProperty();
        }
        catch (TesseraException)
        {
            return true.ToProperty();
        }
    }
}
