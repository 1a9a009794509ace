using Tessera.Core;
using Tessera.Kernels.Cpu;
using Tessera.Media;
using Tessera.Quantization;

namespace Tessera.Apps.Ocr;

/// <summary>Calibration data for the OCR models on the NPU. The recognizer and the orientation classifier read
/// text lines, not pages, so their samples are the lines the float detector finds in the calibration pages
/// (calibration runs the float models by definition; inference then runs only the int8 ones).</summary>
internal static class OcrCalibration
{
    public static CalibrationSample Sample(Model model, Tensor input, string source) =>
        new(new Dictionary<string, Tensor> { [model.Graph.Inputs.First(v => v.Constant is null).Name] = input }, true, source);

    public static List<(string, RgbImage)> Lines(NpuTarget target, OcrSettings settings)
    {
        var detector = new SessionAppModel(AppBackend.Open("ppocr-det", CpuBackend.Name));
        var lines = new List<(string, RgbImage)>();
        foreach (var (file, page) in AppBackend.CalibrationImages(target))
        {
            var (input, width, height) = OcrPipeline.DetectionInput(page, settings.DetectionLimitSide);
            var map = AppBackend.Output(detector.Run(new Dictionary<string, DataValue> { [detector.Inputs[0].Name] = input }), detector.Outputs[0].Name);
            var boxes = TextDetectionDecoder.Decode(map.ToFloatArray(), width, height, page.Width, page.Height, settings.Detection);
            lines.AddRange(boxes.Select((b, i) => ($"{file} line {i + 1}", PerspectiveCrop.Crop(page, b.Corners))));
        }
        if (lines.Count == 0) throw new InvalidInputException("the detector found no text line in the calibration images", target.CalibrationFolder, "calibrate OCR on pages of printed text");
        return lines.Take(target.MaxSamples).ToList();
    }
}
