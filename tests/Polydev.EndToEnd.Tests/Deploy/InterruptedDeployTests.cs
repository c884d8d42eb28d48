namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>
/// scripts/deploy killed half-way, through its test hook DEPLOY_KILL_AT: the previous release keeps serving.
/// </summary>
public sealed class InterruptedDeployTests
{
    [Fact]
    public async Task A_deploy_killed_during_the_upload_or_before_the_switch_leaves_the_previous_release_serving()
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
    }
}
