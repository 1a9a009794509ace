using System.Globalization;
using System.Text.Json;
using Tessera.Cli.Compare;
using Tessera.Compiler;
using Tessera.Compiler.Layers;
using Tessera.Hardware;
using Tessera.Onnx;
using Tessera.Passes;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>The report's NPU section with a real <see cref="NetworkReport"/>: a small depthwise-separable network
/// compiled for 'small', run bit-exactly on the simulator, and rendered beside an unsimulated 'tiny'.</summary>
public sealed class CompareNpuSectionTests
{
    private static ConvLayer Conv(string name, NpuTensor input, int channels, Window window, int groups, Random random)
    {
        var output = new NpuTensor(name + ":out", window.OutputHeight(input.Height), window.OutputWidth(input.Width), channels, random.Next(-20, 21));
        int fanIn = window.Taps * (input.Channels / groups);
        var weights = Enumerable.Range(0, channels * fanIn).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var bias = Enumerable.Range(0, channels).Select(_ => random.Next(-2000, 2001)).ToArray();
        var requantize = Enumerable.Range(0, channels).Select(_ => FixedPoint.QuantizeMultiplier(127.0 / (3 * 74 * 74 * Math.Sqrt(fanIn)) * (0.5 + random.NextDouble()))).ToArray();
        return new ConvLayer(name, input, output, window, groups, weights, bias, requantize.Select(r => r.Item1).ToArray(), requantize.Select(r => r.Item2).ToArray(), 0, 127);
    }

    /// <summary>Stem 3x3/2, depthwise 3x3, pointwise, global average pool, classifier.</summary>
    private static Network SeparableNetwork()
    {
        var random = new Random(11);
        var network = new Network();
        var image = new NpuTensor("image", 32, 32, 3, 5);
        network.Inputs.Add(image);
        var stem = Conv("stem", image, 16, new Window(3, 3, 2, 2, Padding: new Padding(0, 0, 1, 1)), 1, random);
        var depthwise = Conv("depthwise", stem.Output, 16, new Window(3, 3, Padding: Padding.Same(1)), 16, random);
        var pointwise = Conv("pointwise", depthwise.Output, 32, new Window(1, 1), 1, random);
        var (m, s) = FixedPoint.QuantizeMultiplier(1.0 / pointwise.Output.Pixels);
        var pool = AveragePoolLayer.Global("pool", pointwise.Output, new NpuTensor("pool:out", 1, 1, 32), m, s);
        var flat = new ReshapeLayer("flatten", pool.Output, pool.Output.Reshaped("flat", 1, 1, 32));
        var fc = Conv("classifier", flat.Output, 10, new Window(1, 1), 1, random);
        var classifier = ConvLayer.FullyConnected("classifier", flat.Output, fc.Output with { Name = "logits" }, fc.Weights, fc.Bias, fc.Multipliers, fc.Shifts);
        network.Layers.AddRange([stem, depthwise, pointwise, pool, flat, classifier]);
        network.Outputs.Add("logits");
        return network;
    }

    [Fact]
    public void Simulated_configuration_adds_its_figures_and_the_other_says_it_was_not_simulated()
    {
        var network = SeparableNetwork();
        var random = new Random(3);
        var inputs = new Dictionary<string, sbyte[]> { ["image"] = Enumerable.Range(0, 32 * 32 * 3).Select(_ => (sbyte)random.Next(-128, 128)).ToArray() };
        var small = NpuSpecLoader.Load("small");
        var (outputs, simulation) = NpuExecution.Run(NetworkCompiler.Compile(small, network), inputs);
        Assert.Equal(LayerOracle.Run(network, inputs)["logits"], outputs["logits"]);

        var model = OnnxImporter.Load(TestAssets.Model("blazeface-front"));
        var shapes = new Dictionary<string, int[]> { ["input:0"] = [1, 128, 128, 3] };
        var report = new ComparisonReport
        {
            Model = "rendering test: BlazeFace front cost, separable network simulated",
            InputShapes = shapes,
            Threads = 1,
            Machine = "test",
            Cost = CostAnalysis.Analyze(model, shapes),
            Npu = [new NpuConfiguration(NpuSpecLoader.Load("tiny"), null),
                new NpuConfiguration(small, new Npu.HybridReport("small", small.ClockMegahertz, small.MacCount, [new Npu.SegmentReport(0, network.Layers.Count, simulation.Macs, simulation)], []))],
        };
        var figures = ComparisonFigures.Create(report);
        Assert.Equal(["latency", "layer-macs", "roofline-tiny", "roofline-small", "npu-layers-small"], figures.Select(f => f.Name));

        string html = ComparisonHtml.Render(report, figures);
        ReportPage.AssertSelfContained(html);
        var c = CultureInfo.InvariantCulture;
        Assert.Contains($"<td>{(simulation.LatencyMicroseconds / 1000).ToString("F3", c)}</td>", html, StringComparison.Ordinal);
        Assert.Contains($"{simulation.EnergyMicrojoules.ToString("F2", c)} µJ", html, StringComparison.Ordinal);
        Assert.Contains($"<td>{simulation.TopsPerWatt.ToString("F2", c)}</td>", html, StringComparison.Ordinal);
        Assert.Contains("NPU 'small': simulated layers", html, StringComparison.Ordinal);
        foreach (var layer in simulation.Layers.Where(l => l.Cycles > 0)) Assert.Contains($"<td>{layer.Cycles.ToString("N0", c)}</td>", html, StringComparison.Ordinal);
        // Only tiny lacks a simulation: the note is in its table row and its roofline's caption, nowhere else.
        Assert.Equal(2, html.Split(ComparisonReport.NpuNotSimulatedNote).Length - 1);
        Assert.Contains("Diamonds are the simulator", html, StringComparison.Ordinal);
        Assert.DoesNotContain("The roofline plots below place", html, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(ComparisonJson.Render(report, figures));
        var npu = json.RootElement.GetProperty("npu").EnumerateArray().ToList();
        Assert.Equal(JsonValueKind.Null, npu[0].GetProperty("simulation").ValueKind);
        Assert.Equal(ComparisonReport.NpuNotSimulatedNote, npu[0].GetProperty("note").GetString());
        var simulated = npu[1].GetProperty("simulation");
        Assert.Equal(simulation.LatencyMicroseconds, simulated.GetProperty("latency_us").GetDouble(), 9);
        Assert.Equal(simulation.TopsPerWatt, simulated.GetProperty("effective_tops_per_watt").GetDouble(), 9);
        Assert.Equal(simulation.Layers.Select(l => l.Cycles), simulated.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("cycles").GetInt64()));
    }
}
