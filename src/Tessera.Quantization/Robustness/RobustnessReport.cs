using System.Text.Json;

namespace Tessera.Quantization.Robustness;

/// <summary>A <see cref="RobustnessResult"/> as JSON for scripts: the sweep, then one entry per strength.</summary>
public static class RobustnessReport
{
    private static double? Rounded(double? v) => v is { } x && double.IsFinite(x) ? System.Math.Round(x, 6) : null;

    public static string ToJson(RobustnessResult result)
    {
        var document = new
        {
            sweep = result.Sweep.Name,
            quantity = result.Sweep.Quantity,
            files = result.Files,
            model_inputs = result.ModelInputs,
            outputs = result.Outputs,
            decision = result.Decision,
            points = result.Points.Select(p => new
            {
                level = Rounded(p.Level),
                float_cosine = Rounded(p.FloatCosine),
                int8_cosine = Rounded(p.QuantizedCosine),
                float_agreement = Rounded(p.FloatAgreement),
                int8_agreement = Rounded(p.QuantizedAgreement),
            }),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true });
    }
}
