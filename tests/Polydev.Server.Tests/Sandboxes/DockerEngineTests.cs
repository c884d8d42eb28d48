using System.Net;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Tests.Sandboxes.Conformance;
using Polydev.Testing;

namespace Polydev.Server.Tests.Sandboxes;

/// <summary>
/// What only the Docker engine has, beyond <see cref="DockerEngineConformance"/>: its firewall chain's exact rules (and
/// why they are needed), the scratch disk as a loop-mounted file, and the daemon's own messages.
/// </summary>
[Collection(DockerSandboxCollection.Name)]
public sealed class DockerEngineTests(DockerEngineUnderTest docker) : IClassFixture<DockerEngineUnderTest>, IAsyncLifetime
{
    private SandboxTestHarness _sandboxes = null!;

    private DockerSandboxNetwork Network => docker.SandboxNetwork;

    private DockerSandboxEngine Engine => (DockerSandboxEngine)_sandboxes.Engine;

    public Task InitializeAsync()
    {
        _sandboxes = new SandboxTestHarness(docker.CreateEngine, docker.Image);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _sandboxes.DisposeAsync();

    [Fact]
    public async Task The_network_is_internal_without_inter_container_traffic_and_the_rules_are_installed_once()
    {
        var network = (await DockerEngineUnderTest.Client.InspectNetworkAsync(Network.Options.Name))!.Value;
        Assert.True(network.GetProperty("Internal").GetBoolean());
        Assert.Equal("false", network.GetProperty("Options").GetProperty("com.docker.network.bridge.enable_icc").GetString());

        // Again: still one jump of each kind, the same chain.
        await Network.EnsureAsync();
        var chain = Network.Options.Chain;
        Assert.Single((await IptablesAsync("-S INPUT")).Split('\n'), l => l.Contains($"-j {chain}", StringComparison.Ordinal));
        Assert.Equal(2, (await IptablesAsync("-S DOCKER-USER")).Split('\n').Count(l => l.Contains($"-j {chain}", StringComparison.Ordinal)));
        var (first, last) = docker.EgressPorts;
        Assert.Equal(
            [$"-N {chain}", $"-A {chain} -d {Network.Options.Gateway}/32 -i {Network.Options.BridgeName} -p tcp -m tcp --dport {first}:{last} -j ACCEPT", $"-A {chain} -j DROP"],
            (await IptablesAsync($"-S {chain}")).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Docker_alone_lets_a_sandbox_reach_host_services_which_the_rules_stop()
    {
        await using var host = new HostServices();
        var gateway = Network.Options.Gateway;
        var hostService = host.Listen(IPAddress.Any, 0, "host-service");
        var sandbox = await _sandboxes.CreateAsync(_sandboxes.Spec() with { Network = docker.Network });

        await Network.RemoveRulesAsync();
        try
        {
            Assert.Equal("host-service", await _sandboxes.ConnectAsync(sandbox, gateway, hostService));
            Assert.DoesNotContain(Network.Options.Chain, await IptablesAsync("-S"), StringComparison.Ordinal);
            await Network.RemoveRulesAsync();
        }
        finally
        {
            await Network.InstallRulesAsync();
        }

        Assert.Null(await _sandboxes.ConnectAsync(sandbox, gateway, hostService));
    }

    /// <summary>
    /// Issue 13, finding 1: sandboxes ran as uid 1000, a real account on most hosts, which could read a sandbox
    /// process's environment (the API key, the egress token) through /proc. Now they run as an id no host account owns.
    /// </summary>
    [Fact]
    public async Task The_hosts_uid_1000_cannot_read_a_sandbox_processs_environment()
    {
        var secret = "canary-" + Guid.NewGuid().ToString("N");
        var sandbox = await _sandboxes.CreateAsync(_sandboxes.Spec() with { Environment = new Dictionary<string, string> { ["POLYDEV_TEST_SECRET"] = secret } });
        var pid = (await HostAsync("docker", "inspect", "-f", "{{.State.Pid}}", sandbox.EngineId)).Stdout.Trim();

        // The process is the sandbox's, it holds the secret, and it runs as the sandbox user (root sees it all)…
        var status = await File.ReadAllTextAsync($"/proc/{pid}/status");
        Assert.Matches($@"(?m)^Uid:\s+{SandboxUser.Id}\s", status);
        Assert.Contains(secret, await File.ReadAllTextAsync($"/proc/{pid}/environ"), StringComparison.Ordinal);
        Assert.Null(SandboxUser.HostOwner(SandboxUser.Id, SandboxUser.Id));

        // …but the host's uid 1000 reads neither its environment nor its memory map.
        foreach (var file in new[] { "environ", "maps", "cmdline" })
        {
            var read = await HostAsync("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "cat", $"/proc/{pid}/{file}");
            if (file == "cmdline")
            {
                Assert.Equal(0, read.Exit); // world-readable by design: which is why nothing secret is ever an argument
                continue;
            }

            Assert.NotEqual(0, read.Exit);
            Assert.Contains("Permission denied", read.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, read.Stdout, StringComparison.Ordinal);
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> HostAsync(string program, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Issue 19: the CPU limit is a quota per 1 s period with a CFS burst of one period's quota (DockerCpuBurst), the
    /// same average as Docker's --cpus; as the sandbox itself sees its cgroup.
    /// </summary>
    [Fact]
    public async Task The_cpu_limit_is_a_quota_per_second_with_a_burst_of_one_quota()
    {
        var sandbox = await _sandboxes.CreateAsync(_sandboxes.Spec() with { Limits = SandboxLimits.Default with { Cpus = 0.25 } });

        var cpu = await _sandboxes.RunAsync(sandbox, "/bin/busybox cat /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_burst_us");

        Assert.Equal(["1000000", "250000", "250000"], cpu.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task The_home_is_a_tmpfs_and_scratch_a_1_GB_disk_of_its_own_not_memory_removed_with_the_sandbox()
    {
        var sandbox = await _sandboxes.CreateAsync();
        var mounts = await _sandboxes.RunAsync(sandbox, "/bin/busybox grep -E ' (/home/sandbox|/tmp|/) ' /proc/mounts");
        var home = mounts.Stdout.Split('\n').Single(l => l.Contains(" /home/sandbox ", StringComparison.Ordinal));
        Assert.StartsWith("tmpfs /home/sandbox tmpfs rw,nosuid,nodev", home, StringComparison.Ordinal);
        Assert.Contains("size=1048576k", home, StringComparison.Ordinal);
        Assert.Contains($"mode=700,uid={SandboxUser.Id},gid={SandboxUser.Id}", home, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^/dev/loop\d+ /tmp ext4 rw,nosuid,nodev", mounts.Stdout);
        Assert.Matches(@"(?m)^\S+ / \S+ ro,", mounts.Stdout);

        // 700 MB fits the 1 GB scratch although the sandbox has only 512 MB of memory: it is on disk.
        var big = await _sandboxes.RunAsync(sandbox, "/bin/busybox dd if=/dev/zero of=/tmp/big bs=1M count=700 2>&1 && /bin/busybox stat -c %s /tmp/big");
        Assert.True(big.Exit == 0, big.Stdout + big.Stderr);
        Assert.Contains("734003200", big.Stdout, StringComparison.Ordinal);
        Assert.False((await Engine.InspectAsync(sandbox))!.OomKilled);

        var disk = Path.Combine(DockerScratch.DefaultRoot, sandbox.Id);
        Assert.True(File.Exists(Path.Combine(disk, "scratch.img")));
        await Engine.DestroyAsync(sandbox);
        Assert.False(Directory.Exists(disk));
        Assert.DoesNotContain(disk, await File.ReadAllTextAsync("/proc/self/mounts"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scratch_disk_whose_sandbox_never_came_is_collected_after_the_grace_but_a_live_one_is_kept()
    {
        var live = await _sandboxes.CreateAsync();
        var scratch = new DockerScratch(DockerScratch.DefaultRoot);
        var stray = await scratch.CreateAsync(Guid.NewGuid().ToString("N"), 64L << 20, 1000, 1000, CancellationToken.None);
        Assert.Contains(stray, await File.ReadAllTextAsync("/proc/self/mounts"), StringComparison.Ordinal);

        // Within the grace nothing goes; with none, the stray disk goes and the live sandbox's stays.
        await Engine.CollectLeftoversAsync(TimeSpan.FromMinutes(5));
        Assert.True(Directory.Exists(Path.GetDirectoryName(stray)));
        await Engine.CollectLeftoversAsync(TimeSpan.Zero);
        Assert.False(Directory.Exists(Path.GetDirectoryName(stray)));
        Assert.DoesNotContain(stray, await File.ReadAllTextAsync("/proc/self/mounts"), StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(scratch.Root, live.Id)));
        Assert.Equal("still\n", (await _sandboxes.RunAsync(live, "echo still > /tmp/x && /bin/busybox cat /tmp/x")).Stdout);
    }

    [Fact]
    public async Task Destroy_removes_the_anonymous_volumes_an_image_declares()
    {
        // The busybox image declares none; one that does shows the volume among the traces, and destroy removes it.
        const string repository = "polydev-test/conformance-volume";
        using (var tarball = SandboxTestImage.BuildTarball())
        {
            await DockerEngineUnderTest.Client.ImportImageAsync(tarball, repository, "1", ["VOLUME /data"]);
        }

        try
        {
            var sandbox = await _sandboxes.CreateAsync(_sandboxes.Spec() with { Image = repository + ":1" });
            Assert.Single(await docker.TracesAsync(sandbox.Id), t => t.StartsWith("volume ", StringComparison.Ordinal));
            await Engine.DestroyAsync(sandbox);
            Assert.Empty(await docker.TracesAsync(sandbox.Id));
        }
        finally
        {
            await DockerEngineUnderTest.DockerAsync("rmi", repository + ":1");
        }
    }

    [Fact]
    public async Task Engine_errors_carry_the_daemons_message_and_are_logged()
    {
        var missing = await Assert.ThrowsAsync<SandboxEngineException>(() => Engine.CreateAsync(_sandboxes.Spec() with { Image = "polydev-test/no-such-image:0" }));
        Assert.Equal(404, missing.Status);
        Assert.Contains("no such image", missing.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("sandbox_create_failed", _sandboxes.Logs.Text, StringComparison.Ordinal);
    }

    private static async Task<string> IptablesAsync(string arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("iptables", "-w " + arguments) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
