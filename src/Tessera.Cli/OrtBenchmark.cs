using Microsoft.ML.OnnxRuntime;
using Tessera.Core;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;
using Tensor = Tessera.Core.Tensor;

namespace Tessera.Cli;

/// <summary>ONNX Runtime as the comparison point of `tessera bench --compare ort` (a benchmark, never a way
/// to execute a user's model): same inputs, same process, IntraOpNumThreads = the bench's thread count,
/// sequential execution, ORT's default (full) graph optimizations.</summary>
internal sealed class OrtBenchmark : IDisposable
{
    private readonly OrtSession _session;
    private readonly Microsoft.ML.OnnxRuntime.SessionOptions _options;
    private readonly string[] _names;
    private readonly OrtValue[] _values;
    private readonly string[] _outputs;
    private readonly RunOptions _run = new();

    public OrtBenchmark(string modelPath, IReadOnlyDictionary<string, Tensor> inputs, int threads)
    {
        _options = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            // Errors only: ORT warns about every unused initializer of some models, which buries the results.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new OrtSession(modelPath, _options);
        _names = inputs.Keys.ToArray();
        _values = _names.Select(n => ToOrt(inputs[n])).ToArray();
        _outputs = _session.OutputNames.ToArray();
    }

    public void Run()
    {
        using var results = _session.Run(_run, _names, _values, _outputs);
    }

    private static OrtValue ToOrt(Tensor tensor)
    {
        long[] shape = tensor.Shape.Select(d => (long)d).ToArray();
        return tensor.Data switch
        {
            float[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            long[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            int[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            Half[] a => OrtValue.CreateTensorValueFromMemory(a.Select(h => new Float16(BitConverter.HalfToUInt16Bits(h))).ToArray(), shape),
            _ => throw new UnsupportedException($"ONNX Runtime comparison with {DataTypes.Name(tensor.DataType)} inputs"),
        };
    }

    public void Dispose()
    {
        foreach (var v in _values) v.Dispose();
        _run.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
