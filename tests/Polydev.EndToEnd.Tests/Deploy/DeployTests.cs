namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>
/// Issue 20, "Tested against a local target": scripts/deploy against a stand-in VPS (<see cref="DeployTarget"/>:
/// Debian 12, systemd, sshd on loopback). A good release deploys and serves, a release that fails its health check is
/// rolled back with the database restored, a deploy killed half-way leaves the previous release serving. Each test
/// starts from a fresh host and first deploys the release of this checkout.
/// </summary>
public sealed class DeployTests
{
    /// <summary>The server in the target: loopback HTTP published by the container; no sandbox engine (see DeployTarget).</summary>
    private const string EnvFile = """
        # The deploy tests' host settings.
        POLYDEV_URLS=http://0.0.0.0:8080
        POLYDEV_SANDBOXES__ENGINE=none
        """;

    private static readonly Dictionary<string, string> ShortHealthDeadline = new() { ["DEPLOY_HEALTH_TIMEOUT"] = "25" };

    [Fact]
    public async Task A_good_release_deploys_and_serves_and_a_second_keeps_the_vault_and_can_be_rolled_back()
    {
        await using var target = await DeployTarget.StartAsync();
        var first = await FirstDeployAsync(target);
        Assert.Equal("enabled", (await target.ExecAsync("systemctl", "is-enabled", "polydev.service")).Trim());
        // The embedded TURN server, a child of the hardened unit, is up; Debian's own coturn was turned off for it.
        Assert.Contains("polydev_turn_server_up 1", await new HttpClient().GetStringAsync(target.Url + "/metrics"), StringComparison.Ordinal);
        Assert.Equal("disabled", (await target.ExecAsync("sh", "-c", "systemctl is-enabled coturn.service || true")).Trim());
        Assert.Equal("polydev", (await target.ExecAsync("sh", "-c", "stat -c %U /proc/$(systemctl show -P MainPID polydev.service)")).Trim());

        using var item = await VaultItem.WriteAsync(target.Url);
        var second = await TestReleases.RelabeledAsync("second");
        var deploy = (await DeployScript.RunAsync(target, ["--release", second])).Succeeded();
        Assert.Equal($"[deploy] deployed {TestReleases.VersionOf(second)} to 127.0.0.1", deploy.LastLine);
        Assert.Contains("backup first: /var/lib/polydev/backups/", deploy.Output, StringComparison.Ordinal);
        Assert.Equal(TestReleases.VersionOf(second), await target.ServingReleaseAsync());
        await target.WaitReadyAsync(TimeSpan.FromSeconds(10));
        await item.AssertUnchangedAsync();
        Assert.Equal(TestReleases.VersionOf(first), (await target.ExecAsync("sh", "-c", "basename $(readlink /opt/polydev/previous)")).Trim());

        // By hand, back one release: the first serves again, with the vault as it is; again, and the second is back.
        var rollback = (await DeployScript.RunAsync(target, ["--rollback"])).Succeeded();
        Assert.Equal("[deploy] rolled back on 127.0.0.1", rollback.LastLine);
        Assert.Equal(TestReleases.VersionOf(first), await target.ServingReleaseAsync());
        await target.WaitReadyAsync(TimeSpan.FromSeconds(10));
        await item.AssertUnchangedAsync();
        (await DeployScript.RunAsync(target, ["--rollback"])).Succeeded();
        Assert.Equal(TestReleases.VersionOf(second), await target.ServingReleaseAsync());

        // --restore also takes the database back to the backup the second release's deploy took: what was written since
        // (a second user) is gone, what was there before is as it was.
        using var later = await VaultItem.WriteAsync(target.Url);
        var restore = (await DeployScript.RunAsync(target, ["--rollback", "--restore"])).Succeeded();
        Assert.Contains("later writes are lost", restore.Output, StringComparison.Ordinal);
        Assert.Equal(TestReleases.VersionOf(first), await target.ServingReleaseAsync());
        await target.WaitReadyAsync(TimeSpan.FromSeconds(10));
        await item.AssertUnchangedAsync();
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await later.StatusAsync());
    }

    [Fact]
    public async Task A_release_that_fails_its_health_check_is_rolled_back_with_the_database_restored_and_nothing_lost()
    {
        await using var target = await DeployTarget.StartAsync();
        var good = await FirstDeployAsync(target);
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

    [Fact]
    public async Task A_deploy_killed_during_the_upload_or_before_the_switch_leaves_the_previous_release_serving()
    {
        await using var target = await DeployTarget.StartAsync();
        var first = await FirstDeployAsync(target);
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

    /// <summary>The first deploy to a fresh host, with the env file: the release of this checkout, serving.</summary>
    private static async Task<string> FirstDeployAsync(DeployTarget target)
    {
        var envFile = Path.Combine(target.Directory, "polydev.env");
        await File.WriteAllTextAsync(envFile, EnvFile + "\n");
        var release = TestReleases.Built;
        var deploy = (await DeployScript.RunAsync(target, ["--release", release, "--env-file", envFile])).Succeeded();
        Assert.Contains("first release on this host", deploy.Output, StringComparison.Ordinal);
        Assert.Equal(TestReleases.VersionOf(release), await target.ServingReleaseAsync());
        await target.WaitReadyAsync(TimeSpan.FromSeconds(10));
        return release;
    }
}
