using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tessera.Core;
using BFloat16 = Tessera.Core.BFloat16;
using Tensor = Tessera.Core.Tensor;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;

namespace Tessera.Testing;

/// <summary>Runs a model in ONNX Runtime (the test-only reference) with Tessera tensors in and out.</summary>
public static class OrtBridge
{
    public static Dictionary<string, Tensor> Run(byte[] model, IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new OrtSession(model, options);
        var names = inputs.Keys.ToArray();
        var values = names.Select(n => ToOrt(inputs[n])).ToArray();
        try
        {
            var outputNames = session.OutputNames.ToArray();
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, outputNames);
            var dict = new Dictionary<string, Tensor>();
            for (int i = 0; i < outputNames.Length; i++) dict[outputNames[i]] = FromOrt(results[i]);
            return dict;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public static OrtValue ToOrt(Tensor tensor)
    {
        long[] shape = tensor.Shape.Select(d => (long)d).ToArray();
        return tensor.Data switch
        {
            float[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            double[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            long[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            int[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            short[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            ushort[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            sbyte[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            byte[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            uint[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            ulong[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            bool[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            Half[] a => OrtValue.CreateTensorValueFromMemory(a.Select(h => new Float16(BitConverter.HalfToUInt16Bits(h))).ToArray(), shape),
            BFloat16[] a => OrtValue.CreateTensorValueFromMemory(a.Select(b => new Microsoft.ML.OnnxRuntime.BFloat16(b.Bits)).ToArray(), shape),
            string[] a => OrtValue.CreateFromStringTensor(new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<string>(a, tensor.Shape)),
            _ => throw new NotSupportedException(tensor.DataType.ToString()),
        };
    }

    public static Tensor FromOrt(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        int[] shape = info.Shape.Select(d => (int)d).ToArray();
        return info.ElementDataType switch
        {
            TensorElementType.Float => Tensor.Create(shape, value.GetTensorDataAsSpan<float>().ToArray()),
            TensorElementType.Double => Tensor.Create(shape, value.GetTensorDataAsSpan<double>().ToArray()),
            TensorElementType.Int64 => Tensor.Create(shape, value.GetTensorDataAsSpan<long>().ToArray()),
            TensorElementType.Int32 => Tensor.Create(shape, value.GetTensorDataAsSpan<int>().ToArray()),
            TensorElementType.Int16 => Tensor.Create(shape, value.GetTensorDataAsSpan<short>().ToArray()),
            TensorElementType.UInt16 => Tensor.Create(shape, value.GetTensorDataAsSpan<ushort>().ToArray()),
            TensorElementType.Int8 => Tensor.Create(shape, value.GetTensorDataAsSpan<sbyte>().ToArray()),
            TensorElementType.UInt8 => Tensor.Create(shape, value.GetTensorDataAsSpan<byte>().ToArray()),
            TensorElementType.UInt32 => Tensor.Create(shape, value.GetTensorDataAsSpan<uint>().ToArray()),
            TensorElementType.UInt64 => Tensor.Create(shape, value.GetTensorDataAsSpan<ulong>().ToArray()),
            TensorElementType.Bool => Tensor.Create(shape, value.GetTensorDataAsSpan<bool>().ToArray()),
            TensorElementType.Float16 => Tensor.Create(shape, MemoryMarshal.Cast<Float16, ushort>(value.GetTensorDataAsSpan<Float16>()).ToArray().Select(BitConverter.UInt16BitsToHalf).ToArray()),
            TensorElementType.String => Tensor.Create(shape, value.GetStringTensorAsArray()),
            _ => throw new NotSupportedException(info.ElementDataType.ToString()),
        };
    }
}
