using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Cpu.Simd;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Direct depthwise convolution on NCHW. Each (batch, channel) plane is first copied into a
/// zero-padded scratch plane split into <c>stride</c> column phases (phase q holds padded columns q, q+s,
/// q+2s, ...), so that every tap of every output row is a contiguous vector load with no bounds test:
/// output (oy, ox) = sum over (ky, kx) of w[ky, kx] * phase[kx % s][oy*s + ky*d][ox + kx*d / s]. The
/// output row is summed in vector registers (bias first), then the activation runs on it. Strides above
/// 2 and dilation with stride 2 use the scalar row kernel.</summary>
public static class DepthwiseConvolution
{
    public static void Run(float[] x, int batch, int channels, Plane plane, float[] w, float[]? bias, Activation activation, float[] y, int threads) =>
        Run(x, batch, channels, plane, w, bias, activation, y, threads, UseRows3x3);

    /// <summary><see cref="Run(float[], int, int, Plane, float[], float[], Activation, float[], int)"/>, with
    /// <paramref name="rows3x3"/> choosing whether 3x3 stride-1 rows go through <see cref="Rows3x3"/> (tests compare both;
    /// true only where <see cref="UseRows3x3"/> holds).</summary>
    internal static void Run(float[] x, int batch, int channels, Plane plane, float[] w, float[]? bias, Activation activation, float[] y, int threads, bool rows3x3)
    {
        rows3x3 &= UseRows3x3;
        int planes = batch * channels;
        int chunks = Math.Min(planes, threads <= 1 ? 1 : threads * 4);
        bool phased = plane.StrideX == 1 || (plane.StrideX == 2 && plane.DilationX == 1);
        var layout = phased ? PhaseLayout.Of(plane) : default;
        CpuParallel.For(chunks, threads, new Planes(x, channels, planes, chunks, phased, layout, plane, w, bias, activation, y, rows3x3));
    }

