using Tessera.Core;
using Tessera.Onnx;
using Tessera.Ops;
using Tessera.Runtime;

namespace Tessera.Conformance.Tests;

/// <summary>Static type inference checked against execution: on every conformance model, with the
/// concrete input shapes of its test data, each output type that inference claims to know (declared types removed first) must equal the
/// type and shape the reference backend actually produces.</summary>
public class TypeInferenceTests
{
    [Fact]
    public void Inferred_output_types_match_executed_outputs()
    {
        var runner = new ConformanceRunner("reference");
        int checkedOutputs = 0, knownOutputs = 0;
        var wrong = new List<string>();
        foreach (var c in runner.DiscoverCases())
        {
            var dataSet = Path.Combine(c.Folder, "test_data_set_0");
            if (!Directory.Exists(dataSet)) continue;
            Model model;
            InferenceSession session;
            try
            {
                model = OnnxImporter.Load(Path.Combine(c.Folder, "model.onnx"));
                session = new InferenceSession(model);
            }
            catch (UnsupportedException)
            {
                continue;
            }
            var feedable = model.Graph.Inputs.Where(v => v.Constant is null).ToList();
            var files = Directory.GetFiles(dataSet, "input_*.pb").Order(StringComparer.Ordinal).ToList();
            if (files.Count != feedable.Count) continue;
            var inputs = new Dictionary<string, DataValue>();
            for (int i = 0; i < files.Count; i++) inputs[feedable[i].Name] = DataValueReader.Read(Path.Combine(dataSet, $"input_{i}.pb"), feedable[i].Type);
            IReadOnlyDictionary<string, DataValue> outputs;
            try
            {
                outputs = session.Run(inputs);
            }
            catch (TesseraException)
            {
                continue;
            }
            var shapes = inputs.Where(kv => kv.Value is Tensor).ToDictionary(kv => kv.Key, kv => ((Tensor)kv.Value).Shape);
            // Forget the declared types of computed values so the rules, not the file, must supply them.
            foreach (var node in model.AllNodes()) foreach (var o in node.Outputs) if (o is not null) o.Type = null;
            var inference = TypeInference.Run(model, shapes);
            foreach (var output in model.Graph.Outputs)
            {
                if (outputs[output.Name] is not Tensor actual) continue;
                checkedOutputs++;
                if (inference.TypeOf(output) is not TensorType { Shape: { } shape } inferred || !shape.IsFullyKnown) continue;
                knownOutputs++;
                if (inferred.ElementType != actual.DataType || !shape.ToConcrete()!.SequenceEqual(actual.Shape))
                {
                    wrong.Add($"{c.Name} {output.Name}: inferred {inferred}, executed {DataTypes.Name(actual.DataType)}{ShapeMath.Format(actual.Shape)}");
                }
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Take(30)));
        Assert.True(checkedOutputs > 0);
        Assert.True(knownOutputs * 10 >= checkedOutputs * 8, $"inference knew only {knownOutputs} of {checkedOutputs} output shapes");
    }
}
