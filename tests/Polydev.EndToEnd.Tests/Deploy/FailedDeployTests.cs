namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>
/// scripts/deploy of a release that fails its health check: rolled back automatically, the database restored from the
/// backup the deploy took, nothing lost.
/// </summary>
public sealed class FailedDeployTests
{
    private static readonly Dictionary<string, string> ShortHealthDeadline = new() { ["DEPLOY_HEALTH_TIMEOUT"] = "25" };

    [Fact]
    public async Task A_release_that_fails_its_health_check_is_rolled_back_with_the_database_restored_and_nothing_lost()
    {
        await using var target = await DeployTarget.StartAsync();
        var good = await DeployFlow.FirstDeployAsync(target);
        using var item = await VaultItem.WriteAsync(target.Url);

        var broken = await TestReleases.BrokenAsync();
        var deploy = await DeployScript.RunAsync(target, ["--release", broken], ShortHealthDeadline);

        Assert.True(deploy.ExitCode == 1, deploy.Output);
        Assert.StartsWith(
            $"[deploy] ERROR: {TestReleases.VersionOf(broken)} was not healthy within 25s; rolled back to {TestReleases.VersionOf(good)} and restored the database from {TestReleases.VersionOf(broken)}-",
            deploy.LastLine, StringComparison.Ordinal);
        Assert.EndsWith("Z.pdbak", deploy.LastLine, StringComparison.Ordinal);
        Assert.Contains("restored sqlite:/var/lib/polydev/polydev.db from /var/lib/polydev/backups/", deploy.Output, StringComparison.Ordinal);
        Assert.Equal(TestReleases.VersionOf(good), await target.CurrentReleaseAsync());
        Assert.Equal(TestReleases.VersionOf(good), await target.ServingReleaseAsync());
        await target.WaitReadyAsync(TimeSpan.FromSeconds(10));
        await item.AssertUnchangedAsync();
    }
}
