using Tessera.Core;

namespace Tessera.Ops.Signal;

/// <summary>HannWindow, HammingWindow, BlackmanWindow: generalized cosine windows of the given size,
/// periodic (N = size, the default) or symmetric (N = size - 1), computed in double and stored in
/// output_datatype (default float32).</summary>
[Op("HannWindow")]
[Op("HammingWindow")]
[Op("BlackmanWindow")]
public sealed class Windows : Operator
{
    public override void Execute(KernelContext context)
    {
        long size = context.Input(0).GetInt64(0);
        if (size < 0 || size > Tensor.MaxElements) throw context.Invalid($"window size {size} is out of range");
        var type = (DataType)context.GetInt("output_datatype", (long)DataType.Float32);
        if (!DataTypes.IsNumeric(type)) throw context.Unsupported($"window of {DataTypes.Name(type)}");
        bool periodic = context.GetInt("periodic", 1) != 0;
        var values = Compute(context.OpType, (int)size, periodic);
        context.SetOutput(0, Tensor.FromDoubles(type, [(int)size], values));
    }

    public static double[] Compute(string opType, int size, bool periodic)
    {
        double n = periodic ? size : size - 1;
        var result = new double[size];
        for (int i = 0; i < size; i++)
        {
            double phase = n == 0 ? 0 : 2 * System.Math.PI * i / n;
            result[i] = opType switch
            {
                "HannWindow" => 0.5 - 0.5 * System.Math.Cos(phase),
                "HammingWindow" => 25.0 / 46.0 - (1 - 25.0 / 46.0) * System.Math.Cos(phase),
                _ => 0.42 - 0.5 * System.Math.Cos(phase) + 0.08 * System.Math.Cos(2 * phase),
            };
        }
        return result;
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = (DataType)context.GetInt("output_datatype", (long)DataType.Float32);
        Dim size = context.InputConstant(0) is { Length: > 0 } c ? Dim.Known(c.GetInt64(0)) : Dim.Unknown;
        context.SetOutput(0, type, new TensorShape([size]));
    }
}

/// <summary>MelWeightMatrix: [dft_length/2+1, num_mel_bins] triangular filters between lower and upper
/// edge frequencies, equally spaced on the mel scale (mel = 2595·log10(1 + f/700)), with the bin
/// rounding of the ONNX reference implementation.</summary>
[Op("MelWeightMatrix")]
public sealed class MelWeightMatrix : Operator
{
    public override void Execute(KernelContext context)
    {
        int mels = (int)context.Input(0).GetInt64(0);
        int dftLength = (int)context.Input(1).GetInt64(0);
        double sampleRate = context.Input(2).GetDouble(0);
        double lower = context.Input(3).GetDouble(0);
        double upper = context.Input(4).GetDouble(0);
        var type = (DataType)context.GetInt("output_datatype", (long)DataType.Float32);
        if (mels < 1 || dftLength < 1 || sampleRate <= 0) throw context.Invalid("num_mel_bins, dft_length and sample_rate must be positive");
        if (!DataTypes.IsNumeric(type)) throw context.Unsupported($"output of {DataTypes.Name(type)}");
        int spectrogramBins = dftLength / 2 + 1;
        double lowMel = 2595 * System.Math.Log10(1 + lower / 700);
        double highMel = 2595 * System.Math.Log10(1 + upper / 700);
        // The ONNX reference divides the mel range by the number of edges (mels + 2), not by the gaps.
        double melStep = (highMel - lowMel) / (mels + 2);
        var edges = new int[mels + 2];
        for (int i = 0; i < edges.Length; i++)
        {
            double hz = 700 * (System.Math.Pow(10, (i * melStep + lowMel) / 2595) - 1);
            edges[i] = (int)System.Math.Floor((dftLength + 1) * hz / sampleRate);
        }
        var output = new double[spectrogramBins * mels];
        void Set(int bin, int mel, double v)
        {
            if (bin < 0 || bin >= spectrogramBins) throw context.Invalid("a mel filter edge lies above the Nyquist frequency");
            output[bin * mels + mel] = v;
        }
        for (int i = 0; i < mels; i++)
        {
            int left = edges[i], center = edges[i + 1], right = edges[i + 2];
            if (center == left) Set(center, i, 1);
            else for (int j = left; j <= center; j++) Set(j, i, (double)(j - left) / (center - left));
            if (right > center) for (int j = center; j < right; j++) Set(j, i, (double)(right - j) / (right - center));
        }
        context.SetOutput(0, Tensor.FromDoubles(type, [spectrogramBins, mels], output));
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = (DataType)context.GetInt("output_datatype", (long)DataType.Float32);
        Dim bins = context.InputConstant(1) is { Length: > 0 } d ? Dim.Known(d.GetInt64(0) / 2 + 1) : Dim.Unknown;
        Dim mels = context.InputConstant(0) is { Length: > 0 } m ? Dim.Known(m.GetInt64(0)) : Dim.Unknown;
        context.SetOutput(0, type, new TensorShape([bins, mels]));
    }
}
