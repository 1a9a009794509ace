using Tessera.Core;

using Tessera.Testing;

namespace Tessera.Onnx.Tests;

/// <summary>Import -> export -> import over every model of the ONNX backend test data (operators,
/// subgraphs, sequences, optionals, all element types), and ONNX Runtime on the exported model.</summary>
public class RoundTripTests
{
    private const string DataRoot = "/usr/share/libonnx-testdata/data";

    public static IEnumerable<string> ModelFolders() =>
        new[] { "node", "pytorch-operator", "pytorch-converted", "simple" }
            .Select(s => Path.Combine(DataRoot, s))
            .Where(Directory.Exists)
            .SelectMany(Directory.GetDirectories)
            .Where(d => File.Exists(Path.Combine(d, "model.onnx")))
            .Order(StringComparer.Ordinal);

    [Fact]
    public void Every_test_model_survives_import_export_import()
    {
        var folders = ModelFolders().ToList();
        Assert.True(folders.Count > 1000, $"libonnx-testdata is not installed ({folders.Count} models found)");
        var problems = new List<string>();
        foreach (var folder in folders)
        {
            var original = OnnxImporter.Load(Path.Combine(folder, "model.onnx"));
            var again = OnnxImporter.Load(OnnxExporter.ToBytes(original));
            var difference = GraphComparer.Difference(original.Graph, again.Graph);
            if (difference is not null) problems.Add($"{Path.GetFileName(folder)}: {difference}");
            if (!original.Opsets.OrderBy(k => k.Key).SequenceEqual(again.Opsets.OrderBy(k => k.Key))) problems.Add($"{Path.GetFileName(folder)}: opsets differ");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
    }

    [Fact]
    public void Exported_models_give_onnx_runtime_the_same_outputs()
    {
        int compared = 0;
        var problems = new List<string>();
        foreach (var folder in ModelFolders())
        {
            var path = Path.Combine(folder, "model.onnx");
            var dataSet = Path.Combine(folder, "test_data_set_0");
            if (!Directory.Exists(dataSet)) continue;
            var model = OnnxImporter.Load(path);
            var feedable = model.Graph.Inputs.Where(v => v.Constant is null).ToList();
            if (feedable.Any(v => v.Type is not TensorType) || model.Graph.Outputs.Any(v => v.Type is not TensorType)) continue;
            var files = Directory.GetFiles(dataSet, "input_*.pb").Order(StringComparer.Ordinal).ToList();
            if (files.Count != feedable.Count) continue;
            var inputs = new Dictionary<string, Tensor>();
            for (int i = 0; i < files.Count; i++) inputs[feedable[i].Name] = TensorProtoConverter.ReadFile(Path.Combine(dataSet, $"input_{i}.pb"));
            Dictionary<string, Tensor> expected;
            try
            {
                expected = OrtBridge.Run(File.ReadAllBytes(path), inputs);
            }
            catch (Exception)
            {
                continue; // ONNX Runtime itself cannot run this original (e.g. a training-only op); nothing to compare.
            }
            var actual = OrtBridge.Run(OnnxExporter.ToBytes(model), inputs);
            foreach (var (name, tensor) in expected)
            {
                var d = GraphComparer.TensorDifference(tensor, actual[name]);
                if (d is not null) problems.Add($"{Path.GetFileName(folder)} output {name}: {d}");
            }
            compared++;
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.True(compared > 700, $"only {compared} models could be compared");
    }
}
