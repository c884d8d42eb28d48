using System.Text.Json.Nodes;
using Polydev.Testing;

namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>
/// The release archives the deploy tests deploy: the one scripts/release built of this checkout
/// (ensure_deploy_test_release, scripts/lib/deploy.sh, writes its path to .polydev/releases/test-release), and copies
/// of it under other versions, one of them deliberately broken (in .polydev/releases/test-copies).
/// </summary>
public static class TestReleases
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<string, string> Made = new(StringComparer.Ordinal);

    /// <summary>The copies, kept beside the built archive and named by its version: a later run of the same build reuses them.</summary>
    private static string Folder => Path.Combine(PinnedClis.RepositoryRoot(), ".polydev", "releases", "test-copies");

    /// <summary>The archive of this checkout.</summary>
    public static string Built
    {
        get
        {
            var pointer = Path.Combine(PinnedClis.RepositoryRoot(), ".polydev", "releases", "test-release");
            var archive = Environment.GetEnvironmentVariable("POLYDEV_TEST_RELEASE") is { Length: > 0 } given ? given
                : File.Exists(pointer) ? File.ReadAllText(pointer).Trim() : "";
            Assert.True(File.Exists(archive), "No release archive for the deploy tests: run the tests through scripts/test (ensure_deploy_test_release builds one with scripts/release), or set POLYDEV_TEST_RELEASE");
            return archive;
        }
    }

    /// <summary>The version in an archive's name, polydev-VERSION-linux-x64.tar.gz.</summary>
    public static string VersionOf(string archive) => Path.GetFileName(archive)["polydev-".Length..^"-linux-x64.tar.gz".Length];

    /// <summary>The built release under the version <c>&lt;built&gt;.&lt;suffix&gt;</c>.</summary>
    public static Task<string> RelabeledAsync(string suffix) => MakeAsync(suffix, null);

    /// <summary>
    /// A release that installs and migrates like any other but whose server refuses to start: its appsettings.json sets
    /// a TURN mode that does not exist, which the server's start-up validation refuses (the admin verbs, which read only
    /// the storage settings, do not care). What a release shipped with a bad setting does.
    /// </summary>
    public static Task<string> BrokenAsync() => MakeAsync("broken", settings =>
    {
        var login = settings["Login"] as JsonObject ?? new JsonObject();
        login["Turn"] = new JsonObject { ["Mode"] = "not-a-mode" };
        settings["Login"] = login;
    });

    private static async Task<string> MakeAsync(string suffix, Action<JsonObject>? changeSettings)
    {
        await Gate.WaitAsync();
        try
        {
            if (Made.TryGetValue(suffix, out var made))
            {
                return made;
            }

            var built = Built;
            var version = $"{VersionOf(built)}.{suffix}";
            var archive = Path.Combine(Folder, $"polydev-{version}-linux-x64.tar.gz");
            if (File.Exists(archive))
            {
                Made[suffix] = archive;
                return archive;
            }

            // Copies of other builds go (each is about 50 MB).
            Directory.CreateDirectory(Folder);
            foreach (var stale in Directory.GetFiles(Folder, "polydev-*.tar.gz").Where(f => !Path.GetFileName(f).StartsWith($"polydev-{VersionOf(built)}.", StringComparison.Ordinal)))
            {
                File.Delete(stale);
            }

            var work = Directory.CreateTempSubdirectory("polydev-release-").FullName;
            var extract = await ChildProcess.RunAsync("tar", "-xzf", built, "-C", work);
            Assert.True(extract.ExitCode == 0, extract.Errors);
            var folder = Path.Combine(work, $"polydev-{version}");
            Directory.Move(Path.Combine(work, $"polydev-{VersionOf(built)}"), folder);
            await File.WriteAllTextAsync(Path.Combine(folder, "VERSION"), version + "\n");
            if (changeSettings is not null)
            {
                var path = Path.Combine(folder, "appsettings.json");
                var settings = JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsObject();
                changeSettings(settings);
                await File.WriteAllTextAsync(path, settings.ToJsonString());
            }

            // Written under another name and renamed: another test process may be making the same copy.
            var partial = Path.Combine(Folder, $".{Guid.NewGuid():N}.partial");
            var pack = await ChildProcess.RunAsync("tar", "-C", work, "--owner=0", "--group=0", "--numeric-owner", "-I", "gzip -1", "-cf", partial, $"polydev-{version}");
            Assert.True(pack.ExitCode == 0, pack.Errors);
            File.Move(partial, archive, overwrite: true);
            Directory.Delete(work, recursive: true);
            Made[suffix] = archive;
            return archive;
        }
        finally
        {
            Gate.Release();
        }
    }
}