    /// <summary>The body of <see cref="Run(float[], int, int, Plane, float[], float[], Activation, float[], int, bool)"/>'s loop
    /// over chunks of (batch, channel) planes, as a value (no closure per call).</summary>
    private readonly struct Planes(float[] x, int channels, int planes, int chunks, bool phased, PhaseLayout layout, Plane plane, float[] w, float[]? bias,
        Activation activation, float[] y, bool rows3x3) : CpuParallel.IParallelBody
    {
        public void Run(int chunk)
        {
            var scratch = phased ? System.Buffers.ArrayPool<float>.Shared.Rent(layout.Length + AlignmentSlack) : [];
            for (int job = planes * chunk / chunks, end = planes * (chunk + 1) / chunks; job < end; job++)
            {
                int c = job % channels;
                var input = x.AsSpan(job * plane.Height * plane.Width, plane.Height * plane.Width);
                var weights = w.AsSpan(c * plane.KernelHeight * plane.KernelWidth, plane.KernelHeight * plane.KernelWidth);
                var output = y.AsSpan(job * plane.OutHeight * plane.OutWidth, plane.OutHeight * plane.OutWidth);
                float b = bias?[c] ?? 0f;
                if (phased && output.Length > RowActivationAbove)
                {
                    PhasedPlane(input, plane, layout, scratch, weights, b, output, activation, rows3x3);
                    continue;
                }
                if (phased) PhasedPlane(input, plane, layout, scratch, weights, b, output, Activation.None, rows3x3);
                else RowPlane(input, plane, weights, b, output);
                activation.Apply(output);
            }
            if (phased) System.Buffers.ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>Sizes of the phase planes: rows of the padded input, each phase row wide enough for a vector
    /// over-read past the last output column.</summary>
    private readonly record struct PhaseLayout(int Rows, int RowLength, int Phases)
    {
        public int Length => Rows * RowLength * Phases;

        public static PhaseLayout Of(Plane p)
        {
            int rows = Math.Max((p.OutHeight - 1) * p.StrideY + (p.KernelHeight - 1) * p.DilationY + 1, 0);
            int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
            int roundedOut = (p.OutWidth + lanes - 1) / lanes * lanes;
            int rowLength = roundedOut + (p.KernelWidth - 1) * p.DilationX / p.StrideX + 1;
            // Whole 64-byte lines per row, so that (with the plane's start aligned) every row starts on a line.
            rowLength = (rowLength + 15) / 16 * 16;
            return new PhaseLayout(rows, rowLength, p.StrideX);
        }
    }

    /// <summary>Output planes of more floats than this (more than L1 holds next to the phase plane: det's 320x320 and 160x160)
    /// get the activation row by row while each row is in cache; smaller ones in one pass per plane.</summary>
    private const int RowActivationAbove = 8192;

    /// <summary>Floats past a phase layout's length in a scratch array, so that the plane can start on a 64-byte line.</summary>
    private const int AlignmentSlack = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PhasedPlane(ReadOnlySpan<float> input, Plane p, PhaseLayout layout, float[] buffer, ReadOnlySpan<float> weights, float bias, Span<float> output, Activation activation, bool rows3x3)
    {
        // The buffer stays pinned throughout, so the plane's start, moved to a 64-byte line, stays there: with whole-line
        // rows the first tap of each kernel row is then an aligned load (line-crossing loads cost two).
        fixed (float* pinned = buffer)
        {
            int align = (int)((64 - ((nint)pinned & 63)) & 63) / sizeof(float);
            PhasedPlane(input, p, layout, buffer.AsSpan(align, layout.Length), weights, bias, output, activation, rows3x3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PhasedPlane(ReadOnlySpan<float> input, Plane p, PhaseLayout layout, Span<float> scratch, ReadOnlySpan<float> weights, float bias, Span<float> output, Activation activation, bool rows3x3)
    {
        int s = layout.Phases, rowLength = layout.RowLength;
        // Fill the phases: phase q, padded row r, column j holds x[r - padTop, j*s + q - padLeft] or 0. At stride 1 only
        // the rows of the input are written (padding columns zeroed, the rest copied): rows in the vertical padding are
        // never read, since each output row sums only the kernel rows that land on input rows.
        if (s == 1)
        {
            StrideOneRows(input, p, layout, scratch);
        }
        else scratch.Clear();
        for (int r = 0; r < layout.Rows && s != 1; r++)
        {
            int iy = r - p.PadTop;
            if ((uint)iy >= (uint)p.Height) continue;
            var source = input.Slice(iy * p.Width, p.Width);
            // Input column ix is padded column ix + padLeft: phase (ix + padLeft) % s, position (ix + padLeft) / s.
            int phaseStride = layout.Rows * rowLength;
            if (s == 2)
            {
                // Each phase is every other input column from its first one: a vector de-interleave.
                for (int q = 0; q < 2; q++)
                {
                    int first = ((q - p.PadLeft) % 2 + 2) % 2, start = (first + p.PadLeft) / 2;
                    int count = Math.Min((p.Width - first + 1) / 2, rowLength - start);
                    if (count > 0) PatchPacker.EvenElements(source, first, scratch.Slice(q * phaseStride + r * rowLength + start, count));
                }
                continue;
            }
            int phase = p.PadLeft % s, position = p.PadLeft / s;
            var phases = scratch.Slice(r * rowLength);
            for (int ix = 0; ix < p.Width && position < rowLength; ix++)
            {
                phases[phase * phaseStride + position] = source[ix];
                if (++phase == s)
                {
                    phase = 0;
                    position++;
                }
            }
        }
        int kh = p.KernelHeight, kw = p.KernelWidth, outWidth = p.OutWidth, taps = kh * kw;
        // Where tap (ky, kx) reads, relative to the phase-0 start of the output row's first padded row.
        Span<int> offsets = taps <= 64 ? stackalloc int[taps] : new int[taps];
        for (int ky = 0; ky < kh; ky++)
        {
            for (int kx = 0; kx < kw; kx++)
            {
                int column = kx * p.DilationX;
                offsets[ky * kw + kx] = ((column % s) * layout.Rows + ky * p.DilationY) * rowLength + column / s;
            }
        }
        Span<float> row = stackalloc float[rowLength];
        fixed (float* phases = scratch)
        fixed (float* w = weights)
        fixed (int* tap = offsets)
        fixed (float* target = row)
        fixed (float* result = output)
        {
            // Rows of whole vectors (16 lanes covers both widths) are summed straight into the output; others go through
            // the row buffer, as the vector loop writes past the last column.
            bool direct = outWidth % 16 == 0, unitDilation = p.DilationY == 1;
            // 3x3, stride 1, no dilation, 256-bit vectors only: rows whose three kernel rows all land on input rows go two at
            // a time through Rows3x3 (weights in registers, each input row loaded once for both output rows).
            bool threeByThree = rows3x3 && kh == 3 && kw == 3 && s == 1 && p.StrideY == 1 && p.DilationX == 1 && unitDilation;
            // 3x3 at stride 2 (both ways): one row at a time through Row3x3Stride2, same conditions otherwise.
            bool threeByThreeStride2 = rows3x3 && kh == 3 && kw == 3 && s == 2 && p.StrideY == 2 && p.DilationX == 1 && unitDilation;
            int oddPhase = layout.Rows * rowLength;
            for (int oy = 0; oy < p.OutHeight; oy++)
            {
                if (threeByThreeStride2 && 2 * oy >= p.PadTop && 2 * oy + 2 - p.PadTop < p.Height)
                {
                    Row3x3Stride2(phases + 2 * oy * rowLength, rowLength, oddPhase, w, bias, result + (long)oy * outWidth, outWidth);
                    activation.Apply(output.Slice(oy * outWidth, outWidth));
                    continue;
                }
                if (threeByThree && oy >= p.PadTop && oy + 2 - p.PadTop < p.Height)
                {
                    bool two = oy + 1 < p.OutHeight && oy + 3 - p.PadTop < p.Height;
                    Rows3x3(phases + oy * rowLength, rowLength, w, bias, result + (long)oy * outWidth, outWidth, two);
                    int rows = two ? 2 : 1;
                    activation.Apply(output.Slice(oy * outWidth, rows * outWidth));
                    oy += rows - 1;
                    continue;
                }
                // Only the kernel rows that land on input rows: on the short planes of late MobileNet stages (2 or 3 rows
                // under a 5x5 kernel) most kernel rows read vertical padding.
                int top = oy * p.StrideY - p.PadTop, ky0, ky1;
                if (unitDilation)
                {
                    // No division per row (on 8x8 and 16x16 planes the row bounds cost as much as the sums).
                    ky0 = top >= 0 ? 0 : Math.Min(kh, -top);
                    ky1 = Math.Max(ky0, Math.Min(kh, p.Height - top));
                }
                else
                {
                    ky0 = top >= 0 ? 0 : Math.Min(kh, (-top + p.DilationY - 1) / p.DilationY);
                    ky1 = Math.Max(ky0, Math.Min(kh, (p.Height - top + p.DilationY - 1) / p.DilationY));
                }
                float* source = phases + oy * p.StrideY * rowLength;
                int first = ky0 * kw, count = (ky1 - ky0) * kw;
                if (direct)
                {
                    SumRow(source, tap + first, w + first, count, bias, result + (long)oy * outWidth, outWidth);
                }
                else
                {
                    SumRow(source, tap + first, w + first, count, bias, target, outWidth);
                    row[..outWidth].CopyTo(output.Slice(oy * outWidth, outWidth));
                }
                activation.Apply(output.Slice(oy * outWidth, outWidth));
            }
        }
    }

    /// <summary>The stride-1 phase plane: each padded row that holds an input row gets its padding columns zeroed and the
    /// input row copied, in 256-bit vectors (rows are whole 64-byte lines, so the zero stores stay inside the row; the copy's
    /// last vector overlaps the one before). Rows in the vertical padding are left as they are (never read). On the 8x8 and
    /// 16x16 planes of late stages span copies and clears per row cost more than the sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void StrideOneRows(ReadOnlySpan<float> input, Plane p, PhaseLayout layout, Span<float> scratch)
    {
        int rowLength = layout.RowLength, width = p.Width;
        int left = Math.Min(p.PadLeft, rowLength), count = Math.Max(0, Math.Min(width, rowLength - p.PadLeft));
        int rowFirst = Math.Max(0, p.PadTop), rowEnd = Math.Min(layout.Rows, p.PadTop + p.Height);
        if (rowEnd <= rowFirst) return;
        if ((long)rowEnd * rowLength > scratch.Length || (long)(rowEnd - 1 - p.PadTop) * width + count > input.Length || rowLength % 8 != 0)
        {
            throw new InvalidOperationException("Depthwise phase plane smaller than its rows.");
        }
        var zero = Vector256<float>.Zero;
        fixed (float* x = input)
        fixed (float* plane = scratch)
        {
            for (int r = rowFirst; r < rowEnd; r++)
            {
                float* target = plane + (long)r * rowLength;
                float* source = x + (long)(r - p.PadTop) * width;
                // Zero stores first (the copy overwrites what they put in its columns): from 0 past the left padding, and
                // from the first vector at or below the copy's end to the row's end.
                for (int j = 0; j < left; j += 8) Vector256.Store(zero, target + j);
                for (int j = (left + count) / 8 * 8; j < rowLength; j += 8) Vector256.Store(zero, target + j);
                if (count >= 8)
                {
                    int k = 0;
                    for (; k + 8 <= count; k += 8) Vector256.Store(Vector256.Load(source + k), target + left + k);
                    if (k < count) Vector256.Store(Vector256.Load(source + count - 8), target + left + count - 8);
                }
                else
                {
                    for (int k = 0; k < count; k++) target[left + k] = source[k];
                }
            }
        }
    }

    /// <summary>One output row, in whole vectors (the phase rows are long enough to over-read): four
    /// vectors at a time so that four independent sums hide the multiply-add latency.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SumRow(float* source, int* tap, float* w, int taps, float bias, float* target, int outWidth)
    {
        int ox = 0;
        if (Float512.IsAccelerated) ox = SumRow<Float512>(source, tap, w, taps, bias, target, outWidth);
        else if (Float256.IsAccelerated) ox = SumRow<Float256>(source, tap, w, taps, bias, target, outWidth);
        for (; ox < outWidth; ox++)
        {
            float acc = bias;
            for (int t = 0; t < taps; t++) acc += source[tap[t] + ox] * w[t];
            target[ox] = acc;
        }
    }

    /// <summary>The vector part of <see cref="SumRow(float*, int*, float*, int, float, float*, int)"/> at one width:
    /// every output column (the rows over-read past the end); returns the columns done. Each vector of the row has
    /// two sums, even and odd taps, so that a block of four vectors keeps eight independent multiply-add chains and
    /// the last one to three vectors of a row (96 columns are four vectors and two) still keep four or more.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int SumRow<TVector>(float* source, int* tap, float* w, int taps, float bias, float* target, int outWidth)
        where TVector : unmanaged, IFloatVector<TVector>
    {
        int lanes = TVector.Count, ox = 0;
        var start = TVector.Splat(bias);
        var zero = TVector.Splat(0f);
        for (; ox + 3 * lanes < outWidth; ox += 4 * lanes)
        {
            TVector a0 = start, a1 = start, a2 = start, a3 = start, b0 = zero, b1 = zero, b2 = zero, b3 = zero;
            int t = 0;
            for (; t + 1 < taps; t += 2)
            {
                float* x = source + tap[t] + ox;
                var weight = TVector.Splat(w[t]);
                a0 = TVector.MultiplyAdd(TVector.Load(x), weight, a0);
                a1 = TVector.MultiplyAdd(TVector.Load(x + lanes), weight, a1);
                a2 = TVector.MultiplyAdd(TVector.Load(x + 2 * lanes), weight, a2);
                a3 = TVector.MultiplyAdd(TVector.Load(x + 3 * lanes), weight, a3);
                float* u = source + tap[t + 1] + ox;
                var next = TVector.Splat(w[t + 1]);
                b0 = TVector.MultiplyAdd(TVector.Load(u), next, b0);
                b1 = TVector.MultiplyAdd(TVector.Load(u + lanes), next, b1);
                b2 = TVector.MultiplyAdd(TVector.Load(u + 2 * lanes), next, b2);
                b3 = TVector.MultiplyAdd(TVector.Load(u + 3 * lanes), next, b3);
            }
            if (t < taps)
            {
                float* x = source + tap[t] + ox;
                var weight = TVector.Splat(w[t]);
                a0 = TVector.MultiplyAdd(TVector.Load(x), weight, a0);
                a1 = TVector.MultiplyAdd(TVector.Load(x + lanes), weight, a1);
                a2 = TVector.MultiplyAdd(TVector.Load(x + 2 * lanes), weight, a2);
                a3 = TVector.MultiplyAdd(TVector.Load(x + 3 * lanes), weight, a3);
            }
            (a0 + b0).Store(target + ox);
            (a1 + b1).Store(target + ox + lanes);
            (a2 + b2).Store(target + ox + 2 * lanes);
            (a3 + b3).Store(target + ox + 3 * lanes);
        }
        int rest = (outWidth - ox + lanes - 1) / lanes;
        if (rest >= 2)
        {
            // Two vectors (and a third when three are left), even and odd taps apart.
            bool third = rest == 3;
            TVector a0 = start, a1 = start, a2 = start, b0 = zero, b1 = zero, b2 = zero;
            int t = 0;
            for (; t + 1 < taps; t += 2)
            {
                float* x = source + tap[t] + ox;
                float* u = source + tap[t + 1] + ox;
                var weight = TVector.Splat(w[t]);
                var next = TVector.Splat(w[t + 1]);
                a0 = TVector.MultiplyAdd(TVector.Load(x), weight, a0);
                a1 = TVector.MultiplyAdd(TVector.Load(x + lanes), weight, a1);
                b0 = TVector.MultiplyAdd(TVector.Load(u), next, b0);
                b1 = TVector.MultiplyAdd(TVector.Load(u + lanes), next, b1);
                if (third)
                {
                    a2 = TVector.MultiplyAdd(TVector.Load(x + 2 * lanes), weight, a2);
                    b2 = TVector.MultiplyAdd(TVector.Load(u + 2 * lanes), next, b2);
                }
            }
            if (t < taps)
            {
                float* x = source + tap[t] + ox;
                var weight = TVector.Splat(w[t]);
                a0 = TVector.MultiplyAdd(TVector.Load(x), weight, a0);
                a1 = TVector.MultiplyAdd(TVector.Load(x + lanes), weight, a1);
                if (third) a2 = TVector.MultiplyAdd(TVector.Load(x + 2 * lanes), weight, a2);
            }
            (a0 + b0).Store(target + ox);
            (a1 + b1).Store(target + ox + lanes);
            if (third) (a2 + b2).Store(target + ox + 2 * lanes);
            return ox + rest * lanes;
        }
        if (rest == 1)
        {
            // One vector: four sums over taps t, t + 1, t + 2, t + 3.
            TVector a0 = start, a1 = zero, a2 = zero, a3 = zero;
            int t = 0;
            for (; t + 3 < taps; t += 4)
            {
                a0 = TVector.MultiplyAdd(TVector.Load(source + tap[t] + ox), TVector.Splat(w[t]), a0);
                a1 = TVector.MultiplyAdd(TVector.Load(source + tap[t + 1] + ox), TVector.Splat(w[t + 1]), a1);
                a2 = TVector.MultiplyAdd(TVector.Load(source + tap[t + 2] + ox), TVector.Splat(w[t + 2]), a2);
                a3 = TVector.MultiplyAdd(TVector.Load(source + tap[t + 3] + ox), TVector.Splat(w[t + 3]), a3);
            }
            for (; t < taps; t++) a0 = TVector.MultiplyAdd(TVector.Load(source + tap[t] + ox), TVector.Splat(w[t]), a0);
            ((a0 + a1) + (a2 + a3)).Store(target + ox);
            ox += lanes;
        }
        return ox;
    }

    /// <summary>Whether <see cref="Rows3x3"/> can run: 256-bit vectors with FMA and no 512-bit ones (those take the generic row).</summary>
    internal static readonly bool UseRows3x3 = Fma.IsSupported && Vector256.IsHardwareAccelerated && !Vector512.IsHardwareAccelerated;

    /// <summary>One or two output rows of a 3x3 stride-1 depthwise convolution whose kernel rows all land on input rows:
    /// <paramref name="source"/> is the padded row of the first output row's top kernel row, rows are
    /// <paramref name="rowLength"/> apart and long enough to over-read a vector past the last column. The nine weights stay
    /// in registers, and each of the four input rows is loaded once for both output rows. Every output element is summed
    /// in the same order as <see cref="SumRow{TVector}"/> at 8 lanes (same values bit for bit): two chains, bias and taps 0,
    /// 2, 4, 6, 8, and taps 1, 3, 5, 7, added at the end; except the row's last vector when the row has 4k + 1 vectors,
    /// which SumRow sums on four chains (bias and taps 0, 4, 8; 1, 5; 2, 6; 3, 7). A partial last vector goes through a
    /// stack buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows3x3(float* source, int rowLength, float* w, float bias, float* target, int outWidth, bool two)
    {
        Vector256<float> w0 = Vector256.Create(w[0]), w1 = Vector256.Create(w[1]), w2 = Vector256.Create(w[2]);
        Vector256<float> w3 = Vector256.Create(w[3]), w4 = Vector256.Create(w[4]), w5 = Vector256.Create(w[5]);
        Vector256<float> w6 = Vector256.Create(w[6]), w7 = Vector256.Create(w[7]), w8 = Vector256.Create(w[8]);
        var start = Vector256.Create(bias);
        var zero = Vector256<float>.Zero;
        int vectors = (outWidth + 7) / 8;
        int paired = vectors % 4 == 1 ? vectors - 1 : vectors;
        float* r0 = source, r1 = source + rowLength, r2 = r1 + rowLength, r3 = r2 + rowLength;
        float* t0 = target, t1 = target + outWidth;
        float* spill = stackalloc float[16];
        for (int v = 0; v < vectors; v++)
        {
            int ox = v * 8;
            Vector256<float> y0, y1 = default;
            if (v < paired)
            {
                var x0 = Avx.LoadVector256(r0 + ox);
                var x1 = Avx.LoadVector256(r0 + ox + 1);
                var x2 = Avx.LoadVector256(r0 + ox + 2);
                var a0 = Fma.MultiplyAdd(x0, w0, start);
                var b0 = Fma.MultiplyAdd(x1, w1, zero);
                a0 = Fma.MultiplyAdd(x2, w2, a0);
                x0 = Avx.LoadVector256(r1 + ox);
                x1 = Avx.LoadVector256(r1 + ox + 1);
                x2 = Avx.LoadVector256(r1 + ox + 2);
                b0 = Fma.MultiplyAdd(x0, w3, b0);
                a0 = Fma.MultiplyAdd(x1, w4, a0);
                b0 = Fma.MultiplyAdd(x2, w5, b0);
                Vector256<float> a1 = default, b1 = default;
                if (two)
                {
                    a1 = Fma.MultiplyAdd(x0, w0, start);
                    b1 = Fma.MultiplyAdd(x1, w1, zero);
                    a1 = Fma.MultiplyAdd(x2, w2, a1);
                }
                x0 = Avx.LoadVector256(r2 + ox);
                x1 = Avx.LoadVector256(r2 + ox + 1);
                x2 = Avx.LoadVector256(r2 + ox + 2);
                a0 = Fma.MultiplyAdd(x0, w6, a0);
                b0 = Fma.MultiplyAdd(x1, w7, b0);
                a0 = Fma.MultiplyAdd(x2, w8, a0);
                y0 = Avx.Add(a0, b0);
                if (two)
                {
                    b1 = Fma.MultiplyAdd(x0, w3, b1);
                    a1 = Fma.MultiplyAdd(x1, w4, a1);
                    b1 = Fma.MultiplyAdd(x2, w5, b1);
                    x0 = Avx.LoadVector256(r3 + ox);
                    x1 = Avx.LoadVector256(r3 + ox + 1);
                    x2 = Avx.LoadVector256(r3 + ox + 2);
                    a1 = Fma.MultiplyAdd(x0, w6, a1);
                    b1 = Fma.MultiplyAdd(x1, w7, b1);
                    a1 = Fma.MultiplyAdd(x2, w8, a1);
                    y1 = Avx.Add(a1, b1);
                }
            }
            else
            {
                y0 = FourChains3x3(r0 + ox, rowLength, 1, 2, w0, w1, w2, w3, w4, w5, w6, w7, w8, start, zero);
                if (two) y1 = FourChains3x3(r1 + ox, rowLength, 1, 2, w0, w1, w2, w3, w4, w5, w6, w7, w8, start, zero);
            }
            if (ox + 8 <= outWidth)
            {
                Avx.Store(t0 + ox, y0);
                if (two) Avx.Store(t1 + ox, y1);
            }
            else
            {
                // The partial last vector: only its columns of the row are written.
                Avx.Store(spill, y0);
                Avx.Store(spill + 8, y1);
                for (int i = 0; ox + i < outWidth; i++)
                {
                    t0[ox + i] = spill[i];
                    if (two) t1[ox + i] = spill[8 + i];
                }
            }
        }
    }

    /// <summary>One vector of a 3x3 output row on SumRow's four chains (its one-vector order): bias and taps 0, 4, 8; taps 1,
    /// 5; taps 2, 6; taps 3, 7; summed as (0 + 1) + (2 + 3). Kernel columns 1 and 2 read at <paramref name="c1"/> and
    /// <paramref name="c2"/> past column 0 (stride 1: 1 and 2; stride 2: the odd phase, and 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> FourChains3x3(float* r0, int rowLength, int c1, int c2, Vector256<float> w0, Vector256<float> w1, Vector256<float> w2,
        Vector256<float> w3, Vector256<float> w4, Vector256<float> w5, Vector256<float> w6, Vector256<float> w7, Vector256<float> w8,
        Vector256<float> start, Vector256<float> zero)
    {
        float* r1 = r0 + rowLength, r2 = r1 + rowLength;
        var a0 = Fma.MultiplyAdd(Avx.LoadVector256(r0), w0, start);
        var a1 = Fma.MultiplyAdd(Avx.LoadVector256(r0 + c1), w1, zero);
        var a2 = Fma.MultiplyAdd(Avx.LoadVector256(r0 + c2), w2, zero);
        var a3 = Fma.MultiplyAdd(Avx.LoadVector256(r1), w3, zero);
        a0 = Fma.MultiplyAdd(Avx.LoadVector256(r1 + c1), w4, a0);
        a1 = Fma.MultiplyAdd(Avx.LoadVector256(r1 + c2), w5, a1);
        a2 = Fma.MultiplyAdd(Avx.LoadVector256(r2), w6, a2);
        a3 = Fma.MultiplyAdd(Avx.LoadVector256(r2 + c1), w7, a3);
        a0 = Fma.MultiplyAdd(Avx.LoadVector256(r2 + c2), w8, a0);
        return Avx.Add(Avx.Add(a0, a1), Avx.Add(a2, a3));
    }

    /// <summary>One output row of a 3x3 depthwise convolution at stride 2 whose kernel rows all land on input rows:
    /// <paramref name="source"/> is the even-phase padded row of the top kernel row, the odd phase is
    /// <paramref name="phaseStride"/> further. Kernel column 0 reads the even phase at the output column, column 1 the odd
    /// phase, column 2 the even phase one further. Weights in registers; the summation order is SumRow's at 8 lanes (as in
    /// <see cref="Rows3x3"/>), so the values are the same bit for bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Row3x3Stride2(float* source, int rowLength, int phaseStride, float* w, float bias, float* target, int outWidth)
    {
        Vector256<float> w0 = Vector256.Create(w[0]), w1 = Vector256.Create(w[1]), w2 = Vector256.Create(w[2]);
        Vector256<float> w3 = Vector256.Create(w[3]), w4 = Vector256.Create(w[4]), w5 = Vector256.Create(w[5]);
        Vector256<float> w6 = Vector256.Create(w[6]), w7 = Vector256.Create(w[7]), w8 = Vector256.Create(w[8]);
        var start = Vector256.Create(bias);
        var zero = Vector256<float>.Zero;
        int vectors = (outWidth + 7) / 8;
        int paired = vectors % 4 == 1 ? vectors - 1 : vectors;
        float* r0 = source, r1 = source + rowLength, r2 = r1 + rowLength;
        float* spill = stackalloc float[8];
        for (int v = 0; v < vectors; v++)
        {
            int ox = v * 8;
            Vector256<float> y;
            if (v < paired)
            {
                var a = Fma.MultiplyAdd(Avx.LoadVector256(r0 + ox), w0, start);
                var b = Fma.MultiplyAdd(Avx.LoadVector256(r0 + phaseStride + ox), w1, zero);
                a = Fma.MultiplyAdd(Avx.LoadVector256(r0 + ox + 1), w2, a);
                b = Fma.MultiplyAdd(Avx.LoadVector256(r1 + ox), w3, b);
                a = Fma.MultiplyAdd(Avx.LoadVector256(r1 + phaseStride + ox), w4, a);
                b = Fma.MultiplyAdd(Avx.LoadVector256(r1 + ox + 1), w5, b);
                a = Fma.MultiplyAdd(Avx.LoadVector256(r2 + ox), w6, a);
                b = Fma.MultiplyAdd(Avx.LoadVector256(r2 + phaseStride + ox), w7, b);
                a = Fma.MultiplyAdd(Avx.LoadVector256(r2 + ox + 1), w8, a);
                y = Avx.Add(a, b);
            }
            else
            {
                y = FourChains3x3(r0 + ox, rowLength, phaseStride, 1, w0, w1, w2, w3, w4, w5, w6, w7, w8, start, zero);
            }
            if (ox + 8 <= outWidth)
            {
                Avx.Store(target + ox, y);
            }
            else
            {
                Avx.Store(spill, y);
                for (int i = 0; ox + i < outWidth; i++) target[ox + i] = spill[i];
            }
        }
    }

    /// <summary>Any stride and dilation: a multiply-add per tap over the output columns it reaches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowPlane(ReadOnlySpan<float> input, Plane p, ReadOnlySpan<float> weights, float bias, Span<float> output)
    {
        output.Fill(bias);
        int width = p.Width, outWidth = p.OutWidth;
        for (int oy = 0; oy < p.OutHeight; oy++)
        {
            var target = output.Slice(oy * outWidth, outWidth);
            for (int ky = 0; ky < p.KernelHeight; ky++)
            {
                int iy = oy * p.StrideY + ky * p.DilationY - p.PadTop;
                if ((uint)iy >= (uint)p.Height) continue;
                var row = input.Slice(iy * width, width);
                for (int kx = 0; kx < p.KernelWidth; kx++)
                {
                    float weight = weights[ky * p.KernelWidth + kx];
                    int offset = kx * p.DilationX - p.PadLeft;
                    // Output columns whose input column ox*s + offset lies inside [0, width).
                    int first = Math.Max(0, CeilDiv(-offset, p.StrideX));
                    int end = Math.Min(outWidth, CeilDiv(width - offset, p.StrideX));
                    for (int ox = first; ox < end; ox++) target[ox] += weight * row[ox * p.StrideX + offset];
                }
            }
        }
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
