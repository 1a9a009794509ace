using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>Einsum: Einstein summation over an equation such as "bij,bjk->bik", with "..." for
/// broadcast leading dims, repeated labels within one operand (diagonals) and the implicit output form
/// (ellipsis dims, then the labels used once, alphabetically). Every output element is the sum, over all
/// values of the summed labels, of the product of the operands' elements.</summary>
[Op("Einsum")]
public sealed class Einsum : Operator
{
    /// <summary>A parsed equation: each operand's labels (letters as chars; ellipsis dims as negative
    /// numbers -1, -2, ... from the innermost) and the output's labels.</summary>
    private sealed record Equation(List<int>[] Inputs, List<int> Output);

    public override void Execute(KernelContext context)
    {
        string text = context.GetString("equation", "");
        var inputs = Enumerable.Range(0, context.InputCount).Select(context.Input).ToArray();
        if (inputs.Length == 0) throw context.Invalid("Einsum needs at least one input");
        var type = inputs[0].DataType;
        if (inputs.Any(t => t.DataType != type)) throw context.Invalid("all Einsum inputs must have one type");
        if (!DataTypes.IsNumeric(type)) throw context.Unsupported($"Einsum on {DataTypes.Name(type)}");
        var equation = Parse(text, inputs.Select(t => t.Rank).ToArray(), context.Node.DisplayName);
        var sizes = new Dictionary<int, int>();
        for (int k = 0; k < inputs.Length; k++)
        {
            var labels = equation.Inputs[k];
            for (int d = 0; d < labels.Count; d++)
            {
                int size = inputs[k].Shape[d];
                if (!sizes.TryGetValue(labels[d], out var known) || known == 1) sizes[labels[d]] = size;
                else if (size != known && size != 1) throw context.Invalid($"label '{Name(labels[d])}' has sizes {known} and {size}");
            }
        }
        var output = equation.Output;
        var summed = sizes.Keys.Where(l => !output.Contains(l)).ToList();
        int[] outShape = output.Select(l => sizes[l]).ToArray();
        int[] sumShape = summed.Select(l => sizes[l]).ToArray();
        int outCount = (int)ShapeMath.ElementCount(outShape), sumCount = (int)ShapeMath.ElementCount(sumShape);
        // For each operand axis: which slot of the (output ++ summed) index it reads; size-1 axes broadcast.
        var all = output.Concat(summed).ToList();
        var axes = inputs.Select((t, k) => equation.Inputs[k].Select(l => all.IndexOf(l)).ToArray()).ToArray();
        var strides = inputs.Select(t => ShapeMath.Strides(t.Shape).Select((s, d) => t.Shape[d] == 1 ? 0 : s).ToArray()).ToArray();
        var values = inputs.Select(t => t.ToDoubleArray()).ToArray();
        bool integer = DataTypes.IsInteger(type);
        var result = Tensor.Zeros(type, outShape);
        var index = new int[all.Count];
        var outIndex = new int[outShape.Length];
        var sumIndex = new int[sumShape.Length];
        for (int o = 0; o < outCount; o++)
        {
            Convolution.Unflatten(o, outShape, outIndex);
            outIndex.CopyTo(index, 0);
            double total = 0;
            long integerTotal = 0;
            for (int s = 0; s < sumCount; s++)
            {
                Convolution.Unflatten(s, sumShape, sumIndex);
                sumIndex.CopyTo(index, outShape.Length);
                double product = 1;
                long integerProduct = 1;
                for (int k = 0; k < inputs.Length; k++)
                {
                    int offset = 0;
                    for (int d = 0; d < axes[k].Length; d++) offset += index[axes[k][d]] * strides[k][d];
                    if (integer) integerProduct *= inputs[k].GetInt64(offset);
                    else product *= values[k][offset];
                }
                total += product;
                integerTotal += integerProduct;
            }
            if (integer) result.SetInt64(o, integerTotal);
            else result.SetDouble(o, total);
        }
        context.SetOutput(0, result);
    }

