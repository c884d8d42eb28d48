namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>
/// What every deploy test starts with: a fresh stand-in VPS (<see cref="DeployTarget"/>) and a first deploy of the
/// release of this checkout, with the host's env file.
/// </summary>
public static class DeployFlow
{
    /// <summary>The server in the target: HTTP on every address of the container (published on loopback); no sandbox engine (see DeployTarget).</summary>
    public const string EnvFile = """
        # The deploy tests' host settings.
        POLYDEV_URLS=http://0.0.0.0:8080
        POLYDEV_SANDBOXES__ENGINE=none
        """;

    /// <summary>The first deploy to a fresh host, with the env file: the release of this checkout, serving.</summary>
    public static async Task<string> FirstDeployAsync(DeployTarget target, params string[] options)
    {
        var envFile = Path.Combine(target.Directory, "polydev.env");
        await File.WriteAllTextAsync(envFile, EnvFile + "\n");
        var release = TestReleases.Built;
        var deploy = (await DeployScript.RunAsync(target, ["--release", release, "--env-file", envFile, .. options])).Succeeded();
        Assert.Contains("first release on this host", deploy.Output, StringComparison.Ordinal);
        Assert.Equal(TestReleases.VersionOf(release), await target.ServingReleaseAsync());
        await target.WaitReadyAsync(TimeSpan.FromSeconds(10));
        return release;
    }
}
