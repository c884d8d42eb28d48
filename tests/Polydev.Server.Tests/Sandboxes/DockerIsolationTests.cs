using System.Diagnostics;
using System.Globalization;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes;

/// <summary>
/// ARCHITECTURE.md's sandbox rules, shown from inside a real Docker sandbox: each test runs the
/// misbehaving program and checks what the kernel did to it.
/// </summary>
[Collection(DockerSandboxCollection.Name)]
public sealed class DockerIsolationTests : IAsyncLifetime
{
    private DockerSandboxHarness _docker = null!;

    public async Task InitializeAsync() => _docker = await DockerSandboxHarness.StartAsync();

    public async Task DisposeAsync() => await _docker.DisposeAsync();

    [Fact]
    public async Task The_process_is_not_root_has_no_capabilities_and_cannot_gain_privileges()
    {
        var sandbox = await _docker.CreateAsync();
        var result = await _docker.RunAsync(sandbox, "/bin/busybox id -u; /bin/busybox id -g; /bin/busybox grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status");
        Assert.Equal(0, result.Exit);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Equal(
            ["1000", "1000", "CapInh: 0000000000000000", "CapPrm: 0000000000000000", "CapEff: 0000000000000000", "CapBnd: 0000000000000000", "CapAmb: 0000000000000000", "NoNewPrivs: 1"],
            lines);

        // The main process (the init and the sandbox's command) is not root either.
        var main = await _docker.RunAsync(sandbox, "/bin/busybox grep -E '^Uid:' /proc/1/status");
        Assert.StartsWith("Uid:\t1000\t1000\t1000\t1000", main.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_root_is_read_only_and_only_the_tmpfs_home_and_the_scratch_disk_are_writable()
    {
        var sandbox = await _docker.CreateAsync();
        var root = await _docker.RunAsync(sandbox, "echo x > /x");
        Assert.NotEqual(0, root.Exit);
        Assert.Contains("Read-only file system", root.Stderr, StringComparison.Ordinal);
        var bin = await _docker.RunAsync(sandbox, "echo x > /bin/x");
        Assert.NotEqual(0, bin.Exit);

        var writable = await _docker.RunAsync(sandbox, "cd && pwd && echo home > ~/f && echo scratch > /tmp/f && /bin/busybox cat ~/f /tmp/f");
        Assert.Equal((0, "/home/sandbox\nhome\nscratch\n", ""), writable);

        var mounts = await _docker.RunAsync(sandbox, "/bin/busybox grep -E ' (/home/sandbox|/tmp|/) ' /proc/mounts");
        var home = mounts.Stdout.Split('\n').Single(l => l.Contains(" /home/sandbox ", StringComparison.Ordinal));
        Assert.StartsWith("tmpfs /home/sandbox tmpfs rw,nosuid,nodev", home, StringComparison.Ordinal);
        Assert.Contains("size=1048576k", home, StringComparison.Ordinal);
        Assert.Contains("mode=700,uid=1000,gid=1000", home, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^/dev/loop\d+ /tmp ext4 rw,nosuid,nodev", mounts.Stdout);
        Assert.Matches(@"(?m)^\S+ / \S+ ro,", mounts.Stdout);
    }

    [Fact]
    public async Task Scratch_is_a_1_GB_disk_of_its_own_not_memory_and_is_removed_with_the_sandbox()
    {
        var sandbox = await _docker.CreateAsync();

        // 700 MB fits the 1 GB scratch although the sandbox has only 512 MB of memory: it is on disk.
        var big = await _docker.RunAsync(sandbox, "/bin/busybox dd if=/dev/zero of=/tmp/big bs=1M count=700 2>&1 && /bin/busybox stat -c %s /tmp/big");
        Assert.True(big.Exit == 0, big.Stdout + big.Stderr);
        Assert.Contains("734003200", big.Stdout, StringComparison.Ordinal);
        var status = await _docker.Engine.InspectAsync(sandbox);
        Assert.False(status!.OomKilled);

        // And no more than 1 GB: the file system is full.
        var full = await _docker.RunAsync(sandbox, "/bin/busybox dd if=/dev/zero of=/tmp/more bs=1M count=400 2>&1");
        Assert.NotEqual(0, full.Exit);
        Assert.Contains("No space left on device", full.Stdout + full.Stderr, StringComparison.Ordinal);

        var disk = Path.Combine(Polydev.Server.Sandboxes.Docker.DockerScratch.DefaultRoot, sandbox.Id);
        Assert.True(Directory.Exists(disk));
        await _docker.Engine.DestroyAsync(sandbox);
        Assert.False(Directory.Exists(disk));
        Assert.DoesNotContain(disk, await File.ReadAllTextAsync("/proc/self/mounts"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scratch_disk_whose_sandbox_never_came_is_collected_after_the_grace_but_a_live_one_is_kept()
    {
        var live = await _docker.CreateAsync();
        var scratch = new Polydev.Server.Sandboxes.Docker.DockerScratch(Polydev.Server.Sandboxes.Docker.DockerScratch.DefaultRoot);
        var strayId = Guid.NewGuid().ToString("N");
        var stray = await scratch.CreateAsync(strayId, 64L << 20, 1000, 1000, CancellationToken.None);
        Assert.Contains(stray, await File.ReadAllTextAsync("/proc/self/mounts"), StringComparison.Ordinal);

        // Within the grace nothing goes; with none, the stray disk goes and the live sandbox's stays.
        await _docker.Engine.CollectLeftoversAsync(TimeSpan.FromMinutes(5));
        Assert.True(Directory.Exists(Path.GetDirectoryName(stray)));
        await _docker.Engine.CollectLeftoversAsync(TimeSpan.Zero);
        Assert.False(Directory.Exists(Path.GetDirectoryName(stray)));
        Assert.DoesNotContain(stray, await File.ReadAllTextAsync("/proc/self/mounts"), StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(scratch.Root, live.Id)));
        var write = await _docker.RunAsync(live, "echo still > /tmp/x && /bin/busybox cat /tmp/x");
        Assert.Equal("still\n", write.Stdout);
    }

    [Fact]
    public async Task A_memory_hog_is_oom_killed_and_reported_as_such()
    {
        var sandbox = await _docker.CreateAsync();
        var limit = await _docker.RunAsync(sandbox, "/bin/busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || /bin/busybox cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max");
        Assert.StartsWith("536870912\n", limit.Stdout, StringComparison.Ordinal);

        // dd's 600 MB buffer is filled from /dev/zero, so every page is touched: more than the 512 MB limit.
        var hog = await _docker.RunAsync(sandbox, "/bin/busybox dd if=/dev/zero of=/dev/null bs=600M count=1");
        Assert.Equal(137, hog.Exit);

        var status = await _docker.Engine.InspectAsync(sandbox);
        for (var i = 0; i < 50 && !status!.OomKilled; i++)
        {
            await Task.Delay(100);
            status = await _docker.Engine.InspectAsync(sandbox);
        }

        Assert.True(status!.OomKilled, "the engine did not report the OOM kill");

        // A hog that stays under the limit runs.
        var fine = await _docker.RunAsync(sandbox, "/bin/busybox dd if=/dev/zero of=/dev/null bs=200M count=1");
        Assert.Equal(0, fine.Exit);
    }

    [Fact]
    public async Task A_fork_bomb_stops_at_the_pids_limit()
    {
        var sandbox = await _docker.CreateAsync();
        var bomb = await _docker.RunAsync(
            sandbox,
            "i=0; while [ $i -lt 400 ]; do /bin/busybox sleep 30 >/dev/null 2>&1 & i=$((i+1)); done",
            timeout: TimeSpan.FromSeconds(60));
        Assert.Contains("fork", bomb.Stderr, StringComparison.Ordinal);

        // Counted from outside: an exec inside would need a process of its own.
        var stats = await _docker.Client.StatsAsync(sandbox.EngineId);
        var current = stats.GetProperty("pids_stats").GetProperty("current").GetInt32();
        Assert.InRange(current, 200, SandboxLimits.Default.PidsLimit);

        // Other sandboxes are untouched.
        var neighbour = await _docker.CreateAsync();
        Assert.Equal(0, (await _docker.RunAsync(neighbour, "/bin/busybox true")).Exit);
    }

    [Fact]
    public async Task A_cpu_burner_gets_no_more_than_half_a_core()
    {
        var sandbox = await _docker.CreateAsync();
        var quota = await _docker.RunAsync(sandbox, "/bin/busybox cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || /bin/busybox cat /sys/fs/cgroup/cpu.max");
        Assert.Contains(quota.Stdout.Trim().Replace('\n', ' '), new[] { "50000 100000" }, StringComparer.Ordinal);

        // Two burners: on this 2-core machine they would take two cores unlimited.
        var burn = await _docker.RunAsync(sandbox, "for i in 1 2; do (while :; do :; done) >/dev/null 2>&1 & done");
        Assert.Equal(0, burn.Exit);
        await Task.Delay(300);
        var (before, clockBefore) = await CpuUsageAsync(sandbox);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var (after, clockAfter) = await CpuUsageAsync(sandbox);
        var cores = (after - before).TotalSeconds / (clockAfter - clockBefore).TotalSeconds;
        Assert.InRange(cores, 0.1, 0.6);
    }

    // Total CPU time the sandbox's cgroup used, read inside it (cgroup v1 cpuacct or v2 cpu.stat).
    private async Task<(TimeSpan Used, TimeSpan At)> CpuUsageAsync(SandboxHandle sandbox)
    {
        var at = Stopwatch.GetElapsedTime(0);
        var result = await _docker.RunAsync(sandbox,
            "if [ -r /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then read n < /sys/fs/cgroup/cpuacct/cpuacct.usage; echo ns $n; " +
            "else while read k v; do [ $k = usage_usec ] && echo us $v; done < /sys/fs/cgroup/cpu.stat; fi");
        var parts = result.Stdout.Trim().Split(' ');
        var value = long.Parse(parts[1], CultureInfo.InvariantCulture);
        return (parts[0] == "ns" ? TimeSpan.FromTicks(value / 100) : TimeSpan.FromMicroseconds(value), at);
    }
}
