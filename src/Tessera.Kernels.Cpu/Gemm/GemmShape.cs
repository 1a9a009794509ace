using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Cpu.Gemm;

/// <summary>Which micro-kernel runs, chosen once at start-up from what the processor supports: the
/// register tile (<see cref="Rows"/> x <see cref="Columns"/>) fixes the packed layouts too.</summary>
public enum MicroKernelKind
{
    /// <summary>6 x 32 tile in twelve 512-bit accumulators (AVX-512F).</summary>
    Avx512,

    /// <summary>6 x 16 tile in twelve 256-bit accumulators (AVX2 + FMA).</summary>
    Avx2,

    /// <summary>6 x 16 tile in plain loops over Vector&lt;float&gt;: any processor.</summary>
    Portable,
}

/// <summary>Register and cache tile sizes of the SGEMM.</summary>
public sealed record GemmShape(MicroKernelKind Kind, int Rows, int Columns)
{
    /// <summary>Depth of one cache block: a 6 x 256 A panel (6 KiB) and a 256 x 32 B panel (32 KiB) stay
    /// in L1/L2 while the micro-kernel sweeps over them.</summary>
    public const int DepthBlock = 256;

    public static GemmShape Best { get; } = Detect();

    public static GemmShape For(MicroKernelKind kind) => kind switch
    {
        MicroKernelKind.Avx512 => new(kind, 6, 32),
        _ => new(kind, 6, 16),
    };

    /// <summary>Kinds this processor can run (the best first); tests run every one.</summary>
    public static IReadOnlyList<MicroKernelKind> Supported
    {
        get
        {
            var kinds = new List<MicroKernelKind>();
            if (Avx512F.IsSupported) kinds.Add(MicroKernelKind.Avx512);
            if (Avx2.IsSupported && Fma.IsSupported) kinds.Add(MicroKernelKind.Avx2);
            kinds.Add(MicroKernelKind.Portable);
            return kinds;
        }
    }

    private static GemmShape Detect()
    {
        var forced = Environment.GetEnvironmentVariable("TESSERA_GEMM_KERNEL");
        if (forced is not null && Enum.TryParse<MicroKernelKind>(forced, true, out var kind) && Supported.Contains(kind)) return For(kind);
        return For(Supported[0]);
    }

    internal static bool Vector512Usable => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;
}
