namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>
/// The deploys that must not take a host down, on one stand-in VPS (each host costs a boot and a first deploy): killed
/// half-way through the test hook DEPLOY_KILL_AT, the previous release keeps serving; a release that fails its health
/// check is rolled back automatically with the database restored from the backup the deploy took, nothing lost.
/// </summary>
public sealed class InterruptedDeployTests
{
    private static readonly Dictionary<string, string> ShortHealthDeadline = new() { ["DEPLOY_HEALTH_TIMEOUT"] = "25" };

    [Fact]
    public async Task A_deploy_killed_half_way_or_whose_release_is_unhealthy_leaves_the_previous_release_serving_with_nothing_lost()
    {
        await using var target = await DeployTarget.StartAsync();
        var first = await DeployFlow.FirstDeployAsync(target);
        using var item = await VaultItem.WriteAsync(target.Url);
        var second = await TestReleases.RelabeledAsync("second");

        // Killed with half the archive sent: nothing of the new release is installed, the server was never touched.
        var upload = await DeployScript.RunAsync(target, ["--release", second], new Dictionary<string, string> { ["DEPLOY_KILL_AT"] = "upload" });
        Assert.True(upload.ExitCode == 137, upload.Output);
        Assert.Contains("DEPLOY_KILL_AT=upload", upload.Output, StringComparison.Ordinal);
        Assert.Equal([TestReleases.VersionOf(first)], await target.ReleasesAsync());
        Assert.Equal(TestReleases.VersionOf(first), await target.ServingReleaseAsync());
        await target.WaitReadyAsync(TimeSpan.FromSeconds(5));
        await item.AssertUnchangedAsync();

        // Killed on the host after the server was stopped and the database backed up and migrated, before the switch:
        // the deploy unit's ExecStopPost starts the server again, from the release current still points at.
        var beforeSwitch = await DeployScript.RunAsync(target, ["--release", second], new Dictionary<string, string> { ["DEPLOY_KILL_AT"] = "before-switch" });
        Assert.True(beforeSwitch.ExitCode != 0, beforeSwitch.Output);
        Assert.Contains("DEPLOY_KILL_AT=before-switch", beforeSwitch.Output, StringComparison.Ordinal);
        Assert.Equal(TestReleases.VersionOf(first), await target.CurrentReleaseAsync());
        await target.WaitReadyAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TestReleases.VersionOf(first), await target.ServingReleaseAsync());
        await item.AssertUnchangedAsync();

        // What the interrupted deploys left does not stand in the way of the next one.
        (await DeployScript.RunAsync(target, ["--release", second])).Succeeded();
        Assert.Equal(TestReleases.VersionOf(second), await target.ServingReleaseAsync());
        await item.AssertUnchangedAsync();

        // A release that never gets healthy: rolled back to the one before, its database restored from the deploy's backup.
        var broken = await TestReleases.BrokenAsync();
        var deploy = await DeployScript.RunAsync(target, ["--release", broken], ShortHealthDeadline);
        Assert.True(deploy.ExitCode == 1, deploy.Output);
        Assert.StartsWith(
            $"[deploy] ERROR: {TestReleases.VersionOf(broken)} was not healthy within 25s; rolled back to {TestReleases.VersionOf(second)} and restored the database from {TestReleases.VersionOf(broken)}-",
            deploy.LastLine, StringComparison.Ordinal);
        Assert.EndsWith("Z.pdbak", deploy.LastLine, StringComparison.Ordinal);
        Assert.Contains("restored sqlite:/var/lib/polydev/polydev.db from /var/lib/polydev/backups/", deploy.Output, StringComparison.Ordinal);
        Assert.Equal(TestReleases.VersionOf(second), await target.CurrentReleaseAsync());
        Assert.Equal(TestReleases.VersionOf(second), await target.ServingReleaseAsync());
        await target.WaitReadyAsync(TimeSpan.FromSeconds(10));
        await item.AssertUnchangedAsync();
    }
}
