using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Quantization;

/// <summary>Feeds calibration samples to a session in order: casts data to the input's element type, gives
/// recurrent state inputs zeros at the start of a stream and the named outputs of the previous run after.</summary>
public sealed class SampleFeeder(Model model, Preprocessing? preprocessing)
{
    private readonly Dictionary<string, Tensor> _state = new(StringComparer.Ordinal);

    public Dictionary<string, DataValue> Inputs(CalibrationSample sample)
    {
        var result = new Dictionary<string, DataValue>(StringComparer.Ordinal);
        foreach (var input in model.Graph.Inputs.Where(v => v.Constant is null))
        {
            if (sample.Inputs.TryGetValue(input.Name, out var data))
            {
                var type = input.TensorType?.ElementType ?? data.DataType;
                result[input.Name] = data.DataType == type ? data : data.CastTo(type);
            }
            else if (preprocessing is not null && preprocessing.State.ContainsKey(input.Name))
            {
                result[input.Name] = !sample.StartsStream && _state.TryGetValue(input.Name, out var carried) ? carried : Zeros(input);
            }
        }
        return result;
    }

    public void Observe(IReadOnlyDictionary<string, DataValue> outputs)
    {
        if (preprocessing is null) return;
        foreach (var (input, output) in preprocessing.State)
        {
            if (outputs.TryGetValue(output, out var value) && value is Tensor t) _state[input] = t;
            else throw new InvalidInputException($"the model has no output '{output}' to carry into state input '{input}'", "preprocessing state");
        }
    }

    private static Tensor Zeros(Value input)
    {
        var shape = input.TensorType?.Shape ?? throw new InvalidInputException($"state input '{input.Name}' has no declared shape", "preprocessing state");
        var dims = Enumerable.Range(0, shape.Rank).Select(i => shape.Dims[i].IsKnown ? (int)shape.Dims[i].Value : 1).ToArray();
        return Tensor.Zeros(input.TensorType!.ElementType, dims);
    }
}

/// <summary>Runs the float model on calibration samples with the reference session and feeds every float
/// tensor it computes (graph inputs and node outputs) to a <see cref="TensorObserver"/>.</summary>
public static class Calibrator
{
    public static Dictionary<string, TensorObserver> Run(Model model, IEnumerable<CalibrationSample> samples, Preprocessing? preprocessing, Action<int>? progress = null)
    {
        var observers = new Dictionary<string, TensorObserver>(StringComparer.Ordinal);
        void Observe(string name, DataValue? value)
        {
            if (value is not Tensor { DataType: DataType.Float32 or DataType.Float16 } tensor) return;
            if (!observers.TryGetValue(name, out var observer)) observers[name] = observer = new TensorObserver();
            observer.Observe(tensor.DataType == DataType.Float32 ? tensor.As<float>() : tensor.ToFloatArray());
        }
        var session = new InferenceSession(model)
        {
            NodeExecuted = (node, outputs) =>
            {
                for (int i = 0; i < outputs.Count && i < node.Outputs.Count; i++)
                {
                    if (node.Outputs[i] is { } value) Observe(value.Name, outputs[i]);
                }
            },
        };
        var feeder = new SampleFeeder(model, preprocessing);
        int count = 0;
        foreach (var sample in samples)
        {
            var inputs = feeder.Inputs(sample);
            foreach (var (name, value) in inputs) Observe(name, value);
            feeder.Observe(session.Run(inputs));
            count++;
            progress?.Invoke(count);
        }
        if (count == 0) throw new InvalidInputException("no calibration samples were read", "--calibration", "put .npy files, images or .wav files in the folder");
        return observers;
    }
}
