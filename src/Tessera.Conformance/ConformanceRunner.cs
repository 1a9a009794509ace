using System.Collections.Concurrent;
using System.Diagnostics;
using Tessera.Core;
using Tessera.Onnx;
using Tessera.Runtime;

namespace Tessera.Conformance;

/// <summary>Runs the ONNX backend test data (Debian package libonnx-testdata) against a backend.
/// A case passes when every output matches in type, shape and value within the tolerances the ONNX
/// backend tests use; it is unsupported only when the backend raises <see cref="UnsupportedException"/>.</summary>
public sealed class ConformanceRunner
{
    public const string DefaultRoot = "/usr/share/libonnx-testdata/data";

    public static readonly string[] Suites = ["node", "pytorch-operator", "pytorch-converted", "simple"];

    public ConformanceRunner(string backend = "reference", string root = DefaultRoot)
    {
        Backend = backend;
        Root = root;
    }

    public string Backend { get; }

    public string Root { get; }

    /// <summary>Case-name substring filter; null runs all.</summary>
    public string? Filter { get; init; }

    public int Parallelism { get; init; } = Environment.ProcessorCount;

    public IReadOnlyList<ConformanceCase> DiscoverCases()
    {
        if (!Directory.Exists(Root))
        {
            throw new TesseraException("ONNX conformance data not found", Root, "install it with: sudo apt-get install libonnx-testdata");
        }
        var cases = new List<ConformanceCase>();
        foreach (var suite in Suites)
        {
            var dir = Path.Combine(Root, suite);
            if (!Directory.Exists(dir)) continue;
            foreach (var folder in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            {
                if (!File.Exists(Path.Combine(folder, "model.onnx"))) continue;
                var name = Path.GetFileName(folder);
                if (Filter is not null && !name.Contains(Filter, StringComparison.Ordinal)) continue;
                cases.Add(new ConformanceCase(suite, name, folder));
            }
        }
        return cases;
    }

    public ConformanceSummary Run(Action<CaseResult>? progress = null) => RunAll(DiscoverCases(), Parallelism, RunCase, progress);

    /// <summary>Runs the cases in parallel, reports each result as it comes, and returns them ordered by suite and
    /// name (the backend runners share this).</summary>
    internal static ConformanceSummary RunAll(IReadOnlyList<ConformanceCase> cases, int parallelism, Func<ConformanceCase, CaseResult> run, Action<CaseResult>? progress)
    {
        var results = new ConcurrentBag<CaseResult>();
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, c =>
        {
            var r = run(c);
            results.Add(r);
            progress?.Invoke(r);
        });
        return new ConformanceSummary(results.OrderBy(r => r.Case.Suite, StringComparer.Ordinal).ThenBy(r => r.Case.Name, StringComparer.Ordinal).ToList());
    }

    public CaseResult RunCase(ConformanceCase c) => DefectiveTestData.Report(Execute(c));

    private CaseResult Execute(ConformanceCase c)
    {
        var clock = Stopwatch.StartNew();
        string op = c.Name;
        try
        {
            var model = OnnxImporter.Load(Path.Combine(c.Folder, "model.onnx"));
            op = OpLabel(model, c.Name);
            var session = new InferenceSession(model, new SessionOptions { Backend = Backend });
            var dataSets = Directory.GetDirectories(c.Folder, "test_data_set_*").Order(StringComparer.Ordinal).ToList();
            if (dataSets.Count == 0) return new CaseResult(c, op, CaseStatus.Failed, "no test data sets", clock.Elapsed.TotalSeconds);
            foreach (var dataSet in dataSets)
            {
                var message = RunDataSet(session, dataSet, c);
                if (message is not null)
                {
                    return new CaseResult(c, op, CaseStatus.Failed, $"{Path.GetFileName(dataSet)}: {message}", clock.Elapsed.TotalSeconds);
                }
            }
            return new CaseResult(c, op, CaseStatus.Passed, null, clock.Elapsed.TotalSeconds);
        }
        catch (UnsupportedException e)
        {
            return new CaseResult(c, op, CaseStatus.Unsupported, e.UserMessage, clock.Elapsed.TotalSeconds);
        }
        catch (TesseraException e)
        {
            return new CaseResult(c, op, CaseStatus.Failed, e.UserMessage, clock.Elapsed.TotalSeconds);
        }
        catch (Exception e)
        {
            return new CaseResult(c, op, CaseStatus.Failed, $"{e.GetType().Name}: {e.Message}", clock.Elapsed.TotalSeconds);
        }
    }

    internal static string OpLabel(Model model, string caseName)
    {
        var ops = model.Graph.Nodes.Select(n => n.OpType).Distinct().ToList();
        if (ops.Count == 1) return ops[0];
        var name = caseName.StartsWith("test_", StringComparison.Ordinal) ? caseName[5..] : caseName;
        return name.EndsWith("_expanded", StringComparison.Ordinal) ? "(expanded) " + ops.LastOrDefault() : "(graph) " + string.Join("+", ops.Take(3));
    }

    private static string? RunDataSet(InferenceSession session, string dataSet, ConformanceCase c)
    {
        var graph = session.Model.Graph;
        var outputs = session.Run(ReadInputs(graph, dataSet));
        var outputFiles = Directory.GetFiles(dataSet, "output_*.pb").OrderBy(Index).ToList();
        for (int i = 0; i < outputFiles.Count && i < graph.Outputs.Count; i++)
        {
            var output = graph.Outputs[i];
            var expected = DataValueReader.Read(outputFiles[i], output.Type);
            var message = OutputComparer.Compare(expected, outputs[output.Name], Tolerance.For(c.Name));
            if (message is not null) return $"output '{output.Name}': {message}";
        }
        return null;
    }

    /// <summary>The inputs of one test_data_set_* folder, by graph input name (input_i.pb feeds the i-th input
    /// without a value, or the i-th input of all when the counts say so).</summary>
    internal static Dictionary<string, DataValue> ReadInputs(Graph graph, string dataSet)
    {
        var feedable = graph.Inputs.Where(v => v.Constant is null).ToList();
        var inputs = new Dictionary<string, DataValue>(StringComparer.Ordinal);
        var inputFiles = Directory.GetFiles(dataSet, "input_*.pb").OrderBy(Index).ToList();
        var targets = inputFiles.Count == feedable.Count ? feedable : graph.Inputs;
        for (int i = 0; i < inputFiles.Count && i < targets.Count; i++)
        {
            inputs[targets[i].Name] = DataValueReader.Read(inputFiles[i], targets[i].Type);
        }
        return inputs;
    }

    private static int Index(string file)
    {
        var stem = Path.GetFileNameWithoutExtension(file);
        return int.Parse(stem[(stem.LastIndexOf('_') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
