namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>
/// Issue 20, "Tested against a local target": scripts/deploy against a stand-in VPS (<see cref="DeployTarget"/>:
/// Debian 12, systemd, sshd on loopback). A good release deploys and serves, keeps the vault through a second deploy,
/// and is rolled back by hand, with or without its database. The failures: <see cref="InterruptedDeployTests"/>. Each
/// test class has a host of its own, so they run side by side.
/// </summary>
public sealed class DeployTests
{
    [Fact]
    public async Task A_good_release_deploys_and_serves_and_a_second_keeps_the_vault_and_can_be_rolled_back()
    {
        await using var target = await DeployTarget.StartAsync();
        var first = await DeployFlow.FirstDeployAsync(target);
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

        // Keeping two releases: a third deploys, the one before it (the first) stays as previous, the second goes.
        var third = await TestReleases.RelabeledAsync("third");
        var pruned = (await DeployScript.RunAsync(target, ["--release", third], new Dictionary<string, string> { ["DEPLOY_KEEP"] = "2" })).Succeeded();
        Assert.Contains($"removing release {TestReleases.VersionOf(second)} (keeping 2)", pruned.Output, StringComparison.Ordinal);
        Assert.Equal([TestReleases.VersionOf(first), TestReleases.VersionOf(third)], await target.ReleasesAsync());
        await item.AssertUnchangedAsync();
    }
}
