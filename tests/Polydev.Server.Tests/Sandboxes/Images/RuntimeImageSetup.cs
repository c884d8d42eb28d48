using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Tests.Sandboxes.Images;

/// <summary>
/// Where the runtime image tests find the repository, the pinned CLIs (POLYDEV_CLIS_DIR, which scripts/test exports,
/// else &lt;repo&gt;/.polydev/clis) and the published agent (&lt;repo&gt;/.polydev/agent, from scripts/lib/images.sh).
/// Anything missing fails the test with what to run: these tests never skip.
/// </summary>
internal static class RuntimeImageSetup
{
    public static string Repository { get; } = FindRepository();

    public static string ClisFile => Path.Combine(Repository, "images", "runtime", "clis.tsv");

    public static string Dockerfile => Path.Combine(Repository, "images", "runtime", "Dockerfile");

    public static string LoginDockerfile => Path.Combine(Repository, "images", "login", "Dockerfile");

    public static string Agent => Path.Combine(Repository, ".polydev", "agent", "polydev-agent");

    public static string ClisDirectory =>
        Environment.GetEnvironmentVariable("POLYDEV_CLIS_DIR") is { Length: > 0 } directory ? directory : Path.Combine(Repository, ".polydev", "clis");

    public static CliPins Pins { get; } = CliPins.Load(ClisFile);

    public static CliPin Pin(string provider) => Pins.Find(provider) ?? throw new InvalidOperationException($"clis.tsv pins no '{provider}'");

    /// <summary>The provider's CLI on this host; fails the test when scripts/lib/clis.sh has not installed it.</summary>
    public static string HostExecutable(string provider)
    {
        var pin = Pin(provider);
        var path = Path.Combine(ClisDirectory, pin.PrefixName, "node_modules", ".bin", pin.Executable);
        if (!File.Exists(path))
        {
            Assert.Fail($"{pin.Package}@{pin.Version} is not installed at {path}: run the tests through scripts/test (it installs the pinned CLIs and exports POLYDEV_CLIS_DIR).");
        }

        return path;
    }

    public static RuntimeImageSources Sources(string? clisDirectory = null, string? agent = null) =>
        new(Dockerfile, ClisFile, clisDirectory ?? ClisDirectory, agent ?? Agent, LoginDockerfile: LoginDockerfile);

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Polydev.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (Polydev.slnx).");
    }
}