    private static string Name(int label) => label < 0 ? "..." : ((char)label).ToString();

    private static Equation Parse(string text, int[] ranks, string where)
    {
        text = text.Replace(" ", "", StringComparison.Ordinal);
        var parts = text.Split("->");
        if (parts.Length > 2) throw new ModelFormatException($"equation '{text}' has more than one '->'", where);
        var terms = parts[0].Split(',');
        if (terms.Length != ranks.Length) throw new InvalidInputException($"equation '{text}' names {terms.Length} operands but {ranks.Length} were given", where);
        var inputs = new List<int>[terms.Length];
        int ellipsisRank = 0;
        for (int k = 0; k < terms.Length; k++)
        {
            int letters = terms[k].Replace("...", "", StringComparison.Ordinal).Length;
            if (terms[k].Contains("...", StringComparison.Ordinal)) ellipsisRank = System.Math.Max(ellipsisRank, ranks[k] - letters);
        }
        for (int k = 0; k < terms.Length; k++)
        {
            inputs[k] = Labels(terms[k], ranks[k] - terms[k].Replace("...", "", StringComparison.Ordinal).Length, where);
            if (inputs[k].Count != ranks[k]) throw new InvalidInputException($"term '{terms[k]}' does not match operand {k} of rank {ranks[k]}", where);
        }
        List<int> output;
        if (parts.Length == 2)
        {
            output = Labels(parts[1], ellipsisRank, where);
        }
        else
        {
            var counts = inputs.SelectMany(l => l).Where(l => l > 0).GroupBy(l => l).Where(g => g.Count() == 1).Select(g => g.Key).Order();
            output = [.. Enumerable.Range(1, ellipsisRank).Select(i => -i).Reverse(), .. counts];
        }
        foreach (var l in output)
        {
            if (!inputs.Any(i => i.Contains(l))) throw new ModelFormatException($"output label '{Name(l)}' of '{text}' is not in any input", where);
        }
        return new Equation(inputs, output);
    }

    /// <summary>Labels of one term; "..." stands for <paramref name="ellipsisRank"/> dims labelled
    /// -ellipsisRank .. -1 so they align from the right across operands.</summary>
    private static List<int> Labels(string term, int ellipsisRank, string where)
    {
        var labels = new List<int>();
        for (int i = 0; i < term.Length; i++)
        {
            if (term[i] == '.')
            {
                if (!term.AsSpan(i).StartsWith("...")) throw new ModelFormatException($"bad ellipsis in '{term}'", where);
                for (int e = ellipsisRank; e >= 1; e--) labels.Add(-e);
                i += 2;
            }
            else if (char.IsAsciiLetter(term[i]))
            {
                labels.Add(term[i]);
            }
            else
            {
                throw new ModelFormatException($"unexpected '{term[i]}' in einsum term '{term}'", where);
            }
        }
        return labels;
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        var types = Enumerable.Range(0, context.InputCount).Select(context.InputTensorType).ToArray();
        if (types.Any(t => t?.Shape is null))
        {
            context.SetOutput(0, x.ElementType, null);
            return;
        }
        var shapes = types.Select(t => t!.Shape!).ToArray();
        var equation = Parse(context.GetString("equation", ""), shapes.Select(s => s.Rank).ToArray(), context.Node.DisplayName);
        // A label's size: any known size other than 1 (1 broadcasts), else a shared symbol, else 1 or unknown.
        Dim SizeOf(int label)
        {
            Dim? found = null;
            for (int k = 0; k < shapes.Length; k++)
            {
                for (int d = 0; d < shapes[k].Rank; d++)
                {
                    if (equation.Inputs[k][d] != label) continue;
                    var dim = shapes[k][d];
                    if (dim.IsKnown && dim.Value != 1) return dim;
                    if (found is null || found.Value.IsKnown && !dim.IsKnown) found = dim;
                }
            }
            return found ?? Dim.Unknown;
        }
        context.SetOutput(0, x.ElementType, new TensorShape(equation.Output.Select(SizeOf)));
    }
}
